import time
import uuid
from email.message import EmailMessage
from email.utils import make_msgid

from odoo import models
from odoo.addons.base.models.ir_mail_server import MailDeliveryException
from odoo.exceptions import UserError
from odoo.tools import email_normalize

from ..lib.reply_token import plus_address
from ..lib.send_as import REFUSED, REWRITTEN, SEND_AS_DENIED, from_kept, smtp_refusal
from ..routing.round_trip import TEST_HEADER, round_trip_signature

ROUND_TRIP_SECONDS = 60
# Both test mails leave together: once the one to the plain address is back, the one to
# catcher+token@ has had the same way to travel; past this, it is not coming.
PLUS_GRACE_SECONDS = 15


class MailCatcherSetup(models.TransientModel):
    """The round trip: a mail sent as a user, the way that user's mail leaves (Odoo's
    outgoing server for that address, so OAuth too), to catcher+token@ and to the plain
    catcher address, fetched back. It tells apart an address the provider refuses, a From
    it rewrites, and plus addressing that does not reach the catcher, each with its fix."""

    _inherit = "mail.catcher.setup"

    def action_round_trip(self):
        self.ensure_one()
        catcher = self.company_id.sudo().mail_catcher_server_id
        if not catcher or catcher.state != "done":
            raise UserError(self.env._("Apply the setup first: the catcher is not confirmed."))
        user = self.round_trip_user_id or self.env.user
        mail_server = self._round_trip_mail_server(user)
        address = self.company_id.mail_catcher_email
        started = time.monotonic()
        plus_mail = self._round_trip_mail(user, address, plus=True)
        plain_mail = self._round_trip_mail(user, address)
        refused = {}
        for mail in (plus_mail, plain_mail):
            refusal = self._round_trip_send(mail_server, mail)
            if refusal and refusal[0] == SEND_AS_DENIED:
                return self._round_trip_refused(mail_server, user, refusal[1])
            if refusal:
                refused[mail["To"]] = refusal[1]
        if plain_mail["To"] in refused:
            raise UserError(
                self.env._(
                    "The outgoing server refused the catcher address %(address)s: %(words)s",
                    address=address,
                    words=refused[address],
                )
            )
        sent = time.monotonic() - started
        plus_entry, plain_entry = self._round_trip_wait(
            catcher, plus_mail, plain_mail, plus_refused=plus_mail["To"] in refused
        )
        if not (plus_entry or plain_entry):
            raise UserError(
                self.env._(
                    "The test mail was sent but did not come back within %(seconds)s seconds: "
                    "check that mail to %(address)s reaches the mailbox that %(server)s reads.",
                    seconds=ROUND_TRIP_SECONDS,
                    address=address,
                    server=catcher.name,
                )
            )
        received = time.monotonic() - started
        return self._round_trip_verdict(
            mail_server,
            user,
            plus_entry,
            plain_entry,
            refused.get(plus_mail["To"]),
            (sent, received),
        )

    def _round_trip_mail_server(self, user):
        """The outgoing server that `user`'s mail leaves through; an error when Odoo itself
        would not send it from the user's address."""
        email = email_normalize(user.email)
        server, sent_from = (
            self.env["ir.mail_server"].sudo()._find_mail_server(user.email_formatted)
        )
        if not email or email_normalize(sent_from) != email or not server:
            raise UserError(
                self.env["ir.mail_server"]._mail_catcher_sender_issue(user)
                or self.env._("No outgoing mail server is set up.")
            )
        return server

    def _round_trip_mail(self, user, address, plus=False):
        """A test mail from `user`, signed (TEST_HEADER); with `plus`, to catcher+token@
        whose token is that signature, as replies' tokens are signed."""
        nonce = uuid.uuid4().hex[:12]
        key = self.env["ir.config_parameter"]._mail_catcher_key()
        signature = round_trip_signature(key, nonce)
        mail = EmailMessage()
        mail["From"] = user.email_formatted
        mail["To"] = plus_address(address, signature) if plus else address
        mail["Subject"] = self.env._("Mail Catcher round trip %(nonce)s", nonce=nonce[:8])
        mail["Message-ID"] = make_msgid(domain=address.rpartition("@")[2])
        mail[TEST_HEADER] = signature
        mail.set_content(self.env._("Round-trip test of the mail catcher; it is posted nowhere."))
        return mail

    def _round_trip_send(self, mail_server, mail):
        """None once sent; (kind, words) when the server refused the sender or recipient;
        any other failure is explained as the outgoing server's."""
        try:
            # As Odoo sends: its login (_smtp_login, OAuth included), its envelope and From.
            self.env["ir.mail_server"].sudo().send_email(mail, mail_server_id=mail_server.id)
        except Exception as error:
            refusal = smtp_refusal(error)
            if refusal:
                return refusal
            # send_email wraps what smtplib raised while sending; connecting, it does not.
            cause = error.__context__ if isinstance(error, MailDeliveryException) else error
            describe = self.env["fetchmail.server"]._describe_connection_error
            what = self.env._("the outgoing server %(server)s", server=mail_server.name)
            raise UserError(
                describe(cause or error, what, mail_server.smtp_host, mail_server.smtp_port)
            ) from error
        return None

    def _round_trip_wait(self, catcher, plus_mail, plain_mail, plus_refused):
        """Fetch until the mail to catcher+token@ is journaled, or the one to the plain
        address is and the other is not coming; their journal entries, if any."""
        Message = self.env["mail.catcher.message"]
        plus_entry = plain_entry = Message
        started = time.monotonic()
        plain_back = None
        while time.monotonic() - started < ROUND_TRIP_SECONDS:
            catcher.fetch_mail()
            if not plus_refused:
                plus_entry = Message.search([("message_id", "=", plus_mail["Message-ID"])], limit=1)
            plain_entry = plain_entry or Message.search(
                [("message_id", "=", plain_mail["Message-ID"])], limit=1
            )
            if plain_entry and plain_back is None:
                plain_back = time.monotonic()
            if plus_entry or (
                plain_entry and (plus_refused or time.monotonic() - plain_back > PLUS_GRACE_SECONDS)
            ):
                break
            time.sleep(1)
        return plus_entry, plain_entry

    def _round_trip_refused(self, mail_server, user, words):
        """The provider refused the user's address: recorded on the server, for Settings."""
        email = email_normalize(user.email)
        mail_server.write(
            {"mail_catcher_sender_check": REFUSED, "mail_catcher_checked_sender": email}
        )
        self.round_trip_seconds = 0
        self.report = " ".join(
            [
                self.env._(
                    "%(server)s refused mail from %(email)s (%(user)s): its account may not "
                    "send as %(email)s. The server said: %(words)s",
                    server=mail_server.name,
                    email=email,
                    user=user.name,
                    words=words,
                ),
                mail_server._mail_catcher_sender_fix(REFUSED, email),
            ]
        )
        return self._reopen()

    def _round_trip_verdict(self, mail_server, user, plus_entry, plain_entry, plus_refusal, times):
        """Report what came back: success, or each problem found with its fix."""
        email = email_normalize(user.email)
        arrived = plus_entry or plain_entry
        outcome = from_kept(email, arrived.email_from)
        mail_server.write(
            {"mail_catcher_sender_check": outcome, "mail_catcher_checked_sender": email}
        )
        problems = []
        if outcome == REWRITTEN:
            problems.append(self._round_trip_rewritten(mail_server, email, arrived.email_from))
        if not plus_entry:
            problems.append(self._round_trip_plus_lost(plus_refusal))
        if problems:
            self.round_trip_seconds = 0
            self.report = "\n\n".join(problems)
            return self._reopen()
        sent, received = times
        # Shown to a tenth of a second, and only when set: a faster trip shows as 0.1 s.
        self.round_trip_seconds = max(received, 0.1)
        entry = plus_entry
        self.report = self.env._(
            "Sent as %(email)s through %(server)s in %(sent).1f s; received and journaled "
            "after %(received).1f s, recorded as %(kind)s, %(state)s. The customer sees "
            "%(email)s as the sender, and mail to %(address)s+token reaches the catcher.",
            email=email,
            server=mail_server.name,
            sent=sent,
            received=received,
            kind=dict(entry._fields["kind"]._description_selection(self.env))[entry.kind],
            state=dict(entry._fields["state"]._description_selection(self.env))[entry.state],
            address=self.company_id.mail_catcher_email.rpartition("@")[0],
        )
        if not self.company_id.mail_catcher_plus_addressing:
            self.report += " " + self.env._(
                "Plus-Addressing is off in Settings: turn it on, so that replies are routed "
                "by their signed token too."
            )
        return self._reopen()

    def _round_trip_rewritten(self, mail_server, email, arrived_from):
        return " ".join(
            [
                self.env._(
                    "Mail from %(email)s arrived from %(arrived)s: %(server)s replaced the "
                    "sender with its account's address, so customers would not see who wrote.",
                    email=email,
                    arrived=arrived_from,
                    server=mail_server.name,
                ),
                mail_server._mail_catcher_sender_fix(REWRITTEN, email),
            ]
        )

    def _round_trip_plus_lost(self, refusal):
        """Plus addressing does not reach the catcher: the reply token is turned off, so
        that customers' replies do not bounce, until the provider delivers it."""
        self.company_id.mail_catcher_plus_addressing = False
        address = self.company_id.mail_catcher_email
        why = (
            self.env._("refused: %(words)s", words=refusal)
            if refusal
            else self.env._("it did not arrive while the one to %(address)s did", address=address)
        )
        return self.env._(
            "Mail to %(plus)s did not reach the catcher (%(why)s): the provider does not deliver "
            "plus addresses. Microsoft 365: turn plus addressing on (Set-OrganizationConfig "
            "-DisablePlusAddressInRecipients $false), then turn Plus-Addressing on again in "
            "Settings and run the round trip again. Until then Plus-Addressing is off: replies "
            "are still routed by their reply headers and subjects, but not by the signed token.",
            plus=plus_address(address, "token"),
            why=why,
        )
