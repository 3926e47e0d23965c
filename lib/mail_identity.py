"""What identifies a received mail, independently of where it was fetched from."""

import hashlib
import re
from email.parser import BytesHeaderParser
from email.policy import compat32

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


def checksum(raw):
    return hashlib.sha256(raw).hexdigest()


def message_id_of(raw):
    """The mail's Message-ID, or one made from its content when the header is missing or
    broken, so that fetching the same mail twice always gives the same identity."""
    headers = BytesHeaderParser(policy=compat32).parsebytes(raw, headersonly=True)
    match = _MESSAGE_ID.search(str(headers.get("Message-ID") or ""))
    if match:
        return match.group(0)
    return f"<{checksum(raw)[:40]}@mail-catcher.missing-message-id>"
