from odoo.addons.mail.tests.common import MockEmail
from odoo.tests import tagged

from .auth_results import (
    GMAIL_FAIL,
    GMAIL_PASS,
    OPENDKIM_PASS,
    OPENDMARC_PASS,
    OUTLOOK_CURRENT_PASS,
    OUTLOOK_CURRENT_SPOOFED,
    OUTLOOK_PASS,
)
from .common import RoutingCase

FORGED_PASS = "mx.google.com; dmarc=pass header.from=customer.test"
WARNING = "could not be verified"


def verdicts(*auth_results):
    """Authentication-Results headers (top first), as a provider leaves them on top of
    the mail."""
    return [("Authentication-Results", header) for header in auth_results]


@tagged("post_install", "-at_install")
class TestSenderAuthenticationRouting(MockEmail, RoutingCase):
    """The trusted provider's verdict on each route: a subject match needs a verified
    sender; token and header matches are posted with a warning when it is not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catcher_server.catcher_trusted_authserv_id = "mx.google.com"

    def by_subject(self, *auth_results):
        """The business email compromise, received: a customer's address and the
        document's reference, no token, no reply headers."""
        return self.receive(
            "Please pay our new bank account from now on.",
            trace=verdicts(*auth_results),
            Subject="About Order PO-4521",
        )

    def assertQuarantinedAsUnverified(self, entry, verdict):
        self.assertRecordValues(
            entry, [{"state": "quarantined", "sender_auth": verdict, "res_id": False}]
        )
        self.assertRegex(entry.reason, "^Sender not verified")
        self.assertIn("Order PO-4521", entry.reason)
        self.assertNotIn("bank account", str(self.document.message_ids.mapped("body")))

    def test_a_verified_sender_is_routed_by_the_subject(self):
        entry = self.by_subject(GMAIL_PASS)
        self.assertRecordValues(
            entry,
            [
                {
                    "state": "routed",
                    "route": "subject",
                    "res_id": self.document.id,
                    "sender_auth": "pass",
                }
            ],
        )
        self.assertNotIn(WARNING, str(entry.mail_message_id.body))

    def test_a_forged_sender_naming_an_invoice_is_quarantined(self):
        self.assertQuarantinedAsUnverified(self.by_subject(GMAIL_FAIL), "fail")

    def test_a_mail_without_the_providers_result_is_quarantined(self):
        self.assertQuarantinedAsUnverified(self.by_subject(), "none")

    def test_microsoft_365s_topmost_header_is_read_in_both_forms(self):
        self.catcher_server.catcher_trusted_authserv_id = "mx.microsoft.com"
        for header in (OUTLOOK_PASS, OUTLOOK_CURRENT_PASS):
            with self.subTest(header=header[:30]):
                entry = self.by_subject(header)
                self.assertRecordValues(
                    entry, [{"state": "routed", "route": "subject", "sender_auth": "pass"}]
                )

    def test_microsoft_365s_failed_compauth_is_a_failure(self):
        self.catcher_server.catcher_trusted_authserv_id = "mx.microsoft.com"
        self.assertQuarantinedAsUnverified(self.by_subject(OUTLOOK_CURRENT_SPOOFED), "fail")

    def test_microsoft_365_a_forged_pass_under_an_unreadable_top_is_no_pass(self):
        self.catcher_server.catcher_trusted_authserv_id = "mx.microsoft.com"
        forged = "mx.microsoft.com 1; dmarc=pass action=none header.from=customer.test"
        unreadable = '"mx.microsoft.com" 1; dmarc=fail'
        self.assertQuarantinedAsUnverified(self.by_subject(unreadable, forged), "none")

    def test_a_forged_header_below_the_providers_counts_for_nothing(self):
        self.assertQuarantinedAsUnverified(self.by_subject(GMAIL_FAIL, FORGED_PASS), "fail")

    def test_an_untrusted_header_naming_the_trusted_server_counts_for_nothing(self):
        posing = "mx.forger.test (mx.google.com); dmarc=pass header.from=customer.test"
        self.assertQuarantinedAsUnverified(self.by_subject(posing), "none")

    def test_a_token_routes_an_unverified_sender_with_a_warning_to_all(self):
        self.alice.notification_type = "email"
        # Odoo's own capture of the emails handed to the outgoing server.
        with self.mock_mail_gateway():
            entry = self.receive(
                "Please pay our new bank account.",
                trace=verdicts(GMAIL_FAIL),
                To=self.sent.reply_to,
            )
        self.assertRecordValues(
            entry,
            [
                {
                    "state": "routed",
                    "route": "token",
                    "res_id": self.document.id,
                    "sender_auth": "fail",
                }
            ],
        )
        body = str(entry.mail_message_id.body)
        self.assertIn(WARNING, body)
        self.assertLess(body.index(WARNING), body.index("bank account"))
        self.assertTrue(
            any(self.alice.email in to for mail in self._mails for to in mail["email_to"]),
            "Alice is told by email",
        )
        for mail in self._mails:
            self.assertIn(WARNING, mail["body"])

    def test_reply_headers_route_an_unverified_sender_with_a_warning(self):
        entry = self.receive(In_Reply_To=self.sent.message_id)
        self.assertRecordValues(entry, [{"route": "header", "sender_auth": "none"}])
        self.assertIn(WARNING, str(entry.mail_message_id.body))

    def test_a_verified_reply_carries_no_warning(self):
        # Postfix with OpenDKIM and OpenDMARC: OpenDMARC's header is the topmost.
        self.catcher_server.catcher_trusted_authserv_id = "mail.company.test"
        entry = self.receive(
            In_Reply_To=self.sent.message_id, trace=verdicts(OPENDMARC_PASS, OPENDKIM_PASS)
        )
        self.assertRecordValues(entry, [{"route": "header", "sender_auth": "pass"}])
        self.assertNotIn(WARNING, str(entry.mail_message_id.body))

    def test_without_a_trusted_server_nothing_changes(self):
        self.catcher_server.catcher_trusted_authserv_id = False
        entry = self.by_subject(GMAIL_FAIL)
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "subject", "sender_auth": False}]
        )
        self.assertNotIn(WARNING, str(entry.mail_message_id.body))

    def test_a_quarantined_mail_is_routed_once_the_provider_is_trusted(self):
        self.catcher_server.catcher_trusted_authserv_id = "mx.other.test"
        entry = self.by_subject(GMAIL_PASS)
        self.assertRecordValues(entry, [{"state": "quarantined", "sender_auth": "none"}])
        self.catcher_server.catcher_trusted_authserv_id = "mx.google.com"
        entry.action_retry()
        self.assertRecordValues(entry, [{"state": "routed", "sender_auth": "pass"}])

    def test_the_health_board_counts_failed_authentication(self):
        self.by_subject(GMAIL_FAIL)
        self.by_subject(GMAIL_PASS)
        server = self.catcher_server
        server.invalidate_recordset()
        self.assertEqual((server.catcher_auth_failed_24h, server.catcher_auth_failed_7d), (1, 1))
