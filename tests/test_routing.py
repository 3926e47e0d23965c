from odoo.tests import tagged

from .common import RoutingCase


@tagged("post_install", "-at_install")
class TestRouting(RoutingCase):
    """How a matched reply is posted: an automatic reply as a note, and who hears of a
    reply. Each rule's own tests are in test_rule_<its module in routing/>.py."""

    def test_an_out_of_office_answer_is_a_note_that_notifies_nobody(self):
        entry = self.receive(
            "I am away until Monday.",
            To=self.sent.reply_to,
            Subject="Automatic reply: Your order",
            Auto_Submitted="auto-replied",
        )
        self.assertRecordValues(entry, [{"state": "routed", "kind": "auto_reply"}])
        note = entry.mail_message_id
        self.assertEqual(note.subtype_id, self.env.ref("mail.mt_note"))
        self.assertFalse(note.notification_ids, "nobody is notified of an out-of-office")

    def test_the_author_hears_of_the_reply_without_following(self):
        self.document.message_unsubscribe(partner_ids=self.alice.partner_id.ids)
        self.alice.notification_type = "inbox"
        entry = self.receive("Got it", In_Reply_To=self.sent.message_id)
        notified = entry.mail_message_id.notification_ids.filtered(
            lambda n: n.res_partner_id == self.alice.partner_id
        )
        self.assertEqual(notified.notification_type, "inbox")
