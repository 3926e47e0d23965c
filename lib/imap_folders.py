"""IMAP folder names as admins type them and as servers want them.

An admin types `Odoo/Processed` or `Traités`; a Dovecot on Maildir separates levels with
`.` and refuses `/` in a name, and IMAP carries names in ASCII only, non-ASCII letters in
the modified UTF-7 of RFC 3501 (5.1.3). Admins always use `/`; the name on the wire uses the
server's own separator, read from its `LIST "" ""` answer.
"""

import base64
import re

# What LIST answers about one folder: (attributes) "separator" name; the separator may be
# NIL (a flat server), the name quoted, an atom, or a literal that imaplib hands over apart.
_LIST_LINE = re.compile(
    rb'^\((?P<attributes>[^)]*)\) (?:"(?P<separator>\\.|[^"])"|NIL) (?P<name>.*)$'
)

# The Junk folder's usual names, for servers without SPECIAL-USE (RFC 6154): Gmail's,
# Microsoft 365's, and the common ones of hosting providers and webmails, in English and
# French.
USUAL_JUNK_NAMES = (
    "Junk",
    "Spam",
    "Junk Email",
    "Junk E-mail",
    "[Gmail]/Spam",
    "INBOX/Junk",
    "INBOX/Spam",
    "Courrier indésirable",
    "Indésirables",
    "Pourriel",
)


def encode_utf7(name):
    """`name` in IMAP's modified UTF-7: printable ASCII as is (`&` as `&-`), any run of
    other characters as UTF-16 in base64 with `,` for `/`, between `&` and `-`."""
    encoded, pending = [], []

    def flush():
        if pending:
            utf16 = "".join(pending).encode("utf-16-be")
            encoded.append(
                "&" + base64.b64encode(utf16).decode().rstrip("=").replace("/", ",") + "-"
            )
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            encoded.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(encoded)


def decode_utf7(name):
    """The folder name that a server sent in modified UTF-7, as a person reads it."""

    def decode_run(match):
        run = match.group(1)
        if not run:
            return "&"
        data = run.replace(",", "/")
        return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")

    return re.sub(r"&([^-]*)-", decode_run, name)


def wire_name(path, separator):
    """The name to send for the folder an admin typed with `/` levels, quoted."""
    levels = [level.strip() for level in path.strip().strip("/").split("/")]
    name = (separator or "/").join(encode_utf7(level) for level in levels if level)
    return quote(name)


def quote(name):
    """A mailbox name as an IMAP quoted string (names may hold spaces)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def parse_list(data):
    """[(attributes, separator, name)] from imaplib's LIST data: attributes a set of
    lowercase words (`\\junk`, `\\noselect`), the name decoded from modified UTF-7."""
    folders = []
    for item in data:
        if isinstance(item, tuple):  # the name came as a literal
            head, literal = item[0], item[1]
            item = head[: head.rfind(b"{")] + b'"' + literal.replace(b'"', b'\\"') + b'"'
        if not item:
            continue
        match = _LIST_LINE.match(item)
        if not match:
            continue
        attributes = {word.lower() for word in match.group("attributes").decode().split()}
        separator = match.group("separator")
        separator = separator.decode()[-1] if separator else None
        name = match.group("name").decode(errors="replace")
        if name.startswith('"'):
            name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        folders.append((attributes, separator, decode_utf7(name)))
    return folders


def admin_path(name, separator):
    """A folder's name from the server, with `/` between its levels as admins type it."""
    return name.replace(separator, "/") if separator and separator != "/" else name


def junk_folder(folders):
    """The Junk folder among LIST's `folders` (parse_list's triples, names with `/`
    levels): the one marked `\\Junk`, else the first of the usual names, else None."""
    for attributes, _separator, name in folders:
        if "\\junk" in attributes:
            return name
    by_name = {name.casefold(): name for _attributes, _separator, name in folders}
    for usual in USUAL_JUNK_NAMES:
        if usual.casefold() in by_name:
            return by_name[usual.casefold()]
    return None
