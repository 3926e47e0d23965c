import logging
import time
import traceback
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32

from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import split_every

from ..lib import seams
from ..lib.cron_time import cron_budget
from ..lib.mail_identity import describe, storable
from ..lib.mime import forget_parsed_headers, parse_mail, repair_structure
from ..lib.pace import CLAIM_GRACE, CRASHES_BEFORE_QUARANTINE, RETRY_DELAYS, ROUTING_CHUNK
from ..lib.sender_auth import sender_verdict
from ..lib.time_limit import TimeLimitExceeded, time_limit
from ..routing import STANDARD_RULES, decide
from ..routing.outcome import Match, Verdict
from ..routing.post import post, record_bounce
from .mail_catcher_server_settings import odoo_cron_time_limit
from .mail_mail import SEND_PROMPTLY

_logger = logging.getLogger(__name__)

STATES = [
    ("received", "Received"),
    ("routed", "Routed"),
    ("ignored", "Ignored"),
    ("failed", "Failed"),
    ("quarantined", "Quarantined"),
]
KINDS = [
    ("reply", "Reply"),
    ("new", "New"),
    ("auto_reply", "Auto-Reply"),
    ("bounce", "Bounce"),
    ("loop", "Loop"),
    ("duplicate", "Duplicate"),
    ("test", "Test"),
    ("spam", "Spam"),
]
MATCHED_BY = [
    ("token", "Reply Token"),
    ("header", "Reply Headers"),
    ("subject", "Subject Reference"),
    ("alias", "Alias"),
    ("manual", "Assigned by Hand"),
]
SENDER_AUTH = [
    ("pass", "Verified"),
    ("fail", "Failed"),
    ("none", "Not Verified"),
]
# What is kept of a mail that the database refuses to store as it came.
BARE_FIELDS = {
    "server_id",
    "folder",
    "imap_uidvalidity",
    "imap_uid",
    "pop_uidl",
    "checksum",
    "date",
    "size",
}


