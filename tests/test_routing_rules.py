from odoo.tests import tagged

from .common import RoutingCase
from .mails import compose


@tagged("post_install", "-at_install")
class TestRoutingRules(RoutingCase):
    """What routing does whichever rule matched (bounce counters, the people a reply
    notifies, a hand assignment), and where the catcher's own rules apply. Each rule's own
    tests are in test_rule_<its module in routing/>.py."""

    def test_a_reply_resets_the_senders_bounce_counter_however_it_is_matched(self):
        self.customer.message_bounce = 3
        entry = self.receive(To=self.sent.reply_to, Subject="Edited, no headers")
        self.assertRecordValues(entry, [{"state": "routed", "route": "token"}])
        self.assertEqual(self.customer.message_bounce, 0)
        self.customer.message_bounce = 3
        entry = self.receive(In_Reply_To=self.sent.message_id)
        self.assertRecordValues(entry, [{"state": "routed", "route": "header"}])
        self.assertEqual(self.customer.message_bounce, 0)

    def test_a_reply_widens_only_its_own_notification(self):
        outsider = self.env["res.partner"].create({"name": "Out", "email": "out@x.test"})
        document = self.document.with_context(mail_catcher_notify=("<other@x>", outsider.ids))
        note = document.message_post(body="Unrelated", message_type="comment")
        self.assertNotIn(outsider, note.notification_ids.res_partner_id)
        document = self.document.with_context(mail_catcher_notify=("<own@x>", outsider.ids))
        own = document.message_post(body="Own", message_type="comment", message_id="<own@x>")
        self.assertIn(outsider, own.notification_ids.res_partner_id)

    def test_another_incoming_server_has_only_odoos_own_matching(self):
        alias_mailbox = self.catcher_server.copy({"name": "Jobs", "user": "jobs@company.test"})
        naming = compose(Subject="About Order PO-4521, delivery date")
        [entry] = self.Journal._journal(alias_mailbox, [{"raw": naming}])
        entry._claim_and_route()
        self.assertRecordValues(entry, [{"state": "quarantined", "route": False, "res_id": 0}])
        token = compose(To=self.sent.reply_to, Subject="Edited, no headers")
        [entry] = self.Journal._journal(alias_mailbox, [{"raw": token}])
        entry._claim_and_route()
        self.assertRecordValues(entry, [{"state": "quarantined", "route": False}])
        entry = self.receive(In_Reply_To=self.sent.message_id)
        self.assertRecordValues(entry, [{"state": "routed", "route": "header"}])

    def test_assigning_by_hand_keeps_the_servers_attachment_setting(self):
        self.catcher_server.attach = False
        entry = self.receive(
            "See attached", Subject="No reference", attachments=[("q.pdf", b"%PDF-1.4 quote")]
        )
        self.assertEqual(entry.state, "quarantined")
        wizard = self.env["mail.catcher.assign"].create(
            {"message_ids": entry.ids, "document": f"res.partner,{self.document.id}"}
        )
        wizard.action_assign()
        self.assertRecordValues(entry, [{"state": "routed", "route": "manual"}])
        self.assertEqual(entry.mail_message_id.res_id, self.document.id)
        self.assertFalse(entry.mail_message_id.attachment_ids)
