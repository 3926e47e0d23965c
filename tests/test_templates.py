from odoo.tests import tagged

from .common import MailCatcherCase


@tagged("post_install", "-at_install")
class TestTemplates(MailCatcherCase):
    """The template catalogue: usage, missing and outdated translations, a test to oneself."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for code in ("fr_FR", "nl_NL"):
            cls.env["res.lang"]._activate_lang(code)
        cls.languages = dict(cls.env["res.lang"].get_installed())
        cls.template = cls.env["mail.template"].create(
            {
                "name": "Welcome",
                "model_id": cls.env["ir.model"]._get_id("res.partner"),
                "subject": "Welcome {{ object.name }}",
                "body_html": "<p>Hello</p>",
                "partner_to": "{{ object.id }}",
            }
        )

    def test_missing_and_outdated_translations(self):
        template = self.template
        self.assertIn(self.languages["fr_FR"], template.mail_catcher_missing_langs)
        self.assertIn(self.languages["nl_NL"], template.mail_catcher_missing_langs)

        template.with_context(lang="fr_FR").write(
            {"subject": "Bienvenue {{ object.name }}", "body_html": "<p>Bonjour</p>"}
        )
        template.update_field_translations("subject", {"nl_NL": "Welkom {{ object.name }}"})
        template.update_field_translations("body_html", {"nl_NL": "<p>Hallo</p>"})
        template.invalidate_recordset()
        self.assertNotIn(self.languages["fr_FR"], template.mail_catcher_missing_langs)
        self.assertNotIn(self.languages["nl_NL"], template.mail_catcher_missing_langs)
        self.assertFalse(template.mail_catcher_outdated_langs)

        template.with_context(lang="en_US").write({"body_html": "<p>Hello, and welcome</p>"})
        template.invalidate_recordset()
        self.assertIn(self.languages["fr_FR"], template.mail_catcher_outdated_langs)

        template.with_context(lang="fr_FR").write({"body_html": "<p>Bonjour et bienvenue</p>"})
        template.invalidate_recordset()
        self.assertNotIn(self.languages["fr_FR"], template.mail_catcher_outdated_langs or "")

    def test_usage(self):
        self.assertEqual(self.template.mail_catcher_usage, "proposed")
        self.env["ir.actions.server"].create(
            {
                "name": "Welcome new contacts",
                "model_id": self.template.model_id.id,
                "state": "mail_post",
                "template_id": self.template.id,
            }
        )
        self.template.invalidate_recordset()
        self.assertEqual(self.template.mail_catcher_usage, "automatic")

    def test_a_template_named_by_a_scheduled_action_is_automatic(self):
        self.env["ir.model.data"].create(
            {
                "module": "mail_catcher_test",
                "name": "welcome_template",
                "model": "mail.template",
                "res_id": self.template.id,
            }
        )
        self.env["ir.cron"].create(
            {
                "name": "Welcome the week's new contacts",
                "model_id": self.template.model_id.id,
                "state": "code",
                "code": "template = env.ref('mail_catcher_test.welcome_template')\n"
                "for partner in records:\n    template.send_mail(partner.id)",
                "interval_type": "weeks",
            }
        )
        self.template.invalidate_recordset()
        self.assertEqual(self.template.mail_catcher_usage, "automatic")

    def test_send_me_a_test_in_the_previewed_language(self):
        self.template.with_context(lang="nl_NL").write({"subject": "Welkom {{ object.name }}"})
        preview = self.env["mail.template.preview"].create(
            {
                "mail_template_id": self.template.id,
                "resource_ref": f"res.partner,{self.customer.id}",
                "lang": "nl_NL",
            }
        )
        preview.with_user(self.env.ref("base.user_admin")).action_mail_catcher_send_test()
        mail = self.env["mail.mail"].search([("subject", "=", "Welkom Customer")])
        self.assertEqual(len(mail), 1)
        self.assertIn(self.env.ref("base.user_admin").email, mail.email_to)
        self.assertFalse(mail.recipient_ids, "the customer receives nothing")
