"""Mails as the tests receive them, written by one builder. Plain Python, nothing of Odoo:
tests/lib and tests/e2e import it as a top-level module too."""

from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

DATA = Path(__file__).parent / "data"


def build(body="Thanks!", attachments=(), **headers):
    """A plain-text mail, as an EmailMessage for a test that adds to it or reads its
    headers back. Headers are keyword arguments, `_` standing for `-` (In_Reply_To,
    Message_ID); From, To, Subject and a new Message-ID are there unless given, and a
    header given None is left out. `attachments`: (file name, bytes) pairs."""
    headers = {
        "From": "Customer <customer@customer.test>",
        "To": "mailcatcher@company.test",
        "Subject": "Re: Your document",
        "Message_ID": make_msgid(domain="customer.test"),
        **headers,
    }
    mail = EmailMessage()
    for name, value in headers.items():
        if value is not None:
            mail[name.replace("_", "-")] = value
    mail.set_content(body)
    for filename, content in attachments:
        mail.add_attachment(content, "application", "octet-stream", filename=filename)
    return mail


def compose(body="Thanks!", attachments=(), trace=(), **headers):
    """The bytes of the mail build() makes. `trace`: (name, value) pairs written as they
    come, folding included, above the other headers, where receiving servers add theirs
    (Authentication-Results); top first."""
    mail = build(body, attachments, **headers)
    # The mail's own line ends (\n) for the trace headers too.
    on_top = "".join(f"{name}: {value}\n" for name, value in trace).replace("\r\n", "\n")
    return on_top.encode() + mail.as_bytes()


def sample(path, **values):
    """A sample mail of tests/data (`path` relative to it), each {placeholder} replaced by
    the value of that name."""
    raw = (DATA / path).read_bytes()
    for key, value in values.items():
        raw = raw.replace(b"{%s}" % key.encode(), value.encode())
    return raw
