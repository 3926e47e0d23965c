"""Repairs that let Odoo's parser read mails as mail clients write them."""

import codecs
import email
import email.policy
import functools
import re

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


@functools.lru_cache(maxsize=4096)
def _parsed_header(header_factory, name, value):
    # Header objects are immutable strings: one object can serve every read.
    return header_factory(name, value)


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


def names_in_subject(name, subject):
    """Whether a document's name (INV/2026/00042, P00012) stands in a subject as a whole
    word, not as part of a longer reference."""
    name = name.strip()
    if len(name) < 3:
        return False
    pattern = r"(?<![\w/-])" + re.escape(name) + r"(?![\w/-])"
    return re.search(pattern, subject, re.IGNORECASE) is not None
