"""Automatic replies, the incoming mail that a machine wrote on its own rather than a
person (RFC 3834 and the habits of common mail clients). Delivery reports are read in
dsn.py."""

import re

# Weaker signal than headers: what out-of-office answers of common clients say, in
# English, French, Dutch and German.
AUTO_REPLY_SUBJECTS = re.compile(
    r"^\s*("
    r"out of (the )?office|automatic reply|auto[- ]?reply|autoreply|away from (the )?office"
    r"|r[ée]ponse automatique|absence|absent du bureau|message d'absence"
    r"|afwezig|automatisch antwoord|niet aanwezig"
    r"|abwesenheitsnotiz|automatische antwort|abwesend|nicht im b[üu]ro"
    r")\b",
    re.IGNORECASE,
)
BULK_PRECEDENCE = {"auto_reply", "bulk", "junk"}


def is_auto_reply(headers, subject=""):
    """True for a mail written by a machine on its own: RFC 3834's Auto-Submitted, the
    X-Autoreply family, a bulk Precedence, or an out-of-office subject."""
    auto_submitted = (headers.get("Auto-Submitted") or "").strip().lower()
    if auto_submitted and auto_submitted != "no":
        return True
    if headers.get("X-Autoreply") or headers.get("X-Autorespond"):
        return True
    if (headers.get("Precedence") or "").strip().lower() in BULK_PRECEDENCE:
        return True
    return bool(AUTO_REPLY_SUBJECTS.match(subject or ""))
