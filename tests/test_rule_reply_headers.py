"""reply_headers_or_alias (routing/reply_headers.py): Odoo's own routing, by the reply
headers or an alias."""

from odoo.tests import tagged

from .auth_results import OPENDKIM_PASS, OPENDMARC_PASS
from .common import (
    WARNING,
    InternalAnswerCase,
    JournalCase,
    RoutingCase,
    SenderAuthCase,
    verdicts,
)


@tagged("post_install", "-at_install")
class TestReplyHeadersOrAlias(RoutingCase):
    """Reply headers route a mail without a token; an alias's loop threshold holds."""

    def test_headers_route_when_there_is_no_token(self):
        entry = self.receive(In_Reply_To=self.sent.message_id)
        self.assertRecordValues(entry, [{"route": "header", "res_id": self.document.id}])

    def test_a_sender_creating_too_many_documents_is_a_loop_not_a_bounce(self):
        self.env["ir.config_parameter"].set_param("mail.gateway.loop.threshold", 2)
        self.env["mail.alias"].create(
            {
                "alias_name": "contacts",
                "alias_domain_id": self.alias_domain.id,
                "alias_model_id": self.env["ir.model"]._get_id("res.partner"),
                "alias_contact": "everyone",
            }
        )
        robot = "robot@elsewhere.test"
        first = self.receive(From=robot, To="contacts@company.test", Subject="One")
        self.assertRecordValues(first, [{"state": "routed", "kind": "new", "route": "alias"}])
        self.env["res.partner"].create({"name": "Robot again", "email": robot})
        looping = self.receive(From=robot, To="contacts@company.test", Subject="Two")
        self.assertRecordValues(looping, [{"state": "ignored", "kind": "loop", "res_id": 0}])
        self.assertIn("Too many mails", looping.reason)
        answered = self.env["mail.mail"].search([("email_to", "ilike", robot)])
        self.assertFalse(answered, "the catcher never answers a looping sender")


@tagged("post_install", "-at_install")
class TestReplyHeadersOfAJournaledMail(JournalCase):
    """What a reply routed by its headers leaves in its journal entry."""

    def test_a_reply_is_routed_by_its_headers(self):
        entry = self.receive("Merci", In_Reply_To=self.sent.message_id)
        self.assertRecordValues(
            entry,
            [
                {
                    "state": "routed",
                    "kind": "reply",
                    "route": "header",
                    "model": "res.partner",
                    "res_id": self.document.id,
                    "email_to": "mailcatcher@company.test",
                    "subject": "Re: Your document",
                }
            ],
        )
        self.assertEqual(entry.mail_message_id.model, "res.partner")
        self.assertIn("Merci", entry.mail_message_id.body)
        self.assertEqual(entry.raw_attachment_id.mimetype, "message/rfc822")
        self.assertEqual(entry.document_name, "Document")


@tagged("post_install", "-at_install")
class TestReplyHeadersOfAnInternalNote(InternalAnswerCase):
    """An answer routed by the headers of an internal note stays internal."""

    def test_an_answer_with_its_reply_headers_stays_internal(self):
        entry = self.answer(In_Reply_To=self.note.message_id)
        self.assertEqual(entry.route, "header")
        self.assertKeptInternal(entry)


@tagged("post_install", "-at_install")
class TestReplyHeadersOfAnUnverifiedSender(SenderAuthCase):
    """A header match is posted with a warning unless the sender is verified."""

    def test_reply_headers_route_an_unverified_sender_with_a_warning(self):
        entry = self.receive(In_Reply_To=self.sent.message_id)
        self.assertRecordValues(entry, [{"route": "header", "sender_auth": "none"}])
        self.assertIn(WARNING, str(entry.mail_message_id.body))

    def test_a_verified_reply_carries_no_warning(self):
        # Postfix with OpenDKIM and OpenDMARC: OpenDMARC's header is the topmost.
        self.catcher_server.catcher_trusted_authserv_id = "mail.company.test"
        entry = self.receive(
            In_Reply_To=self.sent.message_id, trace=verdicts(OPENDMARC_PASS, OPENDKIM_PASS)
        )
        self.assertRecordValues(entry, [{"route": "header", "sender_auth": "pass"}])
        self.assertNotIn(WARNING, str(entry.mail_message_id.body))
