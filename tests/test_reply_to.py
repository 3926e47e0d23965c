from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import email_normalize

from .common import MailCatcherCase


@tagged("post_install", "-at_install")
class TestReplyTo(MailCatcherCase):
    """Where replies to a mail sent from a document go."""

    def post_to_customer(self, record):
        return record.with_user(self.alice).message_post(
            body="Here is your document.",
            partner_ids=self.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )

    def outgoing_mail(self, message):
        return self.env["mail.mail"].sudo().search([("mail_message_id", "=", message.id)])

    def test_catcher_is_the_reply_to_of_mail_sent_from_a_document(self):
        self.set_catcher()
        document = self.env["res.partner"].create({"name": "A document"})
        message = self.post_to_customer(document.with_context(mail_notify_force_send=False))
        self.assertCatcherAddress(message.reply_to)
        mail = self.outgoing_mail(message)
        self.assertEqual(mail.recipient_ids, self.customer, "the customer is notified by email")
        self.assertEqual(mail.reply_to, message.reply_to)
        self.assertIn("A document", mail.reply_to, "the reply-to names the document")
        self.assertEqual(email_normalize(mail.email_from), "alice@company.test")

    def test_composer_uses_the_catcher(self):
        self.set_catcher()
        document = self.env["res.partner"].create({"name": "Composed document"})
        composer = (
            self.env["mail.compose.message"]
            .with_user(self.alice)
            .with_context(
                default_model="res.partner",
                default_res_ids=document.ids,
                mail_notify_force_send=False,
            )
            .create({"body": "Hello", "partner_ids": self.customer.ids})
        )
        _mails, messages = composer._action_send_mail()
        self.assertCatcherAddress(messages.reply_to)

    def test_without_catcher_replies_go_to_the_author(self):
        document = self.env["res.partner"].create({"name": "Uncaught document"})
        message = self.post_to_customer(document.with_context(mail_notify_force_send=False))
        self.assertEqual(email_normalize(message.reply_to), "alice@company.test")
        self.assertEqual(
            email_normalize(self.outgoing_mail(message).reply_to), "alice@company.test"
        )

    def test_archived_catcher_server_means_no_catcher(self):
        self.set_catcher()
        self.catcher_server.active = False
        document = self.env["res.partner"].create({"name": "Document"})
        message = self.post_to_customer(document.with_context(mail_notify_force_send=False))
        self.assertEqual(email_normalize(message.reply_to), "alice@company.test")

    def test_catcher_is_per_company(self):
        self.set_catcher()
        other_company = self.env["res.company"].create(
            {"name": "Other Company", "alias_domain_id": self.alias_domain.id}
        )
        self.alice.write({"company_ids": [(4, other_company.id)]})
        document = self.env["res.partner"].create(
            {"name": "Other's document", "company_id": other_company.id}
        )
        message = self.post_to_customer(
            document.with_context(
                mail_notify_force_send=False, allowed_company_ids=[other_company.id]
            )
        )
        self.assertEqual(email_normalize(message.reply_to), "alice@company.test")

    def test_user_without_email_gets_a_clear_error(self):
        self.set_catcher()
        # In English, to read Odoo's own message (the test database also speaks French).
        self.alice.write({"email": False, "lang": "en_US"})
        document = self.env["res.partner"].create({"name": "Document"})
        with self.assertRaisesRegex(UserError, "configure the sender's email address"):
            self.post_to_customer(document)

    def test_mail_sent_on_its_own_says_so(self):
        document = self.env["res.partner"].create({"name": "Reminder"})
        automatic = document.with_context(
            mail_notify_force_send=False, ir_cron_progress_id=1
        ).message_post(body="Reminder", partner_ids=self.customer.ids)
        typed = self.post_to_customer(document.with_context(mail_notify_force_send=False))
        [automatic_mail] = self.outgoing_mail(automatic)._prepare_outgoing_list()
        [typed_mail] = self.outgoing_mail(typed)._prepare_outgoing_list()
        self.assertEqual(automatic_mail["headers"].get("Auto-Submitted"), "auto-generated")
        self.assertNotIn("Auto-Submitted", typed_mail["headers"])
