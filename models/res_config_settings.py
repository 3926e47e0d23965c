from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    mail_catcher_server_id = fields.Many2one(
        related="company_id.mail_catcher_server_id", readonly=False
    )
    mail_catcher_email = fields.Char(related="company_id.mail_catcher_email", readonly=False)
    mail_catcher_plus_addressing = fields.Boolean(
        related="company_id.mail_catcher_plus_addressing", readonly=False
    )
    mail_catcher_server_state = fields.Selection(related="mail_catcher_server_id.state")
    mail_catcher_trusted_authserv_id = fields.Char(
        related="mail_catcher_server_id.catcher_trusted_authserv_id", readonly=False
    )
    mail_catcher_last_error = fields.Text(related="mail_catcher_server_id.catcher_last_error")
    mail_catcher_sender_report = fields.Text(
        string="Senders' Address", compute="_compute_mail_catcher_sender_report"
    )

    @api.depends("company_id")
    def _compute_mail_catcher_sender_report(self):
        for settings in self:
            settings.mail_catcher_sender_report = "\n".join(settings._mail_catcher_sender_issues())

    def _mail_catcher_sender_issues(self):
        """The seed promises that the customer sees the user's own address: say which
        users break that promise, why, and the fix, so that the admin can fix the outgoing
        server or the provider's account."""
        users = self.env["res.users"].search(
            [("share", "=", False), ("company_ids", "in", self.company_id.id)], limit=100
        )
        mail_server = self.env["ir.mail_server"].sudo()
        return [issue for user in users if (issue := mail_server._mail_catcher_sender_issue(user))]
