"""delivery_report (routing/delivery_report.py): a bounce, as each mail server writes it
(samples of tests/data/bounces), is recorded on the address that failed."""

from odoo.tests import tagged

from .common import CorpusCase


@tagged("post_install", "-at_install")
class TestDeliveryReport(CorpusCase):
    """A permanent failure counts a bounce and tells the author; a temporary one is only
    recorded."""

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
