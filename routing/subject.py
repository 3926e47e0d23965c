"""A document named in the subject (an invoice number, an order reference), among those
the sender is linked to: documents mailed to them or to a contact of their company, or
that they follow. A stranger naming a document routes nowhere; so does a known address
that the server's trusted mail provider did not verify, as naming a document and a
customer's address takes only public facts."""

from ..lib.mime import names_in_subject
from .outcome import Verdict

CANDIDATES = 200  # the sender's most recent documents looked at


def document_named_in_subject(mail):
    if not mail.catcher_company:
        return None
    document = _linked_document_in_subject(mail.env, mail.sender, mail.msg_dict.get("subject"))
    if not document:
        return None
    if not mail.sender_unverified:
        return mail.outcome_for("subject", document)
    if mail.auto_reply:
        return None
    reason = mail.env._(
        "Sender not verified: the subject names %(document)s, but the mail provider did "
        "not confirm that this mail comes from %(sender)s. Assign it by hand once you know "
        "it is genuine.",
        document=document.display_name,
        sender=mail.msg_dict.get("email_from"),
    )
    return Verdict("quarantined", None, reason, cause=mail.refusal)


def _linked_document_in_subject(env, sender, subject):
    if not (subject and sender):
        return None
    Partner = env["res.partner"].with_context(active_test=False)
    senders = Partner.search([("email_normalized", "=", sender)])
    if not senders:
        return None
    contacts = Partner.search([("commercial_partner_id", "in", senders.commercial_partner_id.ids)])
    mailed = env["mail.message"].search_read(
        [("partner_ids", "in", contacts.ids), ("model", "!=", False), ("res_id", "!=", 0)],
        ["model", "res_id"],
        order="id desc",
        limit=CANDIDATES,
    )
    followed = env["mail.followers"].search_read(
        [("partner_id", "in", (contacts | senders).ids)],
        ["res_model", "res_id"],
        limit=CANDIDATES,
    )
    candidates = dict.fromkeys(
        [(m["model"], m["res_id"]) for m in mailed]
        + [(f["res_model"], f["res_id"]) for f in followed]
    )
    for model, res_id in candidates:
        document = env[model].browse(res_id).exists() if model in env else None
        if document and document.display_name and names_in_subject(document.display_name, subject):
            return document
    return None
