import hashlib
from unittest.mock import patch

from odoo import fields
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import JournalCase
from .mails import compose


@tagged("post_install", "-at_install")
class TestJournal(JournalCase):
    """What becomes of each received mail, told by its journal entry (no IMAP here: the
    entries are made from raw mails as the fetch makes them)."""

    def test_the_same_mail_twice_is_one_entry(self):
        raw = self.reply()
        first = self.receive(raw=raw)
        again = self.receive(raw=raw)
        self.assertEqual(first, again)
        self.assertEqual(
            self.env["mail.message"].search_count([("message_id", "=", first.message_id)]), 1
        )

    def test_a_mail_without_message_id_gets_a_stable_one(self):
        raw = b"From: customer@customer.test\r\nTo: x@company.test\r\nSubject: hi\r\n\r\nbody\r\n"
        entry = self.receive(raw=raw)
        digest = hashlib.sha256(raw).hexdigest()
        self.assertEqual(entry.message_id, f"<{digest[:40]}@mail-catcher.missing-message-id>")
        again = self.receive(raw=raw)
        self.assertEqual(entry, again)

    def test_broken_mails_are_journaled_with_a_clear_state(self):
        truncated = self.reply("x" * 500)[:-200] + b"\r\n--boundary-that-never-ends"
        wrong_charset = (
            b"From: =?utf-8?q?Ren=E9?= <rene@customer.test>\r\nTo: mailcatcher@company.test\r\n"
            b"Subject: Re: \xe9t\xe9\r\nMessage-ID: <charset@customer.test>\r\n"
            b"In-Reply-To: " + self.sent.message_id.encode() + b"\r\n"
            b"Content-Type: text/plain; charset=klingon\r\n\r\nd\xe9j\xe0 pay\xe9\r\n"
        )
        truncated_entry, wrong_charset_entry = self.receive_batch(truncated, wrong_charset)
        self.assertRecordValues(
            truncated_entry | wrong_charset_entry,
            [
                {"state": "routed", "model": "res.partner", "res_id": self.document.id},
                {"state": "routed", "model": "res.partner", "res_id": self.document.id},
            ],
        )
        self.assertEqual(truncated_entry.raw_attachment_id.raw, truncated)
        self.assertEqual(wrong_charset_entry.raw_attachment_id.raw, wrong_charset)
        self.assertIn("pay", wrong_charset_entry.mail_message_id.body)

    def test_a_mail_that_breaks_routing_fails_then_is_quarantined(self):
        # A mock stands in for a fault Odoo cannot be made to raise on demand here.
        self.catcher_server.catcher_max_attempts = 2
        with patch.object(
            type(self.env["mail.thread"]),
            "_message_route_process",
            side_effect=RuntimeError("routing exploded"),
        ):
            bad, other = self.receive_batch(self.reply("bad"), self.reply("other"))
            # Each is routed in a savepoint of its own: the first one's failure does not
            # stop the second.
            self.assertRecordValues(bad | other, [{"state": "failed", "attempt_count": 1}] * 2)
            self.assertIn("routing exploded", bad.error)
            self.assertGreater(bad.next_attempt_date, fields.Datetime.now(), "retried later")
            bad._claim_and_route()
            self.assertRecordValues(bad, [{"state": "quarantined", "attempt_count": 2}])
        bad.action_retry()
        self.assertEqual(bad.state, "routed")

    def test_retry_finds_a_document_created_since(self):
        entry = self.receive(Subject="Hello")
        self.assertEqual(entry.state, "quarantined")
        self.env["mail.alias"].create(
            {
                "alias_name": "mailcatcher",
                "alias_domain_id": self.alias_domain.id,
                "alias_model_id": self.env["ir.model"]._get_id("res.partner"),
            }
        )
        entry.action_retry()
        self.assertRecordValues(entry, [{"state": "routed", "kind": "new", "route": "alias"}])

    def test_assign_posts_on_the_chosen_document(self):
        entry = self.receive("Lost reply", Subject="Hello")
        other = self.env["res.partner"].create({"name": "Chosen document"})
        wizard = (
            self.env["mail.catcher.assign"]
            .with_context(active_model=entry._name, active_ids=entry.ids)
            .create({"document": f"res.partner,{other.id}"})
        )
        wizard.action_assign()
        self.assertRecordValues(entry, [{"state": "routed", "route": "manual", "res_id": other.id}])
        self.assertIn("Lost reply", entry.mail_message_id.body)
        self.assertEqual(entry.mail_message_id.res_id, other.id)

    def test_ignore_and_download(self):
        entry = self.receive(Subject="Spam")
        entry.action_ignore()
        self.assertEqual(entry.state, "ignored")
        action = entry.action_download()
        self.assertIn(f"/web/content/{entry.raw_attachment_id.id}", action["url"])

    def test_purge_keeps_what_needs_an_admin(self):
        routed = self.receive(In_Reply_To=self.sent.message_id)
        kept = compose(Subject="Hello")
        quarantined = self.receive(raw=kept)
        self.assertEqual((routed.state, quarantined.state), ("routed", "quarantined"))
        self.env.cr.execute(
            "UPDATE mail_catcher_message SET create_date = now() - interval '400 days'"
        )
        # Odoo's daily auto-vacuum runs the purge; it commits, so it runs in test mode, as
        # Odoo's own test of @api.autovacuum does.
        self.registry.enter_test_mode(self.cr)
        self.addCleanup(self.registry.leave_test_mode)
        with self.registry.cursor() as cr:
            self.env(cr=cr).ref("base.autovacuum_job").method_direct_trigger()
        self.env.invalidate_all()
        self.assertFalse(routed.raw_attachment_id)
        self.assertEqual(quarantined.raw_attachment_id.raw, kept)

    def test_only_admins_see_the_journal_and_raw_mails(self):
        entry = self.receive(In_Reply_To=self.sent.message_id)
        with self.assertRaises(AccessError):
            entry.with_user(self.alice).read(["subject"])
        with self.assertRaises(AccessError):
            entry.raw_attachment_id.with_user(self.alice).read(["raw"])
