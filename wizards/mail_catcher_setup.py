from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import mail_servers
from ..lib.mailbox import FolderRefused
from ..lib.providers import PRESETS, RELAYS, USUAL_PORTS
from ..models.mail_catcher_server_settings import FIRST_FETCH

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
# How each user's mail leaves: Microsoft 365 refuses a From other than the account's
# own (SendAsDenied) and Gmail rewrites it, unless the account has rights on it.
SENDING_MODES = [
    ("send_as", "One account that may send as every user"),
    ("own_account", "Each user's own account"),
    ("relay", "The provider's relay"),
]


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
    sending_mode = fields.Selection(
        SENDING_MODES,
        string="How the Users' Mail Leaves",
        required=True,
        default="send_as",
        help="One account: the catcher's account sends every user's mail; Microsoft 365 "
        "refuses it unless the account has Send As rights on each user's mailbox, Gmail "
        "replaces the sender unless each user's address is a verified alias of it. Each "
        "user's own account: one outgoing server per user, listed below. The provider's "
        "relay (Google Workspace SMTP relay, a Microsoft 365 connector): no login, any "
        "address of the domain; the provider must trust Odoo's IP address.",
    )
    sender_ids = fields.One2many(
        "mail.catcher.setup.sender", "wizard_id", string="Users Sending from Their Account"
    )
    round_trip_user_id = fields.Many2one(
        "res.users",
        string="Round Trip Sent As",
        default=lambda s: s.env.user,
        domain=[("share", "=", False)],
        help="The round trip sends from this user's address, as their mail from documents "
        "leaves, and checks that it arrives from that address.",
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
        self._onchange_sending_mode()

    @api.onchange("sending_mode")
    def _onchange_sending_mode(self):
        """The relay is another host than the provider's submission server."""
        relay = RELAYS.get(self.provider)
        if self.sending_mode == "relay" and relay:
            host, port, security = relay
            domain = (self.email or "").rpartition("@")[2]
            # Microsoft 365's connector is reached on the domain's MX host, named after it.
            host = host or (domain and f"{domain.replace('.', '-')}.mail.protection.outlook.com")
            self.update({"smtp_host": host or False, "smtp_port": port, "smtp_security": security})
        elif PRESETS.get(self.provider):
            host, port, security = PRESETS[self.provider]["smtp"]
            self.update({"smtp_host": host, "smtp_port": port, "smtp_security": security})

    # Steps ------------------------------------------------------------------------------

    def action_test(self):
        """Log in to both servers; each failure names the field to fix."""
        self.ensure_one()
        self._find_ports()
        self._test_incoming()
        self._test_smtp()
        for sender in self.sender_ids if self.sending_mode == "own_account" else ():
            sender._test_smtp()
        self.report = self.env._("Both logins work.")
        return self._reopen()

    def action_apply(self):
        """Test, then create or update the servers, the alias domain and the catcher. With
        OAuth there is nothing to test yet: the account is connected on each server."""
        if self.use_oauth:
            return self._apply_with_oauth()
        self.action_test()
        domain = self._apply_alias_domain()
        self._outgoing_servers(domain)
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
        outgoing = self._outgoing_servers(
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
            outgoing=", ".join(outgoing.mapped("name")),
            incoming=incoming.name,
            login=self._login(),
        )
        return self._reopen()

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
        """A connection to the outgoing server, logged in unless it is the relay."""
        relay = self.sending_mode == "relay"
        return mail_servers.smtp_connect(
            self.smtp_host,
            self.smtp_port,
            self.smtp_security,
            False if relay else self._login(),
            False if relay else self.password,
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

    def _outgoing_servers(self, domain, **overrides):
        """The outgoing servers of the way the users' mail leaves (sending_mode)."""
        values = {
            "smtp_host": self.smtp_host,
            "smtp_port": self.smtp_port,
            "smtp_encryption": self.smtp_security or "none",
            "smtp_authentication": "login",
            "smtp_user": self._login(),
            "smtp_pass": self.password,
            **overrides,
        }
        name = self.env._("Mail Catcher SMTP (%(domain)s)", domain=domain)
        catcher = self.email.strip().lower()
        # The server of an earlier setup, whichever way it sent: updated, not duplicated.
        replacing = [domain, catcher]
        if self.sending_mode == "relay":
            # Trusted by Odoo's IP address: no login, on the relay's own port, whatever
            # the sign-in of the catcher (OAuth's port 587 is the submission server's).
            relay = {
                "smtp_authentication": "login",
                "smtp_user": False,
                "smtp_pass": False,
                "smtp_port": self.smtp_port,
                "smtp_encryption": self.smtp_security or "none",
            }
            name = self.env._("%(name)s, relay", name=name)
            return self._outgoing_server(domain, replacing, **{**values, **relay}, name=name)
        if self.sending_mode == "send_as":
            return self._outgoing_server(domain, replacing, **values, name=name)
        # Each user's own account; the catcher's for the mail of no user (notifications),
        # which then leave from the catcher's address (the alias domain's default From).
        self.company_id.alias_domain_id.default_from = catcher.rpartition("@")[0]
        servers = self._outgoing_server(catcher, replacing, **values, name=name)
        for sender in self.sender_ids:
            servers |= sender._outgoing_server(values)
        return servers

    def _outgoing_server(self, from_filter, replacing, **values):
        """The outgoing server of `from_filter`, made or updated from the first one whose
        from_filter is one of `replacing`."""
        server = self.env["ir.mail_server"].search([("from_filter", "in", replacing)], limit=1)
        values["from_filter"] = from_filter
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
