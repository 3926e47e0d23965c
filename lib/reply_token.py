"""Reply tokens: which document a reply belongs to, written in the Reply-To address
(mailcatcher+<token>@company.com) and signed, so that the token is checked without
trusting anything the sender wrote, and no one can forge a route into a document."""

import base64
import hashlib
import hmac
import re
from typing import NamedTuple

SIGNATURE_BYTES = 8  # 64 bits: out of reach of guessing, short enough for an address
TOKEN_PATTERN = re.compile(r"^[a-z2-7]{16,40}$")


class InvalidToken(ValueError):
    """The token is malformed or its signature is wrong: a forged or damaged address."""


class ReplyToken(NamedTuple):
    """What a token says: the document, and whether the mail it answers was internal (a
    note), in which case the answer stays internal too."""

    model_id: int
    res_id: int
    internal: bool = False


def _varint(number):
    out = bytearray()
    while True:
        byte, number = number & 0x7F, number >> 7
        out.append(byte | (0x80 if number else 0))
        if not number:
            return bytes(out)


def _read_varints(data):
    numbers, number, shift = [], 0, 0
    for byte in data:
        number |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            numbers.append(number)
            number, shift = 0, 0
    if shift:
        raise InvalidToken("truncated")
    return numbers


def _signature(key, payload):
    return hmac.new(key, b"mail_catcher.reply-token:" + payload, hashlib.sha256).digest()[
        :SIGNATURE_BYTES
    ]


def make_token(key, model_id, res_id, internal=False):
    """A lowercase base32 token naming a document by its model's id and its record id,
    and, signed with them, that the mail it answers is internal."""
    payload = _varint(model_id) + _varint(res_id) + (_varint(1) if internal else b"")
    raw = payload + _signature(key, payload)
    return base64.b32encode(raw).decode().rstrip("=").lower()


def read_token(key, token):
    """The ReplyToken of a token made with the same key; raises InvalidToken."""
    if not TOKEN_PATTERN.match(token or ""):
        raise InvalidToken("not a reply token")
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        raw = base64.b32decode(padded)
    except ValueError as error:
        raise InvalidToken("not base32") from error
    payload, signature = raw[:-SIGNATURE_BYTES], raw[-SIGNATURE_BYTES:]
    if not hmac.compare_digest(signature, _signature(key, payload)):
        raise InvalidToken("bad signature")
    numbers = _read_varints(payload)
    if len(numbers) == 3 and numbers[2] == 1:
        return ReplyToken(numbers[0], numbers[1], internal=True)
    if len(numbers) != 2:
        raise InvalidToken("malformed")
    return ReplyToken(numbers[0], numbers[1])


def plus_address(address, token):
    """mailcatcher@company.com + token -> mailcatcher+token@company.com"""
    local, _at, domain = address.rpartition("@")
    return f"{local}+{token}@{domain}"


def tokens_for(address, recipients):
    """The tags that recipients carry on the catcher's address: for
    mailcatcher@company.com, 'abc' from 'mailcatcher+abc@company.com'."""
    local, _at, domain = address.lower().rpartition("@")
    found = []
    for recipient in recipients:
        r_local, _at, r_domain = recipient.lower().rpartition("@")
        if r_domain == domain and r_local.startswith(local + "+"):
            found.append(r_local[len(local) + 1 :])
    return found
