"""What identifies a received mail, and what the journal shows of it, read from its
headers alone (one cheap parse, whatever the mail's size or state)."""

import hashlib
import re
from datetime import UTC
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parsedate_to_datetime

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
SHOWN_HEADERS = ("from", "to", "cc", "subject")
# What PostgreSQL's text columns refuse (NUL) and what no UTF-8 can carry (lone
# surrogates, left by bytes Python could not decode).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
TEXT_LIMIT = 1000


def checksum(raw):
    return hashlib.sha256(raw).hexdigest()


def describe(raw):
    """Message-ID, checksum, From, To, Cc, Subject (decoded, cut to 1,000 characters) and
    Date (naive UTC, or None) of a raw mail; a header that does not decode is kept as it
    came. A missing or broken Message-ID is made from the content, so that fetching the
    same mail twice always gives the same identity."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
    match = _MESSAGE_ID.search(storable(str(headers.get("Message-ID") or "")))
    digest = checksum(raw)
    values = {
        "message_id": match.group(0)
        if match
        else f"<{digest[:40]}@mail-catcher.missing-message-id>",
        "checksum": digest,
        "date": _date(headers.get("Date")),
    }
    for name in SHOWN_HEADERS:
        value = headers.get(name)
        values[name] = storable(_decoded(value)) if value is not None else None
    return values


def storable(text, limit=TEXT_LIMIT):
    """The text as a database column can hold it: without NULs and lone surrogates (each
    shown as U+FFFD), cut to `limit` characters. The raw mail keeps the original."""
    return _UNSTORABLE.sub("\ufffd", text)[:limit]


def _decoded(value):
    try:
        return str(make_header(decode_header(str(value))))
    except Exception:  # an undecodable header is shown as it came
        return str(value)


def _date(value):
    try:
        date = parsedate_to_datetime(str(value))
        return date.astimezone(UTC).replace(tzinfo=None) if date.tzinfo else date
    except Exception:  # no date, or one no parser or calendar understands
        return None
