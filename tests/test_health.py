import imaplib

from odoo.tests import tagged

from .common import MailCatcherCase


@tagged("post_install", "-at_install")
class TestHealth(MailCatcherCase):
    """Health at a glance: incoming servers' state and counts, outgoing failed mails."""

    def test_incoming_health_and_counts(self):
        server = self.catcher_server
        self.assertEqual(server.catcher_health, "ok")
        entry = self.receive(Subject="Matches nothing")
        self.assertEqual(entry.state, "quarantined")
        server.invalidate_recordset()
        self.assertEqual(server.catcher_health, "warning")
        self.assertEqual((server.catcher_quarantined_24h, server.catcher_quarantined_7d), (1, 1))
        self.env.cr.execute(
            "UPDATE mail_catcher_message SET create_date = now() - interval '3 days' WHERE id = %s",
            [entry.id],
        )
        server.invalidate_recordset()
        self.assertEqual((server.catcher_quarantined_24h, server.catcher_quarantined_7d), (0, 1))
        server.catcher_last_error = "The server refused the login"
        self.assertEqual(server.catcher_health, "error")
        entry.action_ignore()
        server.catcher_last_error = False
        server.invalidate_recordset()
        self.assertEqual(server.catcher_health, "ok")

    def test_outgoing_failures_are_counted_and_retried(self):
        server = self.env["ir.mail_server"].create({"name": "SMTP", "smtp_host": "127.0.0.1"})
        failed = self.env["mail.mail"].create(
            {"body_html": "x", "email_to": "a@b.test", "mail_server_id": server.id}
        )
        failed.state = "exception"
        self.assertEqual(server.mail_catcher_exception_count, 1)
        action = server.action_mail_catcher_open_exceptions()
        self.assertEqual(self.env["mail.mail"].search(action["domain"]), failed)
        server.action_mail_catcher_retry_exceptions()
        self.assertEqual(failed.state, "outgoing")
        server.invalidate_recordset()
        self.assertEqual(server.mail_catcher_exception_count, 0)

    def test_failed_mails_without_a_server_count_on_the_server_that_sends_them(self):
        """Notifications get their server only when sent: the one whose From filter
        takes their sender."""
        self.env["ir.mail_server"].search([]).active = False
        ours = self.env["ir.mail_server"].create(
            {"name": "Ours", "smtp_host": "127.0.0.1", "from_filter": "company.test"}
        )
        other = self.env["ir.mail_server"].create(
            {"name": "Other", "smtp_host": "127.0.0.1", "from_filter": "elsewhere.test"}
        )
        failed = self.env["mail.mail"].create(
            {"body_html": "x", "email_to": "a@b.test", "email_from": "alice@company.test"}
        )
        failed.state = "exception"
        self.assertEqual(
            (ours.mail_catcher_exception_count, other.mail_catcher_exception_count), (1, 0)
        )
        action = ours.action_mail_catcher_open_exceptions()
        self.assertEqual(self.env["mail.mail"].search(action["domain"]), failed)

    def test_the_last_successful_send_is_remembered(self):
        server = self.env["ir.mail_server"].create({"name": "SMTP", "smtp_host": "127.0.0.1"})
        mail = self.env["mail.mail"].create(
            {"body_html": "x", "email_to": "a@b.test", "mail_server_id": server.id}
        )
        self.assertFalse(server.mail_catcher_last_sent)
        mail.send()
        self.assertTrue(server.mail_catcher_last_sent)

    def test_an_oauth_account_is_told_how_to_authorise_again(self):
        # google_gmail comes with mail: its servers sign in with XOAUTH2.
        server = self.catcher_server
        server.server_type = "gmail"
        refused = imaplib.IMAP4.error("b'[AUTHENTICATIONFAILED] Authentication failed.'")
        words = server._catcher_describe_error(refused)
        self.assertIn("refused the account's authorisation (OAuth)", words)
        self.assertIn("connect the account again", words)
        expired = imaplib.IMAP4.abort("b'* BYE Session invalidated - AccessTokenExpired'")
        self.assertIn("renewed at the next fetch", server._catcher_describe_error(expired))
        server.server_type = "imap"
        self.assertIn("check the username and password", server._catcher_describe_error(refused))
