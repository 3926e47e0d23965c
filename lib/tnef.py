"""Outlook's `winmail.dat` (TNEF, `application/ms-tnef`) unpacked: Outlook and Exchange
send rich-text mail as one such part, and the files the customer attached, sometimes the
body too, are inside it, where no one reading the chatter can open them. tnefparse
(LGPL-3.0, pure Python) reads the format; what it raises or leaves undecoded stays here.

The body in RTF, the one Outlook writes most and often the only one, is kept compressed by
TNEF (MS-OXRTFCP, "LZFu"). tnefparse decompresses it only when the package compressed_rtf
happens to be importable: this module takes the compressed bytes and decompresses them
itself with compressed_rtf (MIT), then reads the RTF's text with striprtf (BSD-3-Clause),
both pure Python. Outlook often writes an HTML mail as RTF wrapping the HTML (`\\fromhtml1`);
its text is read the same way, the HTML inside is not rebuilt.

A damaged RTF body is no reason to lose the files beside it: it gives `rtf` and `rtf_text`
None, it never makes the winmail.dat unreadable.
"""

import logging
import re
import struct
from dataclasses import dataclass

from compressed_rtf import decompress as decompress_rtf
from striprtf.striprtf import rtf_to_text as strip_rtf
from tnefparse import TNEF

_logger = logging.getLogger(__name__)
# tnefparse warns once for each property a damaged count promises and the data lacks: one
# flipped byte can make that billions of lines in Odoo's log. Its errors still show.
logging.getLogger("tnefparse").setLevel(logging.ERROR)

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_SIGNATURE = TNEF.TNEF_SIGNATURE.to_bytes(4, "little")
# What Windows writes text in when a TNEF names no code page of its own.
FALLBACK_CODEPAGE = "cp1252"
# tnefparse drops the NULs that end a binary value, the compressed RTF's last bytes among
# them (rtf.tnef: its header counts 409 bytes, tnefparse gives 408): as many are put back,
# up to this many (a damaged header may count billions).
MAX_STRIPPED_NULS = 64
RTF_SIGNATURE = b"{\\rtf"
# A byte above 127 that an RTF writer left raw instead of as \'xx.
RAW_8BIT = re.compile(rb"[\x80-\xff]")


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
    # The RTF body, decompressed (it starts with {\rtf), without the NUL that ends it.
    rtf: bytes | None
    text: str | None
    # The text of the RTF body (rtf_to_text), for a mail with neither HTML nor text.
    rtf_text: str | None = None


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
        html = _decoded(tnef.htmlbody, tnef.codepage)
        text = _decoded(tnef.body, tnef.codepage)
    except UnicodeError as error:
        raise UnreadableTnef("a text inside is not in the character set it declares") from error
    except Exception as error:
        raise UnreadableTnef("it is damaged or cut short") from error
    # Still under the caller's time limit; never raises (see the module's docstring).
    rtf = _decompressed_rtf(tnef._rtfbody)
    return TnefContent(
        attachments=attachments,
        html=html,
        rtf=rtf,
        text=text,
        rtf_text=rtf_to_text(rtf) if rtf else None,
    )


def rtf_to_text(rtf: bytes) -> str | None:
    """The text an RTF document shows, without its blank lines at the start and its
    whitespace at the end; None when it shows none or cannot be read. Characters come out
    in the code page the RTF declares (\\ansicpg) or its fonts do, cp1252 without one."""
    try:
        # RTF is 7-bit text; a raw 8-bit byte is in the document's code page, as \'xx
        # is: written so, striprtf decodes both alike (it takes str, not bytes).
        text = RAW_8BIT.sub(lambda byte: b"\\'%02x" % byte[0][0], rtf).decode("ascii")
        text = strip_rtf(text, encoding=FALLBACK_CODEPAGE, errors="replace")
    except Exception:  # striprtf's own: a broken RTF body shows no text, nothing worse
        _logger.debug("an RTF body could not be read", exc_info=True)
        return None
    text = text.lstrip("\r\n").rstrip()
    return text or None


def _decompressed_rtf(compressed: bytes | None) -> bytes | None:
    """The RTF of a TNEF's compressed RTF body (PR_RTF_COMPRESSED), None when there is
    none or it is damaged (its CRC wrong, an unknown kind of compression, no RTF inside)."""
    if not compressed or not isinstance(compressed, bytes):  # a damaged property's type
        return None
    if len(compressed) >= 4:
        # The header's first field counts the bytes after itself.
        missing = struct.unpack_from("<I", compressed)[0] + 4 - len(compressed)
        if 0 < missing <= MAX_STRIPPED_NULS:
            compressed += b"\x00" * missing
    try:
        rtf = decompress_rtf(compressed)
    except Exception:  # compressed_rtf raises Exception itself, struct's errors too
        _logger.debug("an RTF body could not be decompressed", exc_info=True)
        return None
    rtf = rtf.rstrip(b"\x00")
    return rtf if rtf.startswith(RTF_SIGNATURE) else None


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
