"""Odoo's own routing: the reply headers (In-Reply-To, References) name the message
answered, else an alias in the recipients names a model, else the server's fallback
model. Faithful to Odoo's gateway, which also resets the sender's bounce counter and
stops a sender who creates too many documents."""

from .outcome import Refusal, Unroutable, Verdict


def reply_headers_or_alias(mail):
    env = mail.env
    try:
        routes = mail.thread.message_route(mail.message, mail.msg_dict, mail.server.object_id.model)
    except (ValueError, Unroutable) as refusal:
        return Refusal(refusal)
    if not routes:
        if mail.msg_dict.get("is_bounce") or mail.msg_dict.get("bounced_email"):
            reason = env._("Delivery report: recorded on the recipient's address.")
            return Verdict("ignored", "bounce", reason)
        return Refusal(Unroutable(env._("Odoo refused every route for this mail.")))
    if _too_many_from_sender(mail, routes):
        reason = env._("Too many mails from this sender in a short time.")
        return Verdict("ignored", "loop", reason)
    return mail.outcome_for("header" if routes[0][1] else "alias", odoo_routes=routes)


def _too_many_from_sender(mail, routes):
    try:
        return mail.thread._detect_loop_sender(mail.message, mail.msg_dict, routes)
    except Unroutable:
        # Odoo tells such a sender so by mail before it says True; the catcher answers
        # no one (an auto-responder would answer back), so telling is where it stops.
        return True
