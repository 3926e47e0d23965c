from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import MailCatcherCase, closed_port, load_bench


@tagged("post_install", "-at_install", "mail_catcher_bench")
class TestSetupWizard(MailCatcherCase):
    """The guided setup against the bench's real Dovecot and SMTP server."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _bench, cls.info = load_bench()

    def wizard(self, **values):
        defaults = {
            "provider": "generic",
            "email": "mailcatcher@company.test",
            "password": self.info["password"],
            "incoming_type": "imap",
            "incoming_host": "127.0.0.1",
            "incoming_port": self.info["imap_port"],
            "incoming_ssl": False,
            "smtp_host": "127.0.0.1",
            "smtp_port": self.info["smtp_port"],
            "smtp_security": "none",
        }
        return self.env["mail.catcher.setup"].create({**defaults, **values})

    def test_a_provider_fills_the_servers(self):
        with Form(self.env["mail.catcher.setup"]) as form:
            form.email = "mailcatcher@company.test"
            form.provider = "ovh"
            self.assertEqual(
                (form.incoming_host, form.incoming_port, form.incoming_ssl),
                ("ssl0.ovh.net", 993, True),
            )
            self.assertEqual(
                (form.smtp_host, form.smtp_port, form.smtp_security), ("ssl0.ovh.net", 465, "ssl")
            )
            form.provider = "microsoft"
            self.assertEqual((form.smtp_port, form.smtp_security), (587, "starttls"))

    def test_gmail_signs_in_with_odoos_oauth_app(self):
        # Odoo's google_gmail is installed with mail (auto_install).
        with Form(self.env["mail.catcher.setup"]) as form:
            form.provider = "gmail"
            form.email = "mailcatcher@company.test"
            self.assertTrue(form.use_oauth)
            self.assertIn("Google Gmail", form.oauth_hint)
        wizard = form.record
        wizard.action_apply()
        outgoing = self.env["ir.mail_server"].search([("from_filter", "=", "company.test")])
        self.assertEqual(
            (outgoing.smtp_authentication, outgoing.smtp_encryption, outgoing.smtp_port),
            ("gmail", "starttls", 587),
        )
        self.assertFalse(outgoing.smtp_pass)
        incoming = self.company.mail_catcher_server_id
        self.assertEqual((incoming.server_type, incoming.server), ("gmail", "imap.gmail.com"))
        self.assertEqual(incoming.state, "draft", "confirmed once the account is connected")
        self.assertIn("connect the account mailcatcher@company.test", wizard.report)

    def test_microsoft_oauth_needs_odoos_outlook_app(self):
        installed = "outlook" in dict(self.env["fetchmail.server"]._fields["server_type"].selection)
        with Form(self.env["mail.catcher.setup"]) as form:
            form.provider = "microsoft"
            form.email = "mailcatcher@company.test"
            self.assertEqual(form.use_oauth, installed)
            expected = "app is installed" if installed else "install Odoo's Microsoft Outlook app"
            self.assertIn(expected, form.oauth_hint)
            form.provider = "ovh"
            self.assertFalse(form.use_oauth)
            self.assertFalse(form.oauth_hint)

    def test_each_broken_setting_is_named(self):
        cases = [
            ({"password": "wrong"}, "the incoming server refused the login"),
            ({"incoming_port": closed_port()}, "check the port of the incoming server"),
            ({"incoming_ssl": True}, "secure connection to the incoming server failed"),
            ({"incoming_host": "mail.nowhere.invalid"}, "of the incoming server is unknown"),
            ({"smtp_port": closed_port()}, "check the port of the outgoing server"),
            ({"smtp_security": "ssl"}, "secure connection to the outgoing server failed"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(UserError, f"(?i){message}"):
                self.wizard(**values).action_test()

    def test_no_usual_port_answering_is_named(self):
        with self.assertRaisesRegex(UserError, "(?i)check the port of the incoming server"):
            self.wizard(incoming_port=0).action_test()

    def test_apply_sets_everything_up(self):
        wizard = self.wizard()
        wizard.action_apply()
        self.assertIn("is set up", wizard.report)
        server = self.company.mail_catcher_server_id
        self.assertRecordValues(
            server,
            [{"state": "done", "port": self.info["imap_port"], "user": "mailcatcher@company.test"}],
        )
        self.assertEqual(self.company.mail_catcher_email, "mailcatcher@company.test")
        self.assertEqual(self.company.alias_domain_id.name, "company.test")
        self.assertEqual(self.company.alias_domain_id.catchall_alias, "mailcatcher")
        outgoing = self.env["ir.mail_server"].search([("from_filter", "=", "company.test")])
        self.assertEqual(outgoing.smtp_port, self.info["smtp_port"])
        self.assertTrue(self.env.ref("mail_catcher.ir_cron_fetch_replies").active)
        # Applying again updates rather than duplicates.
        self.wizard().action_apply()
        self.assertEqual(self.company.mail_catcher_server_id, server)
        self.assertEqual(
            self.env["ir.mail_server"].search_count([("from_filter", "=", "company.test")]), 1
        )

    def test_each_user_sends_from_their_own_account(self):
        """One outgoing server per listed user, FROM-filtered on that user's address and
        logging in as that user; the catcher's own for the rest, which leaves from it."""
        wizard = self.wizard(
            sending_mode="own_account",
            sender_ids=[(0, 0, {"user_id": self.alice.id, "password": self.info["password"]})],
        )
        self.assertEqual(wizard.sender_ids.login, "alice@company.test")
        wizard.action_apply()
        servers = self.env["ir.mail_server"].search([("from_filter", "like", "company.test")])
        self.assertEqual(
            sorted(servers.mapped(lambda s: (s.from_filter, s.smtp_user, s.smtp_pass))),
            [
                ("alice@company.test", "alice@company.test", self.info["password"]),
                ("mailcatcher@company.test", "mailcatcher@company.test", self.info["password"]),
            ],
        )
        self.assertEqual(self.company.alias_domain_id.default_from, "mailcatcher")
        server, sent_from = self.env["ir.mail_server"]._find_mail_server("alice@company.test")
        self.assertEqual(
            (server.smtp_user, sent_from), ("alice@company.test", "alice@company.test")
        )
        # Back to one account: the catcher's server takes the whole domain again.
        self.wizard().action_apply()
        self.assertEqual(
            self.env["ir.mail_server"]
            .search([("smtp_user", "=", "mailcatcher@company.test")])
            .from_filter,
            "company.test",
        )

    def test_a_users_wrong_password_is_named(self):
        wizard = self.wizard(
            sending_mode="own_account",
            sender_ids=[(0, 0, {"user_id": self.alice.id, "password": "wrong"})],
            smtp_port=self.info["smtp_send_as_port"],
        )
        with self.assertRaisesRegex(UserError, "(?i)the outgoing server of Alice Sender refused"):
            wizard.action_test()

    def test_the_relay_needs_no_login(self):
        wizard = self.wizard(sending_mode="relay", smtp_port=self.info["smtp_relay_port"])
        wizard.action_apply()
        relay = self.env["ir.mail_server"].search([("from_filter", "=", "company.test")])
        self.assertEqual((relay.smtp_user, relay.smtp_pass), (False, False))
        self.assertIn("relay", relay.name)

    def test_the_relay_of_each_provider_is_filled_in(self):
        with Form(self.env["mail.catcher.setup"]) as form:
            form.provider = "gmail"
            form.email = "mailcatcher@company.test"
            form.sending_mode = "relay"
            self.assertEqual(
                (form.smtp_host, form.smtp_port, form.smtp_security),
                ("smtp-relay.gmail.com", 587, "starttls"),
            )
            form.provider = "microsoft"
            self.assertEqual(
                (form.smtp_host, form.smtp_port),
                ("company-test.mail.protection.outlook.com", 25),
            )
            form.sending_mode = "send_as"
            self.assertEqual(form.smtp_host, "smtp.office365.com")
            # With OAuth for the catcher (Odoo's Gmail app), the relay still needs no
            # login, on the port given (Google's relay takes 25, 465 and 587).
            form.provider = "gmail"
            form.sending_mode = "relay"
            self.assertTrue(form.use_oauth)
            form.smtp_port = 465
            form.smtp_security = "ssl"
        form.record.action_apply()
        relay = self.env["ir.mail_server"].search([("from_filter", "=", "company.test")])
        self.assertRecordValues(
            relay,
            [
                {
                    "smtp_host": "smtp-relay.gmail.com",
                    "smtp_port": 465,
                    "smtp_encryption": "ssl",
                    "smtp_authentication": "login",
                    "smtp_user": False,
                }
            ],
        )

    def test_a_round_trip_needs_a_confirmed_catcher(self):
        with self.assertRaisesRegex(UserError, "Apply the setup first"):
            self.wizard().action_round_trip()

    def test_a_provider_fills_the_trusted_authentication_server(self):
        with Form(self.env["mail.catcher.setup"]) as form:
            form.email = "mailcatcher@company.test"
            for provider, trusted in [
                ("gmail", "mx.google.com"),
                ("ovh", "*.mail.ovh.net"),
                ("gandi", "spool.mail.gandi.net"),
                ("microsoft", "mx.microsoft.com"),
                # The others' names are not known.
                ("infomaniak", False),
                ("proton_bridge", False),
            ]:
                form.provider = provider
                self.assertEqual(form.trusted_authserv_id, trusted, provider)
        self.wizard(trusted_authserv_id=" mx.company.test ").action_apply()
        server = self.company.mail_catcher_server_id
        self.assertEqual(server.catcher_trusted_authserv_id, "mx.company.test")
        # The setup opened again shows it: applying it again keeps it.
        self.assertEqual(
            Form(self.env["mail.catcher.setup"]).trusted_authserv_id, "mx.company.test"
        )
