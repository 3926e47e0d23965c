import imaplib
import poplib
import socket
import ssl
from unittest import TestCase

from lib.connection_errors import (
    HOST,
    LOGIN,
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
