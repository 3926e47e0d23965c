import logging
import zlib
from contextlib import contextmanager

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib.connection_errors import (
    HOST,
    LOGIN,
    PORT,
    TIMEOUT,
    TLS,
    classify_connection_error,
    root_cause,
)

_logger = logging.getLogger(__name__)

# First key of the PostgreSQL advisory locks that keep two fetches of one mailbox
# apart; the second key is the server's id.
FETCH_LOCK_NAMESPACE = zlib.crc32(b"mail_catcher.fetch") & 0x7FFFFFFF


class FetchmailServer(models.Model):
    _inherit = "fetchmail.server"

    catcher_company_ids = fields.One2many(
        "res.company", "mail_catcher_server_id", string="Mail Catcher of"
    )
    catcher_last_fetch = fields.Datetime(string="Last Successful Fetch", readonly=True)
    catcher_last_error = fields.Text(string="Last Error", readonly=True)
    catcher_last_error_date = fields.Datetime(string="Last Error Date", readonly=True)

    def button_confirm_login(self):
        for server in self:
            try:
                super(FetchmailServer, server).button_confirm_login()
            except UserError as error:
                raise UserError(server._catcher_describe_error(error)) from error
        return True

    def fetch_mail(self, raise_exception=True):
        """The one entry point of every fetch (the stock gateway cron, "Fetch Now" and
        the mail catcher's cron): a mailbox being fetched is skipped, not fetched twice."""
        for server in self:
            with server._catcher_fetch_lock() as acquired:
                if not acquired:
                    _logger.info("%s is already being fetched: skipped.", server.name)
                    continue
                try:
                    super(FetchmailServer, server).fetch_mail(raise_exception=True)
                except Exception as error:
                    server._catcher_record_failure(error)
                    if raise_exception:
                        raise
                    _logger.warning("Fetching %s failed: %s", server.name, root_cause(error))
                else:
                    server.write(
                        {
                            "catcher_last_fetch": fields.Datetime.now(),
                            "catcher_last_error": False,
                            "catcher_last_error_date": False,
                        }
                    )
        return True

    @contextmanager
    def _catcher_fetch_lock(self):
        """An advisory lock, held by a cursor of its own in a transaction that lasts the
        whole fetch: it outlives the commits that fetching makes after each mail, holds
        across Odoo workers and hosts sharing the database, and cannot outlive the fetch
        (it ends with that transaction, or with the connection if the process dies)."""
        with self.env.registry.cursor() as lock_cr:
            lock_cr.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", (FETCH_LOCK_NAMESPACE, self.id)
            )
            yield lock_cr.fetchone()[0]

    def _catcher_record_failure(self, error):
        self.write(
            {
                "catcher_last_error": self._catcher_describe_error(error),
                "catcher_last_error_date": fields.Datetime.now(),
            }
        )

    def _catcher_describe_error(self, error):
        """The error in the admin's words: which setting to check, then what the server said."""
        advice = {
            LOGIN: self.env._("The server refused the login: check the username and password."),
            HOST: self.env._("The server name %(host)s is unknown: check it.", host=self.server),
            PORT: self.env._(
                "Nothing answers on port %(port)s of %(host)s: check the port.",
                port=self.port,
                host=self.server,
            ),
            TLS: self.env._(
                "The secure connection failed: check the SSL/TLS option against the port."
            ),
            TIMEOUT: self.env._("The server did not answer in time: check the name and port."),
        }.get(classify_connection_error(error))
        detail = str(root_cause(error)) or type(root_cause(error)).__name__
        return f"{advice}\n{detail}" if advice else detail

    @api.model
    def _fetch_catcher_replies(self):
        """Cron "Mail Catcher: fetch replies": pull every company's catcher mailbox."""
        companies = self.env["res.company"].sudo().search([])
        servers = companies.mail_catcher_server_id.filtered(lambda server: server.state == "done")
        servers.fetch_mail(raise_exception=False)

    @api.model
    def _update_cron(self):
        super()._update_cron()
        if self.env.context.get("fetchmail_cron_running"):
            return
        cron = self.env.ref("mail_catcher.ir_cron_fetch_replies", raise_if_not_found=False)
        if cron:
            cron.toggle(model="res.company", domain=[("mail_catcher_server_id.state", "=", "done")])
