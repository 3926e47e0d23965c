from odoo.tests import tagged
from odoo.tools import email_normalize

from .common import RoutingCase


@tagged("post_install", "-at_install")
class TestRouting(RoutingCase):
    """The match order (token, headers, subject, quarantine), automatic replies, loops,
    and who hears of a reply."""

    def test_replies_to_a_document_carry_its_signed_token(self):
        reply_to = email_normalize(self.sent.reply_to)
        self.assertRegex(reply_to, r"^mailcatcher\+[a-z2-7]{16,40}@company\.test$")
        other = self.env["res.partner"].create({"name": "Other"})
        other_reply_to = other._notify_get_reply_to()[other.id]
        self.assertNotEqual(email_normalize(other_reply_to), reply_to)

    def test_without_plus_addressing_the_plain_catcher(self):
        self.company.mail_catcher_plus_addressing = False
        reply_to = self.document._notify_get_reply_to()[self.document.id]
        self.assertEqual(email_normalize(reply_to), "mailcatcher@company.test")

    def test_a_token_routes_a_reply_whose_headers_were_dropped(self):
        entry = self.receive("Réponse", To=self.sent.reply_to, Subject="Edited subject, no headers")
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "token", "res_id": self.document.id}]
        )

    def test_the_token_wins_over_headers_pointing_elsewhere(self):
        elsewhere = self.env["res.partner"].create({"name": "Elsewhere"})
        other_message = elsewhere.message_post(body="x", message_type="comment")
        entry = self.receive(To=self.sent.reply_to, In_Reply_To=other_message.message_id)
        self.assertRecordValues(entry, [{"route": "token", "res_id": self.document.id}])

    def test_a_forged_token_is_quarantined_as_suspicious(self):
        token = email_normalize(self.sent.reply_to).split("+")[1].split("@")[0]
        forged = token[:-2] + ("aa" if token[-2:] != "aa" else "bb")
        entry = self.receive(To=f"mailcatcher+{forged}@company.test")
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("Suspicious", entry.reason)
        self.assertFalse(entry.res_id)

    def test_a_reply_to_a_deleted_document_is_quarantined(self):
        doomed = self.env["res.partner"].create({"name": "Doomed"})
        reply_to = doomed._notify_get_reply_to()[doomed.id]
        doomed.unlink()
        entry = self.receive(To=reply_to)
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("deleted", entry.reason)

    def test_headers_route_when_there_is_no_token(self):
        entry = self.receive(In_Reply_To=self.sent.message_id)
        self.assertRecordValues(entry, [{"route": "header", "res_id": self.document.id}])

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

    def test_an_out_of_office_matching_nothing_is_ignored(self):
        entry = self.receive(Subject="Out of Office: hello", X_Autoreply="yes")
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "auto_reply"}])

    def test_mail_from_odoo_itself_is_a_loop(self):
        entry = self.receive(From="notifications@company.test")
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "loop"}])
        entry = self.receive(From="mailcatcher@company.test")
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "loop"}])

    def test_the_author_hears_of_the_reply_without_following(self):
        self.document.message_unsubscribe(partner_ids=self.alice.partner_id.ids)
        self.alice.notification_type = "inbox"
        entry = self.receive("Got it", In_Reply_To=self.sent.message_id)
        notified = entry.mail_message_id.notification_ids.filtered(
            lambda n: n.res_partner_id == self.alice.partner_id
        )
        self.assertEqual(notified.notification_type, "inbox")
