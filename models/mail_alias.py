from odoo import api, models

# The look-ups a chunk of routed mails shares (models/mail_thread.py) are forgotten when
# an alias, or a domain of aliases, changes: Odoo's look-up of partners by address leaves
# out the addresses of aliases, and its check for bounces reads the domains.


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

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        """Odoo reads every domain of aliases for each mail it routes (is it sent to a
        bounce address?): while a chunk is routed, the first read answers the others."""
        memo = self.env["mail.thread"]._mail_catcher_chunk_memo((), False)
        if not memo or domain or offset or limit is not None or order is not None:
            return super().search(domain, offset=offset, limit=limit, order=order)
        search = super().search
        key = self.env["mail.thread"]._mail_catcher_env_key("alias domains")
        return self.browse(memo.recall(key, lambda: search([]).ids))

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
