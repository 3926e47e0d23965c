import hashlib
from datetime import date
from email import message_from_bytes
from email.policy import SMTP
from unittest import TestCase

from lib.imap import batches, new_uids, parse_fetch, search_criteria, uid_set
from lib.imap_folders import quote
from lib.mail_identity import describe
from lib.mime import replace_unknown_charsets


class TestImapHelpers(TestCase):
    """IMAP batching and parsing; no database involved."""

    def test_uid_sets_are_compressed(self):
        self.assertEqual(uid_set([7, 1, 2, 3, 9, 10]), "1:3,7,9:10")
        self.assertEqual(uid_set([5]), "5")

    def test_batches(self):
        self.assertEqual(batches([1, 2, 3, 4, 5], 2), [[1, 2], [3, 4], [5]])
        self.assertEqual(batches([], 50), [])

    def test_search_answer_keeps_only_new_uids(self):
        # `UID n:*` answers with the highest UID even when it is below n.
        self.assertEqual(new_uids([b"12"], 12), [])
        self.assertEqual(new_uids([b"13 15 14"], 12), [13, 14, 15])
        self.assertEqual(new_uids([b""], 0), [])

    def test_search_criteria_name_the_month_in_english(self):
        self.assertEqual(search_criteria(12), "UID 13:*")
        self.assertEqual(search_criteria(0, date(2026, 3, 5)), "UID 1:* SINCE 5-Mar-2026")
        self.assertEqual(search_criteria(None, date(2026, 3, 5)), "ALL SINCE 5-Mar-2026")

    def test_fetch_answer_is_parsed_whatever_the_order(self):
        data = [
            (b"1 (UID 41 BODY[] {5}", b"mail1"),
            b")",
            b"2 (FLAGS (\\Seen))",
            (b"3 (BODY[] {5}", b"mail3"),
            b" UID 43)",
        ]
        self.assertEqual(parse_fetch(data), {41: b"mail1", 43: b"mail3"})

    def test_mailbox_names_are_quoted(self):
        self.assertEqual(quote('Odoo/Done "x"'), '"Odoo/Done \\"x\\""')


class TestMailIdentity(TestCase):
    def test_message_id_is_read_from_the_header(self):
        raw = b"Message-ID: <abc@host>\r\nSubject: x\r\n\r\nbody"
        self.assertEqual(describe(raw)["message_id"], "<abc@host>")

    def test_a_missing_or_broken_message_id_is_made_from_the_content(self):
        raw = b"Subject: x\r\nMessage-ID: not an id\r\n\r\nbody"
        for mail in (raw, raw + b"!"):
            digest = hashlib.sha256(mail).hexdigest()
            with self.subTest(mail=mail):
                self.assertEqual(describe(mail)["checksum"], digest)
                self.assertEqual(
                    describe(mail)["message_id"],
                    f"<{digest[:40]}@mail-catcher.missing-message-id>",
                )


class TestCharsetRepair(TestCase):
    def test_unknown_charsets_are_relabelled(self):
        raw = b"Content-Type: text/plain; charset=klingon\r\n\r\nd\xe9j\xe0\r\n"
        message = message_from_bytes(raw, policy=SMTP)
        self.assertEqual(replace_unknown_charsets(message), ["klingon"])
        self.assertEqual(message.get_content().strip(), "d\xe9j\xe0")

    def test_known_charsets_are_left_alone(self):
        raw = b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nd\xe9j\xe0\r\n"
        message = message_from_bytes(raw, policy=SMTP)
        self.assertEqual(replace_unknown_charsets(message), [])
