import logging
import poplib
import time
from contextlib import contextmanager
from imaplib import IMAP4

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..lib import seams
from ..lib.connection_errors import root_cause
from ..lib.cron_time import cron_budget
from ..lib.imap import batches
from ..lib.mailbox import MOVE, FolderRefused, ImapMailbox, PopMailbox
from ..lib.pace import ROUTING_CHUNK
from .mail_catcher_server_health import FETCH_LOCK_NAMESPACE
from .mail_catcher_server_settings import odoo_cron_time_limit
from .mail_catcher_server_start import FOLDERS

_logger = logging.getLogger(__name__)

# A change of one of these is another mailbox, or another choice of where to start in it:
# what was recorded of the old one (start, UIDs, old POP mails) no longer applies.
MAILBOX_FIELDS = ("server", "user", "imap_folder", "catcher_first_fetch", "catcher_import_since")
ACKNOWLEDGEMENT_FIELDS = {
    "catcher_after_fetch",
    "catcher_processed_folder",
    "catcher_quarantine_folder",
}


class FetchmailServer(models.Model):
    _name = "fetchmail.server"
    # The server's chatter is where admins are told of failures, recoveries and quarantine.
    _inherit = [
        "fetchmail.server",
        "mail.thread",
        "mail.catcher.server.settings",
        "mail.catcher.server.start",
        "mail.catcher.server.health",
    ]

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
    # State of each folder (UIDs are unsigned 32-bit numbers, over Odoo's Integer range).
    # A folder's last UID is empty until fetching starts in it.
    imap_uidvalidity = fields.Char(string="UIDVALIDITY", readonly=True, copy=False)
    imap_last_uid = fields.Char(string="Last UID", readonly=True, copy=False)
    imap_junk_uidvalidity = fields.Char(string="Junk UIDVALIDITY", readonly=True, copy=False)
    imap_junk_last_uid = fields.Char(string="Junk Last UID", readonly=True, copy=False)

    def write(self, vals):
        if ACKNOWLEDGEMENT_FIELDS & set(vals):
            # New folder settings are tried afresh: the last refusal no longer says anything.
            vals = {**vals, "catcher_ack_problem": False}
        changing = [name for name in (*MAILBOX_FIELDS, "catcher_junk_folder") if name in vals]
        if not changing:
            return super().write(vals)
        before = {server.id: [server[name] for name in changing] for server in self}
        result = super().write(vals)
        for server in self:
            moved = {
                name
                for name, old in zip(changing, before[server.id], strict=True)
                if server[name] != old
            }
            if not moved:
                continue
            # Another Junk folder starts anew; another mailbox, everything does.
            forgotten = {"imap_junk_uidvalidity": False, "imap_junk_last_uid": False}
            if moved & set(MAILBOX_FIELDS):
                forgotten.update(
                    catcher_fetch_start=False,
                    imap_uidvalidity=False,
                    imap_last_uid=False,
                    catcher_pop_old_uidls=False,
                )
            super(FetchmailServer, server).write(forgotten)
        return result

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
            except FolderRefused as refused:
                raise UserError(server._catcher_folder_refused(refused)) from refused
            except (UserError, OSError, IMAP4.error, poplib.error_proto) as error:
                raise UserError(server._catcher_describe_error(error)) from error
        if self & self._catcher_servers():
            # What waited while the catcher could not sign in (a revoked authorisation, a
            # changed password) comes in now, not at the next scheduled fetch.
            self.env.ref("mail_catcher.ir_cron_fetch_replies").sudo()._trigger()
        return True

    def connect(self, allow_archived=False):
        connection = super().connect(allow_archived=allow_archived)
        sock = getattr(getattr(connection, "__obj__", connection), "sock", None)
        if sock is not None and self.catcher_timeout > 0:
            sock.settimeout(self.catcher_timeout)
        return connection

    def _catcher_mailbox(self, allow_archived=False):
        """The mailbox, logged in: an ImapMailbox, whose capabilities are recorded, or a
        PopMailbox."""
        connection = self.connect(allow_archived=allow_archived)
        if self._get_connection_type() == "pop":
            return PopMailbox(connection)
        mailbox = ImapMailbox(connection)
        capabilities = " ".join(sorted(mailbox.capabilities))
        if capabilities != self.imap_capabilities:
            self.imap_capabilities = capabilities
        return mailbox

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
        mailbox = self._catcher_mailbox()
        try:
            if isinstance(mailbox, PopMailbox):
                done, remaining = self._catcher_fetch_pop(mailbox, deadline)
            else:
                done, remaining = self._catcher_fetch_imap(mailbox, deadline)
        finally:
            mailbox.close()
        due = self.env["mail.catcher.message"]._due_for_retry(self)
        if due:
            self._catcher_tell_quarantined(due._route_in_transactions(states=("failed",)))
            self.env.cr.commit()  # pylint: disable=invalid-commit # retries kept
        return done, remaining

    def _catcher_fetch_imap(self, mailbox, deadline):
        """The main folder, then the Junk folder, each listed and fetched within one
        selection of it: GNU imap4d numbers a folder's newest mails anew when it is
        selected again."""
        # Confirmed without a login here, the mailbox changed since, or a Junk folder
        # chosen since: fetching starts now where it had not started.
        self._catcher_start_imap(mailbox)
        done = remaining = 0
        for folder in FOLDERS:
            uids = self._catcher_new_mails(mailbox, folder)
            self._catcher_fetch_begins(remaining + len(uids))
            fetched = 0
            if uids and (not done or time.monotonic() < deadline):
                fetched = self._catcher_fetch_folder(mailbox, folder, uids, deadline, remaining)
            done += fetched
            remaining += len(uids) - fetched
        return done, remaining

    def _catcher_new_mails(self, mailbox, folder):
        """Select one of FOLDERS: the UIDs to fetch there; none where it is not set or
        not there."""
        name_field, uidvalidity_field, last_uid_field = folder
        if not self[name_field]:
            return []
        state = mailbox.open(self[name_field])
        if name_field == "imap_folder" and not state:
            raise UserError(
                self.env._("The folder %(folder)s cannot be opened.", folder=self.imap_folder)
            )
        if not state:
            return []
        if state.uidvalidity != self[uidvalidity_field]:
            # Read for the first time, or recreated (its UIDs mean other mails now): read it
            # all again, from the start date on; the journal recognises the mails it has.
            self.write({uidvalidity_field: state.uidvalidity, last_uid_field: "0"})
        return mailbox.new_mails(int(self[last_uid_field]), self._catcher_since())

    def _catcher_fetch_folder(self, mailbox, folder, uids, deadline, left_before):
        """Fetch, journal, route and acknowledge the selected folder's `uids`, batch by
        batch, within the deadline; `left_before`: what earlier folders left."""
        name_field, uidvalidity_field, last_uid_field = folder
        done = 0
        for batch in batches(uids, self.catcher_batch_size):
            if done and time.monotonic() > deadline:
                break
            raws = mailbox.fetch(batch)
            seams.reached(seams.FETCHED)
            fetched = [
                {
                    "raw": raws[uid],
                    "uid": uid,
                    "folder": self[name_field],
                    "uidvalidity": self[uidvalidity_field],
                }
                for uid in batch
                if uid in raws
            ]
            entries = self._catcher_journal_and_route(fetched)
            seams.reached(seams.ROUTED)
            self._catcher_acknowledge(mailbox, [item["uid"] for item in fetched], entries)
            seams.reached(seams.ACKNOWLEDGED)
            done += len(batch)
            backlog = left_before + len(uids) - done
            self.write({last_uid_field: str(batch[-1]), "catcher_backlog": backlog})
            self.env.cr.commit()  # pylint: disable=invalid-commit # exactly-once: UIDs done
        return done

    def _catcher_acknowledge(self, mailbox, uids, entries):
        """The mails are safe in the journal and committed: act on the server. What it
        refuses is recorded and the mails are marked read instead: the fetch goes on."""
        quarantined = []
        if self.catcher_quarantine_folder:
            quarantined = [
                uid
                for uid, entry in zip(uids, entries, strict=True)
                if entry.state == "quarantined"
            ]
            self._catcher_record_acknowledgement(
                self.catcher_quarantine_folder,
                mailbox.acknowledge(quarantined, MOVE, self.catcher_quarantine_folder),
            )
        others = [uid for uid in uids if uid not in quarantined]
        self._catcher_record_acknowledgement(
            self.catcher_processed_folder if self.catcher_after_fetch == MOVE else self.imap_folder,
            mailbox.acknowledge(others, self.catcher_after_fetch, self.catcher_processed_folder),
        )

    def _catcher_fetch_pop(self, mailbox, deadline):
        mails = mailbox.mails()
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
                {"raw": mailbox.fetch(num), "uidl": uidl}
                for num, uidl in batch
                if uidl not in journaled
            ]
            seams.reached(seams.FETCHED)
            self._catcher_journal_and_route(fetched)
            seams.reached(seams.ROUTED)
            # The journal has them all: delete them, failed ones too (QUIT applies it).
            mailbox.acknowledge([num for num, _uidl in batch])
            done += len(batch)
        return done, len(mails) - done

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

    # Which cron polls which server: the crons' entry points, and the toggling of each --

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
