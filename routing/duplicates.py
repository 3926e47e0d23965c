"""A mail Odoo already has, or one that takes another's Message-ID."""

from .outcome import Verdict


def same_message_id_other_content(mail):
    """Two mails with one Message-ID and different contents: one of them is not genuine."""
    entry = mail.entry
    twin = entry.search(
        [
            ("server_id", "=", entry.server_id.id),
            ("message_id", "=", entry.message_id),
            ("id", "<", entry.id),
        ],
        limit=1,
    )
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
    posted = mail.env["mail.message"].search(
        [("message_id", "=", mail.msg_dict["message_id"])], limit=1
    )
    if not posted:
        return None
    return Verdict(
        "ignored", "duplicate", mail.env._("This mail is already in Odoo."), posted=posted
    )
