from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import MailCatcherCase


@tagged("post_install", "-at_install")
class TestSettings(MailCatcherCase):
    """The company's catcher setting, its checks, and who may see it."""

    def test_catcher_address_defaults_to_the_catchall(self):
        self.company.mail_catcher_server_id = self.catcher_server
        self.assertEqual(self.company.mail_catcher_email, "catchall@company.test")

    def test_address_outside_the_alias_domain_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "outside the alias domain company.test"):
            self.set_catcher(email="replies@elsewhere.test")

    def test_invalid_address_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "not a valid email address"):
            self.set_catcher(email="not an address")

    def test_address_without_alias_domain_is_refused(self):
        self.company.alias_domain_id = False
        with self.assertRaisesRegex(ValidationError, "has no alias domain"):
            self.set_catcher()

    def test_cron_follows_the_confirmed_catcher(self):
        cron = self.env.ref("mail_catcher.ir_cron_fetch_replies")
        self.set_catcher()
        self.assertFalse(cron.active, "a catcher server not yet confirmed fetches nothing")
        self.catcher_server.state = "done"
        self.assertTrue(cron.active)
        self.company.mail_catcher_server_id = False
        self.assertFalse(cron.active)

    def test_settings_say_when_from_is_rewritten(self):
        self.env["ir.mail_server"].search([]).unlink()
        self.env["ir.mail_server"].create(
            {"name": "Elsewhere", "smtp_host": "127.0.0.1", "from_filter": "elsewhere.test"}
        )
        settings = self.env["res.config.settings"].create({})
        self.assertIn("Mail from Alice Sender leaves as", settings.mail_catcher_sender_report)
        self.assertIn("Add company.test to the FROM Filtering", settings.mail_catcher_sender_report)

        self.env["ir.mail_server"].create(
            {"name": "Ours", "smtp_host": "127.0.0.1", "from_filter": "company.test"}
        )
        settings = self.env["res.config.settings"].create({})
        self.assertNotIn("Alice Sender", settings.mail_catcher_sender_report or "")

    def outgoing(self, **values):
        self.env["ir.mail_server"].search([]).unlink()
        return self.env["ir.mail_server"].create(
            {"name": "Company SMTP", "smtp_host": "127.0.0.1", "from_filter": "company.test"}
            | values
        )

    def sender_report(self):
        return self.env["res.config.settings"].create({}).mail_catcher_sender_report or ""

    def test_settings_name_users_that_microsoft_365_would_refuse(self):
        """One account for the whole domain on Microsoft 365: each user's mail is refused
        unless the account has Send As rights on that user's mailbox."""
        self.outgoing(smtp_host="smtp.office365.com", smtp_user="mailcatcher@company.test")
        report = self.sender_report()
        self.assertIn(
            "Mail from Alice Sender leaves through Company SMTP, which logs in as "
            "mailcatcher@company.test: the provider refuses it (SendAsDenied)",
            report,
        )
        self.assertIn(
            "Give mailcatcher@company.test Send As rights on the mailbox of alice@company.test",
            report,
        )

    def test_settings_name_users_that_gmail_would_rewrite(self):
        self.outgoing(smtp_host="smtp.gmail.com", smtp_user="mailcatcher@company.test")
        report = self.sender_report()
        self.assertIn("the provider replaces the From with mailcatcher@company.test", report)
        self.assertIn(
            "Add alice@company.test as a verified alias of mailcatcher@company.test in Gmail",
            report,
        )

    def test_settings_trust_each_users_own_account_and_the_relay(self):
        self.outgoing(smtp_host="smtp.office365.com", smtp_user="mailcatcher@company.test")
        own = self.env["ir.mail_server"].create(
            {
                "name": "Alice's account",
                "smtp_host": "smtp.office365.com",
                "smtp_user": "alice@company.test",
                "from_filter": "alice@company.test",
            }
        )
        self.assertNotIn("Alice Sender", self.sender_report())
        own.unlink()
        self.outgoing(smtp_host="smtp-relay.gmail.com")
        self.assertNotIn("Alice Sender", self.sender_report())
        # An unknown host says nothing of other senders, until a round trip saw it.
        server = self.outgoing(smtp_host="mail.company.test", smtp_user="mailcatcher@company.test")
        self.assertNotIn("Alice Sender", self.sender_report())
        server.write(
            {
                "mail_catcher_sender_check": "rewritten",
                "mail_catcher_checked_sender": "x@company.test",
            }
        )
        self.assertIn("Mail from Alice Sender leaves through Company SMTP", self.sender_report())

    def test_round_trip_that_kept_an_address_speaks_for_that_address(self):
        server = self.outgoing(
            smtp_host="smtp.office365.com",
            smtp_user="mailcatcher@company.test",
            mail_catcher_sender_check="kept",
            mail_catcher_checked_sender="alice@company.test",
        )
        self.assertNotIn("Alice Sender", self.sender_report())
        server.mail_catcher_checked_sender = "bob@company.test"
        self.assertIn("Alice Sender", self.sender_report())

    def test_settings_name_users_without_email(self):
        self.alice.email = False
        settings = self.env["res.config.settings"].create({})
        self.assertIn("Alice Sender has no email address", settings.mail_catcher_sender_report)

    def test_only_admins_see_the_catcher_server(self):
        self.set_catcher()
        with self.assertRaises(AccessError):
            self.catcher_server.with_user(self.alice).read(["password"])
        with self.assertRaises(AccessError):
            self.company.with_user(self.alice).read(["mail_catcher_server_id"])
        with self.assertRaises(AccessError):
            self.company.with_user(self.alice).write({"mail_catcher_server_id": False})

    def test_email_me_every_reply_is_the_notification_preference(self):
        self.assertTrue(self.alice.notify_replies_by_email)
        self.alice.with_user(self.alice).write({"notify_replies_by_email": False})
        self.assertEqual(self.alice.notification_type, "inbox")
        self.alice.with_user(self.alice).write({"notify_replies_by_email": True})
        self.assertEqual(self.alice.notification_type, "email")

    def test_portal_users_stay_notified_by_email(self):
        portal = new_test_user(
            self.env, login="portal_customer", email="p@customer.test", groups="base.group_portal"
        )
        portal.notify_replies_by_email = False
        self.assertEqual(portal.notification_type, "email")

    def test_settings_set_the_trusted_authentication_server(self):
        self.set_catcher()
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.mail_catcher_trusted_authserv_id)
        settings.mail_catcher_trusted_authserv_id = "mx.google.com"
        settings.execute()
        self.assertEqual(self.catcher_server.catcher_trusted_authserv_id, "mx.google.com")

    def test_an_oauth_server_can_be_the_catcher(self):
        # google_gmail comes with mail: its incoming servers sign in with XOAUTH2.
        gmail = self.env["fetchmail.server"].create(
            {"name": "Gmail catcher", "server_type": "gmail", "user": "catcher@company.test"}
        )
        domain = self.env["res.company"]._fields["mail_catcher_server_id"].domain
        offered = self.env["fetchmail.server"].search(domain)
        self.assertIn(gmail, offered)
        self.assertIn(self.catcher_server, offered)
        self.company.write(
            {"mail_catcher_server_id": gmail.id, "mail_catcher_email": "mailcatcher@company.test"}
        )
        self.assertEqual(gmail._get_connection_type(), "imap", "fetched and watched over IMAP")
