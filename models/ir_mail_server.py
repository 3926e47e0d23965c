from odoo import fields, models


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    mail_catcher_last_sent = fields.Datetime(string="Last Successful Send", readonly=True)
    mail_catcher_exception_count = fields.Integer(
        string="Failed Outgoing Mails", compute="_compute_mail_catcher_exception_count"
    )

    def _compute_mail_catcher_exception_count(self):
        failed = self._mail_catcher_exceptions()
        for server in self:
            server.mail_catcher_exception_count = len(failed[server.id])

    def _mail_catcher_exceptions(self):
        """The failed mails of each of these servers, by id: those assigned to it, and
        those assigned to none (most notifications) that it is the server for: Odoo picks
        a server for them only when it sends them."""
        Mail = self.env["mail.mail"].sudo()
        failed = Mail.search(
            [("state", "=", "exception"), ("mail_server_id", "in", [*self.ids, False])]
        )
        by_server = {server.id: Mail for server in self}
        # Odoo chooses among every outgoing server, as it will when it sends: a handful.
        servers = self.sudo().search([], order="sequence, id")  # pylint: disable=no-search-all
        chosen = {}
        for mail in failed:
            server = mail.mail_server_id
            if not server:
                if mail.email_from not in chosen:
                    chosen[mail.email_from] = self._find_mail_server(mail.email_from, servers)[0]
                server = chosen[mail.email_from]
            if server and server.id in by_server:
                by_server[server.id] |= mail
        return by_server

    def action_mail_catcher_open_exceptions(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("mail.action_view_mail_mail")
        failed = self.env["mail.mail"].sudo().union(*self._mail_catcher_exceptions().values())
        action["domain"] = [("id", "in", failed.ids)]
        action["context"] = {}
        return action

    def action_mail_catcher_retry_exceptions(self):
        """Put the mails that failed on these servers back in the outgoing queue."""
        self.env["mail.mail"].sudo().union(*self._mail_catcher_exceptions().values()).action_retry()
        return True
