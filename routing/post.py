"""Posting a matched mail on its document, as its kind says: a reply (or a new document)
through Odoo's gateway, notifying the people who should hear of it; an automatic reply as
a note that notifies nobody; a delivery report as a notice to the author of the mail that
bounced."""

from markupsafe import Markup

from odoo.tools import email_normalize

QUIET = {"mail_create_nosubscribe": True, "mail_post_autofollow": False}


def record_bounce(mail, bounced):
    """Odoo's own bookkeeping of a bounce, per failed address: the address's records
    (every model with a blacklist) count it, and the bounced mail's notifications say so."""
    Partner = mail.env["res.partner"].sudo()
    for address in bounced.addresses:
        email = email_normalize(address) or address
        mail.thread._routing_handle_bounce(
            mail.message,
            {
                **mail.msg_dict,
                "bounced_email": email,
                "bounced_partner": Partner.search([("email_normalized", "=", email)]),
                "bounced_msg_ids": [bounced.original.message_id] if bounced.original else [],
                "bounced_message": bounced.original,
                "body": bounced.summary,
            },
        )


def post(mail, match):
    """Post the mail; returns the message posted. What is posted is a copy of the mail's
    `msg_dict`, which the rules read and Odoo's gateway changes as it posts."""
    if match.kind == "bounce":
        return _post_delivery_report(mail, match)
    msg_dict = dict(mail.msg_dict)
    _drop_parent_on_other_document(mail.env, msg_dict, match)
    if mail.sender_unverified:
        msg_dict["body"] = _unverified_sender_warning(mail) + Markup(msg_dict.get("body") or "")
    if match.kind == "auto_reply":
        return _post_note(mail, match, msg_dict)
    if match.matched_by in ("token", "subject", "manual"):
        # Odoo's message_route resets the counter of a sender who bounced once; these
        # matches do not go through it.
        mail.thread._routing_reset_bounce(mail.message, msg_dict)
    if match.internal:
        # Odoo's gateway then posts it as a note, which reaches internal people only,
        # the author of the note it answers among them.
        msg_dict["is_internal"] = True
        if not msg_dict.get("parent_id"):
            msg_dict["parent_id"] = _internal_message_sent_to(mail.env, match, msg_dict)
    people = _people_to_tell(mail.env, match, msg_dict)
    thread = mail.thread.with_context(mail_catcher_notify=(msg_dict["message_id"], people))
    thread._message_route_process(mail.message, msg_dict, list(match.odoo_routes))
    # Odoo's gateway returns the document, not the message: the chunk saw it created.
    return mail.chunk.message_just_posted(msg_dict["message_id"], match.model)


def _drop_parent_on_other_document(env, msg_dict, match):
    """A reply found its document by another way than the message it answers (a token, a
    subject, an admin): that message, on another document, is not its parent."""
    parent = env["mail.message"].browse(msg_dict.get("parent_id") or [])
    if parent and match.res_id and (parent.model, parent.res_id) != (match.model, match.res_id):
        msg_dict.pop("parent_id")


def _internal_message_sent_to(env, match, msg_dict):
    """The internal message of the document last sent to the answer's author: the one an
    answer that kept no reply headers answers, most likely."""
    if not msg_dict.get("email_from"):
        return False
    document = env[match.model].browse(match.res_id)
    [author] = env["mail.thread"]._mail_find_partner_from_emails(
        [msg_dict["email_from"]], records=document
    )
    if not author:
        return False
    message = env["mail.message"].search(
        [
            ("model", "=", match.model),
            ("res_id", "=", match.res_id),
            ("subtype_id.internal", "=", True),
            ("partner_ids", "in", author.ids),
        ],
        order="id desc",
        limit=1,
    )
    return message.id


def _post_note(mail, match, msg_dict):
    document = mail.env[match.model].browse(match.res_id).with_context(**QUIET)
    return document.message_post(
        body=msg_dict.get("body", ""),
        subject=msg_dict.get("subject"),
        author_id=msg_dict.get("author_id"),
        email_from=msg_dict.get("email_from"),
        message_type="email",
        subtype_xmlid="mail.mt_note",
        message_id=msg_dict["message_id"],
        parent_id=msg_dict.get("parent_id"),
    )


def _post_delivery_report(mail, match):
    env, original = mail.env, match.bounced.original
    document = env[match.model].browse(match.res_id).with_context(**QUIET)
    lines = match.reason.split("\n")
    return document.message_post(
        body=Markup("<p>%s</p><ul>%s</ul>")
        % (
            env._("This mail could not be delivered:"),
            Markup().join(Markup("<li>%s</li>") % line for line in lines),
        ),
        subject=mail.msg_dict.get("subject"),
        author_id=False,
        email_from=mail.msg_dict.get("email_from"),
        message_type="notification",
        subtype_xmlid="mail.mt_note",
        message_id=mail.msg_dict["message_id"],
        partner_ids=original.author_id.filtered(lambda author: author.user_ids).ids,
        parent_id=original.id,
    )


def _people_to_tell(env, match, msg_dict):
    """The author of the answered message and the document's responsible user hear of
    the reply even when they no longer follow the document."""
    partners = env["res.partner"]
    if msg_dict.get("parent_id"):
        author = env["mail.message"].browse(msg_dict["parent_id"]).author_id
        if author.user_ids.filtered(lambda user: not user.share):
            partners |= author
    document = env[match.model].browse(match.res_id).exists() if match.res_id else None
    for field_name in ("user_id", "invoice_user_id"):
        field = document and document._fields.get(field_name)
        if field and field.type == "many2one" and field.comodel_name == "res.users":
            partners |= document[field_name].partner_id
    return tuple(partners.ids)


def _unverified_sender_warning(mail):
    """On top of the message: the people who read it in the chatter or in their
    notification email see it before the text it warns of."""
    env = mail.env
    return Markup(
        '<div class="alert alert-warning" role="alert" style="background-color:#fff3cd;'
        "color:#664d03;border:1px solid #ffe69c;border-radius:4px;padding:8px 12px;"
        'margin-bottom:8px"><p style="margin:0"><strong>%s</strong></p>'
        '<p style="margin:0">%s</p></div>'
    ) % (
        env._("The sender's address could not be verified."),
        env._(
            "The mail provider did not confirm that this mail comes from %(sender)s. "
            "Check any request it makes (new bank details, a payment) with a contact "
            "you already know before acting on it.",
            sender=mail.msg_dict.get("email_from"),
        ),
    )
