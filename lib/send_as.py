"""Whether a user's mail leaves with the user's own address: what an SMTP refusal means
(the account may not send as that address; the recipient does not exist), whether the
From arrived rewritten, and what a provider does with a From other than the account's own.
Plain functions, without Odoo."""

import re
import smtplib
from email.utils import getaddresses

# What a provider does with mail from an address other than the account that logs in.
REFUSED = "refused"  # Microsoft 365: 554 5.2.252 SendAsDenied
REWRITTEN = "rewritten"  # Gmail: the From becomes the account's address
KEPT = "kept"  # the address went through as it was

# What an SMTP refusal is about.
SEND_AS_DENIED = "send_as_denied"
RECIPIENT_UNKNOWN = "recipient_unknown"

# Exchange Online: "554 5.2.252 SendAsDenied; <login> not allowed to send as <from>" at the
# end of DATA, or "550 5.7.60 SMTP; Client does not have permissions to send as this
# sender" at MAIL FROM; older servers "5.2.0 STOREDRV.Submission.Exception:
# SendAsDeniedException". Other servers: Postfix's reject_sender_login_mismatch ("Sender
# address rejected: not owned by user"), Gmail's "5.7.1 ... not allowed to send as".
_SEND_AS_DENIED = re.compile(
    r"sendasdenied|\b5\.2\.252\b|\b5\.7\.60\b|not allowed to send as|"
    r"not owned by (?:auth)?user|does not have permissions? to send as",
    re.IGNORECASE,
)
# Exchange Online: 5.1.10 RESOLVER.ADR.RecipientNotFound, 5.4.1 "Recipient address
# rejected: Access denied" (Directory-Based Edge Blocking); elsewhere 5.1.1 "user unknown".
_RECIPIENT_UNKNOWN = re.compile(
    r"\b5\.1\.1\d?\b|recipientnotfound|recipient address rejected|user unknown|"
    r"no such (?:user|recipient|mailbox)|does not exist",
    re.IGNORECASE,
)

# Hosts of the submission servers whose behaviour is known, by what they do with mail
# from an address other than the account's own.
_PROVIDER_HOSTS = (
    (re.compile(r"(^|\.)(office365|outlook)\.com$", re.IGNORECASE), REFUSED),
    (re.compile(r"^smtp\.gmail\.com$|^smtp\.googlemail\.com$", re.IGNORECASE), REWRITTEN),
)
# Relays take any address of the tenant: nothing to rewrite or refuse.
_RELAY_HOSTS = re.compile(r"^smtp-relay\.gmail\.com$|\.mail\.protection\.outlook\.com$", re.I)


def classify_refusal(text):
    """SEND_AS_DENIED, RECIPIENT_UNKNOWN or None, from an SMTP reply's text."""
    if _SEND_AS_DENIED.search(text or ""):
        return SEND_AS_DENIED
    if _RECIPIENT_UNKNOWN.search(text or ""):
        return RECIPIENT_UNKNOWN
    return None


def smtp_refusal(error):
    """(kind, server's words) of the SMTP refusal behind `error` (Odoo wraps smtplib's
    exceptions in its own), or None when no server refused anything."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        for text in _refusal_texts(error):
            kind = classify_refusal(text)
            if kind:
                return kind, text
        error = error.__cause__ or error.__context__
    return None


def _refusal_texts(error):
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return [f"{code} {_text(words)}" for code, words in error.recipients.values()]
    if isinstance(error, smtplib.SMTPResponseException):
        return [f"{error.smtp_code} {_text(error.smtp_error)}"]
    return []


def _text(words):
    return words.decode("utf-8", "replace") if isinstance(words, bytes) else str(words)


def address_of(header):
    """The lowercase address of a From header's value, "" without one."""
    found = [address for _name, address in getaddresses([header or ""]) if address]
    return found[0].strip().lower() if found else ""


def from_kept(sent_address, arrived_from):
    """KEPT when the From that arrived is the address sent, REWRITTEN otherwise."""
    return KEPT if address_of(arrived_from) == (sent_address or "").strip().lower() else REWRITTEN


def provider_behaviour(host):
    """What the server at `host` is known to do with another address than its login's:
    REFUSED, REWRITTEN, or None when unknown (a relay or any other server)."""
    host = (host or "").strip().rstrip(".")
    if _RELAY_HOSTS.search(host):
        return None
    for pattern, behaviour in _PROVIDER_HOSTS:
        if pattern.search(host):
            return behaviour
    return None


def sender_outcome(address, login, host, checked=(None, None)):
    """What becomes of mail from `address` sent through a server that logs in as `login`
    on `host`: REFUSED, REWRITTEN, or None when it leaves as it is or nothing is known.
    `checked` is (outcome, address) of the last round trip through that server: a refusal
    or a rewrite it saw is what the provider does; that it kept an address speaks for that
    address only (Send As rights and aliases are given address by address)."""
    address = (address or "").strip().lower()
    login = (login or "").strip().lower()
    if not login or login == address:
        return None
    outcome, checked_address = checked
    if outcome in (REFUSED, REWRITTEN):
        return outcome
    if outcome == KEPT and (checked_address or "").lower() == address:
        return None
    return provider_behaviour(host)
