import hashlib

from odoo import fields, models

TRANSLATED_FIELDS = ("subject", "body_html")


class MailTemplate(models.Model):
    _inherit = "mail.template"

    mail_catcher_usage = fields.Selection(
        [("automatic", "Sent automatically"), ("proposed", "Proposed to users")],
        string="Usage",
        compute="_compute_mail_catcher_usage",
        help="Sent automatically: an automation rule, a server action or a scheduled "
        "action sends it. Proposed: users pick it in a send wizard or the composer.",
    )
    mail_catcher_missing_langs = fields.Char(
        string="Missing Translations", compute="_compute_mail_catcher_langs"
    )
    mail_catcher_outdated_langs = fields.Char(
        string="Outdated Translations",
        compute="_compute_mail_catcher_langs",
        help="Languages whose translation was written before the last change of the English text.",
    )
    # {lang: fingerprint of the English subject and body the translation was made from}
    mail_catcher_translation_sources = fields.Json(copy=False)

    def _compute_mail_catcher_usage(self):
        """Automatic: a server action (automation rules and scheduled actions are server
        actions too) sends it as its template, or names it in its Python code."""
        actions = self.env["ir.actions.server"].sudo()
        automatic = set(actions.search([("template_id", "in", self.ids)]).template_id.ids)
        codes = actions.search([("state", "=", "code"), ("code", "ilike", "template")]).mapped(
            "code"
        )
        for template_id, xmlid in self.get_external_id().items():
            if xmlid and any(xmlid in code for code in codes):
                automatic.add(template_id)
        for template in self:
            template.mail_catcher_usage = "automatic" if template.id in automatic else "proposed"

    def _compute_mail_catcher_langs(self):
        languages = dict(self.env["res.lang"].get_installed())
        translated = self._mail_catcher_translated_langs()
        for template in self:
            missing = [
                name
                for code, name in languages.items()
                if code != "en_US" and code not in translated.get(template.id, set())
            ]
            sources = template.mail_catcher_translation_sources or {}
            current = template._mail_catcher_source_fingerprint()
            outdated = [
                languages[code]
                for code, fingerprint in sources.items()
                if code in languages
                and code in translated.get(template.id, set())
                and fingerprint != current
            ]
            template.mail_catcher_missing_langs = ", ".join(missing)
            template.mail_catcher_outdated_langs = ", ".join(sorted(outdated))

    def _mail_catcher_translated_langs(self):
        """The languages in which both subject and body are written, read from the
        stored translations (a missing language falls back to English when sent)."""
        if not self.ids:
            return {}
        self.flush_model(list(TRANSLATED_FIELDS))
        self.env.cr.execute(
            "SELECT id, subject, body_html FROM mail_template WHERE id IN %s", [tuple(self.ids)]
        )
        return {
            template_id: set(subject or {}) & set(body or {})
            for template_id, subject, body in self.env.cr.fetchall()
        }

    def _mail_catcher_source_fingerprint(self):
        english = self.with_context(lang="en_US")
        text = "\x00".join(str(english[name] or "") for name in TRANSLATED_FIELDS)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def write(self, vals):
        """Remember which English text each translation was made from, so that a change
        of the English text shows the translations it leaves behind."""
        changed = set(TRANSLATED_FIELDS) & set(vals)
        lang = self.env.lang or "en_US"
        if changed and lang == "en_US":
            self._mail_catcher_keep_sources()
        res = super().write(vals)
        if changed and lang != "en_US":
            self._mail_catcher_mark_translated([lang])
        return res

    def update_field_translations(self, field_name, translations, source_lang=None):
        res = super().update_field_translations(field_name, translations, source_lang=source_lang)
        if field_name in TRANSLATED_FIELDS:
            self._mail_catcher_mark_translated([lang for lang in translations if lang != "en_US"])
        return res

    def _mail_catcher_mark_translated(self, langs):
        for template in self:
            fingerprint = template._mail_catcher_source_fingerprint()
            sources = dict(template.mail_catcher_translation_sources or {})
            sources.update(dict.fromkeys(langs, fingerprint))
            template.sudo().mail_catcher_translation_sources = sources

    def _mail_catcher_keep_sources(self):
        """Before the English text changes: translations with no recorded source (loaded
        from a module, say) were made from the text about to be replaced."""
        translated = self._mail_catcher_translated_langs()
        for template in self:
            sources = dict(template.mail_catcher_translation_sources or {})
            missing = translated.get(template.id, set()) - set(sources) - {"en_US"}
            if missing:
                template._mail_catcher_mark_translated(missing)
