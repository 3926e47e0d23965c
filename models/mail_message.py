from odoo import api, models


class MailMessage(models.Model):
    _inherit = "mail.message"

    # The parents a chunk of routed mails finds (models/mail_thread.py) are forgotten
    # when a message one of its mails names is created, renamed or deleted meanwhile.

    @api.model_create_multi
    def create(self, vals_list):
        named = {vals.get("message_id") for vals in vals_list}
        self.env["mail.thread"]._mail_catcher_forget_chunk(message_ids=named)
        return super().create(vals_list)

    def write(self, vals):
        if "message_id" in vals or "parent_id" in vals:
            self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().write(vals)

    def unlink(self):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().unlink()
