import logging
import time
import traceback
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32

from markupsafe import Markup
from psycopg2.extensions import TransactionRollbackError

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize, split_every

from ..lib.classify import is_auto_reply
from ..lib.dsn import is_delivery_report, parse_delivery_report
from ..lib.mail_identity import describe, storable
from ..lib.mime import mime_shape, names_in_subject, parse_mail, repair_structure
from ..lib.sender_auth import sender_verdict
from ..lib.time_limit import TimeLimitExceeded, time_limit
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
]
ROUTES = [
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
# Header of the setup wizard's round-trip mail, signed by Odoo.
TEST_HEADER = "X-Mail-Catcher-Test"
# Minutes before the next attempt, by number of attempts so far.
RETRY_DELAYS = [5, 15, 60, 240, 720]
# Mails routed per transaction when workers share a batch: small enough that the other
# workers find chunks to take, large enough that commits cost little.
ROUTING_CHUNK = 10
# Seconds during which a claimed entry belongs to the worker that claimed it, between the
# commit of its claim and the lock of its routing; past it, unlocked, its worker is gone.
CLAIM_GRACE = 10
# A mail on which routing stopped this many times is quarantined rather than tried again.
CRASHES_BEFORE_QUARANTINE = 2
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


class Unroutable(Exception):
    """Routing decided the mail belongs nowhere; it waits in quarantine for an admin."""


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
    route = fields.Selection(ROUTES, string="Routed By")
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

    def _email_message(self):
        """The raw mail, parsed as Odoo's gateway parses it, with the journal's identity
        and the repairs its parser needs."""
        message = parse_mail(self._raw())
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
        # What the chunk's mails look up in common is looked up once (models/mail_thread.py).
        chunk = self.env["mail.thread"]._mail_catcher_open_chunk(entries)
        entries = entries.with_context(mail_catcher_chunk=chunk)
        own_addresses = self._odoo_addresses()
        deferred = self.browse()
        for entry in entries:
            try:
                with self.env.cr.savepoint(), time_limit(entry.server_id.catcher_route_time_limit):
                    entry._route(own_addresses)
            except Unroutable as reason:
                entry._settle("quarantined", reason=str(reason))
                if reason.__context__:  # what made Odoo give up, for the admin
                    entry.error = "".join(traceback.format_exception(reason.__context__))
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
        deadline = time.monotonic() + time_budget
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

    def _route(self, own_addresses):
        # Whoever this posts notifies gets the mail at once, from a cron as from a request.
        self = self.with_context(**SEND_PROMPTLY)
        server = self.server_id
        message = self._email_message()
        over_limit = self._over_limits(message)
        if over_limit:
            return self._settle("quarantined", reason=over_limit)
        thread = self.env["mail.thread"].with_context(
            fetchmail_cron_running=True,
            default_fetchmail_server_id=server.id,
            mail_catcher_routing=True,
        )
        msg_dict = thread.message_parse(message, save_original=server.original)
        if not server.attach:
            msg_dict.pop("attachments", None)

        test_signature = message.get(TEST_HEADER)
        if test_signature and self.env["res.company"]._mail_catcher_is_test(str(test_signature)):
            return self._settle(
                "ignored",
                kind="test",
                reason=self.env._("Round-trip test of the setup wizard: posted nowhere."),
            )
        twin = self.search(
            [
                ("server_id", "=", server.id),
                ("message_id", "=", self.message_id),
                ("id", "<", self.id),
            ],
            limit=1,
        )
        if twin:
            return self._settle(
                "quarantined",
                kind="duplicate",
                reason=self.env._(
                    "Another mail with the same Message-ID but a different content was "
                    "received before (%(subject)s, %(date)s): check which one is genuine.",
                    subject=twin.subject,
                    date=twin.date,
                ),
            )
        posted = self.env["mail.message"].search(
            [("message_id", "=", msg_dict["message_id"])], limit=1
        )
        if posted:
            return self._settle(
                "ignored",
                kind="duplicate",
                posted=posted,
                reason=self.env._("This mail is already in Odoo."),
            )
        sender = email_normalize(msg_dict.get("email_from") or "")
        if thread._detect_loop_headers(msg_dict) or sender in own_addresses:
            return self._settle(
                "ignored", kind="loop", reason=self.env._("Odoo sent this mail itself.")
            )
        if is_delivery_report(message):
            return self._handle_delivery_report(message, msg_dict)
        auto_reply = is_auto_reply(message, msg_dict.get("subject"))
        route, routes = self._find_routes(message, msg_dict, thread, tolerant=auto_reply)
        if routes and self._sender_unverified(message):
            self._warn_unverified_sender(msg_dict)
        if thread._detect_loop_sender(message, msg_dict, routes):
            return self._settle(
                "ignored",
                kind="loop",
                reason=self.env._("Too many mails from this sender in a short time."),
            )
        if auto_reply:
            return self._post_auto_reply(msg_dict, route, routes)
        if not routes:
            if msg_dict.get("is_bounce") or msg_dict.get("bounced_email"):
                return self._settle(
                    "ignored",
                    kind="bounce",
                    reason=self.env._("Delivery report: recorded on the recipient's address."),
                )
            raise Unroutable(self.env._("Odoo refused every route for this mail."))
        model, routed_thread_id = routes[0][0], routes[0][1]
        thread_id = thread.with_context(
            mail_catcher_notify_partner_ids=self._people_to_tell(model, routed_thread_id, msg_dict)
        )._message_route_process(message, msg_dict, routes)
        posted = self.env["mail.message"].search(
            [("message_id", "=", msg_dict["message_id"])], limit=1
        )
        return self._settle(
            "routed",
            kind="reply" if routed_thread_id else "new",
            route=route,
            model=model,
            res_id=thread_id,
            posted=posted,
        )

    def _over_limits(self, message):
        """Why this mail is past its server's limits (size, MIME depth, MIME parts), in
        the admin's words; None when it is within them."""
        server = self.server_id
        if server.catcher_max_size_mb and self.size > server.catcher_max_size_mb * 1024 * 1024:
            return self.env._(
                "This mail is %(size)s MB, over the limit of %(limit)s MB of its server: it "
                "was not routed. Download it, or assign it to a document by hand.",
                size=round(self.size / 1024 / 1024, 1),
                limit=server.catcher_max_size_mb,
            )
        depth, parts = mime_shape(
            message, server.catcher_max_mime_depth or 10**6, server.catcher_max_mime_parts or 10**6
        )
        if server.catcher_max_mime_depth and depth > server.catcher_max_mime_depth:
            return self.env._(
                "This mail nests its parts over %(limit)s levels deep, the limit of its "
                "server: it was not routed. Download it, or assign it to a document by hand.",
                limit=server.catcher_max_mime_depth,
            )
        if server.catcher_max_mime_parts and parts > server.catcher_max_mime_parts:
            return self.env._(
                "This mail has over %(limit)s parts, the limit of its server: it was not "
                "routed. Download it, or assign it to a document by hand.",
                limit=server.catcher_max_mime_parts,
            )
        return None

    def _find_routes(self, message, msg_dict, thread, tolerant=False):
        """The match order: a signed token in the recipients, the reply headers (Odoo's
        own routing, aliases included), then the document's reference in the subject.
        Returns (how, routes); raises Unroutable when nothing matches, unless tolerant."""
        company = self.server_id.catcher_company_ids[:1]
        document = company and company._mail_catcher_document_from_recipients(message)
        if document:
            if msg_dict.get("parent_id"):
                parent = self.env["mail.message"].browse(msg_dict["parent_id"])
                if (parent.model, parent.res_id) != (document._name, document.id):
                    msg_dict.pop("parent_id")
            return "token", [(document._name, document.id, {}, self.env.uid, None)]
        try:
            routes = thread.message_route(message, msg_dict, self.server_id.object_id.model)
        except (ValueError, Unroutable) as error:
            document = self._document_from_subject(msg_dict)
            if document and self._sender_unverified(message):
                # Naming a document and a customer's address takes only public facts:
                # without the provider's word on the sender, that proves nothing.
                if tolerant:
                    return None, []
                raise Unroutable(
                    self.env._(
                        "Sender not verified: the subject names %(document)s, but the mail "
                        "provider did not confirm that this mail comes from %(sender)s. "
                        "Assign it by hand once you know it is genuine.",
                        document=document.display_name,
                        sender=msg_dict.get("email_from"),
                    )
                ) from error
            if document:
                msg_dict.pop("parent_id", None)
                return "subject", [(document._name, document.id, {}, self.env.uid, None)]
            if tolerant:
                return None, []
            if isinstance(error, Unroutable):
                raise
            raise Unroutable(
                self.env._("No document matches this mail: assign it to one by hand.")
            ) from error
        if not routes:
            return None, []
        return ("header" if routes[0][1] else "alias"), routes

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

    def _sender_unverified(self, message):
        """Whether the server trusts a provider and that provider did not verify the
        sender."""
        verdict = self._sender_auth_verdict(message)
        return bool(verdict) and verdict != "pass"

    def _warn_unverified_sender(self, msg_dict):
        """Put a warning on top of the message to post: the people who read it in the
        chatter or in their notification email see it before the text it warns of."""
        warning = Markup(
            '<div class="alert alert-warning" role="alert" style="background-color:#fff3cd;'
            "color:#664d03;border:1px solid #ffe69c;border-radius:4px;padding:8px 12px;"
            'margin-bottom:8px"><p style="margin:0"><strong>%s</strong></p>'
            '<p style="margin:0">%s</p></div>'
        ) % (
            self.env._("The sender's address could not be verified."),
            self.env._(
                "The mail provider did not confirm that this mail comes from %(sender)s. "
                "Check any request it makes (new bank details, a payment) with a contact "
                "you already know before acting on it.",
                sender=msg_dict.get("email_from"),
            ),
        )
        msg_dict["body"] = warning + Markup(msg_dict.get("body") or "")

    def _document_from_subject(self, msg_dict):
        """A document named in the subject (an invoice number, an order reference), among
        those the sender is linked to: documents mailed to them or to a contact of their
        company, or that they follow. A stranger naming a document routes nowhere."""
        subject = msg_dict.get("subject") or ""
        sender = email_normalize(msg_dict.get("email_from") or "")
        if not subject or not sender:
            return None
        Partner = self.env["res.partner"].with_context(active_test=False)
        senders = Partner.search([("email_normalized", "=", sender)])
        if not senders:
            return None
        contacts = Partner.search(
            [("commercial_partner_id", "in", senders.commercial_partner_id.ids)]
        )
        mailed = self.env["mail.message"].search_read(
            [("partner_ids", "in", contacts.ids), ("model", "!=", False), ("res_id", "!=", 0)],
            ["model", "res_id"],
            order="id desc",
            limit=200,
        )
        followed = self.env["mail.followers"].search_read(
            [("partner_id", "in", (contacts | senders).ids)], ["res_model", "res_id"], limit=200
        )
        candidates = dict.fromkeys(
            [(m["model"], m["res_id"]) for m in mailed]
            + [(f["res_model"], f["res_id"]) for f in followed]
        )
        for model, res_id in candidates:
            if model not in self.env:
                continue
            document = self.env[model].browse(res_id).exists()
            name = document.display_name if document else ""
            if name and names_in_subject(name, subject):
                return document
        return None

    @api.model
    def _odoo_addresses(self):
        """The catchers' and Odoo's notification and bounce addresses: mail from them is
        Odoo's own, and answering it would start a loop."""
        companies = self.env["res.company"].sudo().search([("mail_catcher_email", "!=", False)])
        own = set(companies.mapped("mail_catcher_email"))
        # pylint: disable-next=no-search-all # every alias domain, and there are a handful
        for domain in self.env["mail.alias.domain"].sudo().search([]):
            own |= {domain.default_from_email, domain.bounce_email}
        return {email_normalize(address) for address in own if address} - {False}

    def _handle_delivery_report(self, message, msg_dict):
        """A bounce: the failed addresses and why, shown on the document of the mail that
        bounced. A permanent failure marks the address as bouncing and tells the mail's
        author; a temporary one is recorded here only."""
        report = parse_delivery_report(message, self._raw())
        if not report.failures:
            return self._settle(
                "ignored",
                kind="bounce",
                reason=self.env._("A delivery report that names no failed address."),
            )
        lines = [
            self.env._(
                "%(address)s: %(verdict)s failure %(status)s %(diagnostic)s",
                address=failure.recipient,
                verdict=self.env._("permanent") if failure.permanent else self.env._("temporary"),
                status=failure.status,
                diagnostic=failure.diagnostic,
            ).strip()
            for failure in report.failures
        ]
        permanent = [failure for failure in report.failures if failure.permanent]
        if not permanent:
            return self._settle("ignored", kind="bounce", reason="\n".join(lines))
        original = self.env["mail.message"].search(
            [("message_id", "=", report.original_message_id or msg_dict.get("in_reply_to"))],
            limit=1,
        )
        for failure in permanent:
            partners = self.env["res.partner"].search(
                [("email_normalized", "=", email_normalize(failure.recipient))]
            )
            partners._message_receive_bounce(failure.recipient, partners)
            original.notification_ids.filtered(
                lambda notification, partners=partners: notification.res_partner_id in partners
            ).sudo().write({"notification_status": "bounce"})
        document = (
            self.env[original.model].browse(original.res_id).exists()
            if original.model in self.env and original.res_id
            else None
        )
        if not document:
            return self._settle("ignored", kind="bounce", reason="\n".join(lines))
        posted = document.with_context(
            mail_create_nosubscribe=True, mail_post_autofollow=False
        ).message_post(
            body=Markup("<p>%s</p><ul>%s</ul>")
            % (
                self.env._("This mail could not be delivered:"),
                Markup().join(Markup("<li>%s</li>") % line for line in lines),
            ),
            subject=msg_dict.get("subject"),
            author_id=False,
            email_from=msg_dict.get("email_from"),
            message_type="notification",
            subtype_xmlid="mail.mt_note",
            message_id=msg_dict["message_id"],
            partner_ids=original.author_id.filtered(lambda a: a.user_ids).ids,
            parent_id=original.id,
        )
        return self._settle(
            "routed",
            kind="bounce",
            route="header",
            model=document._name,
            res_id=document.id,
            posted=posted,
            reason="\n".join(lines),
        )

    def _post_auto_reply(self, msg_dict, route, routes):
        """An out-of-office answer stays on the document as a note that notifies nobody."""
        document = (
            self.env[routes[0][0]].browse(routes[0][1]).exists()
            if routes and routes[0][1]
            else None
        )
        if not document:
            return self._settle(
                "ignored",
                kind="auto_reply",
                reason=self.env._("Automatic reply that matches no document."),
            )
        posted = document.with_context(
            mail_create_nosubscribe=True, mail_post_autofollow=False
        ).message_post(
            body=msg_dict.get("body", ""),
            subject=msg_dict.get("subject"),
            author_id=msg_dict.get("author_id"),
            email_from=msg_dict.get("email_from"),
            message_type="email",
            subtype_xmlid="mail.mt_note",
            message_id=msg_dict["message_id"],
            parent_id=msg_dict.get("parent_id"),
        )
        return self._settle(
            "routed",
            kind="auto_reply",
            route=route,
            model=document._name,
            res_id=document.id,
            posted=posted,
        )

    def _people_to_tell(self, model, res_id, msg_dict):
        """The author of the answered message and the document's responsible user hear of
        the reply even when they no longer follow the document."""
        partners = self.env["res.partner"]
        if msg_dict.get("parent_id"):
            author = self.env["mail.message"].browse(msg_dict["parent_id"]).author_id
            if author.user_ids.filtered(lambda user: not user.share):
                partners |= author
        document = self.env[model].browse(res_id).exists() if res_id else None
        for field_name in ("user_id", "invoice_user_id"):
            field = document and document._fields.get(field_name)
            if field and field.type == "many2one" and field.comodel_name == "res.users":
                partners |= document[field_name].partner_id
        return partners.ids

    def _settle(
        self, state, kind=None, route=None, model=None, res_id=None, posted=None, reason=None
    ):
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
                "sender_auth": self._sender_auth_verdict(),
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
        try:
            with time_limit(self.server_id.catcher_route_time_limit):
                self._post_on(document)
        except TimeLimitExceeded as error:
            raise UserError(
                self.env._(
                    "Reading this mail takes over %(seconds)s seconds, the time limit of its "
                    "server: it cannot be posted. Download it to read it.",
                    seconds=self.server_id.catcher_route_time_limit,
                )
            ) from error

    def _post_on(self, document):
        # Whoever this posts notifies gets the mail at once, from a cron as from a request.
        self = self.with_context(**SEND_PROMPTLY)
        message = self._email_message()
        thread = self.env["mail.thread"].with_context(mail_catcher_routing=True)
        msg_dict = thread.message_parse(message, save_original=self.server_id.original)
        msg_dict.pop("parent_id", None)
        route = (document._name, document.id, {}, self.env.uid, None)
        thread._message_route_process(message, msg_dict, [route])
        posted = self.env["mail.message"].search(
            [("message_id", "=", msg_dict["message_id"]), ("model", "=", document._name)],
            limit=1,
        )
        self._settle(
            "routed",
            kind=self.kind or "reply",
            route="manual",
            model=document._name,
            res_id=document.id,
            posted=posted,
        )

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
