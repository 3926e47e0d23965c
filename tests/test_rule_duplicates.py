"""same_message_id_other_content and already_in_odoo (routing/duplicates.py)."""

from email.utils import make_msgid

from odoo.tests import tagged

from .common import JournalCase, RoutingCase
from .mails import compose


@tagged("post_install", "-at_install")
class TestDuplicates(JournalCase):
    """A mail Odoo already has is ignored; another mail under its Message-ID is set aside."""

    def test_a_mail_already_in_odoo_is_a_duplicate(self):
        entry = self.receive(In_Reply_To=self.sent.message_id, Message_ID=self.sent.message_id)
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "duplicate"}])
        self.assertEqual(entry.mail_message_id, self.sent)

    def test_same_message_id_other_content_is_quarantined(self):
        message_id = make_msgid(domain="customer.test")
        first = self.receive("First", In_Reply_To=self.sent.message_id, Message_ID=message_id)
        second = self.receive("Second", In_Reply_To=self.sent.message_id, Message_ID=message_id)
        self.assertNotEqual(first, second)
        self.assertEqual(first.state, "routed")
        self.assertRecordValues(second, [{"state": "quarantined", "kind": "duplicate"}])


@tagged("post_install", "-at_install")
class TestDuplicatesInOneChunk(RoutingCase):
    """The same mail fetched by two servers, routed in one chunk."""

    def test_a_mail_received_by_two_servers_in_one_chunk_is_posted_once(self):
        other = self.catcher_server.copy({"name": "Copy", "user": "copy@company.test"})
        raw = compose("Twice", In_Reply_To=self.sent.message_id)
        [first] = self.Journal._journal(self.catcher_server, [{"raw": raw}])
        [second] = self.Journal._journal(other, [{"raw": raw}])
        (first | second)._claim_and_route()
        self.assertRecordValues(
            first | second,
            [
                {"state": "routed", "kind": "reply", "res_id": self.document.id},
                {"state": "ignored", "kind": "duplicate", "res_id": self.document.id},
            ],
        )
        self.assertEqual(second.mail_message_id, first.mail_message_id)
