from odoo import api, models

# An alias is not a partner: Odoo's look-up of partners by address leaves out the
# addresses of aliases. The look-ups a chunk of routed mails shares
# (models/mail_thread.py) are forgotten when an alias, or the domain of aliases, changes.


class MailAlias(models.Model):
    _inherit = "mail.alias"

    @api.model_create_multi
    def create(self, vals_list):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().create(vals_list)

    def write(self, vals):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().write(vals)

    def unlink(self):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().unlink()


class MailAliasDomain(models.Model):
    _inherit = "mail.alias.domain"

    @api.model_create_multi
    def create(self, vals_list):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().create(vals_list)

    def write(self, vals):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().write(vals)

    def unlink(self):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().unlink()
