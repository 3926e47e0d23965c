from email.utils import make_msgid

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..models.fetchmail_server import FETCH_LOCK_NAMESPACE
from .common import BenchMailboxCase, closed_port
from .mails import compose


@tagged("post_install", "-at_install", "mail_catcher_bench")
class TestFetch(BenchMailboxCase):
    """Fetching the catcher's mailbox on the bench's real Dovecot."""

    def deliver_reply(self):
        """A reply delivered to the mailbox; its Message-ID."""
        message_id = make_msgid(domain="customer.test")
        reply = compose(To=self.mailbox, Subject="Re: your invoice", Message_ID=message_id)
        self.bench.deliver(reply, self.mailbox)
        self.bench.wait_for_messages(self.mailbox)
        return message_id

    def unseen_count(self):
        imap = self.bench.imap(self.mailbox)
        try:
            imap.select("INBOX", readonly=True)
            _status, data = imap.search(None, "UNSEEN")
            return len(data[0].split())
        finally:
            imap.logout()

    def test_a_mailbox_being_fetched_is_not_fetched_again(self):
        self.catcher_server.button_confirm_login()
        message_id = self.deliver_reply()
        with self.registry.cursor() as other_fetch:
            other_fetch.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                (FETCH_LOCK_NAMESPACE, self.catcher_server.id),
            )
            self.catcher_server.fetch_mail()
            other_fetch.rollback()
        self.assertEqual(self.unseen_count(), 1, "the mail is left for the fetch under way")
        self.assertFalse(self.env["mail.message"].search([("message_id", "=", message_id)]))

    def test_a_refused_login_is_recorded_in_plain_words(self):
        self.catcher_server.write({"state": "done", "password": "wrong"})
        self.set_catcher()
        self.env["fetchmail.server"]._fetch_catcher_replies()
        self.assertIn("refused the login", self.catcher_server.catcher_last_error)
        self.assertTrue(self.catcher_server.catcher_last_error_date)
        self.assertFalse(self.catcher_server.catcher_last_fetch)
        with self.assertRaisesRegex(ValidationError, "refused the login"):
            self.catcher_server.fetch_mail()

    def test_confirming_with_a_wrong_password_names_it(self):
        self.catcher_server.password = "wrong"
        with self.assertRaisesRegex(UserError, "check the username and password"):
            self.catcher_server.button_confirm_login()
        self.assertEqual(self.catcher_server.state, "draft")

    def test_confirming_a_closed_port_names_it(self):
        self.catcher_server.port = closed_port()
        with self.assertRaisesRegex(UserError, "Nothing answers on port"):
            self.catcher_server.button_confirm_login()

    def test_a_successful_fetch_clears_the_last_error(self):
        self.catcher_server.write(
            {"state": "done", "catcher_last_error": "old", "catcher_last_error_date": "2026-01-01"}
        )
        self.catcher_server.fetch_mail()
        self.assertFalse(self.catcher_server.catcher_last_error)
        self.assertTrue(self.catcher_server.catcher_last_fetch)

    def test_admins_are_told_when_fetching_keeps_failing_and_recovers(self):
        admin = self.env.ref("base.user_admin")
        admin.email = admin.email or "admin@company.test"
        server = self.catcher_server
        server.write({"state": "done", "password": "wrong", "catcher_alert_after": 2})

        def alerts():
            return self.env["mail.message"].search(
                [
                    ("model", "=", server._name),
                    ("res_id", "=", server.id),
                    ("message_type", "=", "comment"),
                ],
                order="id",
            )

        server.fetch_mail(raise_exception=False)
        self.assertFalse(alerts())
        server.fetch_mail(raise_exception=False)
        self.assertEqual(len(alerts()), 1)
        self.assertIn(admin.partner_id, alerts().partner_ids)
        self.assertIn("refused the login", alerts().body)

        server.password = self.bench_info["password"]
        server.fetch_mail()
        self.assertEqual(len(alerts()), 2)
        self.assertIn("works again", alerts()[-1].subject)
        self.assertEqual(server.catcher_failure_count, 0)
