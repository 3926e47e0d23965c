import ast
import logging
import threading
from datetime import timedelta

from psycopg2.extensions import TransactionRollbackError

from odoo import SUPERUSER_ID, api, fields, models
from odoo.modules.registry import Registry

_logger = logging.getLogger(__name__)

# Put in the context of whatever turns a received mail into mail for people (routing a
# reply, posting a bounce note, telling the admins): the mails it makes leave right after
# its transaction commits. Odoo runs every cron as a server action whose context says
# `mail_notify_force_send=False`, so without this, the email that tells a user of a
# customer's reply would wait for "Mail: Email Queue Manager" (hourly by default).
# Sent after the commit by the process that routed, rather than by waking the mail queue:
# with one cron worker, as is common, the queue would run only once the whole fetch is
# over (up to its time budget for a large batch); and sent inside the routing transaction,
# an SMTP failure could roll back posted replies.
SEND_PROMPTLY = {"mail_notify_force_send": True, "mail_catcher_send_promptly": True}
# While the outgoing server cannot be reached, the mail queue tries again this often.
UNREACHABLE_RETRY = timedelta(minutes=1)
# Connection failures older than this (from before the addon, or given up on) are not
# retried on their own: someone has seen them, or decided.
UNREACHABLE_KEPT = timedelta(days=1)


def run_apart(dbname, method, *args):
    """Runs mail.mail's `method` in a transaction of its own, from a hook that runs inside
    another transaction's commit: whatever happens is logged, nothing raised there (the
    fetch that committed goes on). Returns whether it committed."""
    try:
        with Registry(dbname).cursor() as cr:
            getattr(api.Environment(cr, SUPERUSER_ID, {})["mail.mail"], method)(*args)
    except Exception:
        _logger.warning("mail.mail %s%s failed", method, args, exc_info=True)
        return False
    return True


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
                        """UPDATE ir_mail_server
                              SET mail_catcher_last_sent = %s, mail_catcher_sign_in_refused = NULL
                            WHERE id = (SELECT id FROM ir_mail_server WHERE id = %s
                                        FOR UPDATE SKIP LOCKED)""",
                        [fields.Datetime.now(), mail_server.id],
                    )
            except TransactionRollbackError:  # pylint: disable=except-pass # see above
                pass
            mail_server.invalidate_recordset(
                ["mail_catcher_last_sent", "mail_catcher_sign_in_refused"]
            )
        return res

    # Sending promptly -------------------------------------------------------------------

    def send_after_commit(self):
        """Under SEND_PROMPTLY, Odoo's notifications call this to be sent once their
        transaction commits. Odoo's own hook sends the ids it was given; routing runs each
        mail in a savepoint, and a savepoint rolled back leaves its hooks behind, so ours
        sends only the mails that were committed and are still waiting (see
        _mail_catcher_send_committed). Sending stays out of the routing transaction: a
        failure there can never roll back a posted reply, nor a sent mail be sent again."""
        if not self.env.context.get("mail_catcher_send_promptly") or getattr(
            threading.current_thread(), "testing", False
        ):
            return super().send_after_commit()
        mail_ids, dbname = self.ids, self.env.cr.dbname

        @self.env.cr.postcommit.add
        def send_committed_mails():
            # Failing, the mails are still in the queue: wake it in a while.
            if not run_apart(dbname, "_mail_catcher_send_committed", mail_ids):
                run_apart(dbname, "_mail_catcher_retry_later")

    @api.model
    def _mail_catcher_send_committed(self, mail_ids):
        """Send those of `mail_ids` that exist, are due and still outgoing, and that no
        other worker is sending (the mail queue may have taken them): nothing is sent for
        a route that rolled back, and nothing twice. A mail the outgoing server could not
        be reached for stays in the queue (see process_email_queue)."""
        self.flush_model(["state", "scheduled_date"])
        self.env.cr.execute(
            """SELECT id FROM mail_mail
                WHERE id IN %s AND state = 'outgoing'
                  AND (scheduled_date IS NULL OR scheduled_date <= (now() at time zone 'UTC'))
                ORDER BY id FOR UPDATE SKIP LOCKED""",
            [tuple(mail_ids) or (0,)],
        )
        mails = self.browse(row[0] for row in self.env.cr.fetchall())
        if not mails:
            return
        mails.send()
        if self._mail_catcher_unreachable() & mails:
            self._mail_catcher_retry_later()

    # Retrying when the outgoing server is back ----------------------------------------

    @api.model
    def process_email_queue(self, ids=None, batch_size=1000):
        """Mails that failed because the outgoing server could not be reached never
        reached it: they go back in the queue and are sent once it answers again, the
        queue trying every UNREACHABLE_RETRY meanwhile. Meanwhile they are failed mails on
        the Outgoing Mail Health board. Other failures (a refused address, a refused
        sender) stay failed for someone to look at."""
        if not ids:
            self._mail_catcher_unreachable().mark_outgoing()
        result = super().process_email_queue(ids=ids, batch_size=batch_size)
        if not ids and self._mail_catcher_unreachable():
            self._mail_catcher_retry_later()
        return result

    @api.model
    def _mail_catcher_unreachable(self):
        """Failed mails whose outgoing server could not be connected to: Odoo marks their
        email notifications "Connection failed" (mail_smtp) and keeps the mails."""
        notifications = (
            self.env["mail.notification"]
            .sudo()
            .search(
                [
                    ("notification_type", "=", "email"),
                    ("notification_status", "=", "exception"),
                    ("failure_type", "=", "mail_smtp"),
                    ("mail_mail_id", "!=", False),
                ]
            )
        )
        since = fields.Datetime.now() - UNREACHABLE_KEPT
        failed = notifications.mail_mail_id.filtered(
            lambda mail: mail.state == "exception" and mail.write_date >= since
        )
        refusing = self.env["ir.mail_server"]._mail_catcher_refusing()
        if failed and refusing:
            # Reached, but refused the account's authorisation: retrying cannot help.
            failed -= self.union(*refusing._mail_catcher_exceptions().values())
        return failed

    @api.model
    def _mail_catcher_retry_later(self):
        self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger(
            fields.Datetime.now() + UNREACHABLE_RETRY
        )
