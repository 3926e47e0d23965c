"""Say which setting of a mail server is at fault when connecting to it fails.

Admins see Python's socket and IMAP errors as noise; naming the field to fix
(password, host, port, security) is what makes the error actionable.
"""

import imaplib
import poplib
import smtplib
import socket
import ssl

LOGIN = "login"
HOST = "host"
PORT = "port"
TLS = "tls"
TIMEOUT = "timeout"
OTHER = "other"


def root_cause(error):
    """Odoo wraps connection errors in UserError/ValidationError, raised from them or
    while handling them: dig out the original."""
    seen = set()
    while (error.__cause__ or error.__context__) is not None and id(error) not in seen:
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return error


def classify_connection_error(error):
    """Return LOGIN, HOST, PORT, TLS, TIMEOUT or OTHER for an exception raised while
    connecting to, or logging in on, an IMAP, POP or SMTP server."""
    error = root_cause(error)
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return LOGIN
    if isinstance(error, ssl.SSLError):
        return TLS
    if isinstance(error, socket.gaierror) or (
        # A host name that cannot be encoded; other encoding errors are not about the host.
        isinstance(error, UnicodeError) and "idna" in str(error)
    ):
        return HOST
    if isinstance(error, (socket.timeout, TimeoutError)):
        return TIMEOUT
    if isinstance(error, ConnectionRefusedError):
        return PORT
    if isinstance(error, (imaplib.IMAP4.abort, smtplib.SMTPServerDisconnected)):
        # A server that speaks TLS on a port we use in clear text closes the connection
        # before any greeting.
        return TLS
    if isinstance(error, (imaplib.IMAP4.error, poplib.error_proto)):
        text = str(error).lower()
        if any(word in text for word in ("auth", "login", "password", "credentials")):
            return LOGIN
        return OTHER
    return OTHER
