"""Log in to IMAP, POP and SMTP servers as the setup wizard tests them, and send its
round-trip mail; plain functions over the standard library, with timeouts."""

import contextlib
import imaplib
import poplib
import smtplib
import socket
import ssl

TIMEOUT = 15


def imap_login(host, port, use_ssl, user, password, timeout=TIMEOUT):
    connection = (
        imaplib.IMAP4_SSL(host, port, timeout=timeout)
        if use_ssl
        else imaplib.IMAP4(host, port, timeout=timeout)
    )
    try:
        connection.login(user, password)
    finally:
        with contextlib.suppress(OSError, imaplib.IMAP4.error):
            connection.logout()


def pop_login(host, port, use_ssl, user, password, timeout=TIMEOUT):
    connection = (
        poplib.POP3_SSL(host, port, timeout=timeout)
        if use_ssl
        else poplib.POP3(host, port, timeout=timeout)
    )
    try:
        connection.user(user)
        connection.pass_(password)
    finally:
        with contextlib.suppress(OSError, poplib.error_proto):
            connection.quit()


def smtp_connect(host, port, security, user, password, timeout=TIMEOUT):
    """A logged-in SMTP connection (the caller quits it)."""
    if security == "ssl":
        connection = smtplib.SMTP_SSL(host, port, timeout=timeout)
    else:
        connection = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if security == "starttls":
            connection.starttls(context=ssl.create_default_context())
        if user and password:
            connection.login(user, password)
    except Exception:
        connection.close()
        raise
    return connection


def first_answering_port(host, candidates, timeout=5):
    """The first (port, security) of `candidates` on which something answers."""
    for port, security in candidates:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                return port, security
        except OSError:
            continue
    return None
