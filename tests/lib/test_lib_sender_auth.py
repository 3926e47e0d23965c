import sys
from email import message_from_bytes
from email.policy import SMTP
from pathlib import Path
from unittest import TestCase

from lib.sender_auth import authserv_id_matches, from_domain, sender_verdict

# Shared with the Odoo tests, this plain module lives in tests/, a package whose __init__
# imports Odoo: import it as a top-level module instead (appended, so that `lib` stays the
# repository's lib/).
sys.path.append(str(Path(__file__).parents[1]))

from auth_results import (
    GMAIL_FAIL,
    GMAIL_PASS,
    OPENDKIM_PASS,
    OPENDMARC_FAIL,
    OPENDMARC_PASS,
    OUTLOOK_ARC,
    OUTLOOK_COMPAUTH_ONLY,
    OUTLOOK_CURRENT_PASS,
    OUTLOOK_CURRENT_SPOOFED,
    OUTLOOK_MIMEKIT_490,
    OUTLOOK_PASS,
    OUTLOOK_VALIDITY_SPOOFED,
    OVH_DKIM,
)

FROM = ["Anna <anna@customer.test>"]


class TestSenderAuthentication(TestCase):
    """The trusted provider's verdict on a sender; no database involved."""

    def test_gmail(self):
        self.assertEqual(sender_verdict([GMAIL_PASS], FROM, "mx.google.com"), "pass")
        self.assertEqual(sender_verdict([GMAIL_FAIL], FROM, "mx.google.com"), "fail")
        self.assertEqual(sender_verdict([GMAIL_PASS], FROM, "MX.Google.com"), "pass")

    def test_postfix_with_opendkim_and_opendmarc(self):
        self.assertEqual(
            sender_verdict([OPENDMARC_PASS, OPENDKIM_PASS], FROM, "mail.company.test"), "pass"
        )
        self.assertEqual(
            sender_verdict([OPENDMARC_FAIL, OPENDKIM_PASS], FROM, "mail.company.test"), "fail"
        )
        # OpenDKIM alone: a good signature of the author's domain is enough.
        self.assertEqual(sender_verdict([OPENDKIM_PASS], FROM, "mail.company.test"), "pass")

    def test_microsoft_365_in_both_forms(self):
        microsoft = "mx.microsoft.com"
        cases = {
            OUTLOOK_PASS: "pass",
            OUTLOOK_CURRENT_PASS: "pass",
            # DKIM of the author's domain passed; Microsoft's "best guess" is no DMARC pass.
            OUTLOOK_MIMEKIT_490: "pass",
            OUTLOOK_VALIDITY_SPOOFED: "fail",
            OUTLOOK_CURRENT_SPOOFED: "fail",
            # compauth=pass alone rests on Microsoft's own guesses: no proof.
            OUTLOOK_COMPAUTH_ONLY: "none",
        }
        for header, expected in cases.items():
            author = ["a@domain.com"] if header == OUTLOOK_MIMEKIT_490 else FROM
            if header == OUTLOOK_VALIDITY_SPOOFED:
                author = ["a@example.net"]
            with self.subTest(header=header[:40]):
                self.assertEqual(sender_verdict([header], author, microsoft), expected)
        # The ARC set's own header is no Authentication-Results of the provider.
        self.assertEqual(sender_verdict([OUTLOOK_ARC], FROM, microsoft), "none")

    def test_microsoft_365_the_topmost_header_or_nothing(self):
        microsoft = "mx.microsoft.com"
        forged = "mx.microsoft.com 1; dmarc=pass action=none header.from=customer.test"
        for top in (
            "mx.microsoft.com 1 (broken; dmarc=fail",  # unreadable
            '"mx.microsoft.com" 1; dmarc=fail',  # unreadable
            "mx.forger.test; dmarc=fail header.from=customer.test",  # another server's
        ):
            with self.subTest(top=top):
                self.assertEqual(sender_verdict([top, forged], FROM, microsoft), "none")
        # Below the provider's own header, a forged pass counts for nothing.
        self.assertEqual(sender_verdict([OUTLOOK_CURRENT_SPOOFED, forged], FROM, microsoft), "fail")
        self.assertEqual(
            sender_verdict([OUTLOOK_VALIDITY_SPOOFED, forged], FROM, microsoft), "fail"
        )

    def test_a_forged_header_below_the_trusted_one_counts_for_nothing(self):
        forged = "mx.google.com; dmarc=pass header.from=customer.test"
        self.assertEqual(sender_verdict([GMAIL_FAIL, forged], FROM, "mx.google.com"), "fail")
        unreadable = "mx.google.com; dmarc=pass (unclosed comment"
        self.assertEqual(sender_verdict([unreadable, forged], FROM, "mx.google.com"), "none")

    def test_a_header_whose_server_cannot_be_told_hides_those_below(self):
        forged = "mx.google.com; dmarc=pass header.from=customer.test"
        for unreadable in (
            '"mx.google.com"; dmarc=fail header.from=customer.test',  # quoted: parser refuses
            "mx.google.com 2; dmarc=fail header.from=customer.test",  # unknown version
        ):
            with self.subTest(unreadable=unreadable):
                self.assertEqual(
                    sender_verdict([unreadable, forged], FROM, "mx.google.com"), "none"
                )
        # A header the parser refuses and that does not name the server is someone else's.
        other = '"mx.other.test"; dmarc=fail'
        self.assertEqual(sender_verdict([other, GMAIL_PASS], FROM, "mx.google.com"), "pass")
        # A comment in the authserv-id's place is read by the parser.
        commented = "mx.google.com (our MX; primary); dmarc=fail header.from=customer.test"
        self.assertEqual(sender_verdict([commented, forged], FROM, "mx.google.com"), "fail")

    def test_a_header_of_another_server_is_not_trusted(self):
        untrusted = "mx.forger.test; dmarc=pass header.from=customer.test"
        self.assertEqual(sender_verdict([untrusted], FROM, "mx.google.com"), "none")
        self.assertEqual(sender_verdict([untrusted, GMAIL_FAIL], FROM, "mx.google.com"), "fail")
        # The trusted server's name somewhere else than the authserv-id proves nothing.
        posing = (
            "mx.forger.test (mx.google.com); dmarc=pass (mx.google.com) header.from=customer.test"
        )
        self.assertEqual(sender_verdict([posing], FROM, "mx.google.com"), "none")
        self.assertEqual(sender_verdict([GMAIL_PASS], FROM, "google.com"), "none")
        self.assertEqual(sender_verdict([GMAIL_PASS], FROM, ""), "none")

    def test_only_an_aligned_dkim_signature_passes(self):
        foreign = "mx.google.com; dkim=pass header.i=@forger.test; spf=pass smtp.mailfrom=x.test"
        self.assertEqual(sender_verdict([foreign], FROM, "mx.google.com"), "none")
        parent = "mx.google.com; dkim=pass header.d=customer.test"
        self.assertEqual(sender_verdict([parent], ["a@eu.customer.test"], "mx.google.com"), "pass")
        lookalike = "mx.google.com; dkim=pass header.d=ustomer.test"
        self.assertEqual(sender_verdict([lookalike], FROM, "mx.google.com"), "none")

    def test_dmarc_must_have_checked_the_author_domain(self):
        other = "mx.google.com; dmarc=pass header.from=forger.test"
        self.assertEqual(sender_verdict([other], FROM, "mx.google.com"), "none")

    def test_failures_and_absences(self):
        self.assertEqual(
            sender_verdict(["mx.google.com; spf=fail smtp.mailfrom=x.test"], FROM, "mx.google.com"),
            "fail",
        )
        self.assertEqual(sender_verdict(["mx.google.com; none"], FROM, "mx.google.com"), "none")
        self.assertEqual(sender_verdict([], FROM, "mx.google.com"), "none")
        self.assertEqual(
            sender_verdict(["mx.google.com; dkim=none; spf=neutral"], FROM, "mx.google.com"),
            "none",
        )

    def test_a_mail_with_several_authors_is_not_verified(self):
        self.assertIsNone(from_domain(["a@customer.test, b@forger.test"]))
        self.assertIsNone(from_domain(["a@customer.test", "b@customer.test"]))
        self.assertEqual(
            sender_verdict([GMAIL_PASS], ["a@customer.test", "b@forger.test"], "mx.google.com"),
            "none",
        )

    def test_a_provider_with_many_receiving_hosts(self):
        self.assertTrue(authserv_id_matches("in66.mail.ovh.net", "*.mail.ovh.net"))
        self.assertFalse(authserv_id_matches("mail.ovh.net.forger.test", "*.mail.ovh.net"))
        self.assertFalse(authserv_id_matches("evilmail.ovh.net", "*.mail.ovh.net"))
        self.assertEqual(sender_verdict([OVH_DKIM], FROM, "*.mail.ovh.net"), "pass")

    def test_headers_as_read_from_a_raw_mail(self):
        raw = (
            f"Authentication-Results: {GMAIL_FAIL}\r\n"
            "Received: from mail.forger.test by mx.google.com; Mon, 1 Jun 2026 10:00:00 +0000\r\n"
            "Authentication-Results: mx.google.com; dmarc=pass header.from=customer.test\r\n"
            "From: Anna <anna@customer.test>\r\nSubject: INV/2026/00042\r\n\r\nPay us\r\n"
        ).encode()
        mail = message_from_bytes(raw, policy=SMTP)
        self.assertEqual(
            sender_verdict(
                mail.get_all("Authentication-Results"), mail.get_all("From"), "mx.google.com"
            ),
            "fail",
        )
