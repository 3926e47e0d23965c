"""The mail under routing: what every rule reads, parsed once, and what the rules learn
of it on the way."""

from functools import cached_property

from odoo.tools import email_normalize

from ..lib.classify import is_auto_reply
from .outcome import Match, Verdict


class IncomingMail:
    def __init__(self, entry, chunk):
        self.entry = entry
        self.env = entry.env
        self.server = entry.server_id
        self.message = entry._email_message()
        self.chunk = chunk
        # Why Odoo's own routing refused the mail, when it did: the last word for the
        # admin if no later rule finds the document either.
        self.refusal = None
        self.thread = self.env["mail.thread"].with_context(
            fetchmail_cron_running=True,
            default_fetchmail_server_id=self.server.id,
            mail_catcher_routing=True,
        )

    @cached_property
    def msg_dict(self):
        """Odoo's parse of the mail; read only once the mail is known to be within its
        server's limits, as parsing a huge or deep mail is what those limits spare."""
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
    def sender_unverified(self):
        """The server trusts a mail provider, and that provider did not verify the sender."""
        verdict = self.entry._sender_auth_verdict(self.message)
        return bool(verdict) and verdict != "pass"

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

    def match(self, matched_by, document=None, odoo_routes=None, internal=False):
        """A Match on `document` (or on Odoo's routes), posted as its kind says: an
        automatic reply as a note, which needs an existing document; `internal`, an
        answer to an internal message, as an internal note."""
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
