"""document_named_in_subject (routing/subject.py): a document's name in the subject, from
a sender linked to it and verified by the trusted provider."""

from odoo.tests import tagged

from .auth_results import (
    GMAIL_FAIL,
    GMAIL_PASS,
    OUTLOOK_CURRENT_PASS,
    OUTLOOK_CURRENT_SPOOFED,
    OUTLOOK_PASS,
)
from .common import FORGED_PASS, WARNING, RoutingCase, SenderAuthCase


@tagged("post_install", "-at_install")
class TestDocumentNamedInSubject(RoutingCase):
    """Who may name a document in the subject."""

    def test_the_subject_routes_mail_from_a_linked_sender(self):
        entry = self.receive(Subject="About Order PO-4521, delivery date")
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "subject", "res_id": self.document.id}]
        )

    def test_a_colleague_of_the_customer_may_use_the_subject(self):
        company = self.env["res.partner"].create({"name": "Customer Ltd", "is_company": True})
        self.customer.parent_id = company
        self.env["res.partner"].create(
            {"name": "Colleague", "email": "colleague@customer.test", "parent_id": company.id}
        )
        entry = self.receive(From="colleague@customer.test", Subject="Order PO-4521 again")
        self.assertRecordValues(entry, [{"route": "subject", "res_id": self.document.id}])

    def test_a_stranger_naming_a_document_is_quarantined(self):
        entry = self.receive(From="stranger@elsewhere.test", Subject="About Order PO-4521")
        self.assertEqual(entry.state, "quarantined")
        self.assertFalse(entry.res_id)


@tagged("post_install", "-at_install")
class TestSubjectNeedsAVerifiedSender(SenderAuthCase):
    """A subject match needs the trusted provider's verdict that the sender is who it says."""

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
