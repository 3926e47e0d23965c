"""Waiting for new mail on an IMAP connection: IDLE (RFC 2177), or NOOP polling for the
servers without it. Plain functions on an `imaplib.IMAP4` (or IMAP4_SSL) connection that
has a mailbox selected; Odoo's fetchmail wrapper (which keeps the real connection in
`__obj__`) is accepted too.

Python 3.11's imaplib has no IDLE command: it is spoken here on the connection's socket
and line reader, in the ways imaplib itself reads responses."""

import re
import select
import ssl
import time

# Each IDLE is ended and renewed this often: well inside the 30 minutes after which RFC
# 2177 lets a server drop an idle client, and a connection that died without a word (a
# NAT or firewall dropping it) is noticed by then.
IDLE_RENEW_SECONDS = 10 * 60
# Servers without IDLE: a NOOP every few seconds makes them announce what arrived.
NOOP_POLL_SECONDS = 5.0
# How `idle` learnt of new mail: announced while idling, as RFC 2177 means it, or only
# once the IDLE was ended (GNU imap4d looks at its mailbox only then: its IDLE is silent).
WHILE_IDLING = "while idling"
AFTER_IDLING = "after idling"
# How long the server may take to answer IDLE or DONE before the connection is
# considered dead, when the socket itself has no timeout.
ANSWER_TIMEOUT_SECONDS = 60.0

_NEW_MAIL = re.compile(rb"^\* (\d+) (EXISTS|RECENT)\b", re.IGNORECASE)
_BYE = re.compile(rb"^\* BYE\b", re.IGNORECASE)


def raw_connection(connection):
    """The imaplib object, also behind Odoo's IMAP4Connection wrapper."""
    return getattr(connection, "__obj__", connection)


def supports_idle(connection):
    """Whether the server offers IDLE. Asked again rather than trusting the greeting's
    list: servers may announce more capabilities once logged in."""
    conn = raw_connection(connection)
    typ, data = conn.capability()
    if typ == "OK" and data and data[0]:
        return b"IDLE" in data[0].upper().split()
    return "IDLE" in conn.capabilities


def announces_new_mail(line):
    """Whether an untagged response announces new mail: `* N EXISTS` (the mailbox grew;
    RFC 3501 reports shrinking with EXPUNGE instead) or `* N RECENT` with N > 0."""
    match = _NEW_MAIL.match(line)
    if not match:
        return False
    return match.group(2).upper() == b"EXISTS" or int(match.group(1)) > 0


def idle(connection, timeout, interrupt=None):
    """Wait until the server announces new mail in the selected mailbox, or `timeout`
    seconds pass, or `interrupt` (anything with a fileno(), or a file descriptor)
    becomes readable. Returns WHILE_IDLING or AFTER_IDLING when new mail was announced,
    else None. One IDLE command per IDLE_RENEW_SECONDS at most; on return the connection
    is out of IDLE and usable for other commands. Connection failures raise imaplib's
    errors or OSError."""
    deadline = time.monotonic() + max(timeout, 0)
    while True:
        remaining = deadline - time.monotonic()
        announced = _idle_once(connection, min(remaining, IDLE_RENEW_SECONDS), interrupt)
        if announced:
            return announced
        if deadline - time.monotonic() <= 0 or _is_readable(interrupt):
            return None


def poll_with_noop(connection, timeout, interrupt=None, interval=NOOP_POLL_SECONDS):
    """`idle` for servers without IDLE: a NOOP every `interval` seconds."""
    conn = raw_connection(connection)
    deadline = time.monotonic() + max(timeout, 0)
    # What earlier commands (SELECT included) reported is not news for this wait.
    _forget_new_mail_responses(conn)
    while True:
        typ, data = conn.noop()
        if typ != "OK":
            raise conn.error(f"NOOP failed: {typ} {data!r}")
        if _pop_new_mail_responses(conn):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        if _wait_readable(interrupt, min(interval, remaining)):
            return False


