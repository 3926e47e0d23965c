from odoo import models
from odoo.exceptions import UserError


class MailTemplatePreview(models.TransientModel):
    _inherit = "mail.template.preview"

    def action_mail_catcher_send_test(self):
        """Send the template, as previewed (record and language), to oneself only."""
        self.ensure_one()
        user = self.env.user
        if not self.resource_ref:
            raise UserError(self.env._("Choose a record to render the template with."))
        if not user.email:
            raise UserError(self.env._("Set your email address in your preferences first."))
        template = self.mail_template_id.with_context(template_preview_lang=self.lang)
        template.send_mail(
            self.resource_ref.id,
            email_values={
                "email_to": user.email_formatted,
                "email_cc": False,
                "recipient_ids": [(5, 0, 0)],
            },
            email_layout_xmlid=False,
        )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "message": self.env._("A test was sent to %(email)s.", email=user.email),
            },
        }
