"""answer_or_spam (routing/spam.py)."""

from odoo.tests import tagged

from .common import RoutingCase
from .mails import compose


@tagged("post_install", "-at_install")
class TestSpam(RoutingCase):
    """What the provider's filter took for spam reaches a document on proof only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catcher_server.catcher_junk_folder = "Junk"
        cls.document.message_subscribe(cls.customer.ids)

    def from_junk(self, raw):
        [entry] = self.Journal._journal(self.catcher_server, [{"raw": raw, "folder": "Junk"}])
        entry._claim_and_route()
        return entry

    def test_a_reply_in_junk_with_its_token_reaches_its_document(self):
        address = self.company._mail_catcher_reply_address(self.document)
        entry = self.from_junk(compose(To=address))
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "token", "res_id": self.document.id}]
        )

    def test_a_reply_in_junk_with_its_headers_reaches_its_document(self):
        entry = self.from_junk(compose(In_Reply_To=self.sent.message_id))
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "header", "res_id": self.document.id}]
        )

    def test_spam_in_junk_is_ignored_and_notifies_nobody(self):
        notifications = self.env["mail.notification"].search_count([])
        # From a follower, naming the document: in the INBOX its subject would match it.
        entry = self.from_junk(compose(Subject="Re: Order PO-4521"))
        self.assertRecordValues(
            entry, [{"state": "ignored", "kind": "spam", "route": False, "res_id": False}]
        )
        self.assertFalse(entry.mail_message_id)
        self.assertEqual(self.env["mail.notification"].search_count([]), notifications)
        inbox = self.receive(Subject="Re: Order PO-4521")
        self.assertRecordValues(inbox, [{"state": "routed", "route": "subject"}])

    def test_a_forged_token_in_junk_is_spam_not_quarantine(self):
        entry = self.from_junk(compose(To="mailcatcher+aaaaaaaaaaaaaaaa@company.test"))
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "spam"}])

    def test_a_mail_flagged_as_spam_in_the_inbox_needs_a_proof_too(self):
        spam = self.receive(X_Spam_Flag="YES", Subject="Cheap watches")
        answer = self.receive(X_Spam_Flag="YES", In_Reply_To=self.sent.message_id)
        self.assertRecordValues(
            spam + answer,
            [
                {"state": "ignored", "kind": "spam", "route": False},
                {"state": "routed", "kind": "reply", "route": "header"},
            ],
        )
