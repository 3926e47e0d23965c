from odoo.tests import new_test_user, tagged
from odoo.tools import email_normalize

from ..lib.reply_token import read_token, tokens_for
from .common import RoutingCase


@tagged("post_install", "-at_install")
class TestInternalAnswers(RoutingCase):
    """An employee's email answer to an internal note stays an internal note, however it
    comes back (with its reply headers, or with nothing but the reply token): the
    customer, a follower of the document, is neither notified nor mailed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = new_test_user(
            cls.env,
            login="mail_catcher_test_bob",
            name="Bob Colleague",
            email="bob@company.test",
            groups="base.group_user",
        )
        cls.document.message_subscribe(cls.customer.ids)
        cls.note = cls.document.with_user(cls.alice).message_post(
            body="This customer pays late: chase them firmly.",
            subtype_xmlid="mail.mt_note",
            partner_ids=cls.bob.partner_id.ids,
        )

    def token(self, message):
        [token] = tokens_for("mailcatcher@company.test", [email_normalize(message.reply_to)])
        return read_token(self.env["ir.config_parameter"]._mail_catcher_key(), token)

    def answer(self, **headers):
        return self.receive(
            "Agreed, I will call them today.", From="Bob <bob@company.test>", **headers
        )

    def assertKeptInternal(self, entry):
        message = entry.mail_message_id
        self.assertRecordValues(entry, [{"state": "routed", "res_id": self.document.id}])
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
        self.assertTrue(message.is_internal)
        self.assertNotIn(self.customer, message.notification_ids.res_partner_id)
        mailed = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertNotIn(self.customer, mailed.recipient_ids)
        self.assertIn(self.alice.partner_id, message.notification_ids.res_partner_id)

    def test_a_notes_mail_carries_a_token_that_says_it_is_internal(self):
        self.assertEqual(
            self.token(self.note),
            (self.env["ir.model"]._get_id("res.partner"), self.document.id, True),
        )
        self.assertFalse(self.token(self.sent).internal)

    def test_an_answer_with_the_reply_token_alone_stays_internal(self):
        entry = self.answer(To=self.note.reply_to, Subject="Re: edited by a relay")
        self.assertEqual(entry.route, "token")
        self.assertKeptInternal(entry)

    def test_an_answer_with_its_reply_headers_stays_internal(self):
        entry = self.answer(In_Reply_To=self.note.message_id)
        self.assertEqual(entry.route, "header")
        self.assertKeptInternal(entry)

    def test_an_answer_to_the_customer_facing_mail_reaches_the_customer(self):
        entry = self.answer(To=self.sent.reply_to)
        message = entry.mail_message_id
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertFalse(message.is_internal)
        self.assertIn(self.customer, message.notification_ids.res_partner_id)
