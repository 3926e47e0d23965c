"""What the chatter shows of a reply, client by client: the new text in view, the
attribution line, the quoted mail and the signature folded behind "Read More".

The samples in tests/data/quoted were written for these tests after the format each client
produces (MIME structure, markup, attribution lines and header blocks as Gmail, Outlook
desktop and web, Apple Mail, iPhone, Gmail for Android, Thunderbird, Yahoo, AOL, Zimbra
and Sparrow write them, in English, French, Dutch, German, Spanish and Russian).
Placeholders in braces are filled per test.
"""

from odoo.addons.mail.tests.common import MockEmail
from odoo.tests import tagged
from odoo.tools import email_normalize, html2plaintext

from ..lib.quoted_reply import visible_part
from .common import MailCatcherCase
from .mails import sample

QUOTED = "Please find your document attached."

# sample: (text in view, text folded away)
FORMATS = {
    "gmail_fr.eml": ("Le virement part demain.", "a écrit"),
    "outlook_desktop_en.eml": ("We will pay on Friday.", "Monday, November 30, 2026 10:00 AM"),
    "outlook_desktop_de.eml": ("an die Buchhaltung gegangen", "Ursprüngliche Nachricht"),
    "outlook_web_nl.eml": ("de factuur is goedgekeurd", "maandag 30 november 2026"),
    "apple_mail_es.eml": ("Pagaremos el lunes.", "escribió:"),
    "iphone_nl.eml": ("ik betaal vandaag", "Verstuurd vanaf mijn iPhone"),
    "android_ru.eml": ("оплатим завтра", "пн, 30 нояб. 2026 г., 12:00 Alice Martin"),  # noqa: RUF001
    "thunderbird_top_fr.eml": ("pour votre comptabilité", "Service achats"),
    "thunderbird_bottom_en.eml": ("paid today by bank transfer", "Purchasing"),
    "thunderbird_bottom_de.eml": ("für Freitag eingeplant", "schrieb Alice Martin:"),
    "yahoo_en.eml": ("The payment is scheduled.", "----- Original Message -----"),
    "aol_en.eml": ("we will check it this week", "-----Original Message-----"),
    "zimbra_fr.eml": ("je transmets au service comptable", "Lundi 30 Novembre 2026"),
    "sparrow_en.eml": ("transfer reference 2026-1130-42", "Sent with Sparrow"),
    "android_ru_wrote.eml": ("оплатим завтра", "пользователь"),
    "hotmail_en.eml": ("the transfer leaves on Thursday", "Subject:"),
}


@tagged("post_install", "-at_install")
class TestQuotedReplies(MockEmail, MailCatcherCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_catcher()
        cls.customer.write({"name": "Camille Dupont", "email": "camille@customer.test"})
        cls.alice.notification_type = "email"

    def setUp(self):
        super().setUp()
        self.document = self.env["res.partner"].create({"name": "INV/2026/00042"})
        self.sent = self.document.with_user(self.alice).message_post(
            body=QUOTED,
            subject="Invoice INV/2026/00042",
            partner_ids=self.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.count = 0

    def reply(self, name):
        self.count += 1
        raw = sample(
            f"quoted/{name}",
            message_id=self.sent.message_id,
            reply_to=email_normalize(self.sent.reply_to),
            customer="camille@customer.test",
            subject="Invoice INV/2026/00042",
            n=str(self.count),
        )
        entry = self.receive(raw=raw)
        self.last_raw = raw
        self.assertRecordValues(
            entry, [{"state": "routed", "kind": "reply", "res_id": self.document.id}]
        )
        return entry

    def assertFolded(self, body, visible, folded):
        shown = html2plaintext(visible_part(body))
        self.assertIn(visible, shown, "the new text is in view")
        self.assertNotIn(folded, shown, "the quoted part is folded")
        self.assertNotIn(QUOTED, shown, "the quoted mail is folded")
        everything = html2plaintext(body)
        self.assertIn(folded, everything, "nothing is lost")
        self.assertIn(QUOTED, everything, "nothing is lost")

    def test_each_client_shows_the_new_text_and_folds_the_rest(self):
        for name, (visible, folded) in FORMATS.items():
            with self.subTest(sample=name):
                entry = self.reply(name)
                self.assertFolded(entry.mail_message_id.body, visible, folded)
                self.assertEqual(entry.raw_attachment_id.raw, self.last_raw, "the raw mail stays")

    def test_a_forward_is_not_folded(self):
        body = self.reply("forwarded_fr.eml").mail_message_id.body
        self.assertEqual(visible_part(body), body)
        for text in ("Je transfère", "Forwarded message", "Le virement de 1 200 € part vendredi"):
            self.assertIn(text, html2plaintext(body))

    def test_plain_text_reads_like_the_chatter(self):
        body = self.reply("thunderbird_top_fr.eml").mail_message_id.body
        self.assertNotIn("<pre", body)
        self.assertIn("<p>Bonjour Alice,</p>", body)
        self.assertIn('href="https://customer.test/paiements/2026"', body)
        self.assertIn("est sur https://", html2plaintext(body).replace("[1]", ""), "unflowed")

    def test_the_author_is_told_the_new_text_only(self):
        for name, (visible, folded) in FORMATS.items():
            with self.subTest(sample=name):
                # Odoo's own capture of the emails handed to the outgoing server.
                with self.mock_mail_gateway():
                    self.reply(name)
                [to_alice] = [
                    mail
                    for mail in self._mails
                    if any(self.alice.email in address for address in mail["email_to"])
                ]
                text = html2plaintext(to_alice["body"])
                self.assertIn(visible, text)
                self.assertNotIn(folded, text)
                self.assertNotIn(QUOTED, text)
