"""Mails that stopped the catcher, written after the shapes issue 14 reports (and after
the torture corpus's worst): built here, byte for byte, rather than copied."""

import base64
from email.message import EmailMessage
from email.utils import make_msgid


def nul_in_encoded_subject(to="mailcatcher@company.test"):
    """An ISO-2022-JP encoded subject that decodes to text ending in a NUL."""
    subject = base64.b64encode("テスト".encode("iso-2022-jp") + b"\x00").decode()
    return (
        f"From: sender@customer.test\r\nTo: {to}\r\n"
        f"Subject: =?ISO-2022-JP?B?{subject}?=\r\n"
        f"Message-ID: {make_msgid(domain='customer.test')}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nHello\r\n"
    ).encode()


def nested_forwards(levels, to="mailcatcher@company.test", filler=0):
    """A mail holding a mail holding a mail… `levels` deep, each level with `filler`
    bytes of HTML, as the 3 MB mail of about 1,000 nested message/rfc822 parts. Written
    as text: Python's own mail writer recurses once per level."""
    mail = (
        "From: origin@customer.test\r\nSubject: The first mail\r\n"
        f"Content-Type: text/html\r\n\r\n<p>{'x' * filler}</p>\r\n"
    )
    for level in range(levels):
        boundary = f"level-{level}"
        mail = (
            f"From: forwarder@customer.test\r\nSubject: Fwd {level}\r\nMIME-Version: 1.0\r\n"
            f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/html\r\n\r\n<p>{'y' * filler}</p>\r\n"
            f"--{boundary}\r\nContent-Type: message/rfc822\r\n\r\n{mail}\r\n--{boundary}--\r\n"
        )
    return (f"To: {to}\r\nMessage-ID: {make_msgid(domain='customer.test')}\r\n" + mail).encode()


def many_parts(count, to="mailcatcher@company.test"):
    mail = EmailMessage()
    mail["From"] = "scanner@customer.test"
    mail["To"] = to
    mail["Subject"] = "Scans"
    mail["Message-ID"] = make_msgid(domain="customer.test")
    mail.set_content("See the scans")
    for index in range(count):
        mail.add_attachment(b"%d" % index, "application", "octet-stream", filename=f"{index}.bin")
    return mail.as_bytes()
