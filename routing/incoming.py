"""The mail under routing, one per journal entry: what every rule, the post and the
journal entry read of it, each read once. Its size and MIME shape are measured from the
raw bytes first; the mail is parsed once (Python's parser), and only when within its
server's limits; Odoo's `msg_dict`, the sender's verdict and the delivery report are
read from that parse."""

from functools import cached_property

from odoo.tools import email_normalize

from ..lib.classify import is_auto_reply
from ..lib.dsn import is_delivery_report, parse_delivery_report
from .outcome import Match, Verdict
from .over_limits import why_over_limits


class IncomingMail:
    def __init__(self, entry, chunk):
        self.entry = entry
        self.env = entry.env
        self.server = entry.server_id
        self.chunk = chunk
        # Why Odoo's own routing refused the mail, when it did (a rule's Refusal, kept by
        # routing.decide): the last word for the admin if no later rule finds the
        # document either. Rules read it; none writes it.
        self.refusal = None
        self.thread = self.env["mail.thread"].with_context(
            fetchmail_cron_running=True,
            default_fetchmail_server_id=self.server.id,
            mail_catcher_routing=True,
        )

    @cached_property
    def raw(self):
        return self.entry._raw()

    @cached_property
    def over_limits(self):
        """Why the mail is past its server's limits (size, MIME depth, MIME parts), read
        from the raw bytes before any parse; None when within them."""
        return why_over_limits(self.env, self.server, self.raw)

    @cached_property
    def message(self):
        """The mail, parsed: the one parse of it."""
        return self.entry._email_message(self.raw)

    @cached_property
    def msg_dict(self):
        """Odoo's parse of the mail. Rules read it, none changes it: post() posts a copy."""
        msg_dict = self.thread.message_parse(self.message, save_original=self.server.original)
        if not self.server.attach:
            msg_dict.pop("attachments", None)
        return msg_dict

    @cached_property
    def sender(self):
        return email_normalize(self.msg_dict.get("email_from") or "")

    @cached_property
    def auto_reply(self):
        return is_auto_reply(self.message, self.msg_dict.get("subject"))

    @cached_property
    def sender_auth(self):
        """The trusted provider's verdict on the sender (`pass`, `fail`, `none`), False
        when the server trusts none; read from the parsed mail, or from the raw mail's
        headers alone for a mail past its limits, which is never parsed whole."""
        return self.entry._sender_auth_verdict(None if self.over_limits else self.message)

    @cached_property
    def sender_unverified(self):
        """The server trusts a mail provider, and that provider did not verify the sender."""
        return bool(self.sender_auth) and self.sender_auth != "pass"

    @cached_property
    def delivery_report(self):
        """The failures a delivery report names (lib/dsn.py); None for any other mail."""
        if not is_delivery_report(self.message):
            return None
        return parse_delivery_report(self.message)

    @cached_property
    def filed_as_spam(self):
        """The provider's filter took it for spam: it was read from the server's Junk folder,
        or its provider marked it `X-Spam-Flag: YES` (SpamAssassin's header)."""
        junk = self.server.catcher_junk_folder
        flagged = str(self.message.get("X-Spam-Flag", "")).strip().upper() == "YES"
        return flagged or bool(junk and self.entry.folder == junk)

    @cached_property
    def catcher_company(self):
        """The company whose catcher this server is; None for any other incoming server
        (an alias mailbox), on which only Odoo's own matching applies."""
        return self.server.sudo().catcher_company_ids[:1] or None

    def outcome_for(self, matched_by, document=None, odoo_routes=None, internal=False):
        """The outcome of finding `document` (or Odoo's routes): a Match, posted as its
        kind says (an automatic reply as a note, which needs an existing document;
        `internal`, an answer to an internal message, as an internal note); or, for an
        automatic reply whose document does not exist, a Verdict that ignores it."""
        if odoo_routes is None:
            odoo_routes = [(document._name, document.id, {}, self.env.uid, None)]
        model, res_id = odoo_routes[0][0], odoo_routes[0][1]
        if not self.auto_reply:
            kind = "reply" if res_id else "new"
            return Match(matched_by, model, res_id, kind, tuple(odoo_routes), internal=internal)
        if not (res_id and self.env[model].browse(res_id).exists()):
            return Verdict(
                "ignored",
                "auto_reply",
                self.env._("Automatic reply that matches no document."),
            )
        return Match(matched_by, model, res_id, "auto_reply", tuple(odoo_routes))
