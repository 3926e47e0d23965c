"""Mails that stopped the catcher, written after the shapes issue 14 reports (and after
the torture corpus's worst): built here, byte for byte, rather than copied."""

import base64
from email.utils import make_msgid

try:
    from .mails import compose
except ImportError:  # imported as a top-level module, tests/ on the path (tests/lib, e2e)
    from mails import compose


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
    return compose(
        "See the scans",
        attachments=[(f"{index}.bin", b"%d" % index) for index in range(count)],
        From="scanner@customer.test",
        To=to,
        Subject="Scans",
    )


def _mail(subject, body_part, to):
    # Latin-1: each character one byte, as 8-bit mail software writes them.
    return (
        f"From: sender@customer.test\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: {make_msgid(domain='customer.test')}\r\nMIME-Version: 1.0\r\n{body_part}"
    ).encode("latin-1")


def written_shapes(to="mailcatcher@company.test"):
    """The malformed shapes the torture run must include, each written here after what
    mail software is known to send; {name: raw mail}."""
    return {
        "nul_in_encoded_subject": nul_in_encoded_subject(to),
        "a_thousand_nested_forwards": nested_forwards(1000, to, filler=3000),
        "six_hundred_parts": many_parts(600, to),
        "huge_single_line_body": _mail(
            "One line", "Content-Type: text/plain\r\n\r\n" + "x" * 5_000_000 + "\r\n", to
        ),
        "broken_boundary": _mail(
            "Broken boundary",
            'Content-Type: multipart/mixed; boundary="declared"\r\n\r\n'
            "--other\r\nContent-Type: text/plain\r\n\r\nlost part\r\n--other--\r\n",
            to,
        ),
        "unknown_charset": _mail(
            "=?x-unknown-charset?Q?Caf=E9?=",
            "Content-Type: text/plain; charset=x-unknown-charset\r\n\r\nCaf\xe9\r\n",
            to,
        ),
        "tnef_winmail_dat": _mail(
            "Outlook rich text",
            'Content-Type: multipart/mixed; boundary="t"\r\n\r\n'
            "--t\r\nContent-Type: text/plain\r\n\r\nSee attached\r\n"
            '--t\r\nContent-Type: application/ms-tnef; name="winmail.dat"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(b"\x78\x9f\x3e\x22" + bytes(range(256)) * 4).decode()
            + "--t--\r\n",
            to,
        ),
        "smime_signed": _mail(
            "Signed",
            'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; '
            'micalg=sha-256; boundary="s"\r\n\r\n'
            "--s\r\nContent-Type: text/plain\r\n\r\nSigned text\r\n"
            '--s\r\nContent-Type: application/pkcs7-signature; name="smime.p7s"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(b"\x30\x82" + bytes(300)).decode()
            + "--s--\r\n",
            to,
        ),
        "smime_enveloped": _mail(
            "Encrypted",
            'Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name="smime.p7m"'
            "\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            + base64.encodebytes(b"\x30\x80" + bytes(500)).decode(),
            to,
        ),
        "uuencoded_body": _mail(
            "Old client",
            "Content-Type: text/plain\r\n\r\nSee the file\r\n\r\nbegin 644 scan.txt\r\n"
            "#86)C\r\n`\r\nend\r\n",
            to,
        ),
        "group_recipients": _mail(
            "To nobody in particular", "Content-Type: text/plain\r\n\r\nHi\r\n", to
        ).replace(f"To: {to}".encode(), b"To: undisclosed-recipients:;"),
        "broken_base64": _mail(
            "Broken base64",
            "Content-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!notbase64",
            to,
        ),
        "eight_bit_headers": _mail(
            "Caf\xe9 cr\xe8me", "Content-Type: text/plain\r\n\r\nno charset at all\xff\r\n", to
        ),
    }
