import ast

from psycopg2.extensions import TransactionRollbackError

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
            # Senders in other workers record theirs on the same row: a conflict there
            # must never roll back mails already handed to the SMTP server (they would be
            # sent again), so a row locked or just updated by another is left to it.
            try:
                with self.env.cr.savepoint(flush=False):
                    self.env.cr.execute(
                        """UPDATE ir_mail_server SET mail_catcher_last_sent = %s
                            WHERE id = (SELECT id FROM ir_mail_server WHERE id = %s
                                        FOR UPDATE SKIP LOCKED)""",
                        [fields.Datetime.now(), mail_server.id],
                    )
            except TransactionRollbackError:  # pylint: disable=except-pass # see above
                pass
            mail_server.invalidate_recordset(["mail_catcher_last_sent"])
        return res
