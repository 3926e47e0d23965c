from odoo import fields, models


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    mail_catcher_last_sent = fields.Datetime(string="Last Successful Send", readonly=True)
    mail_catcher_exception_count = fields.Integer(
        string="Failed Outgoing Mails", compute="_compute_mail_catcher_exception_count"
    )

    def _compute_mail_catcher_exception_count(self):
        counts = dict(
            self.env["mail.mail"]
            .sudo()
            ._read_group(
                [("state", "=", "exception"), ("mail_server_id", "in", self.ids)],
                ["mail_server_id"],
                ["__count"],
            )
        )
        for server in self:
            server.mail_catcher_exception_count = counts.get(server, 0)

    def action_mail_catcher_open_exceptions(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("mail.action_view_mail_mail")
        action["domain"] = [("state", "=", "exception"), ("mail_server_id", "in", self.ids)]
        action["context"] = {}
        return action

    def action_mail_catcher_retry_exceptions(self):
        """Put the mails that failed on these servers back in the outgoing queue."""
        self.env["mail.mail"].sudo().search(
            [("state", "=", "exception"), ("mail_server_id", "in", self.ids)]
        ).action_retry()
        return True
