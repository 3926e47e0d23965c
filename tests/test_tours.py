import unittest
from unittest.mock import patch

import odoo.modules.module
from odoo.tests import HttpCase, tagged

from .common import load_bench
from .mails import compose


class ToursCase(HttpCase):
    """The screens as people use them, in headless Chromium, in English and in French.
    A failing tour leaves a screenshot in Odoo's screenshots folder."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = cls.env["fetchmail.server"].create(
            {"name": "Tour catcher", "server_type": "imap", "server": "127.0.0.1", "port": 1}
        )
        cls.document = cls.env["res.partner"].create({"name": "Tour Document"})
        cls.sent = cls.document.message_post(body="Your document", message_type="comment")
        cls.admin = cls.env.ref("base.user_admin")

    def start_tour(self, *args, **kwargs):
        # Odoo skips a tour when Chromium is missing or does not start: here that fails.
        try:
            return super().start_tour(*args, **kwargs)
        except unittest.SkipTest as skip:
            self.fail(f"The tours need Chromium (scripts/test installs it): {skip}")


@tagged("post_install", "-at_install")
class TestTours(ToursCase):
    """The tours that need no mail server."""

    def journal_entries(self):
        Journal = self.env["mail.catcher.message"]
        failed = compose(
            "Tour reply", Subject="Tour failed reply", In_Reply_To=self.sent.message_id
        )
        lost = compose("Tour reply", Subject="Tour lost reply")
        entries = Journal._journal(self.server, [{"raw": failed}, {"raw": lost}])
        # The first stands for a mail whose routing failed once (not routed yet).
        entries[0].write({"state": "failed", "attempt_count": 1, "reason": "Tour failure"})
        entries[1]._claim_and_route()
        self.assertEqual(entries[1].state, "quarantined")
        return entries

    def run_journal_tour(self, lang):
        self.env["res.lang"]._activate_lang(lang)
        self.admin.lang = lang
        failed, lost = self.journal_entries()
        self.start_tour(
            "/odoo/action-mail_catcher.mail_catcher_message_action",
            "mail_catcher_journal_tour",
            login="admin",
        )
        self.assertRecordValues(
            failed | lost,
            [
                {"state": "routed", "route": "header", "res_id": self.document.id},
                {"state": "routed", "route": "manual", "res_id": self.document.id},
            ],
        )

    def test_journal_tour_in_english(self):
        self.run_journal_tour("en_US")

    def test_journal_tour_in_french(self):
        self.run_journal_tour("fr_FR")

    def run_template_tour(self, lang):
        for code in ("fr_FR", "nl_NL"):
            self.env["res.lang"]._activate_lang(code)
        self.admin.write({"lang": lang, "email": "admin@company.test"})
        template = self.env["mail.template"].create(
            {
                "name": "Tour Template",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "subject": "Welcome {{ object.name }}",
                "body_html": "<p>Hello</p>",
            }
        )
        template.update_field_translations("subject", {"nl_NL": "Welkom {{ object.name }}"})
        self.start_tour(
            "/odoo/action-mail.action_email_template_tree_all",
            "mail_catcher_template_tour",
            login="admin",
        )
        sent = self.env["mail.mail"].search([("subject", "like", "Welkom")])
        self.assertEqual(len(sent), 1)
        self.assertIn("admin@company.test", sent.email_to)

    def test_template_tour_in_english(self):
        self.run_template_tour("en_US")

    def test_template_tour_in_french(self):
        self.run_template_tour("fr_FR")


@tagged("post_install", "-at_install", "mail_catcher_bench")
class TestBenchTours(ToursCase):
    """The tours that talk to the bench's real Dovecot and SMTP server."""

    def run_setup_tour(self, lang):
        bench, info = load_bench()
        # Mails of earlier runs, whose fetch was rolled back with their test, are not new.
        bench.clear("mailcatcher@company.test")
        self.env["res.lang"]._activate_lang(lang)
        # The round trip sends as the admin: from an address of the catcher's domain.
        self.admin.write({"lang": lang, "email": "admin@company.test"})
        journaled_before = self.env["mail.catcher.message"].search([], order="id desc", limit=1)
        # The round trip sends through Odoo's outgoing server, which connects to nothing
        # while tests run (odoo.modules.module.current_test); here it is the bench's real
        # SMTP server, and the mail must really go and come back.
        with patch.object(odoo.modules.module, "current_test", False):
            self.start_tour(
                f"/odoo/settings?bench_password={info['password']}&bench_imap={info['imap_port']}"
                f"&bench_smtp={info['smtp_port']}",
                "mail_catcher_setup_tour",
                login="admin",
                timeout=180,
            )
        company = self.env.company
        self.assertEqual(company.mail_catcher_email, "mailcatcher@company.test")
        self.assertEqual(company.mail_catcher_server_id.state, "done")
        test_mail = self.env["mail.catcher.message"].search(
            [
                ("id", ">", journaled_before.id or 0),
                ("kind", "=", "test"),
                ("email_to", "like", "mailcatcher+"),
            ]
        )
        # The round trip's mail, from the admin to the signed plus address, journaled as a
        # test and posted nowhere.
        self.assertRecordValues(test_mail, [{"state": "ignored", "res_id": False}])
        self.assertIn("admin@company.test", test_mail.email_from)

    def test_setup_tour_in_english(self):
        self.run_setup_tour("en_US")

    def test_setup_tour_in_french(self):
        self.run_setup_tour("fr_FR")

    def run_invoice_tour(self, lang):
        if "account.move" not in self.env:
            self.fail(
                "This tour needs `account` installed beside mail_catcher (scripts/test does)."
            )
        bench, info = load_bench()
        self.env["res.lang"]._activate_lang(lang)
        self.admin.write(
            {"lang": lang, "email": "admin@company.test", "notification_type": "inbox"}
        )
        company = self.env.company
        # Skip the document layout dialog that Odoo shows admins before a first invoice.
        company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        domain = self.env["mail.alias.domain"].search([("name", "=", "company.test")])
        company.alias_domain_id = domain or domain.create({"name": "company.test"})
        catcher = f"tour-{lang.lower()}@company.test"
        bench.clear(catcher)
        server = self.env["fetchmail.server"].create(
            {
                "name": "Tour Catcher",
                "server_type": "imap",
                "server": info["host"],
                "port": info["imap_port"],
                "user": catcher,
                "password": info["password"],
            }
        )
        server.button_confirm_login()
        company.write({"mail_catcher_server_id": server.id, "mail_catcher_email": catcher})
        customer = self.env["res.partner"].create(
            {"name": "Tour Customer", "email": "tour.customer@customer.test", "lang": lang}
        )
        invoice = (
            self.env["account.move"]
            .with_user(self.admin)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_line_ids": [(0, 0, {"name": "Tour work", "price_unit": 100})],
                }
            )
        )
        invoice.action_post()
        # The customer answers the invoice's Reply-To; Odoo's test mode sends no mail, so
        # the answer is written here, to the address the invoice's mail carries.
        reply_address = company._mail_catcher_reply_address(invoice)
        reply = compose(
            "Tour reply, merci",
            From="Tour Customer <tour.customer@customer.test>",
            To=reply_address,
            Subject="Re: your invoice",
        )
        bench.deliver(reply, reply_address)
        bench.wait_for_messages(catcher)
        self.start_tour(
            f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
            "mail_catcher_invoice_tour",
            login="admin",
            timeout=180,
        )
        [routed] = self.env["mail.catcher.message"].search([("server_id", "=", server.id)])
        self.assertRecordValues(
            routed, [{"state": "routed", "route": "token", "res_id": invoice.id}]
        )

    def test_invoice_tour_in_english(self):
        self.run_invoice_tour("en_US")

    def test_invoice_tour_in_french(self):
        self.run_invoice_tour("fr_FR")
