"""Repairs that let Odoo's parser read mails as mail clients write them, and the shape
of a mail's MIME tree, read from its bytes without recursion before any parse (a mail
may nest a thousand levels, deeper than Python's parser can go)."""

import codecs
import email
import email.policy
import functools
import re
from email.headerregistry import BaseHeader, UnstructuredHeader

# Decodes any byte: the usual real charset behind a wrong or made-up label.
FALLBACK_CHARSET = "windows-1252"


class _RememberingPolicy(email.policy.EmailPolicy):
    """Python's SMTP policy, remembering each header it has parsed: Odoo's gateway reads
    the same headers of a mail dozens of times, and each read parses the header anew,
    which was a quarter of the time spent per mail."""

    def header_fetch_parse(self, name, value):
        if hasattr(value, "name"):
            return value
        value = "".join(email.policy.linesep_splitter.split(value))
        return _parsed_header(self.header_factory, name, value)


SMTP_POLICY = _RememberingPolicy(linesep="\r\n")


def forget_parsed_headers():
    """Drop the headers kept for reuse. What one chunk of mails parsed is of no use to
    the next, and Python makes a class for every header it parses: kept, they would grow
    a long-running worker's memory with the mails it has seen, not with its chunk."""
    _parsed_header.cache_clear()


@functools.lru_cache(maxsize=4096)
def _parsed_header(header_factory, name, value):
    # Header objects are immutable strings: one object can serve every read.
    try:
        header = header_factory(name, value)
        # Some malformed addresses only fail when their parts are first read.
        getattr(header, "addresses", None)
    except Exception:  # Python's parser fails on some malformed headers: keep the text
        return _UNSTRUCTURED(name, value)
    return header


_UNSTRUCTURED = type("_UnstructuredHeader", (UnstructuredHeader, BaseHeader), {})


def parse_mail(raw):
    """The mail as Odoo's gateway parses it (Python's SMTP policy), faster."""
    return email.message_from_bytes(raw, policy=SMTP_POLICY)


def replace_unknown_charsets(message):
    """Relabel the text parts whose declared charset Python does not know (Odoo's parser
    raises on them); returns the charsets replaced."""
    replaced = []
    for part in message.walk():
        charset = part.get_param("charset")
        if not charset or part.get_content_maintype() == "multipart":
            continue
        try:
            codecs.lookup(str(charset))
        except LookupError:
            part.set_param("charset", FALLBACK_CHARSET)
            replaced.append(str(charset))
    return replaced


# What Python's content manager can read; anything else is served as bytes.
READABLE_MAINTYPES = {
    "text",
    "image",
    "audio",
    "video",
    "application",
    "message",
    "multipart",
    "model",
    "font",
}


def repair_structure(message):
    """Relabel the parts Odoo's parser cannot read: an unknown charset (as windows-1252),
    a content type of no known kind (as bytes), a multipart without its boundary or a
    message/rfc822 part that holds no message (as text). Returns what was repaired."""
    repaired = [f"charset {charset}" for charset in replace_unknown_charsets(message)]
    for part in message.walk():
        maintype = part.get_content_maintype()
        if maintype not in READABLE_MAINTYPES:
            repaired.append(f"content type {part.get_content_type()}")
            part.replace_header("Content-Type", "application/octet-stream")
        elif maintype in ("message", "multipart") and not part.is_multipart():
            repaired.append(f"{part.get_content_type()} without its parts")
            part.replace_header("Content-Type", "text/plain")
    return repaired


_CONTENT_TYPE = re.compile(rb"^content-type:\s*([!-~]+?/[!-~]+?)\s*(?:;|$)", re.I | re.M)
_BOUNDARY = re.compile(rb';\s*boundary\s*=\s*(?:"([^"]*)"|([^;\s]+))', re.I)


def raw_mime_shape(raw, max_depth, max_parts):
    """(depth, parts) of a raw mail's MIME tree, as Python's parser builds it, read from
    the bytes before any parse: one pass over the lines, no recursion, and counting no
    further than just past either limit, so that a hostile mail (a thousand nested
    forwards) costs little to measure and never reaches the parser. A message/* part
    holds one message a level below it; a delivery status, one per block of fields."""
    depth = parts = level = 1
    open_boundaries = []  # (boundary, level of its multipart), outermost first
    headers, reading = [], _HEADERS
    for line in raw.splitlines():
        boundary_line = _boundary_line(open_boundaries, line.rstrip(b" \t"))
        if boundary_line is not None:
            index, is_end = boundary_line
            level = open_boundaries[index][1] + 1
            del open_boundaries[index + (not is_end) :]
            headers, reading = [], _BODY if is_end else _HEADERS
            parts += not is_end
        elif reading is _STATUS_BLOCKS:
            parts += bool(line.strip()) and not headers
            headers = [line] if line.strip() else []
            depth = max(depth, level + 1)
        elif reading is _HEADERS and line.strip():
            headers.append(line)
        elif reading is _HEADERS:
            kind, boundary = _content_type(b"\n".join(headers))
            headers, reading = [], _BODY
            if boundary and kind.startswith(b"multipart/"):
                open_boundaries.append((boundary, level))
            elif kind == b"message/delivery-status":
                reading = _STATUS_BLOCKS
            elif kind.startswith(b"message/"):
                level, parts, reading = level + 1, parts + 1, _HEADERS
        depth = max(depth, level)
        if depth > max_depth or parts > max_parts:
            break
    return depth, parts


_HEADERS, _BODY, _STATUS_BLOCKS = "headers", "body", "status blocks"


def _boundary_line(open_boundaries, line):
    """(index in `open_boundaries`, whether it ends its multipart) of the boundary this
    line is, innermost first; None for any other line."""
    if not line.startswith(b"--"):
        return None
    for index in range(len(open_boundaries) - 1, -1, -1):
        boundary = open_boundaries[index][0]
        if line[2:] == boundary:
            return index, False
        if line[2:] == boundary + b"--":
            return index, True
    return None


def _content_type(header_block):
    """(lowercase type, boundary or None) of a part's headers, folded lines unfolded."""
    unfolded = re.sub(rb"\r?\n[ \t]+", b" ", header_block)
    found = _CONTENT_TYPE.search(unfolded)
    if not found:
        return b"text/plain", None
    line_end = unfolded.find(b"\n", found.start())
    boundary = _BOUNDARY.search(unfolded[found.start() : None if line_end < 0 else line_end])
    return found.group(1).lower(), boundary and (boundary.group(1) or boundary.group(2)).rstrip()


def names_in_subject(name, subject):
    """Whether a document's name (INV/2026/00042, P00012) stands in a subject as a whole
    word, not as part of a longer reference."""
    name = name.strip()
    if len(name) < 3:
        return False
    pattern = r"(?<![\w/-])" + re.escape(name) + r"(?![\w/-])"
    return re.search(pattern, subject, re.IGNORECASE) is not None