def _idle_once(connection, timeout, interrupt):
    conn = raw_connection(connection)
    sock = conn.sock
    saved_timeout = sock.gettimeout()
    if saved_timeout is None:
        # Without a timeout, a server that died silently would block the reads forever.
        sock.settimeout(ANSWER_TIMEOUT_SECONDS)
    tag = conn._new_tag()
    try:
        conn.send(tag + b" IDLE\r\n")
        new_mail = False
        while True:
            line = conn._get_line()
            if line.startswith(b"+"):
                break
            if line.startswith(tag + b" "):
                raise conn.error(f"the server refused IDLE: {line.decode(errors='replace')}")
            new_mail = new_mail or _check_untagged(conn, line)

        deadline = time.monotonic() + max(timeout, 0)
        while not new_mail:
            if not _has_buffered_data(conn):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                waited = [sock] + ([interrupt] if interrupt is not None else [])
                readable, _, _ = select.select(waited, [], [], remaining)
                if not readable or sock not in readable:
                    break  # timeout, or interrupted
            line = conn._get_line()
            if line.startswith(tag + b" "):
                # The server ended the IDLE itself (RFC 2177 allows it): nothing to DONE.
                _check_completion(conn, tag, line)
                return WHILE_IDLING if new_mail else None
            new_mail = _check_untagged(conn, line)
        return _end_idle(conn, tag, WHILE_IDLING if new_mail else None)
    finally:
        conn.tagged_commands.pop(tag, None)
        if saved_timeout is None:
            sock.settimeout(None)


def _end_idle(conn, tag, announced):
    """Ends the IDLE (DONE) and reads its completion; returns `announced`, or AFTER_IDLING
    for new mail that only the end of the IDLE brought."""
    conn.send(b"DONE\r\n")
    while True:
        line = conn._get_line()
        if line.startswith(tag + b" "):
            _check_completion(conn, tag, line)
            return announced
        # Mail may be announced between our DONE and the server reading it, or only
        # then, by a server whose IDLE is silent.
        if _check_untagged(conn, line) and not announced:
            announced = AFTER_IDLING


def _check_untagged(conn, line):
    if _BYE.match(line):
        raise conn.abort(f"the server closed the connection: {line.decode(errors='replace')}")
    return announces_new_mail(line)


def _check_completion(conn, tag, line):
    status = line[len(tag) + 1 :].split(b" ", 1)[0].upper()
    if status != b"OK":
        raise conn.error(f"IDLE ended with {line.decode(errors='replace')}")


def _has_buffered_data(conn):
    """Whether bytes already wait in imaplib's read buffer or the TLS layer: select()
    on the socket cannot see them, and they may hold the line we wait for."""
    sock = conn.sock
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    # peek() reads the socket when the buffer is empty: non-blocking, it returns
    # what is there without waiting (a blocking peek would wait for the server, and a
    # timed-out one would leave the reader unusable).
    saved_timeout = sock.gettimeout()
    sock.setblocking(False)
    try:
        return bool(conn.file.peek(1))
    except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
        return False
    finally:
        sock.settimeout(saved_timeout)


def _forget_new_mail_responses(conn):
    for name in ("EXISTS", "RECENT"):
        conn.untagged_responses.pop(name, None)


def _pop_new_mail_responses(conn):
    exists = conn.untagged_responses.pop("EXISTS", None)
    recent = conn.untagged_responses.pop("RECENT", None) or []
    return bool(exists) or any(int(count or 0) > 0 for count in recent)


def _is_readable(interrupt):
    return interrupt is not None and _wait_readable(interrupt, 0)


def _wait_readable(interrupt, timeout):
    """Sleep up to `timeout`; True as soon as `interrupt` is readable."""
    if interrupt is None:
        time.sleep(max(timeout, 0))
        return False
    readable, _, _ = select.select([interrupt], [], [], max(timeout, 0))
    return bool(readable)
