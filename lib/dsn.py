"""Delivery reports: which addresses failed, how (RFC 3463 status: 5.x.x permanent,
4.x.x temporary) and why, and which sent mail they are about. Standard reports (RFC 3464
DSN) are read here; the many non-standard formats are left to GNU Mailman's flufl.bounce."""

import re
from dataclasses import dataclass, field
from email.utils import parseaddr

from flufl.bounce import all_failures

DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_MESSAGE_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)


@dataclass
class Failure:
    recipient: str
    status: str = ""
    diagnostic: str = ""

    @property
    def permanent(self):
        return not self.status.startswith("4")


@dataclass
class DeliveryReport:
    failures: list = field(default_factory=list)
    original_message_id: str = ""


def is_delivery_report(message):
    """A report from a mail server rather than a person: a multipart/report, or a mail
    from MAILER-DAEMON or postmaster."""
    if message.get_content_type() == "multipart/report":
        return True
    sender = parseaddr(str(message.get("From") or ""))[1].lower()
    return sender.partition("@")[0] in DAEMONS


def parse_delivery_report(message):
    """The failures of a delivery report and the Message-ID of the mail it returns."""
    report = DeliveryReport(original_message_id=_original_message_id(message))
    for part in message.walk():
        if part.get_content_type() == "message/delivery-status":
            report.failures.extend(_dsn_failures(part))
    if not report.failures:
        temporary, permanent = all_failures(message)
        text = _text(message)
        for addresses, default in ((permanent, "5.0.0"), (temporary, "4.0.0")):
            for address in sorted(addresses):
                recipient = address.decode() if isinstance(address, bytes) else str(address)
                report.failures.append(
                    Failure(recipient.lower(), _status_near(text, recipient) or default)
                )
    return report


def _dsn_failures(part):
    failures = []
    for block in part.get_payload()[1:]:  # the first block is about the reporting server
        action = str(block.get("Action", "")).strip().lower()
        if action and action not in ("failed", "delayed"):
            continue
        recipient = str(block.get("Final-Recipient") or block.get("Original-Recipient") or "")
        recipient = recipient.split(";", 1)[-1].strip().strip("<>").lower()
        status = _STATUS.search(str(block.get("Status", "")))
        if not status and action == "delayed":
            status_text = "4.0.0"
        else:
            status_text = status.group(0) if status else "5.0.0"
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        diagnostic = diagnostic.split(";", 1)[-1].strip()
        if recipient:
            failures.append(Failure(recipient, status_text, diagnostic))
    return failures


def _original_message_id(message):
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                found = payload[0].get("Message-ID")
                if found:
                    return str(found).strip()
            match = _MESSAGE_ID.search(
                part.get_payload(decode=False) if isinstance(payload, str) else ""
            )
            if match:
                return match.group(1)
    match = _MESSAGE_ID.search(_text(message))
    return match.group(1) if match else ""


def _text(message):
    chunks = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                chunks.append(part.get_content())
            except Exception:  # a broken part says nothing useful
                continue
    return "\n".join(chunks)


def _status_near(text, recipient):
    """The status code written next to the address in a human-readable bounce."""
    index = text.lower().find(recipient.lower())
    if index < 0:
        return ""
    match = _STATUS.search(text[index : index + 400])
    return match.group(0) if match else ""
