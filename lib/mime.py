"""Repairs that let Odoo's parser read mails as mail clients write them."""

import codecs
import re

# Decodes any byte: the usual real charset behind a wrong or made-up label.
FALLBACK_CHARSET = "windows-1252"


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
