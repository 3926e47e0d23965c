import base64
from email.message import EmailMessage
from unittest import TestCase

from lib.classify import is_auto_reply
from lib.mime import names_in_subject
from lib.reply_token import InvalidToken, make_token, plus_address, read_token, tokens_for

KEY = b"k" * 32


class TestReplyToken(TestCase):
    """Signing and reading reply tokens; no database involved."""

    def test_a_token_names_its_document(self):
        token = make_token(KEY, 85, 1234567)
        self.assertRegex(token, r"^[a-z2-7]+$")
        self.assertLessEqual(len(token), 40)
        self.assertEqual(read_token(KEY, token), (85, 1234567, False))

    def test_a_token_says_when_the_mail_it_answers_is_internal(self):
        internal = make_token(KEY, 85, 1234567, internal=True)
        self.assertEqual(read_token(KEY, internal), (85, 1234567, True))
        self.assertLessEqual(len(internal), 40)
        self.assertNotEqual(internal, make_token(KEY, 85, 1234567))

    def test_the_internal_mark_cannot_be_taken_off(self):
        """Dropping or changing the mark's bytes breaks the signature."""
        internal = make_token(KEY, 85, 12, internal=True)
        raw = base64.b32decode(internal.upper() + "=" * (-len(internal) % 8))
        payload, signature = raw[:-8], raw[-8:]
        for forged_payload in (payload[:-1], payload[:-1] + b"\x00", payload[:-1] + b"\x02"):
            forged = base64.b32encode(forged_payload + signature).decode().rstrip("=").lower()
            with self.subTest(payload=forged_payload), self.assertRaises(InvalidToken):
                read_token(KEY, forged)

    def test_a_changed_or_foreign_token_is_refused(self):
        token = make_token(KEY, 85, 12)
        for bad in (
            token[:-1] + ("a" if token[-1] != "a" else "b"),
            make_token(b"other key" * 4, 85, 12),
            "short",
            "UPPERCASE" * 3,
        ):
            with self.subTest(bad=bad), self.assertRaises(InvalidToken):
                read_token(KEY, bad)

    def test_tokens_are_read_from_plus_addresses_of_the_catcher_only(self):
        address = plus_address("mailcatcher@company.test", "abc")
        self.assertEqual(address, "mailcatcher+abc@company.test")
        recipients = [address, "mailcatcher+x@other.test", "someone+y@company.test"]
        self.assertEqual(tokens_for("mailcatcher@company.test", recipients), ["abc"])


class TestClassification(TestCase):
    def headers(self, **values):
        message = EmailMessage()
        for name, value in values.items():
            message[name.replace("_", "-")] = value
        return message

    def test_automatic_replies_by_header(self):
        for headers in (
            {"Auto_Submitted": "auto-replied"},
            {"Auto_Submitted": "auto-generated"},
            {"X_Autoreply": "yes"},
            {"X_Autorespond": "Out of office"},
            {"Precedence": "auto_reply"},
            {"Precedence": "bulk"},
            {"Precedence": "junk"},
        ):
            with self.subTest(headers=headers):
                self.assertIs(is_auto_reply(self.headers(**headers)), True)

    def test_automatic_replies_by_subject(self):
        for subject in (
            "Out of Office: Invoice INV/2026/00001",
            "Automatic reply: your order",
            "Réponse automatique : Facture",
            "Absence du bureau",
            "Afwezig: bestelling",
            "Automatisch antwoord: factuur",
            "Abwesenheitsnotiz: Rechnung",
            "Automatische Antwort: Bestellung",
        ):
            with self.subTest(subject=subject):
                self.assertIs(is_auto_reply(self.headers(), subject), True)

    def test_people_are_not_automatic(self):
        self.assertIs(is_auto_reply(self.headers(Auto_Submitted="no"), "Re: your invoice"), False)
        self.assertIs(is_auto_reply(self.headers(), "Re: absence of the second page"), False)

    def test_document_names_in_subjects(self):
        self.assertIs(names_in_subject("INV/2026/00042", "Re: Invoice INV/2026/00042"), True)
        self.assertIs(names_in_subject("P00012", "question about p00012?"), True)
        self.assertIs(names_in_subject("INV/2026/0004", "Re: INV/2026/00042"), False)
        self.assertIs(names_in_subject("P00012", "Re: P000123"), False)
        self.assertIs(names_in_subject("ab", "ab ab"), False)
