import smtplib

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_domain_extract, email_normalize

from ..lib.connection_errors import OAUTH_REFUSED, classify_connection_error, root_cause
from ..lib.send_as import KEPT, REFUSED, REWRITTEN, sender_outcome

# The sign-ins of Odoo's OAuth apps (google_gmail, microsoft_outlook).
OAUTH_AUTHENTICATIONS = ("gmail", "outlook")
# What a granted consent writes on the server: written again, the account was connected.
OAUTH_TOKEN_FIELDS = ("google_gmail_refresh_token", "microsoft_outlook_refresh_token")


class IrMailServer(models.Model):
    _inherit = "ir.mail_server"

    mail_catcher_last_sent = fields.Datetime(string="Last Successful Send", readonly=True)
    mail_catcher_sign_in_refused = fields.Text(
        string="Sign-in Refused",
        readonly=True,
        copy=False,
        help="Why the provider last refused this server's authorisation (OAuth), until the "
        "account is connected again or a mail leaves through it.",
    )
    mail_catcher_sender_check = fields.Selection(
        [
            (KEPT, "Kept the user's address"),
            (REFUSED, "Refused the user's address"),
            (REWRITTEN, "Rewrote the From to its account"),
        ],
        string="Round Trip's Sender",
        readonly=True,
        help="What the setup wizard's last round trip through this server saw of the "
        "sender's address.",
    )
    mail_catcher_checked_sender = fields.Char(string="Round Trip Sent As", readonly=True)
    mail_catcher_exception_count = fields.Integer(
        string="Failed Outgoing Mails", compute="_compute_mail_catcher_exception_count"
    )

    def write(self, vals):
        result = super().write(vals)
        if any(vals.get(name) for name in OAUTH_TOKEN_FIELDS):
            refused = self.filtered("mail_catcher_sign_in_refused")
            refused.sudo().mail_catcher_sign_in_refused = False
            if refused:
                # The mails the refusal stopped go out now that the account is connected.
                refused.action_mail_catcher_retry_exceptions()
                self.env.ref("mail.ir_cron_mail_scheduler_action").sudo()._trigger()
        return result

    def _smtp_login(self, connection, smtp_user, smtp_password):
        """An OAuth sign-in that the provider refuses is said in its own words on the
        server (the Outgoing Mail Health board) and on its failed mails; its mails are not
        retried as if the server were out of reach: someone must connect the account."""
        if len(self) != 1 or self.smtp_authentication not in OAUTH_AUTHENTICATIONS:
            return super()._smtp_login(connection, smtp_user, smtp_password)
        # The apps send AUTH XOAUTH2 with `docmd` and ignore the answer: a refused token
        # would only show at MAIL FROM, as a refused sender. The answer is kept here.
        replies = []
        docmd = connection.docmd
        connection.docmd = lambda *command: replies.append(docmd(*command)) or replies[-1]
        try:
            result = super()._smtp_login(connection, smtp_user, smtp_password)
            if replies and replies[-1][0] != 235:
                raise smtplib.SMTPAuthenticationError(*replies[-1])
        except Exception as error:
            if classify_connection_error(error, oauth=True) != OAUTH_REFUSED:
                raise
            words = self._mail_catcher_refused_words(error)
            self.sudo().mail_catcher_sign_in_refused = words
            raise UserError(words) from error
        finally:
            connection.docmd = docmd
        return result

    def _mail_catcher_refused_words(self, error):
        detail = str(root_cause(error)) or type(root_cause(error)).__name__
        return self.env._(
            "%(server)s cannot send: the provider refused the account's authorisation "
            "(OAuth), which was revoked or has expired. Open the outgoing server and connect "
            "the account again (the Gmail or Outlook button): the mails that failed meanwhile "
            "are sent then.\n%(detail)s",
            server=self.name,
            detail=detail,
        )

    @api.model
    def _mail_catcher_refusing(self):
        """The servers whose OAuth sign-in was refused, which no retry will fix."""
        return self.sudo().search([("mail_catcher_sign_in_refused", "!=", False)])

    def _compute_mail_catcher_exception_count(self):
        failed = self._mail_catcher_exceptions()
        for server in self:
            server.mail_catcher_exception_count = len(failed[server.id])

    def _mail_catcher_exceptions(self):
        """The failed mails of each of these servers, by id: those assigned to it, and
        those assigned to none (most notifications) that it is the server for: Odoo picks
        a server for them only when it sends them."""
        Mail = self.env["mail.mail"].sudo()
        failed = Mail.search(
            [("state", "=", "exception"), ("mail_server_id", "in", [*self.ids, False])]
        )
        by_server = {server.id: Mail for server in self}
        # Odoo chooses among every outgoing server, as it will when it sends: a handful.
        servers = self.sudo().search([], order="sequence, id")  # pylint: disable=no-search-all
        chosen = {}
        for mail in failed:
            server = mail.mail_server_id
            if not server:
                if mail.email_from not in chosen:
                    chosen[mail.email_from] = self._find_mail_server(mail.email_from, servers)[0]
                server = chosen[mail.email_from]
            if server and server.id in by_server:
                by_server[server.id] |= mail
        return by_server

    def action_mail_catcher_open_exceptions(self):
        action = self.env["ir.actions.act_window"]._for_xml_id("mail.action_view_mail_mail")
        failed = self.env["mail.mail"].sudo().union(*self._mail_catcher_exceptions().values())
        action["domain"] = [("id", "in", failed.ids)]
        action["context"] = {}
        return action

    def action_mail_catcher_retry_exceptions(self):
        """Put the mails that failed on these servers back in the outgoing queue."""
        self.env["mail.mail"].sudo().union(*self._mail_catcher_exceptions().values()).action_retry()
        return True

    def _mail_catcher_sender_issue(self, user):
        """Why mail that `user` sends from a document would not reach the customer from the
        user's own address, and the fix; False when it would (or nothing says otherwise)."""
        email = email_normalize(user.email)
        if not email:
            return self.env._(
                "%(user)s has no email address: they cannot send mail from documents.",
                user=user.name,
            )
        server, sent_from = self.sudo()._find_mail_server(user.email_formatted)
        if email_normalize(sent_from) != email:
            return self.env._(
                "Mail from %(user)s leaves as %(sent_from)s: no outgoing mail server's "
                "'FROM Filtering' accepts %(email)s. Add %(domain)s to the FROM "
                "Filtering of the outgoing mail server to send as the user.",
                user=user.name,
                sent_from=sent_from,
                email=email,
                domain=email_domain_extract(email),
            )
        if not server:  # odoo-bin's own SMTP options: nothing known of them
            return False
        checked = (server.mail_catcher_sender_check, server.mail_catcher_checked_sender)
        outcome = sender_outcome(email, server.smtp_user, server.smtp_host, checked)
        if not outcome:
            return False
        names = {
            "user": user.name,
            "server": server.name,
            "login": server.smtp_user,
            "email": email,
        }
        what = (
            self.env._(
                "Mail from %(user)s leaves through %(server)s, which logs in as %(login)s: "
                "the provider refuses it (SendAsDenied) unless %(login)s may send as %(email)s.",
                **names,
            )
            if outcome == REFUSED
            else self.env._(
                "Mail from %(user)s leaves through %(server)s, which logs in as %(login)s: "
                "the provider replaces the From with %(login)s unless %(email)s is one of its "
                "verified addresses.",
                **names,
            )
        )
        return f"{what} {server._mail_catcher_sender_fix(outcome, email)}"

    def _mail_catcher_sender_fix(self, outcome, email):
        """What the admin does when this server refuses (REFUSED) or rewrites (REWRITTEN)
        mail from `email`."""
        self.ensure_one()
        if outcome == REFUSED:
            return self.env._(
                "Give %(login)s Send As rights on the mailbox of %(email)s (Microsoft 365: "
                "Exchange admin center > Mailboxes > %(email)s > Delegation > Send as), or let "
                "each user send from their own account, or send through the provider's relay "
                "(Set Up the Mail Catcher: How the Users' Mail Leaves).",
                login=self.smtp_user or self.name,
                email=email,
            )
        return self.env._(
            "Add %(email)s as a verified alias of %(login)s in Gmail (Settings > Accounts > "
            "'Send mail as'), or let each user send from their own account, or send through "
            "the provider's relay (Set Up the Mail Catcher: How the Users' Mail Leaves).",
            login=self.smtp_user or self.name,
            email=email,
        )
