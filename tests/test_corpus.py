"""Replies and automatic replies as real mail clients write them; the bounces of the same
corpus are delivery_report's (test_rule_delivery_report.py).

The samples in tests/data were written for these tests after the formats that each
client or server produces (headers, MIME structure, encodings and wording as seen in
mails of Gmail, Outlook/Exchange, Apple Mail, Thunderbird, K-9 Mail, Zimbra, Postfix,
Exim, Sendmail and qmail; the bounce layouts follow the samples that GNU Mailman's
flufl.bounce keeps for its own tests). Placeholders in braces are filled per test.
"""

from odoo.tests import tagged

from .common import CorpusCase


@tagged("post_install", "-at_install")
class TestCorpus(CorpusCase):
    """Replies and automatic replies of each client reach the document they answer."""

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
