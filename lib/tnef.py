"""Outlook's `winmail.dat` (TNEF, `application/ms-tnef`) unpacked: Outlook and Exchange
send rich-text mail as one such part, and the files the customer attached, sometimes the
body too, are inside it, where no one reading the chatter can open them. tnefparse
(LGPL-3.0, pure Python) reads the format; what it raises or leaves undecoded stays here.

The body in RTF, the one Outlook writes most, is kept compressed by TNEF (LZFu), and
tnefparse decompresses it only with the separate package `compressed_rtf`, which the addon
does not depend on: `TnefContent.rtf` stays None until it does (without that package,
tnefparse's `rtfbody` hands out the compressed bytes as they are).
"""

import logging
from dataclasses import dataclass

from tnefparse import TNEF

# tnefparse warns once for each property a damaged count promises and the data lacks: one
# flipped byte can make that billions of lines in Odoo's log. Its errors still show.
logging.getLogger("tnefparse").setLevel(logging.ERROR)

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_SIGNATURE = TNEF.TNEF_SIGNATURE.to_bytes(4, "little")
# What Windows writes text in when a TNEF names no code page of its own.
FALLBACK_CODEPAGE = "cp1252"


class UnreadableTnef(Exception):
    """A winmail.dat that cannot be read; str() says why in words a user reads after
    "could not be unpacked:", the library's own error is its __cause__."""


@dataclass(frozen=True)
class TnefContent:
    """What a winmail.dat holds for the person reading the mail."""

    # (file name, content) of every file inside, in order; a file without a name is called
    # attachment-<its position>.bin; two files of the same name keep it both.
    attachments: tuple
    html: str | None
    rtf: bytes | None
    text: str | None


def is_tnef(mimetype: str, filename: str) -> bool:
    """Whether a part is a winmail.dat: by its type, or by its name, since many mail
    servers relabel it `application/octet-stream` on the way."""
    mimetype = (mimetype or "").split(";")[0].strip().lower()
    return mimetype in TNEF_TYPES or (filename or "").strip().lower() == "winmail.dat"


def unpack(data: bytes) -> TnefContent:
    """The files and body inside a winmail.dat, as far as its data goes (a cut-off one
    gives what it holds, its last file perhaps cut short too). Raises UnreadableTnef, never
    anything of tnefparse's, when it cannot be read at all. A damaged count can keep
    tnefparse busy for minutes: call it under a time limit (lib/time_limit.py)."""
    if not data:
        raise UnreadableTnef("it is empty")
    if not data.startswith(TNEF_SIGNATURE):
        raise UnreadableTnef("it is not TNEF data: it does not start with TNEF's signature")
    try:
        tnef = TNEF(data)
        attachments = tuple(
            (_file_name(attachment, index, tnef.codepage), bytes(attachment.data))
            for index, attachment in enumerate(tnef.attachments, start=1)
        )
        return TnefContent(
            attachments=attachments,
            html=_decoded(tnef.htmlbody, tnef.codepage),
            rtf=None,  # see the module's docstring
            text=_decoded(tnef.body, tnef.codepage),
        )
    except UnicodeError as error:
        raise UnreadableTnef("a text inside is not in the character set it declares") from error
    except Exception as error:
        raise UnreadableTnef("it is damaged or cut short") from error


def _file_name(attachment, index: int, codepage: str | None) -> str:
    """The attachment's long file name, or its short one, or a made-up one: a file must
    have a name to be listed and downloaded."""
    try:
        name = attachment.long_filename()
    except UnicodeDecodeError:
        # Without a long file name, tnefparse decodes the short one as UTF-8, while
        # Outlook wrote it in the TNEF's code page (an umlaut in cp1252): decode it here.
        name = attachment._name
    name = _decoded(name, codepage)
    return name if name and name.strip() else f"attachment-{index}.bin"


def _decoded(value: str | bytes | None, codepage: str | None) -> str | None:
    """A text of the TNEF as str, without the NULs that end C strings: tnefparse decodes
    some texts and hands others over as bytes (a plain body, an HTML body without an
    internet code page). UTF-8 when the bytes are valid UTF-8, else the TNEF's code page."""
    if not value:
        return None
    if isinstance(value, bytes):
        try:
            value = value.decode()
        except UnicodeDecodeError:
            try:
                value = value.decode(codepage or FALLBACK_CODEPAGE, errors="replace")
            except LookupError:  # a code page Python does not know
                value = value.decode(FALLBACK_CODEPAGE, errors="replace")
    return value.rstrip("\x00") or None
