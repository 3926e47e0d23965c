"""signed_token_in_recipients (routing/reply_token.py): the signed reply token of the
catcher's plus address names the document."""

from odoo.tests import tagged
from odoo.tools import email_normalize

from .auth_results import GMAIL_FAIL
from .common import WARNING, InternalAnswerCase, RoutingCase, SenderAuthCase, verdicts


@tagged("post_install", "-at_install")
class TestSignedTokenInRecipients(RoutingCase):
    """The token a document's mail carries, and the replies it routes or sets aside."""

    def test_replies_to_a_document_carry_its_signed_token(self):
        reply_to = email_normalize(self.sent.reply_to)
        self.assertRegex(reply_to, r"^mailcatcher\+[a-z2-7]{16,40}@company\.test$")
        other = self.env["res.partner"].create({"name": "Other"})
        other_reply_to = other._notify_get_reply_to()[other.id]
        self.assertNotEqual(email_normalize(other_reply_to), reply_to)

    def test_without_plus_addressing_the_plain_catcher(self):
        self.company.mail_catcher_plus_addressing = False
        reply_to = self.document._notify_get_reply_to()[self.document.id]
        self.assertEqual(email_normalize(reply_to), "mailcatcher@company.test")

    def test_a_token_routes_a_reply_whose_headers_were_dropped(self):
        entry = self.receive("Réponse", To=self.sent.reply_to, Subject="Edited subject, no headers")
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "token", "res_id": self.document.id}]
        )

    def test_the_token_wins_over_headers_pointing_elsewhere(self):
        elsewhere = self.env["res.partner"].create({"name": "Elsewhere"})
        other_message = elsewhere.message_post(body="x", message_type="comment")
        entry = self.receive(To=self.sent.reply_to, In_Reply_To=other_message.message_id)
        self.assertRecordValues(entry, [{"route": "token", "res_id": self.document.id}])

    def test_a_forged_token_is_quarantined_as_suspicious(self):
        token = email_normalize(self.sent.reply_to).split("+")[1].split("@")[0]
        forged = token[:-2] + ("aa" if token[-2:] != "aa" else "bb")
        entry = self.receive(To=f"mailcatcher+{forged}@company.test")
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("Suspicious", entry.reason)
        self.assertFalse(entry.res_id)

    def test_a_reply_to_a_deleted_document_is_quarantined(self):
        doomed = self.env["res.partner"].create({"name": "Doomed"})
        reply_to = doomed._notify_get_reply_to()[doomed.id]
        doomed.unlink()
        entry = self.receive(To=reply_to)
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("deleted", entry.reason)


@tagged("post_install", "-at_install")
class TestTokenOfAnInternalNote(InternalAnswerCase):
    """An answer routed by the token of an internal note stays internal."""

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

    def test_an_answer_to_the_customer_facing_mail_reaches_the_customer(self):
        entry = self.answer(To=self.sent.reply_to)
        message = entry.mail_message_id
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_comment"))
        self.assertFalse(message.is_internal)
        self.assertIn(self.customer, message.notification_ids.res_partner_id)


@tagged("post_install", "-at_install")
class TestTokenOfAnUnverifiedSender(SenderAuthCase):
    """A token match from an unverified sender is posted with a warning."""

    def test_a_token_routes_an_unverified_sender_with_a_warning_to_all(self):
        self.alice.notification_type = "email"
        # Odoo's own capture of the emails handed to the outgoing server.
        with self.mock_mail_gateway():
            entry = self.receive(
                "Please pay our new bank account.",
                trace=verdicts(GMAIL_FAIL),
                To=self.sent.reply_to,
            )
        self.assertRecordValues(
            entry,
            [
                {
                    "state": "routed",
                    "route": "token",
                    "res_id": self.document.id,
                    "sender_auth": "fail",
                }
            ],
        )
        body = str(entry.mail_message_id.body)
        self.assertIn(WARNING, body)
        self.assertLess(body.index(WARNING), body.index("bank account"))
        self.assertTrue(
            any(self.alice.email in to for mail in self._mails for to in mail["email_to"]),
            "Alice is told by email",
        )
        for mail in self._mails:
            self.assertIn(WARNING, mail["body"])
