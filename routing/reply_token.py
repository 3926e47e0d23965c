"""The signed reply token in the recipients (mailcatcher+token@company.com) names the
document, and whether the mail answered was internal; a forged token, or one naming a
deleted document, routes nowhere: it is never guessed around."""

from odoo.tools import email_split

from ..lib.reply_token import InvalidToken, read_token, tokens_for
from .outcome import Verdict

RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To")


def signed_token_in_recipients(mail):
    company = mail.catcher_company
    if not (company and company.mail_catcher_email):
        return None
    recipients = email_split(
        ",".join(
            str(value) for name in RECIPIENT_HEADERS for value in mail.message.get_all(name, [])
        )
    )
    tokens = tokens_for(company.mail_catcher_email, recipients)
    if not tokens:
        return None
    env = mail.env
    try:
        token = read_token(env["ir.config_parameter"]._mail_catcher_key(), tokens[0])
    except InvalidToken as error:
        reason = env._(
            "Suspicious: the reply token %(token)s in the recipients is not one Odoo "
            "signed. The mail was routed nowhere.",
            token=tokens[0],
        )
        return Verdict("quarantined", None, reason, cause=error)
    model = env["ir.model"].browse(token.model_id).exists().model
    document = env[model].browse(token.res_id).exists() if model in env else None
    if not document:
        reason = env._("This mail answers a document that was deleted since.")
        return Verdict("quarantined", None, reason)
    # Whatever headers survived: an answer to an internal note stays internal.
    return mail.outcome_for("token", document, internal=token.internal)
