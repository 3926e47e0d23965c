from odoo.tests import tagged

from .common import RoutingCase

# What Odoo's server actions, hence every cron, put in the context of what they run.
CRON_CONTEXT = {"mail_notify_force_send": False}


@tagged("post_install", "-at_install")
class TestSending(RoutingCase):
    """Mail made while routing leaves at once, not at the next run of the mail queue;
    only committed, waiting mails are sent; connection failures are retried."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice.notification_type = "email"
        # Mails received and routed as the fetching cron does.
        cls.Journal = cls.Journal.with_context(**CRON_CONTEXT)
        cls.Mail = cls.env["mail.mail"]

    def email_notification(self, message, partner):
        return message.notification_ids.filtered(
            lambda n: n.res_partner_id == partner and n.notification_type == "email"
        )

    def test_a_reply_routed_by_a_cron_is_mailed_at_once(self):
        entry = self.receive("Delivered, thanks.", In_Reply_To=self.sent.message_id)
        self.assertEqual(entry.state, "routed")
        notification = self.email_notification(entry.mail_message_id, self.alice.partner_id)
        # Queued, it would be "ready" with its mail outgoing until the queue's next run.
        self.assertEqual(notification.notification_status, "sent")

    def test_an_admin_alert_from_a_cron_is_mailed_at_once(self):
        admin = self.env.ref("base.user_admin")
        admin.write({"notification_type": "email", "email": "admin@company.test"})
        server = self.catcher_server.with_context(**CRON_CONTEXT)
        server._catcher_tell_admins("Fetching fails", "Three fetches failed.")
        alert = self.env["mail.message"].search(
            [("model", "=", "fetchmail.server"), ("res_id", "=", server.id)], limit=1
        )
        self.assertEqual(
            self.email_notification(alert, admin.partner_id).notification_status, "sent"
        )

    def new_mail(self, **values):
        return self.Mail.create(
            {"body_html": "x", "email_to": "a@b.test", "auto_delete": False, **values}
        )

    def test_only_committed_waiting_mails_are_sent_after_commit(self):
        waiting, failed, rolled_back = self.new_mail(), self.new_mail(), self.new_mail()
        failed.state = "exception"
        later = self.new_mail(scheduled_date="2099-01-01 00:00:00")
        gone_id = rolled_back.id
        rolled_back.unlink()  # as a savepoint rolled back would leave its id behind
        self.Mail._mail_catcher_send_committed([waiting.id, failed.id, later.id, gone_id])
        self.assertEqual(
            (waiting.state, failed.state, later.state), ("sent", "exception", "outgoing")
        )

    def failed_notification(self, failure_type):
        message = self.document.message_post(body="x", message_type="comment")
        mail = self.new_mail(mail_message_id=message.id, is_notification=True)
        mail.state = "exception"
        self.env["mail.notification"].create(
            {
                "mail_message_id": message.id,
                "mail_mail_id": mail.id,
                "res_partner_id": self.customer.id,
                "notification_type": "email",
                "notification_status": "exception",
                "failure_type": failure_type,
            }
        )
        return mail

    def test_the_queue_sends_again_what_the_server_could_not_take(self):
        unreachable = self.failed_notification("mail_smtp")
        refused = self.failed_notification("mail_email_invalid")
        self.Mail.process_email_queue()
        self.assertEqual(unreachable.state, "sent")
        self.assertEqual(refused.state, "exception", "a refused address stays failed")

    def test_a_refused_oauth_sign_in_is_not_retried_as_an_unreachable_server(self):
        """The provider was reached, and refused the account's authorisation: the queue
        keeps the mail failed, for the admin to connect the account again."""
        Server = self.env["ir.mail_server"]
        account = Server.create({"name": "Alice's account", "smtp_host": "127.0.0.1"})
        relay = Server.create({"name": "Relay", "smtp_host": "127.0.0.1"})
        refused = self.failed_notification("mail_smtp")
        refused.mail_server_id = account
        unreachable = self.failed_notification("mail_smtp")
        unreachable.mail_server_id = relay
        self.assertEqual(self.Mail._mail_catcher_unreachable(), refused | unreachable)
        account.mail_catcher_sign_in_refused = "Alice's account cannot send: (OAuth) ..."
        self.assertEqual(self.Mail._mail_catcher_unreachable(), unreachable)
