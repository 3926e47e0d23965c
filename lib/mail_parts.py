"""The parts of a mail that Odoo's parser lists as attachments but that are no files the
customer attached: an S/MIME signature, which only says the mail was signed, and Outlook's
`winmail.dat` (TNEF), which wraps the files the customer did attach. Odoo's parser keeps
a part's file name and content, not its type: the parts are told apart here, by name."""

import re

from .tnef import is_tnef

SIGNATURE = "signature"
TNEF = "tnef"
SIGNATURE_TYPES = {"application/pkcs7-signature", "application/x-pkcs7-signature"}
# `/web/image/42?access_token=...`: where Odoo's post points an image the text shows.
_POSTED_IMAGE = re.compile(r"/web/image/(\d+)\?access_token=")


def part_kinds(message):
    """{file name: SIGNATURE or TNEF} of the parts of `message` that are no customer's
    files."""
    kinds = {}
    for part in message.walk():
        filename = part.get_filename()
        if not filename:
            continue
        if part.get_content_type() in SIGNATURE_TYPES:
            kinds[filename] = SIGNATURE
        elif is_tnef(part.get_content_type(), filename):
            kinds[filename] = TNEF
    return kinds


def images_shown(body):
    """The ids of the attachments that a posted body shows as images."""
    return {int(found) for found in _POSTED_IMAGE.findall(str(body or ""))}
