import zlib
from datetime import timedelta

from odoo import api, fields, models

from ..lib.connection_errors import (
    HOST,
    LOGIN,
    OAUTH_EXPIRED,
    OAUTH_REFUSED,
    OAUTH_UNREACHABLE,
    PORT,
    TIMEOUT,
    TLS,
    classify_connection_error,
    root_cause,
)
from .mail_mail import SEND_PROMPTLY

# The incoming server types of Odoo's OAuth apps (google_gmail, microsoft_outlook).
OAUTH_SERVER_TYPES = ("gmail", "outlook")

# First key of the PostgreSQL advisory locks that keep two fetches of one mailbox
# apart; the second key is the server's id.
FETCH_LOCK_NAMESPACE = zlib.crc32(b"mail_catcher.fetch") & 0x7FFFFFFF


class MailCatcherServerHealth(models.AbstractModel):
    """How an incoming server's fetches fare, and what the admins are told of it: the
    fetch tells this what happened, this keeps the record and speaks to people."""

    _name = "mail.catcher.server.health"
    _description = "Incoming Server Health"

    catcher_alert_after = fields.Integer(
        string="Alert After Failures",
        default=3,
        help="Admins are told after this many fetches in a row fail, and again on recovery.",
    )
    catcher_last_fetch = fields.Datetime(string="Last Successful Fetch", readonly=True)
    catcher_last_error = fields.Text(string="Last Error", readonly=True)
    catcher_last_error_date = fields.Datetime(string="Last Error Date", readonly=True)
    catcher_failure_count = fields.Integer(string="Failures in a Row", readonly=True)
    catcher_ack_problem = fields.Text(
        string="Acknowledgement Problem",
        readonly=True,
        copy=False,
        help="What the server refused when told what to do with fetched mails (move them, "
        "delete them): those mails were marked read instead, and fetching went on.",
    )
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
        "mails failed or wait in quarantine, a backlog is left, or the server refused to "
        "move or delete fetched mails. Working: none of that.",
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

    @api.depends(
        "catcher_last_error",
        "catcher_backlog",
        "catcher_fetch_running_since",
        "catcher_ack_problem",
    )
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
            elif server.catcher_backlog or server.catcher_ack_problem or server.id in waiting:
                server.catcher_health = "warning"
            else:
                server.catcher_health = "ok"

    # What a fetch reports ----------------------------------------------------------------

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

    def _catcher_record_acknowledgement(self, folder, acknowledgement):
        """What the server did with a batch. A refusal is kept on the server, and the
        admins are told of it once, when it first appears or changes."""
        if not acknowledgement.problem:
            return
        problem = self.env._(
            "In %(folder)s, the fetched mails could not be moved or deleted as asked, and "
            "were marked read instead: %(problem)s",
            folder=folder,
            problem=acknowledgement.problem,
        )
        if problem == self.catcher_ack_problem:
            return
        self.catcher_ack_problem = problem
        self._catcher_tell_admins(
            self.env._("%(server)s cannot move or delete fetched mails.", server=self.name),
            self.env._(
                "%(problem)s Fetching goes on; check the folder settings in the Fetching tab.",
                problem=problem,
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

    # Error words -------------------------------------------------------------------------

    def _catcher_describe_error(self, error):
        return self._describe_connection_error(
            error,
            self.env._('the server "%(name)s"', name=self.name),
            self.server,
            self.port,
            oauth=self.server_type in OAUTH_SERVER_TYPES,
        )

    @api.model
    def _describe_connection_error(self, error, what, host, port, oauth=False):
        """A connection error in the admin's words: which setting to check, then what
        the server said. `what` names the server ("the outgoing server"); `oauth`: it
        signs in with OAuth, whose failures have remedies of their own."""
        advice = {
            OAUTH_REFUSED: self.env._(
                "%(what)s refused the account's authorisation (OAuth): it was revoked or has "
                "expired. Open the server, connect the account again (the Gmail or Outlook "
                "button), then click Test & Confirm.",
                what=what,
            ),
            OAUTH_EXPIRED: self.env._(
                "%(what)s ended the session: the account's access token (OAuth) expired "
                "during the fetch. It is renewed at the next fetch; if this repeats, connect "
                "the account again.",
                what=what,
            ),
            OAUTH_UNREACHABLE: self.env._(
                "The sign-in service (OAuth) of %(what)s could not be reached to renew the "
                "account's access: check that Odoo can reach the internet. Fetching resumes "
                "by itself once it can.",
                what=what,
            ),
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
        }.get(classify_connection_error(error, oauth=oauth))
        detail = str(root_cause(error)) or type(root_cause(error)).__name__
        if not advice:
            return detail
        return f"{advice[0].upper()}{advice[1:]}\n{detail}"
