import sys
import time
from pathlib import Path
from unittest import TestCase

from lib import mime
from lib.mail_identity import describe, storable
from lib.mime import parse_mail, raw_mime_shape, repair_structure
from lib.time_limit import TimeLimitExceeded, time_limit

# Shared with the Odoo tests, this plain module lives in tests/, a package whose __init__
# imports Odoo: import it as a top-level module instead (appended, so that `lib` stays the
# repository's lib/).
sys.path.append(str(Path(__file__).parents[1]))

from poison_mails import many_parts, nested_forwards, nul_in_encoded_subject


class TestPoisonMailHelpers(TestCase):
    """What lets the journal store and Odoo read any mail; no database involved."""

    def test_a_nul_in_an_encoded_subject_is_stored_as_a_replacement_character(self):
        values = describe(nul_in_encoded_subject())
        self.assertEqual(values["subject"], "テスト\ufffd")
        self.assertEqual(storable("a\x00b\udc80c" + "x" * 2000), "a\ufffdb\ufffdc" + "x" * 995)

    def test_deeply_nested_mails_are_measured_without_recursion(self):
        # Each forward adds two levels: its multipart, and the message/rfc822 part in it.
        self.assertEqual(raw_mime_shape(nested_forwards(10), 1000, 1000), (21, 31))
        # Counting stops just past a limit, whatever the mail's size.
        self.assertEqual(raw_mime_shape(nested_forwards(300), 5, 500)[0], 6)
        self.assertEqual(raw_mime_shape(many_parts(600), 30, 500)[1], 501)

    def test_a_thousand_nested_forwards_are_measured_before_any_parse(self):
        # Deeper than Python's parser can go (it recurses once per level): measured from
        # the bytes, in one pass, the whole depth and every part.
        raw = nested_forwards(1000, filler=3000)
        with self.assertRaises(RecursionError):
            parse_mail(raw).as_bytes()
        self.assertEqual(raw_mime_shape(raw, 10**6, 10**6), (2001, 3001))
        self.assertEqual(raw_mime_shape(raw, 30, 500), (31, 46))

    def test_the_shape_read_from_the_bytes_is_the_parsers(self):
        def parsed_shape(message, level=1):
            payload = message.get_payload() if message.is_multipart() else []
            shapes = [parsed_shape(child, level + 1) for child in payload]
            return max([level, *(depth for depth, _ in shapes)]), 1 + sum(n for _, n in shapes)

        samples = Path(__file__).parents[1] / "data"
        mails = [path.read_bytes() for path in sorted(samples.glob("*/*.eml"))]
        for raw in [*mails, nested_forwards(12), many_parts(40)]:
            with self.subTest(raw[:60]):
                self.assertEqual(raw_mime_shape(raw, 10**6, 10**6), parsed_shape(parse_mail(raw)))

    def test_parts_odoo_cannot_read_are_relabelled(self):
        broken_boundary = (
            b"From: MAILER-DAEMON@example.com\r\nSubject: Returned mail\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status;\r\n\tbo\r\n\r\n"
            b"--JAB03225\r\nContent-Type: text/plain\r\n\r\nsorry\r\n--JAB03225--\r\n"
        )
        message = parse_mail(broken_boundary)
        self.assertEqual(repair_structure(message), ["multipart/report without its parts"])
        self.assertEqual(message.get_content_type(), "text/plain")
        garbled = parse_mail(
            b'Content-Type: %22%22"application%22%22/pdf\r\nSubject: x\r\n\r\n%PDF'
        )
        self.assertEqual(len(repair_structure(garbled)), 1)
        self.assertEqual(garbled.get_content_type(), "application/octet-stream")
        garbled.get_content()  # Python's content manager now reads it

    def test_malformed_address_headers_read_as_plain_text(self):
        message = parse_mail(
            b"From: . <user@example.com>\r\nTo: undisclosed-recipients:;\r\n\r\nHi"
        )
        self.assertEqual(str(message["From"]), ". <user@example.com>")
        self.assertEqual(message["To"].addresses, ())

    def test_a_time_limit_interrupts_python_work_and_nothing_after(self):
        started = time.monotonic()
        with self.assertRaises(TimeLimitExceeded), time_limit(0.3):
            while True:
                sum(range(100))
        self.assertLess(time.monotonic() - started, 5)
        with time_limit(0.2):
            pass
        time.sleep(0.4)  # a timer left running would raise here


def test_parsed_headers_are_forgotten_between_chunks():
    parse_mail(b"From: a@b.test\r\nSubject: kept\r\n\r\nbody")["Subject"]
    assert mime._parsed_header.cache_info().currsize > 0
    mime.forget_parsed_headers()
    assert mime._parsed_header.cache_info().currsize == 0
