import textwrap

from markupsafe import Markup, escape

from odoo import models
from odoo.tools import email_normalize, html2plaintext
from odoo.tools.mail import html_to_inner_content

from ..lib.quoted_reply import readable_body, visible_part
from ..routing.outcome import Unroutable


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        """A reply is a conversation about a document, not a document to import: without
        this, `account` reads a reply's attachments into a draft invoice, or adds a bot
        note to a posted one."""
        if routes and all(thread_id for _model, thread_id, *_rest in routes):
            self = self.with_context(no_new_invoice=True)
        return super()._message_route_process(message, message_dict, routes)

    def _routing_create_bounce_email(self, email_from, body_html, message, **mail_values):
        """Odoo answers a mail it cannot route with a bounce to its sender; a customer's
        reply to the mail catcher is never bounced back: it waits in quarantine instead."""
        if self.env.context.get("mail_catcher_routing"):
            raise Unroutable(
                self.env._(
                    "Odoo would have bounced this mail back to its sender, saying: %(why)s",
                    why=html2plaintext(body_html or "").strip(),
                )
            )
        return super()._routing_create_bounce_email(email_from, body_html, message, **mail_values)

    def _routing_reset_bounce(self, email_message, message_dict):
        """A mail from an address proves it works again: its bounce counter restarts. Odoo
        looks the address up as the From header gives it ("Name <address>"), which no
        normalized email equals; the catcher looks it up normalized."""
        if self.env.context.get("mail_catcher_routing"):
            sender = email_normalize(message_dict.get("email_from") or "")
            message_dict = {**message_dict, "email_from": sender or message_dict.get("email_from")}
        return super()._routing_reset_bounce(email_message, message_dict)

    def _notify_get_recipients(self, message, msg_vals, **kwargs):
        """A routed reply also reaches the people its routing names (the author of the
        answered message, the document's responsible user) whether they follow the
        document or not, each by email or in the inbox as their preferences say. Only
        that reply's own notification widens: the context names it by its Message-ID."""
        message_id, people = self.env.context.get("mail_catcher_notify") or (None, ())
        if people and msg_vals and message.message_id == message_id:
            known = set(msg_vals.get("partner_ids") or [])
            msg_vals = {
                **msg_vals,
                "partner_ids": [*known, *(pid for pid in people if pid not in known)],
            }
        return super()._notify_get_recipients(message, msg_vals, **kwargs)

    def _message_parse_extract_payload(self, message, message_dict, save_original=False):
        """A routed reply shows its writer's new text; the attribution line, the quoted
        mail and the signature stay in the body, folded behind the chatter's Read More."""
        payload = super()._message_parse_extract_payload(
            message, message_dict, save_original=save_original
        )
        if self.env.context.get("mail_catcher_routing") and not message_dict.get("is_bounce"):
            payload["body"] = Markup(
                readable_body(message, payload["body"], message_dict.get("subject"))
            )
        return payload

    def _notify_by_email_render_layout(
        self, message, recipients_group, msg_vals=False, render_values=None
    ):
        """The author told of a routed reply reads its new text, not the quote of their own
        mail: the folded parts are left out of the notification (the chatter has them)."""
        mail_body = super()._notify_by_email_render_layout(
            message, recipients_group, msg_vals=msg_vals, render_values=render_values
        )
        body = message.body or ""
        routed = self.env.context.get("mail_catcher_routing") and message.message_type == "email"
        if not routed or body not in mail_body:
            return mail_body
        # The layout prints the body as it is stored, after the preview line that mail
        # clients show in their list: replace both with what the reader sees first.
        visible = visible_part(body)
        preview = textwrap.shorten(html_to_inner_content(visible), 190)
        return mail_body.replace(escape(message.preview), escape(preview), 1).replace(
            body, Markup(visible), 1
        )
