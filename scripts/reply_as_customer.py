"""Answer, as a customer, a mail that Odoo sent, the way a mail client would.

Reads the newest matching mail in the customer's bench mailbox (IMAP), builds a reply to its
Reply-To (or From) with the threading headers and the quoted original, and sends it through
the bench SMTP server::

    python reply_as_customer.py --bench DIR/bench.json --customer customer@customer.test \\
        [--subject-contains TEXT] [--body TEXT] [--attach FILE]... [--no-threading-headers]
"""

from __future__ import annotations

import argparse
import email.utils
import html
import mimetypes
import re
import sys
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench

DEFAULT_BODY = "Thank you, here is my answer."


def plain_text(message: EmailMessage) -> str:
    """The text a mail client would quote; Odoo may send HTML only, so fall back to a crude
    tag strip rather than quote markup."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = part.get_content()
    if part.get_content_subtype() == "html":
        text = re.sub(r"(?is)<(script|style).*?</\1>", "", text)
        text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>", "\n", text)
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
        text = re.sub(r"\n\s*\n+", "\n\n", text)
    return text.strip()


def build_reply(
    original: EmailMessage,
    customer: str,
    body: str,
    attachments: list[tuple[str, bytes]] = (),
    threading_headers: bool = True,
) -> EmailMessage:
    """The reply a mail client would send. Without threading headers, Odoo has to route it by
    other means (recipient address, subject), which tests want to exercise too."""
    reply = EmailMessage()
    reply["From"] = customer
    reply["To"] = original.get("Reply-To") or original["From"]
    subject = str(original.get("Subject", ""))
    reply["Subject"] = subject if re.match(r"(?i)re\s*:", subject) else f"Re: {subject}"
    reply["Date"] = email.utils.formatdate(localtime=True)
    domain = email.utils.parseaddr(customer)[1].rpartition("@")[2] or None
    reply["Message-ID"] = email.utils.make_msgid(domain=domain)
    message_id = original.get("Message-ID")
    if threading_headers and message_id:
        reply["In-Reply-To"] = message_id
        references = " ".join(str(original.get("References", "")).split())
        reply["References"] = f"{references} {message_id}".strip()
    quoted = "\n".join(f"> {line}" if line else ">" for line in plain_text(original).splitlines())
    intro = f"On {original.get('Date', 'an unknown date')}, {original.get('From', '')} wrote:"
    reply.set_content(f"{body}\n\n{intro}\n{quoted}\n")
    for filename, data in attachments:
        mime = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        maintype, subtype = mime.split("/", 1)
        reply.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return reply


def find_original(bench_: bench.Bench, customer: str, subject_contains: str | None) -> EmailMessage:
    """The newest (last delivered) mail of the customer whose subject matches."""
    needle = (subject_contains or "").lower()
    candidates = [
        m for m in bench_.messages(customer) if needle in str(m.get("Subject", "")).lower()
    ]
    if not candidates:
        raise SystemExit(
            f"no mail for {customer}"
            + (f" with {subject_contains!r} in the subject" if subject_contains else "")
        )
    return candidates[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", required=True, help="the bench.json of a running bench")
    parser.add_argument("--customer", required=True, help="the customer's address")
    parser.add_argument("--subject-contains", help="pick the newest mail with this in its subject")
    parser.add_argument("--body", default=DEFAULT_BODY)
    parser.add_argument("--attach", action="append", default=[], metavar="FILE")
    parser.add_argument(
        "--no-threading-headers",
        action="store_true",
        help="omit In-Reply-To and References, like some mail clients do",
    )
    args = parser.parse_args(argv)

    bench_ = bench.Bench.load(args.bench)
    original = find_original(bench_, args.customer, args.subject_contains)
    attachments = [(Path(f).name, Path(f).read_bytes()) for f in args.attach]
    reply = build_reply(
        original, args.customer, args.body, attachments, not args.no_threading_headers
    )
    recipients = [addr for _, addr in email.utils.getaddresses([str(reply["To"])]) if addr]
    customer_addr = email.utils.parseaddr(args.customer)[1]
    bench_.deliver(reply, recipients, sender=customer_addr)
    print(f"To: {reply['To']}")
    print(f"Subject: {reply['Subject']}")
    print(f"Message-ID: {reply['Message-ID']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
