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
# An account that signs in with OAuth (XOAUTH2: Gmail, Microsoft 365) fails in ways of its
# own, each with its own remedy: the provider refused the account's token or its renewal
# (authorise the account again), the token expired during the session (renewed at the next
# fetch), or the provider's token service could not be reached.
OAUTH_REFUSED = "oauth_refused"
OAUTH_EXPIRED = "oauth_expired"
OAUTH_UNREACHABLE = "oauth_unreachable"


def root_cause(error):
    """Odoo wraps connection errors in UserError/ValidationError, raised from them or
    while handling them: dig out the original."""
    seen = set()
    while (error.__cause__ or error.__context__) is not None and id(error) not in seen:
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return error


def _chain(error):
    """The error, then what it was raised from or while handling, down to the root."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _classify_oauth(error):
    """OAUTH_REFUSED, OAUTH_EXPIRED or OAUTH_UNREACHABLE, or None when the failure is not
    OAuth's own (an unknown host, a closed port: the usual words then)."""
    chain = list(_chain(error))
    if any("AccessTokenExpired" in str(link) for link in chain):
        return OAUTH_EXPIRED
    if any(type(link).__module__.split(".")[0] == "requests" for link in chain):
        # The token service, which Odoo asks over HTTPS, did not answer.
        return OAUTH_UNREACHABLE
    root = chain[-1]
    if isinstance(root, imaplib.IMAP4.abort):
        return None
    if isinstance(root, (imaplib.IMAP4.error, smtplib.SMTPAuthenticationError)):
        return OAUTH_REFUSED
    if type(root).__module__ == "odoo.exceptions":
        # Odoo's own error when the token service refuses to renew the token (a revoked
        # consent, an expired refresh token).
        return OAUTH_REFUSED
    return None


def classify_connection_error(error, oauth=False):
    """Return LOGIN, HOST, PORT, TLS, TIMEOUT or OTHER for an exception raised while
    connecting to, or logging in on, an IMAP, POP or SMTP server; with `oauth` (the
    account signs in with XOAUTH2), OAUTH_REFUSED, OAUTH_EXPIRED or OAUTH_UNREACHABLE
    where OAuth is at fault."""
    if oauth and (found := _classify_oauth(error)):
        return found
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
