import imaplib
import poplib
import socket
import ssl
from unittest import TestCase

from lib.connection_errors import (
    HOST,
    LOGIN,
    OAUTH_EXPIRED,
    OAUTH_REFUSED,
    OAUTH_UNREACHABLE,
    OTHER,
    PORT,
    TIMEOUT,
    TLS,
    classify_connection_error,
)


class TestConnectionErrors(TestCase):
    """Which server setting an exception points at; no database involved."""

    def test_errors_name_the_setting_at_fault(self):
        cases = [
            (imaplib.IMAP4.error("b'[AUTHENTICATIONFAILED] Authentication failed.'"), LOGIN),
            (poplib.error_proto("b'-ERR [AUTH] Authentication failed.'"), LOGIN),
            (socket.gaierror(-2, "Name or service not known"), HOST),
            (ConnectionRefusedError(111, "Connection refused"), PORT),
            (TimeoutError("timed out"), TIMEOUT),
            (ssl.SSLError(1, "[SSL: WRONG_VERSION_NUMBER] wrong version number"), TLS),
            (imaplib.IMAP4.abort("socket error: EOF"), TLS),
            (imaplib.IMAP4.error("SELECT command error: BAD"), OTHER),
            (ValueError("something else"), OTHER),
        ]
        for error, expected in cases:
            with self.subTest(error=error):
                self.assertEqual(classify_connection_error(error), expected)

    def test_the_cause_under_odoo_wrapping_is_read(self):
        try:
            try:
                raise ConnectionRefusedError(111, "Connection refused")
            except OSError as error:
                raise ValueError("Couldn't get your emails") from error
        except ValueError as wrapped:
            self.assertEqual(classify_connection_error(wrapped), PORT)


class UserError(Exception):
    """Stands for Odoo's UserError, which its OAuth apps raise when the token service
    refuses to renew a token (lib/ imports nothing of Odoo)."""


UserError.__module__ = "odoo.exceptions"  # where Odoo's own lives


class TestOAuthErrors(TestCase):
    """An account that signs in with XOAUTH2 fails with remedies of its own."""

    def raised(self, error, cause=None):
        try:
            raise error from cause
        except Exception as raised:
            return raised

    def test_oauth_failures_are_told_apart(self):
        import requests

        refused = imaplib.IMAP4.error("b'[AUTHENTICATIONFAILED] Authentication failed.'")
        expired = imaplib.IMAP4.abort("b'* BYE Session invalidated - AccessTokenExpired'")
        unreachable = self.raised(
            UserError("An error occurred when fetching the access token."),
            self.raised(
                requests.exceptions.ConnectionError("Max retries exceeded"),
                socket.gaierror(-3, "Temporary failure in name resolution"),
            ),
        )
        renewal_refused = UserError("An error occurred when fetching the access token.")
        cases = [
            (refused, OAUTH_REFUSED, LOGIN),
            (expired, OAUTH_EXPIRED, TLS),
            (unreachable, OAUTH_UNREACHABLE, HOST),
            (renewal_refused, OAUTH_REFUSED, OTHER),
            # Not OAuth's fault: the usual words, and a bug is not a refusal.
            (AttributeError("property of 'SMTPConnection' object has no deleter"), OTHER, OTHER),
            (socket.gaierror(-2, "Name or service not known"), HOST, HOST),
            (ConnectionRefusedError(111, "Connection refused"), PORT, PORT),
        ]
        for error, with_oauth, without in cases:
            with self.subTest(error=error):
                self.assertEqual(classify_connection_error(error, oauth=True), with_oauth)
                self.assertEqual(classify_connection_error(error), without)
