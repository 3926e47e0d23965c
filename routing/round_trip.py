"""The setup wizard's round-trip mail: signed by Odoo, recognised on its way back, and
posted nowhere."""

import hashlib
import hmac

from .outcome import Verdict

TEST_HEADER = "X-Mail-Catcher-Test"


def round_trip_signature(key, nonce):
    """The value of the round-trip header: only who holds the key can make one."""
    signature = hmac.new(key, b"test:" + nonce.encode(), hashlib.sha256)
    return f"{nonce}.{signature.hexdigest()[:32]}"


def is_round_trip_signature(key, value):
    value = (value or "").strip()
    nonce, _dot, _signature = value.partition(".")
    return hmac.compare_digest(round_trip_signature(key, nonce), value)


def setup_round_trip(mail):
    value = mail.message.get(TEST_HEADER)
    key = mail.env["ir.config_parameter"]._mail_catcher_key()
    if value and is_round_trip_signature(key, str(value)):
        return Verdict(
            "ignored", "test", mail.env._("Round-trip test of the setup wizard: posted nowhere.")
        )
    return None
