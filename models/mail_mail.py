import ast

from odoo import api, fields, models


class MailMail(models.Model):
    _inherit = "mail.mail"

    @api.model_create_multi
    def create(self, vals_list):
        """Mail that Odoo sends on its own (scheduled actions, automation rules) says so
        (RFC 3834), so that the recipients' out-of-office systems do not answer it."""
        if self._is_sent_on_its_own():
            for vals in vals_list:
                headers = vals.get("headers") or {}
                if isinstance(headers, str):
                    headers = ast.literal_eval(headers)
                vals["headers"] = repr({"Auto-Submitted": "auto-generated", **headers})
        return super().create(vals_list)

    def _is_sent_on_its_own(self):
        context = self.env.context
        return bool(context.get("ir_cron_progress_id") or context.get("__action_done"))

    def _send(self, *args, mail_server=False, **kwargs):
        """Remember when each outgoing server last delivered a mail, for the health board."""
        res = super()._send(*args, mail_server=mail_server, **kwargs)
        failed = self.exists().filtered(lambda mail: mail.state == "exception")
        if mail_server and self - failed:
            mail_server.sudo().mail_catcher_last_sent = fields.Datetime.now()
        return res
