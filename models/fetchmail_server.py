import logging
import poplib
import time
import zlib
from contextlib import contextmanager
from datetime import timedelta
from imaplib import IMAP4

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..lib.connection_errors import (
    HOST,
    LOGIN,
    PORT,
    TIMEOUT,
    TLS,
    classify_connection_error,
    root_cause,
)
from ..lib.cron_time import cron_budget
from ..lib.imap import batches, new_uids, parse_fetch, quote_mailbox, search_criteria, uid_set
from ..routing.pace import ROUTING_CHUNK, odoo_cron_time_limit
from .mail_mail import SEND_PROMPTLY

_logger = logging.getLogger(__name__)

# First key of the PostgreSQL advisory locks that keep two fetches of one mailbox
# apart; the second key is the server's id.
FETCH_LOCK_NAMESPACE = zlib.crc32(b"mail_catcher.fetch") & 0x7FFFFFFF
# A change of one of these is another mailbox, or another choice of where to start in it:
# what was recorded of the old one (start, UIDs, old POP mails) no longer applies.
MAILBOX_FIELDS = ("server", "user", "imap_folder", "catcher_first_fetch", "catcher_import_since")
FIRST_FETCH = [("now", "Only new mails"), ("since", "Mails received since a date")]


class FetchmailServer(models.Model):
    _name = "fetchmail.server"
    # The server's chatter is where admins are told of failures, recoveries and quarantine.
    _inherit = ["fetchmail.server", "mail.thread"]

    catcher_company_ids = fields.One2many(
        "res.company",
        "mail_catcher_server_id",
        string="Mail Catcher of",
        help="This mailbox is these companies' mail catcher: only the scheduled action "
        '"Mail Catcher: fetch replies" polls it, on its own schedule, while Odoo\'s "Mail: '
        'Fetchmail Service" polls the other incoming servers. Reply tokens and document '
        "references in subjects are matched on catcher mailboxes only; the mails of every "
        "server are kept in Incoming Emails.",
    )
    # Where to read, and what to do with a mail once it is safe in the journal
    imap_folder = fields.Char(string="Folder", default="INBOX", required=True)
    catcher_after_fetch = fields.Selection(
        [("flag", "Mark as read"), ("move", "Move to a folder"), ("delete", "Delete")],
        string="After Fetching",
        default="flag",
        required=True,
        help="What happens on the IMAP server to a mail once Odoo has it. POP servers "
        "always delete it: the journal keeps its raw content.",
    )
    catcher_processed_folder = fields.Char(string="Move To", default="Odoo/Processed")
    catcher_quarantine_folder = fields.Char(
        string="Quarantine Folder",
        help="IMAP folder to move quarantined mails to; leave empty to treat them as the others.",
    )
    # Limits
    catcher_batch_size = fields.Integer(string="Batch Size", default=50)
    catcher_time_budget = fields.Integer(
        string="Time Budget (s)",
        default=60,
        help="A fetch stops taking new batches after this many seconds (at most half of "
        "Odoo's cron time limit, limit_time_real_cron); the rest of the backlog follows at "
        "once in a new run of the scheduled action.",
    )
    catcher_timeout = fields.Integer(string="Timeout (s)", default=60)
    catcher_max_attempts = fields.Integer(
        string="Attempts Before Quarantine",
        default=5,
        help="A mail that fails to route is retried later, with growing delays, up to this "
        "many times; then it is quarantined and the admins are told.",
    )
    catcher_retention_days = fields.Integer(
        string="Keep Raw Mails (days)",
        default=30,
        help="The raw content of routed and ignored mails is purged after this many days. "
        "Failed and quarantined mails keep theirs.",
    )
    catcher_route_time_limit = fields.Integer(
        string="Time Limit per Mail (s)",
        default=30,
        help="Routing one mail (reading it, finding its document, posting it) is stopped "
        "after this many seconds, and the mail quarantined: a mail Odoo cannot read in "
        "time never holds up the others. Keep it well below Odoo's cron time limit.",
    )
    catcher_max_size_mb = fields.Integer(
        string="Largest Mail (MB)",
        default=50,
        help="A larger mail is journaled, not routed: it waits in quarantine, raw mail "
        "kept, for an admin to download or assign. 0: no limit.",
    )
    catcher_max_mime_depth = fields.Integer(
        string="Deepest Nesting",
        default=30,
        help="Mails nested in mails (forwards of forwards) past this depth are quarantined "
        "unread. 0: no limit.",
    )
    catcher_max_mime_parts = fields.Integer(
        string="Most Parts",
        default=500,
        help="A mail of more parts (attachments, alternatives, nested mails) is quarantined "
        "unread. 0: no limit.",
    )
    catcher_alert_after = fields.Integer(
        string="Alert After Failures",
        default=3,
        help="Admins are told after this many fetches in a row fail, and again on recovery.",
    )
    # Sender authentication
    catcher_trusted_authserv_id = fields.Char(
        string="Trusted Authentication Server",
        help="The name (authserv-id) your mail provider writes first in the "
        "Authentication-Results header of the mails it receives, for example mx.google.com; "
        "*.mail.ovh.net stands for all of a provider's hosts. Only the topmost such header "
        "is trusted. When set, a mail matched by its subject alone is routed only if the "
        "provider verified its sender, and other unverified mails are posted with a "
        "warning. Empty: senders are not checked, and anyone who knows a customer's address "
        "and a document's reference can post on that document.",
    )
    # Where fetching starts in a mailbox that already holds mail. Starting from now is the
    # default: connected to a mailbox of years, Frappe sent its acknowledgements to the old
    # mails it pulled and had to flag its initial sync (frappe/frappe#33006), osTicket made a
    # ticket of two years of mail (osTicket/osTicket#2722), Zammad answered them
    # (zammad/zammad#3142). Importing older mail is a choice, from a date.
    catcher_first_fetch = fields.Selection(
        FIRST_FETCH,
        string="Mails to Fetch",
        default="now",
        required=True,
        help="Only new mails: the mails already in the mailbox when the server is confirmed "
        "stay there, unread, and are never fetched, posted or notified. Mails received since a "
        "date (IMAP only): those received on or after that date are fetched and routed too; "
        "older ones stay untouched. To change it once confirmed, reset the confirmation.",
    )
    catcher_import_since = fields.Date(string="Received Since")
    catcher_fetch_start = fields.Datetime(
        string="Fetching Started",
        readonly=True,
        copy=False,
        help="When the server was confirmed on this mailbox: what was in it before is left "
        "alone (see Mails to Fetch).",
    )
    # The POP mails that were in the mailbox at the start, one UIDL a line: never fetched
    # nor deleted. Not prefetched: it may be long.
    catcher_pop_old_uidls = fields.Text(
        string="Old POP Mails", readonly=True, copy=False, prefetch=False
    )
    # State of the mailbox (UIDs are unsigned 32-bit numbers, over Odoo's Integer range)
    imap_uidvalidity = fields.Char(string="UIDVALIDITY", readonly=True, copy=False)
    imap_last_uid = fields.Char(string="Last UID", readonly=True, copy=False)
    # Health
    catcher_last_fetch = fields.Datetime(string="Last Successful Fetch", readonly=True)
    catcher_last_error = fields.Text(string="Last Error", readonly=True)
    catcher_last_error_date = fields.Datetime(string="Last Error Date", readonly=True)
    catcher_failure_count = fields.Integer(string="Failures in a Row", readonly=True)
    catcher_backlog = fields.Integer(
        string="Backlog",
        readonly=True,
        help="Mails on the server that the journal has not acknowledged yet, as last counted.",
    )
    catcher_fetch_running_since = fields.Datetime(
        string="Fetch Running Since",
        readonly=True,
        copy=False,
        help="Set while a fetch works on the mailbox; found set by the next fetch, it says "
        "the last one stopped before its end.",
    )
    catcher_fetch_stopped = fields.Boolean(
        string="Last Fetch Stopped",
        compute="_compute_catcher_fetch_stopped",
        help="The last fetch stopped before its end: its worker was killed or ran out of time.",
    )
    catcher_message_count = fields.Integer(compute="_compute_catcher_message_count")
    catcher_health = fields.Selection(
        [("ok", "Working"), ("warning", "Needs Attention"), ("error", "Failing")],
        string="Health",
        compute="_compute_catcher_health",
        help="Failing: the last fetch failed or stopped before its end. Needs attention: "
        "mails failed or wait in quarantine, or a backlog is left. Working: none of that.",
    )
    catcher_routed_24h = fields.Integer(string="Routed (24 h)", compute="_compute_catcher_counts")
    catcher_ignored_24h = fields.Integer(string="Ignored (24 h)", compute="_compute_catcher_counts")
    catcher_failed_24h = fields.Integer(string="Failed (24 h)", compute="_compute_catcher_counts")
    catcher_quarantined_24h = fields.Integer(
        string="Quarantined (24 h)", compute="_compute_catcher_counts"
    )
    catcher_routed_7d = fields.Integer(string="Routed (7 days)", compute="_compute_catcher_counts")
    catcher_ignored_7d = fields.Integer(
        string="Ignored (7 days)", compute="_compute_catcher_counts"
    )
    catcher_failed_7d = fields.Integer(string="Failed (7 days)", compute="_compute_catcher_counts")
    catcher_quarantined_7d = fields.Integer(
        string="Quarantined (7 days)", compute="_compute_catcher_counts"
    )
    catcher_auth_failed_24h = fields.Integer(
        string="Failed Authentication (24 h)", compute="_compute_catcher_counts"
    )
    catcher_auth_failed_7d = fields.Integer(
        string="Failed Authentication (7 days)", compute="_compute_catcher_counts"
    )

    @api.constrains("catcher_first_fetch", "catcher_import_since", "server_type")
    def _check_catcher_first_fetch(self):
        for server in self.filtered(lambda s: s.catcher_first_fetch == "since"):
            if not server.catcher_import_since:
                raise ValidationError(self.env._("Give the date from which to fetch mails."))
            if server._get_connection_type() == "pop":
                raise ValidationError(
                    self.env._(
                        "A POP mailbox has no arrival dates to search: with POP, fetching "
                        "starts with the mails that arrive from now on."
                    )
                )

    def write(self, vals):
        changing = [name for name in MAILBOX_FIELDS if name in vals]
        if not changing:
            return super().write(vals)
        before = {server.id: [server[name] for name in changing] for server in self}
        result = super().write(vals)
        moved = self.filtered(lambda s: [s[name] for name in changing] != before[s.id])
        if moved:
            super(FetchmailServer, moved).write(
                {
                    "catcher_fetch_start": False,
                    "imap_uidvalidity": False,
                    "imap_last_uid": False,
                    "catcher_pop_old_uidls": False,
                }
            )
        return result

    def _compute_catcher_message_count(self):
        counts = dict(
            self.env["mail.catcher.message"]._read_group(
                [("server_id", "in", self.ids)], ["server_id"], ["__count"]
            )
        )
        for server in self:
            server.catcher_message_count = counts.get(server, 0)

    def _compute_catcher_counts(self):
        now = fields.Datetime.now()
        for period, since in (("24h", now - timedelta(days=1)), ("7d", now - timedelta(days=7))):
            counts = {
                (server.id, state): count
                for server, state, count in self.env["mail.catcher.message"]._read_group(
                    [("server_id", "in", self.ids), ("create_date", ">=", since)],
                    ["server_id", "state"],
                    ["__count"],
                )
            }
            auth_failed = dict(
                self.env["mail.catcher.message"]._read_group(
                    [
                        ("server_id", "in", self.ids),
                        ("create_date", ">=", since),
                        ("sender_auth", "=", "fail"),
                    ],
                    ["server_id"],
                    ["__count"],
                )
            )
            for server in self:
                for state in ("routed", "ignored", "failed", "quarantined"):
                    server[f"catcher_{state}_{period}"] = counts.get((server.id, state), 0)
                server[f"catcher_auth_failed_{period}"] = auth_failed.get(server, 0)

    def _compute_catcher_fetch_stopped(self):
        """A fetch marked running while nobody holds its lock has stopped for good."""
        self.env.cr.execute(
            """SELECT objid FROM pg_locks
                WHERE locktype = 'advisory' AND classid = %s AND objid IN %s""",
            [FETCH_LOCK_NAMESPACE, tuple(self.ids) or (0,)],
        )
        running = {row[0] for row in self.env.cr.fetchall()}
        for server in self:
            server.catcher_fetch_stopped = bool(
                server.catcher_fetch_running_since and server.id not in running
            )

    @api.depends("catcher_last_error", "catcher_backlog", "catcher_fetch_running_since")
    def _compute_catcher_health(self):
        waiting = {
            server.id
            for [server] in self.env["mail.catcher.message"]._read_group(
                [("server_id", "in", self.ids), ("state", "in", ("failed", "quarantined"))],
                ["server_id"],
            )
        }
        for server in self:
            if server.catcher_last_error or server.catcher_fetch_stopped:
                server.catcher_health = "error"
            elif server.catcher_backlog or server.id in waiting:
                server.catcher_health = "warning"
            else:
                server.catcher_health = "ok"

    def action_open_journal(self):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "mail_catcher.mail_catcher_message_action"
        )
        action["domain"] = [("server_id", "in", self.ids)]
        return action

    # Connection ------------------------------------------------------------------------

    def button_confirm_login(self):
        for server in self:
            try:
                super(FetchmailServer, server).button_confirm_login()
                # Recorded now rather than at the first fetch, so that a reply arriving a
                # second after the confirmation is new mail.
                server._catcher_start()
            except (UserError, OSError, IMAP4.error, poplib.error_proto) as error:
                raise UserError(server._catcher_describe_error(error)) from error
        return True

    def connect(self, allow_archived=False):
        connection = super().connect(allow_archived=allow_archived)
        sock = getattr(getattr(connection, "__obj__", connection), "sock", None)
        if sock is not None and self.catcher_timeout > 0:
            sock.settimeout(self.catcher_timeout)
        return connection

    def _catcher_describe_error(self, error):
        return self._describe_connection_error(
            error, self.env._('the server "%(name)s"', name=self.name), self.server, self.port
        )

    @api.model
    def _describe_connection_error(self, error, what, host, port):
        """A connection error in the admin's words: which setting to check, then what
        the server said. `what` names the server ("the outgoing server")."""
        advice = {
            LOGIN: self.env._(
                "%(what)s refused the login: check the username and password.", what=what
            ),
            HOST: self.env._(
                "The name %(host)s of %(what)s is unknown: check it.", host=host, what=what
            ),
            PORT: self.env._(
                "Nothing answers on port %(port)s of %(host)s: check the port of %(what)s.",
                port=port or "?",
                host=host,
                what=what,
            ),
            TLS: self.env._(
                "The secure connection to %(what)s failed: check its SSL/TLS setting against "
                "the port (SSL/TLS on 993, 995 and 465; none or STARTTLS on 143, 110 and 587).",
                what=what,
            ),
            TIMEOUT: self.env._(
                "%(what)s did not answer in time: check its name and port.", what=what
            ),
        }.get(classify_connection_error(error))
        detail = str(root_cause(error)) or type(root_cause(error)).__name__
        if not advice:
            return detail
        return f"{advice[0].upper()}{advice[1:]}\n{detail}"

    # Fetching --------------------------------------------------------------------------

    def fetch_mail(self, raise_exception=True):
        """The one entry point of every fetch (the stock gateway cron, "Fetch Now" and the
        mail catcher's cron). Each mail is journaled and committed before it is routed,
        and acknowledged on the server only once routed and committed: a crash at any
        point loses nothing and, on the next run, posts nothing twice."""
        done = remaining = 0
        # As in stock, a fetch's own writes on its server (its place, its health) do not
        # toggle the crons: they change no server's state.
        servers = self.with_context(fetchmail_cron_running=True)
        for server in servers.filtered(lambda s: s._get_connection_type() in ("imap", "pop")):
            with server._catcher_fetch_lock() as acquired:
                if not acquired:
                    _logger.info("%s is already being fetched: skipped.", server.name)
                    continue
                server._catcher_check_last_fetch_ended()
                try:
                    server_done, server_remaining = server._catcher_fetch()
                except Exception as error:
                    if isinstance(error, psycopg2.Error):
                        self.env.cr.rollback()
                    server._catcher_record_failure(error)
                    if raise_exception:
                        raise ValidationError(server.catcher_last_error) from error
                    _logger.warning("Fetching %s failed: %s", server.name, root_cause(error))
                    continue
                server._catcher_record_success(server_remaining)
                done += server_done
                remaining += server_remaining
        self._catcher_hand_over(done, remaining)
        return True

    def _catcher_hand_over(self, done, remaining):
        """Tell the cron what was done, and hand a backlog to a new run of it rather than
        to Odoo's reruns of this one: Odoo runs a job that reports work left up to ten
        times in a row, and a cron worker's watchdog (limit_time_real) counts those runs
        as one, so ten time budgets would get the worker killed midway."""
        self.env["ir.cron"]._notify_progress(done=done, remaining=0)
        cron_id = self.env.context.get("cron_id")
        if remaining and cron_id:
            self.env["ir.cron"].sudo().browse(cron_id)._trigger()

    @contextmanager
    def _catcher_fetch_lock(self):
        """An advisory lock, held by a cursor of its own in a transaction that lasts the
        whole fetch: it outlives the commits that fetching makes after each batch, holds
        across Odoo workers and hosts sharing the database, and cannot outlive the fetch
        (it ends with that transaction, or with the connection if the process dies)."""
        lock = "SELECT pg_try_advisory_xact_lock(%s, %s)", (FETCH_LOCK_NAMESPACE, self.id)
        if self.env.registry.in_test_mode():
            # Odoo's browser tests run every cursor on one connection and transaction:
            # a cursor of its own is not one there, so the lock goes on that transaction.
            self.env.cr.execute(*lock)
            yield self.env.cr.fetchone()[0]
            return
        with self.env.registry.cursor() as lock_cr:
            lock_cr.execute(*lock)
            yield lock_cr.fetchone()[0]

    def _catcher_fetch(self):
        """Fetch within the time budget, then retry the journal's due failures.
        Returns (mails handled, mails left on the server)."""
        budget = cron_budget(max(self.catcher_time_budget, 1), odoo_cron_time_limit())
        deadline = time.monotonic() + budget
        _logger.info("Fetching %s server %s", self.server_type, self.name)
        connection = self.connect()
        try:
            if self._get_connection_type() == "imap":
                done, remaining = self._catcher_fetch_imap(connection, deadline)
            else:
                done, remaining = self._catcher_fetch_pop(connection, deadline)
        finally:
            self._catcher_close(connection)
        due = self.env["mail.catcher.message"]._due_for_retry(self)
        if due:
            self._catcher_tell_quarantined(due._route_in_transactions(states=("failed",)))
            self.env.cr.commit()  # pylint: disable=invalid-commit # retries kept
        return done, remaining

    def _catcher_fetch_imap(self, connection, deadline):
        status, data = connection.select(quote_mailbox(self.imap_folder))
        if status != "OK":
            raise UserError(
                self.env._("The folder %(folder)s cannot be opened.", folder=self.imap_folder)
            )
        uidvalidity = connection.response("UIDVALIDITY")[1][0].decode()
        if not self.catcher_fetch_start:
            # Confirmed without a login here (or the mailbox changed since): it starts now.
            self._catcher_start_imap(connection, uidvalidity, int(data[-1] or 0))
        if uidvalidity != self.imap_uidvalidity:
            # Read for the first time, or recreated (its UIDs mean other mails now): read it
            # all again, from the start date on; the journal recognises the mails it has.
            self.write({"imap_uidvalidity": uidvalidity, "imap_last_uid": "0"})
        last_uid = int(self.imap_last_uid or 0)
        criteria = search_criteria(last_uid, self._catcher_since())
        _status, data = connection.uid("SEARCH", None, criteria)
        uids = new_uids(data, last_uid)
        self._catcher_fetch_begins(len(uids))
        done = 0
        for batch in batches(uids, self.catcher_batch_size):
            if done and time.monotonic() > deadline:
                break
            _status, data = connection.uid("FETCH", uid_set(batch), "(BODY.PEEK[])")
            raws = parse_fetch(data)
            fetched = [
                {
                    "raw": raws[uid],
                    "uid": uid,
                    "folder": self.imap_folder,
                    "uidvalidity": uidvalidity,
                }
                for uid in batch
                if uid in raws
            ]
            entries = self._catcher_journal_and_route(fetched)
            self._imap_acknowledge(connection, [item["uid"] for item in fetched], entries)
            done += len(batch)
            self.write({"imap_last_uid": str(batch[-1]), "catcher_backlog": len(uids) - done})
            self.env.cr.commit()  # pylint: disable=invalid-commit # exactly-once: UIDs done
        return done, len(uids) - done

    def _catcher_fetch_pop(self, connection, deadline):
        _response, listing, _octets = connection.uidl()
        mails = [(int(num), uidl.decode()) for num, uidl in (line.split() for line in listing)]
        if not self.catcher_fetch_start:
            # Confirmed without a login here: it starts now. A server that fetched before
            # the choice existed keeps going: POP deleted what it fetched, the rest is new.
            fetched_before = self.env["mail.catcher.message"].search_count(
                [("server_id", "=", self.id)], limit=1
            )
            self._catcher_start_pop([] if fetched_before else [uidl for _num, uidl in mails])
        old = set((self.catcher_pop_old_uidls or "").split())
        mails = [(num, uidl) for num, uidl in mails if uidl not in old]
        journaled = set(
            self.env["mail.catcher.message"]
            .search([("server_id", "=", self.id), ("pop_uidl", "in", [u for _n, u in mails])])
            .mapped("pop_uidl")
        )
        self._catcher_fetch_begins(len(mails))
        done = 0
        for batch in batches(mails, self.catcher_batch_size):
            if done and time.monotonic() > deadline:
                break
            fetched = [
                {"raw": b"\r\n".join(connection.retr(num)[1]), "uidl": uidl}
                for num, uidl in batch
                if uidl not in journaled
            ]
            self._catcher_journal_and_route(fetched)
            self.env.cr.commit()  # pylint: disable=invalid-commit # exactly-once: batch done
            # The journal has them all: delete them, failed ones too (QUIT applies it).
            for num, _uidl in batch:
                connection.dele(num)
            done += len(batch)
        return done, len(mails) - done

    # Where fetching starts ---------------------------------------------------------------

    def _catcher_start(self):
        """Record where fetching starts in each server's mailbox, once per mailbox: what
        is in it now is old mail. Its own login: the fetch's connection is not open yet."""
        for server in self.filtered(
            lambda s: not s.catcher_fetch_start and s._get_connection_type() in ("imap", "pop")
        ):
            connection = server.connect(allow_archived=True)
            try:
                if server._get_connection_type() == "imap":
                    folder = quote_mailbox(server.imap_folder)
                    status, data = connection.select(folder, readonly=True)
                    if status == "OK":
                        uidvalidity = connection.response("UIDVALIDITY")[1][0].decode()
                        server._catcher_start_imap(connection, uidvalidity, int(data[-1] or 0))
                    else:
                        # No such folder yet: nothing in it is old (a typo shows at the fetch).
                        server._catcher_start_imap(connection, None, 0)
                else:
                    _response, listing, _octets = connection.uidl()
                    server._catcher_start_pop([line.split()[1].decode() for line in listing])
            finally:
                server._catcher_close(connection)

    def _catcher_start_imap(self, connection, uidvalidity, count):
        """Start now: the highest UID of the selected folder is the last one fetched, and
        the mails up to it stay unread. A server that already fetched this folder (before
        the choice existed) keeps its place."""
        values = {"catcher_fetch_start": fields.Datetime.now()}
        left = 0
        if self.catcher_first_fetch == "now" and uidvalidity and not self.imap_uidvalidity:
            _status, data = connection.uid("SEARCH", None, "UID *")
            values.update(
                imap_uidvalidity=uidvalidity, imap_last_uid=str(max(new_uids(data, 0), default=0))
            )
            left = count
        self.write(values)
        self._catcher_tell_start(left)

    def _catcher_start_pop(self, uidls):
        """Start now: POP has neither order nor dates, so the mails there now are listed as
        old, and neither fetched nor deleted."""
        old_uidls = "\n".join(uidls)
        self.write(
            {"catcher_fetch_start": fields.Datetime.now(), "catcher_pop_old_uidls": old_uidls}
        )
        self._catcher_tell_start(len(uidls))

    def _catcher_tell_start(self, left):
        """A note on the server (it notifies nobody): where fetching starts, and why the
        mails already there are not in the journal."""
        if self.catcher_first_fetch == "since":
            body = self.env._(
                "Fetching starts: the mails received since %(date)s are fetched; older ones "
                "stay on the server, untouched.",
                date=format_date(self.env, self.catcher_import_since),
            )
        elif left:
            body = self.env._(
                "Fetching starts now: the %(count)s mails already in the mailbox stay there, "
                "unread, and are not fetched.",
                count=left,
            )
        else:
            return
        self.sudo().message_post(body=body)

    def _catcher_since(self):
        """The arrival date before which no mail is fetched, applied to every search so that
        a folder recreated (or a new UIDVALIDITY) never brings the old mails back: the chosen
        date, or the day before fetching started (a day's margin for the IMAP server's time
        zone: after a new UIDVALIDITY, only the old mails of those two days come back)."""
        if self.catcher_first_fetch == "since":
            return self.catcher_import_since
        return self.catcher_fetch_start and self.catcher_fetch_start.date() - timedelta(days=1)

    def _catcher_journal_and_route(self, fetched):
        Journal = self.env["mail.catcher.message"]
        if not fetched:
            return Journal
        entries = Journal._journal(self, fetched)
        self.env.cr.commit()  # pylint: disable=invalid-commit # exactly-once: journaled
        batch = Journal.union(*entries)
        if len(batch) > ROUTING_CHUNK:
            # A free cron worker takes a share of the routing (_cron_route_received).
            self.env.ref("mail_catcher.ir_cron_route_received").sudo()._trigger()
        self._catcher_tell_quarantined(batch._route_in_transactions(wait=30))
        self.env.cr.commit()  # pylint: disable=invalid-commit # exactly-once: routed
        return entries

    def _imap_acknowledge(self, connection, uids, entries):
        """The mails are safe in the journal and committed: act on the server."""
        if not uids:
            return
        quarantined = []
        if self.catcher_quarantine_folder:
            quarantined = [
                uid
                for uid, entry in zip(uids, entries, strict=True)
                if entry.state == "quarantined"
            ]
            self._imap_move(connection, quarantined, self.catcher_quarantine_folder)
        others = [uid for uid in uids if uid not in quarantined]
        if not others:
            return
        if self.catcher_after_fetch == "move":
            self._imap_move(connection, others, self.catcher_processed_folder)
        elif self.catcher_after_fetch == "delete":
            connection.uid("STORE", uid_set(others), "+FLAGS", r"(\Deleted)")
            connection.expunge()
        else:
            connection.uid("STORE", uid_set(others), "+FLAGS", r"(\Seen)")

    def _imap_move(self, connection, uids, folder):
        if not uids:
            return
        mailbox = quote_mailbox(folder)
        connection.create(mailbox)  # answers NO when it exists already
        status, data = connection.uid("MOVE", uid_set(uids), mailbox)
        if status != "OK":  # servers without the MOVE extension
            status, data = connection.uid("COPY", uid_set(uids), mailbox)
            if status != "OK":
                raise UserError(
                    self.env._(
                        "Mails cannot be moved to the folder %(folder)s: %(answer)s",
                        folder=folder,
                        answer=data,
                    )
                )
            connection.uid("STORE", uid_set(uids), "+FLAGS", r"(\Deleted)")
            connection.expunge()

    def _catcher_close(self, connection):
        try:
            if self._get_connection_type() == "imap":
                connection.logout()
            else:
                connection.quit()
        except Exception:  # the fetch is over; a failed goodbye changes nothing
            _logger.info("Closing the connection to %s failed", self.name, exc_info=True)

    # Health ----------------------------------------------------------------------------

    def _catcher_fetch_begins(self, backlog):
        """What a fetch finds on the server, made durable before it works on it: a fetch
        that is killed midway leaves the true backlog, and its start for the next one."""
        self.write(
            {"catcher_backlog": backlog, "catcher_fetch_running_since": fields.Datetime.now()}
        )
        if backlog:
            self.env.cr.commit()  # pylint: disable=invalid-commit # backlog shown

    def _catcher_check_last_fetch_ended(self):
        """The fetch lock is ours: a fetch still marked running has stopped for good."""
        if self.catcher_fetch_running_since:
            self._catcher_record_failure(
                self.env._(
                    "The fetch started at %(date)s stopped before its end: its worker was "
                    "killed or ran out of time. What it journaled is routed again; a mail "
                    "that stops routing twice is quarantined.",
                    date=self.catcher_fetch_running_since,
                )
            )

    def _catcher_record_success(self, backlog):
        if self.catcher_failure_count >= self.catcher_alert_after:
            self._catcher_tell_admins(
                self.env._("%(server)s works again.", server=self.name),
                self.env._(
                    "Fetching works again after %(count)s failures.",
                    count=self.catcher_failure_count,
                ),
            )
        self.write(
            {
                "date": fields.Datetime.now(),
                "catcher_last_fetch": fields.Datetime.now(),
                "catcher_last_error": False,
                "catcher_last_error_date": False,
                "catcher_failure_count": 0,
                "catcher_backlog": backlog,
                "catcher_fetch_running_since": False,
            }
        )

    def _catcher_record_failure(self, error):
        self.write(
            {
                "catcher_last_error": error
                if isinstance(error, str)
                else self._catcher_describe_error(error),
                "catcher_last_error_date": fields.Datetime.now(),
                "catcher_failure_count": self.catcher_failure_count + 1,
                "catcher_fetch_running_since": False,
            }
        )
        if self.catcher_failure_count == self.catcher_alert_after:
            self._catcher_tell_admins(
                self.env._("%(server)s fails to fetch mail.", server=self.name),
                self.env._(
                    "The last %(count)s fetches failed. Last error: %(error)s",
                    count=self.catcher_failure_count,
                    error=self.catcher_last_error,
                ),
            )

    def _catcher_tell_quarantined(self, entries):
        quarantined = entries.filtered(lambda entry: entry.state == "quarantined")
        if quarantined:
            lines = "; ".join(
                f"{entry.email_from or '?'}: {entry.subject or '-'} ({entry.reason})"
                for entry in quarantined
            )
            self._catcher_tell_admins(
                self.env._("Mails quarantined on %(server)s", server=self.name),
                self.env._(
                    "%(count)s mail(s) wait for an admin in Incoming Emails: %(mails)s",
                    count=len(quarantined),
                    mails=lines,
                ),
            )

    def _catcher_tell_admins(self, subject, body):
        admins = self.env.ref("base.group_system").users.filtered(
            lambda user: user.active and not user.share and user.email
        )
        self.sudo().with_context(**SEND_PROMPTLY).message_post(
            subject=subject,
            body=body,
            partner_ids=admins.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    # Crons -----------------------------------------------------------------------------

    @api.model
    def _fetch_catcher_replies(self):
        """Cron "Mail Catcher: fetch replies": pull every company's catcher mailbox; it is
        the only cron that does."""
        self._catcher_servers().fetch_mail(raise_exception=False)

    @api.model
    def _fetch_mails(self):
        """Odoo's cron "Mail: Fetchmail Service" keeps the other confirmed servers (alias
        mailboxes of jobs, helpdesk...): a catcher mailbox is polled on its own cron's
        schedule only. Stock's method is nothing but this search over every server, so
        calling it would poll the catchers too."""
        return self.search(self._gateway_servers_domain()).fetch_mail(raise_exception=False)

    @api.model
    def _gateway_servers_domain(self):
        """The servers of Odoo's fetch cron: stock's, less the companies' catchers."""
        return [
            ("state", "=", "done"),
            ("server_type", "!=", "local"),
            ("id", "not in", self._catcher_servers().ids),
        ]

    @api.model
    def _catcher_servers(self):
        """The companies' confirmed catcher servers; an archived one is not fetched."""
        companies = self.env["res.company"].sudo().search([("mail_catcher_server_id", "!=", False)])
        return companies.mail_catcher_server_id.filtered(
            lambda server: server.active and server.state == "done"
        )

    @api.model
    def _update_cron(self):
        super()._update_cron()
        if self.env.context.get("fetchmail_cron_running"):
            return
        # Stock turns its cron on for any confirmed server: with only catchers, it has
        # nothing to poll.
        gateway = self.env.ref("mail.ir_cron_mail_gateway_action", raise_if_not_found=False)
        if gateway:
            gateway.sudo().toggle(model=self._name, domain=self._gateway_servers_domain())
        cron = self.env.ref("mail_catcher.ir_cron_fetch_replies", raise_if_not_found=False)
        if cron:
            cron.sudo().toggle(
                model="res.company", domain=[("mail_catcher_server_id.state", "=", "done")]
            )
