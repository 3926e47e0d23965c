import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import mail_servers
from ..lib.mailbox import FolderRefused
from ..lib.providers import PRESETS, USUAL_PORTS
from ..models.mail_catcher_server_settings import FIRST_FETCH
from ..routing.round_trip import TEST_HEADER, round_trip_signature

PROVIDERS = [
    ("generic", "Other IMAP/POP and SMTP server"),
    ("gmail", "Gmail / Google Workspace"),
    ("microsoft", "Microsoft 365 / Outlook"),
    ("ovh", "OVH"),
    ("infomaniak", "Infomaniak"),
    ("gandi", "Gandi"),
    ("proton_bridge", "Proton Mail Bridge"),
]
SECURITY = [("ssl", "SSL/TLS"), ("starttls", "STARTTLS"), ("none", "None")]
# Providers whose sign-in Odoo's own apps do with OAuth: the app, and the value that both
# its incoming (server_type) and outgoing (smtp_authentication) servers take.
OAUTH = {
    "gmail": ("Google Gmail", "gmail"),
    "microsoft": ("Microsoft Outlook", "outlook"),
}
ROUND_TRIP_SECONDS = 60


class MailCatcherSetup(models.TransientModel):
    """Set up the mail catcher in one go: the provider's servers, a test of each login,
    the outgoing and incoming servers, the alias domain, and a round trip."""

    _name = "mail.catcher.setup"
    _description = "Set Up the Mail Catcher"

    company_id = fields.Many2one("res.company", required=True, default=lambda s: s.env.company)
    provider = fields.Selection(PROVIDERS, required=True, default="generic")
    email = fields.Char(
        string="Catcher Address", required=True, help="e.g. mailcatcher@company.com"
    )
    login = fields.Char(help="Leave empty when it is the catcher address.")
    password = fields.Char()
    incoming_type = fields.Selection(
        [("imap", "IMAP"), ("pop", "POP")], string="Incoming Protocol", default="imap"
    )
    incoming_host = fields.Char(string="Incoming Server")
    incoming_port = fields.Integer(help="Leave empty to try the usual ports.")
    incoming_ssl = fields.Boolean(string="Incoming SSL/TLS", default=True)
    smtp_host = fields.Char(string="Outgoing Server")
    smtp_port = fields.Integer(string="Outgoing Port", help="Leave empty to try the usual ports.")
    smtp_security = fields.Selection(SECURITY, string="Outgoing Security", default="ssl")
    trusted_authserv_id = fields.Char(
        string="Trusted Authentication Server",
        default=lambda s: s.env.company.sudo().mail_catcher_server_id.catcher_trusted_authserv_id,
        help="The name your provider writes first in the Authentication-Results header of "
        "the mails it receives (filled in for the providers whose name is known). Mails "
        "matched by their subject alone are routed only when this provider verified their "
        "sender. Empty: nobody checks who sent a mail.",
    )
    oauth_available = fields.Boolean(string="OAuth Available", compute="_compute_oauth")
    oauth_hint = fields.Char(string="About OAuth", compute="_compute_oauth")
    use_oauth = fields.Boolean(
        string="Sign In with OAuth",
        compute="_compute_use_oauth",
        store=True,
        readonly=False,
        help="Odoo signs in to the provider with a token that you grant from the server's "
        "form, instead of a password.",
    )
    first_fetch = fields.Selection(
        FIRST_FETCH,
        string="Mails to Fetch",
        required=True,
        default=lambda s: s.env.company.sudo().mail_catcher_server_id.catcher_first_fetch or "now",
        help="The mailbox may already hold years of mail. Only new mails: what is in it now "
        "stays there, unread; nothing old is posted, nobody is notified. Mails received since "
        "a date (IMAP only): those are fetched and routed too.",
    )
    read_junk = fields.Boolean(
        string="Read the Junk Folder",
        default=True,
        help="Providers' spam filters sometimes file a customer's reply as spam. With this, "
        "the provider's Junk or Spam folder is read too: a reply there reaches its document "
        "when it carries its reply token or reply headers; the rest is recorded as spam.",
    )
    import_since = fields.Date(
        string="Received Since",
        default=lambda s: s.env.company.sudo().mail_catcher_server_id.catcher_import_since,
    )
    report = fields.Text(readonly=True)
    round_trip_seconds = fields.Float(
        string="Round Trip (s)", readonly=True, digits=(16, 1), help="Last successful round trip."
    )

    @api.depends("provider")
    def _compute_oauth(self):
        server_types = dict(self.env["fetchmail.server"]._fields["server_type"].selection)
        for wizard in self:
            app, auth = OAUTH.get(wizard.provider, (None, None))
            wizard.oauth_available = bool(auth) and auth in server_types
            if not app:
                wizard.oauth_hint = False
            elif wizard.oauth_available:
                wizard.oauth_hint = self.env._(
                    "Odoo's %(app)s app is installed: Odoo can sign in with OAuth, without a "
                    "password. After Apply, open each server and connect the account.",
                    app=app,
                )
            else:
                wizard.oauth_hint = self.env._(
                    "To sign in with OAuth, install Odoo's %(app)s app; otherwise give an app "
                    "password of the mailbox.",
                    app=app,
                )

    @api.depends("provider")
    def _compute_use_oauth(self):
        for wizard in self:
            wizard.use_oauth = wizard.oauth_available

    @api.onchange("provider")
    def _onchange_provider(self):
        preset = PRESETS.get(self.provider)
        if preset:
            host, port, security = preset["imap"]
            self.update(
                {
                    "incoming_type": "imap",
                    "incoming_host": host,
                    "incoming_port": port,
                    "incoming_ssl": security == "ssl",
                }
            )
            host, port, security = preset["smtp"]
            self.update({"smtp_host": host, "smtp_port": port, "smtp_security": security})
            self.trusted_authserv_id = preset["authserv_id"] or False

    # Steps ------------------------------------------------------------------------------

    def action_test(self):
        """Log in to both servers; each failure names the field to fix."""
        self.ensure_one()
        self._find_ports()
        self._test_incoming()
        self._test_smtp()
        self.report = self.env._("Both logins work.")
        return self._reopen()

    def action_apply(self):
        """Test, then create or update the servers, the alias domain and the catcher. With
        OAuth there is nothing to test yet: the account is connected on each server."""
        if self.use_oauth:
            return self._apply_with_oauth()
        self.action_test()
        domain = self._apply_alias_domain()
        self._outgoing_server(domain)
        # The login was just tested: confirmed without logging in again.
        server = self._incoming_server(state="done")
        # A new mailbox (or a new choice): where fetching starts is recorded now, with one
        # more login, so that the round trip's mail and the first replies are new mail.
        try:
            server._catcher_start(find_junk=self.read_junk and self.incoming_type == "imap")
        except FolderRefused as refused:
            raise UserError(server._catcher_folder_refused(refused)) from refused
        except Exception as error:
            raise UserError(self._explain("incoming", error)) from error
        self._set_catcher(server)
        self.report = self.env._(
            "The mail catcher is set up: replies to %(address)s come back into Odoo.",
            address=self.email,
        )
        return self._reopen()

    def _apply_with_oauth(self):
        self.ensure_one()
        if not self.oauth_available:
            raise UserError(self.oauth_hint)
        _app, auth = OAUTH[self.provider]
        domain = self._apply_alias_domain()
        # OAuth apps send through STARTTLS on 587 and read over SSL, without a password.
        outgoing = self._outgoing_server(
            domain,
            smtp_authentication=auth,
            smtp_port=587,
            smtp_encryption="starttls",
            smtp_pass=False,
        )
        incoming = self._incoming_server(server_type=auth, is_ssl=True, password=False)
        self._set_catcher(incoming)
        self.report = self.env._(
            "The servers are set up for OAuth. Open the outgoing server %(outgoing)s and the "
            "incoming server %(incoming)s (Settings > Technical > Email), connect the account "
            "%(login)s on each, then click Test & Confirm on the incoming server: fetching "
            "starts then.",
            outgoing=outgoing.name,
            incoming=incoming.name,
            login=self._login(),
        )
        return self._reopen()

    def action_round_trip(self):
        """Send a tagged mail to the catcher and fetch until it comes back; report each
        leg's time. The mail is journaled as a test and posted nowhere."""
        self.ensure_one()
        server = self.company_id.sudo().mail_catcher_server_id
        if not server or server.state != "done":
            raise UserError(self.env._("Apply the setup first: the catcher is not confirmed."))
        started = time.monotonic()
        mail = self._round_trip_mail()
        try:
            smtp = self._smtp_connection()
            smtp.send_message(mail)
            smtp.quit()
        except Exception as error:
            raise UserError(self._explain("smtp", error)) from error
        sent = time.monotonic() - started
        entry = self.env["mail.catcher.message"]
        while time.monotonic() - started < ROUND_TRIP_SECONDS:
            server.fetch_mail()
            entry = entry.search([("message_id", "=", mail["Message-ID"])], limit=1)
            if entry:
                break
            time.sleep(1)
        if not entry:
            raise UserError(
                self.env._(
                    "The test mail was sent but did not come back within %(seconds)s seconds: "
                    "check that mail to %(address)s reaches the mailbox that %(server)s reads.",
                    seconds=ROUND_TRIP_SECONDS,
                    address=self.company_id.mail_catcher_email,
                    server=server.name,
                )
            )
        received = time.monotonic() - started
        # Shown to a tenth of a second, and only when set: a faster trip shows as 0.1 s.
        self.round_trip_seconds = max(received, 0.1)
        self.report = self.env._(
            "Sent in %(sent).1f s; received and journaled after %(received).1f s; "
            "recorded as %(kind)s, %(state)s.",
            sent=sent,
            received=received,
            kind=dict(entry._fields["kind"]._description_selection(self.env))[entry.kind],
            state=dict(entry._fields["state"]._description_selection(self.env))[entry.state],
        )
        return self._reopen()

    def _round_trip_mail(self):
        nonce = uuid.uuid4().hex
        mail = EmailMessage()
        mail["From"] = mail["To"] = self.company_id.mail_catcher_email
        mail["Subject"] = self.env._("Mail Catcher round trip %(nonce)s", nonce=nonce[:8])
        mail["Message-ID"] = make_msgid(domain=self.email.rpartition("@")[2])
        key = self.env["ir.config_parameter"]._mail_catcher_key()
        mail[TEST_HEADER] = round_trip_signature(key, nonce)
        mail.set_content(self.env._("Round-trip test of the mail catcher; it is posted nowhere."))
        return mail

    # Servers ----------------------------------------------------------------------------

    def _apply_alias_domain(self):
        """The catcher's domain as the company's alias domain, its address as catchall."""
        local, _at, domain = self.email.strip().lower().rpartition("@")
        alias_domain = self.env["mail.alias.domain"].search([("name", "=", domain)], limit=1)
        if not alias_domain:
            alias_domain = self.env["mail.alias.domain"].create({"name": domain})
        if alias_domain.catchall_alias != local:
            alias_domain.catchall_alias = local
        self.company_id.alias_domain_id = alias_domain
        return domain

    def _set_catcher(self, server):
        self.company_id.write(
            {"mail_catcher_server_id": server.id, "mail_catcher_email": self.email.strip()}
        )

    def _login(self):
        return (self.login or self.email or "").strip()

    def _find_ports(self):
        """For a generic server without ports, the first usual port that answers."""
        if self.incoming_host and not self.incoming_port:
            found = mail_servers.first_answering_port(
                self.incoming_host, USUAL_PORTS[self.incoming_type]
            )
            if not found:
                raise UserError(self._explain("incoming", ConnectionRefusedError()))
            self.incoming_port, self.incoming_ssl = found[0], found[1] == "ssl"
        if self.smtp_host and not self.smtp_port:
            found = mail_servers.first_answering_port(self.smtp_host, USUAL_PORTS["smtp"])
            if not found:
                raise UserError(self._explain("smtp", ConnectionRefusedError()))
            self.smtp_port, self.smtp_security = found

    def _test_incoming(self):
        login = mail_servers.imap_login if self.incoming_type == "imap" else mail_servers.pop_login
        try:
            login(
                self.incoming_host,
                self.incoming_port,
                self.incoming_ssl,
                self._login(),
                self.password or "",
            )
        except Exception as error:
            raise UserError(self._explain("incoming", error)) from error

    def _test_smtp(self):
        try:
            self._smtp_connection().quit()
        except Exception as error:
            raise UserError(self._explain("smtp", error)) from error

    def _smtp_connection(self):
        return mail_servers.smtp_connect(
            self.smtp_host, self.smtp_port, self.smtp_security, self._login(), self.password
        )

    def _explain(self, leg, error):
        """Which field to fix, in plain words, then what the server said."""
        if leg == "incoming":
            what, host, port = (
                self.env._("the incoming server"),
                self.incoming_host,
                self.incoming_port,
            )
        else:
            what, host, port = self.env._("the outgoing server"), self.smtp_host, self.smtp_port
        return self.env["fetchmail.server"]._describe_connection_error(error, what, host, port)

    def _outgoing_server(self, domain, **overrides):
        values = {
            "name": self.env._("Mail Catcher SMTP (%(domain)s)", domain=domain),
            "smtp_host": self.smtp_host,
            "smtp_port": self.smtp_port,
            "smtp_encryption": self.smtp_security or "none",
            "smtp_authentication": "login",
            "smtp_user": self._login(),
            "smtp_pass": self.password,
            "from_filter": domain,
            **overrides,
        }
        server = self.env["ir.mail_server"].search([("from_filter", "=", domain)], limit=1)
        if server:
            server.write(values)
        else:
            server = self.env["ir.mail_server"].create(values)
        return server

    def _incoming_server(self, **overrides):
        values = {
            "name": self.env._("Mail Catcher (%(address)s)", address=self.email),
            "server_type": self.incoming_type,
            "server": self.incoming_host,
            "port": self.incoming_port,
            "is_ssl": self.incoming_ssl,
            "user": self._login(),
            "password": self.password,
            "state": "draft",
            "catcher_trusted_authserv_id": (self.trusted_authserv_id or "").strip() or False,
            "catcher_first_fetch": self.first_fetch,
            "catcher_import_since": self.first_fetch == "since" and self.import_since,
            **overrides,
        }
        server = self.company_id.sudo().mail_catcher_server_id
        if server:
            server.write(values)
        else:
            server = self.env["fetchmail.server"].create(values)
        return server

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
