"""A mail Odoo already has, or one that takes another's Message-ID."""

from .outcome import Verdict


def same_message_id_other_content(mail):
    """Two mails with one Message-ID and different contents: one of them is not genuine."""
    twin = mail.chunk.earlier_entry_of(mail.entry)
    if not twin:
        return None
    return Verdict(
        "quarantined",
        "duplicate",
        mail.env._(
            "Another mail with the same Message-ID but a different content was "
            "received before (%(subject)s, %(date)s): check which one is genuine.",
            subject=twin.subject,
            date=twin.date,
        ),
    )


def already_in_odoo(mail):
    posted = mail.chunk.message_posted_with(mail.msg_dict["message_id"])
    if not posted:
        return None
    return Verdict(
        "ignored", "duplicate", mail.env._("This mail is already in Odoo."), posted=posted
    )
