"""Replies, automatic replies and bounces as real mail clients and servers write them.

The samples in tests/data were written for these tests after the formats that each
client or server produces (headers, MIME structure, encodings and wording as seen in
mails of Gmail, Outlook/Exchange, Apple Mail, Thunderbird, K-9 Mail, Zimbra, Postfix,
Exim, Sendmail and qmail; the bounce layouts follow the samples that GNU Mailman's
flufl.bounce keeps for its own tests). Placeholders in braces are filled per test.
"""

from odoo.tests import tagged
from odoo.tools import email_normalize

from .common import MailCatcherCase
from .mails import sample


@tagged("post_install", "-at_install")
class TestCorpus(MailCatcherCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_catcher()
        cls.customer.write({"name": "Camille Dupont", "email": "camille@customer.test"})

    def setUp(self):
        super().setUp()
        self.document = self.env["res.partner"].create({"name": "INV/2026/00042"})
        self.sent = self.document.with_user(self.alice).message_post(
            body="Please find your document attached.",
            subject="Invoice INV/2026/00042",
            partner_ids=self.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.count = 0

    def receive_sample(self, folder, name, recipient="camille@customer.test"):
        self.count += 1
        raw = sample(
            f"{folder}/{name}",
            message_id=self.sent.message_id,
            reply_to=email_normalize(self.sent.reply_to),
            catcher="mailcatcher@company.test",
            customer="camille@customer.test",
            recipient=recipient,
            subject="Invoice INV/2026/00042",
            n=str(self.count),
        )
        return self.receive(raw=raw)

    def test_replies_of_every_client_reach_the_document(self):
        expected_routes = {
            "gmail.eml": ("token", "reçu"),
            "outlook_no_headers.eml": ("token", "ne correspond pas"),
            "apple_mail.eml": ("token", "Parfait"),
            "thunderbird.eml": ("token", "Bien reçu"),
            "phone_k9.eml": ("token", "téléphone"),
            "forwarded.eml": ("subject", "Je transfère"),
            "reply_all_cc.eml": ("token", "comptabilité"),
            "attachment.eml": ("token", "bon de commande"),
            "html_only.eml": ("token", "en HTML"),
            "windows_1252.eml": ("token", "120 €"),
        }
        for name, (route, text) in expected_routes.items():
            with self.subTest(sample=name):
                entry = self.receive_sample("replies", name)
                self.assertRecordValues(
                    entry,
                    [
                        {
                            "state": "routed",
                            "kind": "reply",
                            "route": route,
                            "res_id": self.document.id,
                        }
                    ],
                )
                self.assertIn(text, entry.mail_message_id.body)
                self.assertEqual(entry.mail_message_id.author_id, self.customer)
        attachment = self.Journal.search([("message_id", "like", "attach-")]).mail_message_id
        self.assertEqual(attachment.attachment_ids.mapped("name"), ["bon-signe.pdf"])
        html = self.Journal.search([("message_id", "like", "html-")]).mail_message_id
        self.assertNotIn("<script", html.body, "hostile HTML is sanitized")

    def test_without_plus_addressing_headers_and_subject_still_route(self):
        self.company.mail_catcher_plus_addressing = False
        self.sent = self.document.message_post(
            body="Again", subject="Invoice INV/2026/00042", partner_ids=self.customer.ids
        )
        entry = self.receive_sample("replies", "gmail.eml")
        self.assertRecordValues(entry, [{"route": "header", "res_id": self.document.id}])
        entry = self.receive_sample("replies", "outlook_no_headers.eml")
        self.assertEqual(entry.state, "quarantined", "no token, no headers, no reference")

    def test_automatic_replies_notify_nobody(self):
        for name in ("exchange_ooo.eml", "gmail_vacation.eml", "zimbra_ooo.eml"):
            with self.subTest(sample=name):
                entry = self.receive_sample("auto_replies", name)
                self.assertRecordValues(
                    entry, [{"state": "routed", "kind": "auto_reply", "res_id": self.document.id}]
                )
                self.assertFalse(entry.mail_message_id.notification_ids)

    def test_bounces_of_every_server_get_their_verdict(self):
        verdicts = {
            "postfix_hard.eml": "5.1.1",
            "exchange_hard.eml": "5.1.10",
            "gmail_hard.eml": "5.1.1",
            "qmail_hard.eml": "5.1.1",
            "sendmail_hard.eml": "5.1.1",
        }
        for name, status in verdicts.items():
            with self.subTest(sample=name):
                partner = self.env["res.partner"].create(
                    {"name": name, "email": f"gone-{self.count}@customer.test"}
                )
                entry = self.receive_sample("bounces", name, recipient=partner.email)
                self.assertRecordValues(
                    entry, [{"state": "routed", "kind": "bounce", "res_id": self.document.id}]
                )
                self.assertIn(partner.email, entry.reason)
                self.assertIn(status, entry.reason)
                self.assertIn("permanent", entry.reason)
                self.assertEqual(partner.message_bounce, 1)
                note = entry.mail_message_id
                self.assertIn(partner.email, note.body)
                self.assertEqual(note.partner_ids, self.alice.partner_id, "the author is told")

    def test_a_temporary_failure_is_recorded_only(self):
        partner = self.env["res.partner"].create({"name": "Full", "email": "full@customer.test"})
        entry = self.receive_sample("bounces", "exim_soft.eml", recipient=partner.email)
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "bounce"}])
        self.assertIn("temporary failure 4.2.2", entry.reason)
        self.assertEqual(partner.message_bounce, 0)
        self.assertFalse(entry.mail_message_id)
