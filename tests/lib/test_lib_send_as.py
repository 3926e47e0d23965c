import smtplib
from unittest import TestCase

from lib.send_as import (
    KEPT,
    RECIPIENT_UNKNOWN,
    REFUSED,
    REWRITTEN,
    SEND_AS_DENIED,
    classify_refusal,
    from_kept,
    provider_behaviour,
    sender_outcome,
    smtp_refusal,
)


class MailDeliveryException(Exception):
    """Stands for Odoo's, which wraps smtplib's exception as `raise ... ` in its handler."""


def wrapped(error):
    try:
        raise error
    except Exception:
        try:
            raise MailDeliveryException("Mail Delivery Failed")
        except MailDeliveryException as outer:
            return outer


class TestSendAs(TestCase):
    """What the providers answer when an account sends as another address; no database."""

    def test_refusals_tell_send_as_from_unknown_recipient(self):
        cases = [
            (
                "554 5.2.252 SendAsDenied; carol@company.test not allowed to send as "
                "alice@company.test; STOREDRV.Submission.Exception:SendAsDeniedException",
                SEND_AS_DENIED,
            ),
            (
                "550 5.7.60 SMTP; Client does not have permissions to send as this sender",
                SEND_AS_DENIED,
            ),
            (
                "554 5.2.0 STOREDRV.Submission.Exception:SendAsDeniedException."
                "MapiExceptionSendAsDenied; Failed to process message",
                SEND_AS_DENIED,
            ),
            (
                "553 5.7.1 <a@b.test>: Sender address rejected: not owned by user c@b.test",
                SEND_AS_DENIED,
            ),
            (
                "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP lookup",
                RECIPIENT_UNKNOWN,
            ),
            (
                "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
                RECIPIENT_UNKNOWN,
            ),
            (
                "550 5.1.1 <x+y@company.test>: Recipient address rejected: User unknown",
                RECIPIENT_UNKNOWN,
            ),
            ("451 4.3.0 delivery failed", None),
            ("535 5.7.3 Authentication unsuccessful", None),
            ("", None),
        ]
        for text, expected in cases:
            with self.subTest(text=text):
                self.assertEqual(classify_refusal(text), expected)

    def test_refusal_found_behind_the_wrapping_exception(self):
        data = smtplib.SMTPDataError(
            554, b"5.2.252 SendAsDenied; c@x.test not allowed to send as a@x.test"
        )
        self.assertEqual(smtp_refusal(wrapped(data))[0], SEND_AS_DENIED)
        self.assertIn("not allowed to send as a@x.test", smtp_refusal(wrapped(data))[1])

        sender = smtplib.SMTPSenderRefused(
            554, b"5.2.252 SendAsDenied; c not allowed to send as b", "b"
        )
        self.assertEqual(smtp_refusal(sender)[0], SEND_AS_DENIED)

        plus = "catcher+tok@company.test"
        recipients = smtplib.SMTPRecipientsRefused(
            {plus: (550, b"5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found")}
        )
        self.assertEqual(smtp_refusal(wrapped(recipients))[0], RECIPIENT_UNKNOWN)

        self.assertIsNone(smtp_refusal(wrapped(ConnectionRefusedError(111, "refused"))))
        self.assertIsNone(smtp_refusal(wrapped(smtplib.SMTPDataError(451, b"4.3.0 try later"))))

    def test_arrived_from_compared_by_address(self):
        self.assertEqual(from_kept("alice@company.test", '"Alice" <Alice@Company.test>'), KEPT)
        self.assertEqual(
            from_kept("alice@company.test", '"Alice" <mailcatcher@company.test>'), REWRITTEN
        )
        self.assertEqual(from_kept("alice@company.test", ""), REWRITTEN)

    def test_provider_behaviour_by_host(self):
        self.assertEqual(provider_behaviour("smtp.office365.com"), REFUSED)
        self.assertEqual(provider_behaviour("SMTP-mail.outlook.com."), REFUSED)
        self.assertEqual(provider_behaviour("smtp.gmail.com"), REWRITTEN)
        self.assertIsNone(provider_behaviour("smtp-relay.gmail.com"))
        self.assertIsNone(provider_behaviour("company-com.mail.protection.outlook.com"))
        self.assertIsNone(provider_behaviour("ssl0.ovh.net"))
        self.assertIsNone(provider_behaviour(""))

    def test_sender_outcome(self):
        office = "smtp.office365.com"
        # The account's own address, or no login (a relay): the address leaves as it is.
        self.assertIsNone(sender_outcome("alice@x.test", "Alice@x.test", office))
        self.assertIsNone(sender_outcome("alice@x.test", "", office))
        # Another account: what the provider is known to do.
        self.assertEqual(sender_outcome("alice@x.test", "catcher@x.test", office), REFUSED)
        self.assertEqual(
            sender_outcome("alice@x.test", "catcher@x.test", "smtp.gmail.com"), REWRITTEN
        )
        self.assertIsNone(sender_outcome("alice@x.test", "catcher@x.test", "mail.x.test"))
        # What the last round trip saw wins over the host.
        seen_refused = (REFUSED, "bob@x.test")
        self.assertEqual(
            sender_outcome("alice@x.test", "c@x.test", "mail.x.test", seen_refused), REFUSED
        )
        seen_rewritten = (REWRITTEN, "bob@x.test")
        self.assertEqual(
            sender_outcome("alice@x.test", "c@x.test", office, seen_rewritten), REWRITTEN
        )
        # A kept address proves that address only: rights are given mailbox by mailbox.
        kept_alice = (KEPT, "alice@x.test")
        self.assertIsNone(sender_outcome("alice@x.test", "c@x.test", office, kept_alice))
        self.assertEqual(sender_outcome("bob@x.test", "c@x.test", office, kept_alice), REFUSED)