class MailCatcherMessage(models.Model):
    _name = "mail.catcher.message"
    _description = "Incoming Email"
    _order = "date desc, id desc"
    _rec_name = "subject"

    server_id = fields.Many2one("fetchmail.server", required=True, index=True, ondelete="restrict")
    folder = fields.Char(help="IMAP folder the mail was read from.")
    # IMAP UIDs and UIDVALIDITY are unsigned 32-bit numbers, over Odoo's Integer range.
    imap_uidvalidity = fields.Char(string="UIDVALIDITY")
    imap_uid = fields.Char(string="IMAP UID")
    pop_uidl = fields.Char(string="POP UIDL", index=True)
    message_id = fields.Char(string="Message-ID", required=True, index=True)
    checksum = fields.Char(required=True, help="SHA-256 of the raw mail.")
    date = fields.Datetime(default=fields.Datetime.now, index=True)
    email_from = fields.Char(string="From")
    email_to = fields.Char(string="To")
    email_cc = fields.Char(string="Cc")
    subject = fields.Char()
    size = fields.Integer(help="Size of the raw mail, in bytes.")
    raw_attachment_id = fields.Many2one(
        "ir.attachment", string="Raw Mail", ondelete="set null", copy=False
    )
    state = fields.Selection(STATES, default="received", required=True, index=True)
    kind = fields.Selection(KINDS)
    route = fields.Selection(MATCHED_BY, string="Routed By")
    sender_auth = fields.Selection(
        SENDER_AUTH,
        string="Sender Authentication",
        index=True,
        help="What the server's trusted mail provider says of the sender's address "
        "(Authentication-Results): verified (DMARC, or a DKIM signature of the sender's "
        "domain, passed), failed, or not verified (no result from that provider). Empty "
        "when the server trusts no provider.",
    )
    reason = fields.Text()
    model = fields.Char(string="Document Model", index=True)
    res_id = fields.Many2oneReference(string="Document ID", model_field="model")
    document_name = fields.Char(string="Document", compute="_compute_document_name")
    mail_message_id = fields.Many2one("mail.message", string="Posted Message", ondelete="set null")
    error = fields.Text(string="Last Error")
    attempt_count = fields.Integer(
        string="Attempts", help="Routing attempts, counted as each one starts."
    )
    routing_started = fields.Datetime(
        readonly=True,
        help="Set while a worker routes this mail. Set on a mail that no worker routes: "
        "routing stopped during the last attempt.",
    )
    crash_count = fields.Integer(
        string="Stopped During Routing",
        readonly=True,
        help="Attempts that never ended: the worker was killed, or ran out of time.",
    )
    next_attempt_date = fields.Datetime(string="Next Attempt")

    _sql_constraints = [
        (
            "mail_unique_per_server",
            "UNIQUE(server_id, message_id, checksum)",
            "This mail is already in the journal of this server.",
        )
    ]

    @api.depends("model", "res_id")
    def _compute_document_name(self):
        for entry in self:
            document = entry._document()
            entry.document_name = document.display_name if document else False

    def _document(self):
        if self.model in self.env and self.res_id:
            return self.env[self.model].browse(self.res_id).exists()
        return None

    # Journal -------------------------------------------------------------------------

    @api.model
    def _journal(self, server, fetched):
        """Record fetched mails, each once: returns the entry of each item of `fetched`
        (dicts with `raw` and where it was read), existing entries included, so that a
        mail fetched again after a crash is recognised rather than imported twice. What
        the journal cannot store as it came is stored quarantined, never left behind."""
        for item in fetched:
            item.update(describe(item["raw"]))
        existing = self.search(
            [
                ("server_id", "=", server.id),
                ("message_id", "in", [item["message_id"] for item in fetched]),
            ]
        )
        by_identity = {(entry.message_id, entry.checksum): entry for entry in existing}
        new_items = []
        for item in fetched:
            identity = (item["message_id"], item["checksum"])
            if identity not in by_identity:
                by_identity[identity] = None
                new_items.append(item)
        for entry, item in zip(self._store(server, new_items), new_items, strict=True):
            by_identity[(item["message_id"], item["checksum"])] = entry
        return [by_identity[(item["message_id"], item["checksum"])] for item in fetched]

    @api.model
    def _store(self, server, items):
        """The batch in one insert; if the database refuses it, each mail alone; a mail it
        still refuses is stored by its checksum alone, quarantined with the reason."""
        try:
            with self.env.cr.savepoint():
                return list(self._create_with_raw(server, items))
        except Exception:  # the database refused one of them: find which, store the rest
            _logger.warning("Journaling a batch failed: storing its mails one by one")
        entries = []
        for item in items:
            try:
                with self.env.cr.savepoint():
                    entries += self._create_with_raw(server, [item])
            except Exception as error:  # kept as raw bytes, for an admin to look at
                _logger.warning("Mail %s cannot be journaled as it came", item["checksum"])
                entries += self._create_with_raw(server, [item], unstorable=error)
        return entries

    @api.model
    def _create_with_raw(self, server, items, unstorable=None):
        if not items:
            return self
        values = [self._journal_values(server, item) for item in items]
        if unstorable:
            [item] = items
            values = [
                {
                    **{key: value for key, value in values[0].items() if key in BARE_FIELDS},
                    "message_id": f"<{item['checksum'][:40]}@mail-catcher.unstorable>",
                    "state": "quarantined",
                    "reason": self.env._(
                        "This mail could not be stored as it came: %(error)s",
                        error=storable(str(unstorable)),
                    ),
                }
            ]
        entries = self.create(values)
        entries._attach_raw([item["raw"] for item in items])
        return entries

    @api.model
    def _journal_values(self, server, item):
        return {
            "server_id": server.id,
            "folder": item.get("folder"),
            "imap_uidvalidity": item.get("uidvalidity"),
            "imap_uid": item.get("uid") and str(item["uid"]),
            "pop_uidl": item.get("uidl"),
            "message_id": item["message_id"],
            "checksum": item["checksum"],
            "date": item["date"] or fields.Datetime.now(),
            "email_from": item["from"],
            "email_to": item["to"],
            "email_cc": item["cc"],
            "subject": item["subject"],
            "size": len(item["raw"]),
        }

    def _attach_raw(self, raws):
        attachments = self.env["ir.attachment"].create(
            [
                {
                    "name": f"{entry.message_id.strip('<>')[:100]}.eml",
                    "raw": raw,
                    "mimetype": "message/rfc822",
                    "res_model": self._name,
                    "res_id": entry.id,
                }
                for entry, raw in zip(self, raws, strict=True)
            ]
        )
        for entry, attachment in zip(self, attachments, strict=True):
            entry.raw_attachment_id = attachment

    def _raw(self):
        if not self.raw_attachment_id:
            raise UserError(self.env._("The raw content of this mail was purged."))
        return self.raw_attachment_id.raw

    def _email_message(self, raw=None):
        """The raw mail (`raw`, or the journal's), parsed as Odoo's gateway parses it,
        with the journal's identity and the repairs its parser needs."""
        message = parse_mail(raw or self._raw())
        if not message.get("Message-Id"):
            message["Message-Id"] = self.message_id
        repair_structure(message)
        return message

    # Processing ----------------------------------------------------------------------

    def _claim_and_route(self):
        """Route, in this transaction (a retry by hand), each entry that still needs it,
        each in a savepoint: one bad mail never stops the others. Rows are locked, and
        locked rows skipped, so that workers sharing a batch, a retry by hand and the
        crons never route the same mail twice.
        Returns the entries routed, quarantined or failed here; an entry whose route met
        another worker's concurrent update is left as it was, for a later transaction."""
        return self._claim()._route_claimed()

    def _claim(self, states=("received", "failed", "quarantined")):
        """Lock the entries no other worker is routing and count an attempt on each, so
        that a worker killed while routing leaves a trace once this is committed: its
        entries stay claimed (routing started) with no worker holding them. An entry
        claimed that way too often is quarantined here, not routed again."""
        if not self:
            return self
        self.flush_model()
        self.env.cr.execute(
            """UPDATE mail_catcher_message
                  SET routing_started = now() at time zone 'UTC',
                      attempt_count = COALESCE(attempt_count, 0) + 1,
                      crash_count = COALESCE(crash_count, 0) + (routing_started IS NOT NULL)::int
                WHERE id IN (
                    SELECT id FROM mail_catcher_message
                     WHERE id IN %s AND state IN %s
                       AND (routing_started IS NULL
                            OR routing_started < now() at time zone 'UTC' - %s * interval '1s')
                     ORDER BY id FOR UPDATE SKIP LOCKED)
            RETURNING id""",
            [tuple(self.ids), tuple(states), CLAIM_GRACE],
        )
        claimed = self.browse(sorted(row[0] for row in self.env.cr.fetchall()))
        claimed.invalidate_recordset(["state", "routing_started", "attempt_count", "crash_count"])
        stopped = claimed.filtered(lambda entry: entry.crash_count >= CRASHES_BEFORE_QUARANTINE)
        for entry in stopped:
            entry._settle(
                "quarantined",
                kind=entry.kind,
                reason=self.env._(
                    "Routing stopped %(count)s times while on this mail (the worker was "
                    "killed or ran out of time): it is set aside so that it holds up no "
                    "other mail. Download it, or assign it to a document by hand.",
                    count=entry.crash_count,
                ),
            )
        return claimed - stopped

    def _route_claimed(self):
        """Route the entries this transaction claimed (rows locked again: a claim may have
        been committed since); each mail under the time limit of its server."""
        if not self:
            return self
        self.flush_model()
        self.env.cr.execute(
            """SELECT id FROM mail_catcher_message
                WHERE id IN %s AND routing_started IS NOT NULL
                ORDER BY id FOR UPDATE SKIP LOCKED""",
            [tuple(self.ids)],
        )
        entries = self.browse(row[0] for row in self.env.cr.fetchall())
        # What the chunk's mails look up in common is looked up once (routing/chunk.py);
        # whoever they notify gets the mail at once, from a cron as from a request.
        chunk = self.env["mail.thread"]._mail_catcher_open_chunk(
            entries.with_context(**SEND_PROMPTLY)
        )
        deferred = self.browse()
        for mail in chunk.mails:
            entry = mail.entry
            try:
                with self.env.cr.savepoint(), time_limit(entry.server_id.catcher_route_time_limit):
                    posted = entry._route(mail)
                chunk.keep_posted(posted)
            except TransactionRollbackError:
                # Another worker updated a row this route writes (the same document, the
                # same follower) after this transaction began: not the mail's fault, and
                # a new transaction will see that update.
                _logger.info("Mail %s meets a concurrent update: routed later", entry.id)
                entry.routing_started = False
                entry.attempt_count -= 1
                deferred |= entry
            except (Exception, TimeLimitExceeded) as error:  # journaled; none stops the batch
                _logger.info("Mail %s failed to route", entry.message_id, exc_info=True)
                entry._record_failure(error)
        self.env["mail.thread"]._mail_catcher_close_chunk()
        forget_parsed_headers()
        return entries - deferred

    def _route_in_transactions(self, wait=0, states=("received",)):
        """Route these entries in transactions of their own, committed, and wait (at most
        `wait` seconds) for the ones other workers took, so that the caller sees final
        states. Returns the entries settled by this worker."""
        settled = self._route_fresh_then_suspects(states)
        deadline = time.monotonic() + wait
        left = self._still_received()
        while left and time.monotonic() < deadline:
            settled |= left._route_fresh_then_suspects(states)
            left = self._still_received()
            if left:
                time.sleep(0.2)
        return settled

    def _route_fresh_then_suspects(self, states):
        """The fresh entries a chunk at a time, then alone each one whose last attempt
        stopped midway: a mail that kills its worker takes no other down with it twice."""
        suspects = self.filtered("routing_started")
        settled = self.browse()
        for chunk in split_every(ROUTING_CHUNK, (self - suspects).ids, self.browse):
            settled |= chunk._route_chunk(states)
        for suspect in suspects:
            settled |= suspect._route_chunk(states)
        return settled

    def _route_chunk(self, states):
        """Claim, commit (the trace of the attempt), route, commit."""
        try:
            claimed = self._claim(states)
            self.env.cr.commit()  # pylint: disable=invalid-commit # the attempt's trace
            settled = claimed._route_claimed()
            self.env.cr.commit()  # pylint: disable=invalid-commit # chunk settled
        except TransactionRollbackError:
            # The lock was asked in a snapshot older than another worker's commit on
            # these rows; the next transaction sees that commit and skips or takes them.
            self.env.cr.rollback()
            return self.browse()
        return settled

    def _still_received(self):
        self.invalidate_recordset(["state", "routing_started"])
        return self.filtered(lambda entry: entry.state == "received")

    @api.model
    def _cron_route_received(self, time_budget=240):
        """Cron "Mail Catcher: route received mails": takes a share of the batches being
        fetched (a fetch triggers it), and routes any mail left received by a worker that
        stopped midway."""
        deadline = time.monotonic() + cron_budget(time_budget, odoo_cron_time_limit())
        routed = 0
        while time.monotonic() < deadline:
            try:
                self.env.cr.execute(
                    """SELECT id FROM mail_catcher_message
                        WHERE state = 'received'
                          AND (routing_started IS NULL
                               OR routing_started < now() at time zone 'UTC' - %s * interval '1s')
                        ORDER BY routing_started IS NOT NULL, id
                        LIMIT %s FOR UPDATE SKIP LOCKED""",
                    [CLAIM_GRACE, ROUTING_CHUNK],
                )
            except TransactionRollbackError:
                self.env.cr.rollback()
                continue
            entries = self.browse(row[0] for row in self.env.cr.fetchall())
            if not entries:
                break
            settled = entries._route_in_transactions()
            for server in settled.server_id:
                server._catcher_tell_quarantined(
                    settled.filtered(lambda entry, server=server: entry.server_id == server)
                )
            self.env.cr.commit()  # pylint: disable=invalid-commit # chunk settled
            routed += len(settled)
            if not settled:  # all taken by other workers, or too fresh a claim: later
                break
        else:
            self.env.ref("mail_catcher.ir_cron_route_received")._trigger()
        self.env["ir.cron"]._notify_progress(done=routed, remaining=0)

    def _route(self, mail):
        """Run the mail (this entry's IncomingMail) through the routing rules, in order:
        the first that decides wins, and its outcome is applied. Returns the message
        posted, if any."""
        seams.reached(seams.ROUTING, entry=self)
        return self._apply(mail, decide(mail, self._routing_rules()))

    @api.model
    def _routing_rules(self):
        """The routing rules, in the order they are asked (routing/__init__.py): each a
        function of the mail under routing (routing/incoming.py) that returns a decision,
        or None to pass. Ready to be inherited: another addon adds a rule in its place,

            rules = super()._routing_rules()
            rules.insert(rules.index(signed_token_in_recipients), my_rule)
            return rules
        """
        return list(STANDARD_RULES)

    def _apply(self, mail, outcome):
        """The one place where a routing decision reaches the document and the journal."""
        if outcome.bounced:
            record_bounce(mail, outcome.bounced)
        if isinstance(outcome, Verdict):
            self._settle(
                outcome.state,
                kind=outcome.kind,
                posted=outcome.posted,
                reason=outcome.reason,
                sender_auth=mail.sender_auth,
            )
            if outcome.cause:  # what made Odoo give up, for the admin
                self.error = "".join(traceback.format_exception(outcome.cause))
            return None
        posted = post(mail, outcome)
        self._settle(
            "routed",
            kind=outcome.kind,
            route=outcome.matched_by,
            model=outcome.model,
            res_id=outcome.res_id,
            posted=posted,
            reason=outcome.reason,
            sender_auth=mail.sender_auth,
        )
        return posted

    def _sender_auth_verdict(self, message=None):
        """The trusted provider's verdict on the sender (`pass`, `fail`, `none`), from the
        mail's headers (`message`, or the raw mail); False when the server trusts no
        provider; the recorded verdict when the raw mail was purged."""
        trusted = self.server_id.catcher_trusted_authserv_id
        if not trusted:
            return False
        if message is None:
            if not self.raw_attachment_id:
                return self.sender_auth
            message = BytesHeaderParser(policy=compat32).parsebytes(self._raw(), headersonly=True)
        return sender_verdict(
            message.get_all("Authentication-Results") or [],
            message.get_all("From") or [],
            trusted,
        )

    def _settle(
        self,
        state,
        kind=None,
        route=None,
        model=None,
        res_id=None,
        posted=None,
        reason=None,
        sender_auth=None,
    ):
        """Write where the mail went and why; `sender_auth`, the sender's verdict as
        routing read it (IncomingMail), else read from the raw mail's headers."""
        posted = posted or self.env["mail.message"]
        self.write(
            {
                "state": state,
                "kind": kind or self.kind,
                "route": route,
                "model": model or posted.model or False,
                "res_id": res_id or posted.res_id or False,
                "mail_message_id": posted.id,
                "reason": reason or False,
                "next_attempt_date": False,
                "routing_started": False,
                "sender_auth": self._sender_auth_verdict() if sender_auth is None else sender_auth,
            }
        )

    def _record_failure(self, error):
        """A failed attempt: tried again later, with growing delays; quarantined at once
        when it cannot succeed (the same error as last time, or its time limit spent), or
        once the server's attempts are used up."""
        reason = storable(str(error) or type(error).__name__)
        values = {
            "error": "".join(traceback.format_exception(error)),
            "reason": reason,
            "routing_started": False,
        }
        if isinstance(error, TimeLimitExceeded):
            values["reason"] = self.env._(
                "Routing this mail took over %(seconds)s seconds, the time limit of its "
                "server: it is set aside so that it holds up no other mail.",
                seconds=self.server_id.catcher_route_time_limit,
            )
        elif isinstance(error, RecursionError):
            values["reason"] = self.env._(
                "This mail nests its parts too deep for Odoo to read it: it is set aside. "
                "Download it, or assign it to a document by hand."
            )
        elif self.state == "failed" and self.reason == reason:
            values["reason"] = self.env._(
                "Failed twice with the same error, which retrying will not change: %(error)s",
                error=reason,
            )
        elif self.attempt_count >= self.server_id.catcher_max_attempts:
            values["reason"] = self.env._(
                "Failed %(count)s times, last: %(error)s", count=self.attempt_count, error=reason
            )
        else:
            delay = RETRY_DELAYS[min(self.attempt_count, len(RETRY_DELAYS)) - 1]
            values.update(
                state="failed", next_attempt_date=fields.Datetime.now() + timedelta(minutes=delay)
            )
            return self.write(values)
        values.update(state="quarantined", next_attempt_date=False)
        return self.write(values)

    @api.model
    def _due_for_retry(self, server):
        return self.search(
            [
                ("server_id", "=", server.id),
                ("state", "=", "failed"),
                ("next_attempt_date", "<=", fields.Datetime.now()),
            ]
        )

    # Actions ---------------------------------------------------------------------------

    def action_retry(self):
        retried = self.filtered(lambda entry: entry.state in ("failed", "quarantined"))
        retried.write({"attempt_count": 0, "crash_count": 0})
        retried._claim_and_route()
        return True

    def action_ignore(self):
        self.filtered(lambda entry: entry.state != "routed").write(
            {
                "state": "ignored",
                "next_attempt_date": False,
                "reason": self.env._("Ignored by %(user)s.", user=self.env.user.name),
            }
        )
        return True

    def action_download(self):
        self.ensure_one()
        self._raw()
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self.raw_attachment_id.id}?download=true",
            "target": "self",
        }

    def action_open_document(self):
        self.ensure_one()
        document = self._document()
        if not document:
            raise UserError(self.env._("The document of this mail no longer exists."))
        return {
            "type": "ir.actions.act_window",
            "res_model": document._name,
            "res_id": document.id,
            "view_mode": "form",
        }

    def _assign(self, document):
        """Post the mail on a document chosen by an admin, as if it had been routed there."""
        self.ensure_one()
        kind = "auto_reply" if self.kind == "auto_reply" else "reply"
        odoo_routes = ((document._name, document.id, {}, self.env.uid, None),)
        try:
            with time_limit(self.server_id.catcher_route_time_limit):
                chunk = self.env["mail.thread"]._mail_catcher_open_chunk(
                    self.with_context(**SEND_PROMPTLY)
                )
                try:
                    match = Match("manual", document._name, document.id, kind, odoo_routes)
                    self._apply(chunk.mails[0], match)
                finally:
                    self.env["mail.thread"]._mail_catcher_close_chunk()
        except TimeLimitExceeded as error:
            raise UserError(
                self.env._(
                    "Reading this mail takes over %(seconds)s seconds, the time limit of its "
                    "server: it cannot be posted. Download it to read it.",
                    seconds=self.server_id.catcher_route_time_limit,
                )
            ) from error

    # Retention -------------------------------------------------------------------------

    @api.autovacuum
    def _purge_raw_of_routed(self):
        """Odoo's daily auto-vacuum: drop the raw content of routed and ignored mails past
        each server's retention; failed and quarantined mails keep theirs, for an admin."""
        # pylint: disable-next=no-search-all # every server, archived too; a handful
        for server in self.env["fetchmail.server"].with_context(active_test=False).search([]):
            limit = fields.Datetime.now() - timedelta(days=server.catcher_retention_days)
            entries = self.search(
                [
                    ("server_id", "=", server.id),
                    ("state", "in", ("routed", "ignored")),
                    ("create_date", "<", limit),
                    ("raw_attachment_id", "!=", False),
                ]
            )
            entries.raw_attachment_id.unlink()
