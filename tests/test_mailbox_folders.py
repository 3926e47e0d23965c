from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BenchMailboxCase, RoutingCase
from .mails import compose


@tagged("post_install", "-at_install", "mail_catcher_bench")
class TestFolderSettings(BenchMailboxCase):
    """The folders of a catcher on the bench's Dovecot as Debian installs it (Maildir, `.`
    between levels, `/` refused in a name), as the confirmation sees them. Fetching
    commits, which Odoo's test cursor cannot: tests/e2e/test_mailbox_folders.py fetches."""

    def wire_folders(self):
        imap = self.bench.imap(self.mailbox)
        try:
            return b" ".join(imap.list()[1]).decode()
        finally:
            imap.logout()

    def test_the_folders_are_made_with_the_servers_separator_and_encoding(self):
        self.catcher_server.write(
            {
                "catcher_after_fetch": "move",
                "catcher_processed_folder": "Odoo/Processed",
                "catcher_quarantine_folder": "Traités",
            }
        )
        self.catcher_server.button_confirm_login()
        self.assertIn('"." Odoo.Processed', self.wire_folders())
        self.assertIn('"." Trait&AOk-s', self.wire_folders())
        self.assertEqual(self.catcher_server.state, "done")
        self.assertIn("MOVE", self.catcher_server.imap_capabilities.split())

    def test_a_folder_name_the_server_refuses_is_said_at_confirmation(self):
        self.catcher_server.write(
            {"catcher_after_fetch": "move", "catcher_processed_folder": "~Archive"}
        )
        refusal = r"refuses the folder ~Archive: .*Begins with '~'"
        # The savepoint stands for the request, which the error rolls back.
        with self.assertRaisesRegex(UserError, refusal), self.env.cr.savepoint():
            self.catcher_server.button_confirm_login()
        self.env.invalidate_all()
        self.assertEqual(self.catcher_server.state, "draft")

    def test_the_junk_folder_is_found_by_its_special_use(self):
        self.catcher_server.button_confirm_login()
        self.assertFalse(self.catcher_server.catcher_junk_folder, "read only when asked")
        self.catcher_server._catcher_start(find_junk=True)
        self.assertEqual(self.catcher_server.catcher_junk_folder, "Junk")
        self.assertEqual(self.catcher_server.imap_junk_last_uid, "0", "started from now")

    def test_without_move_nor_uidplus_the_form_says_mails_are_marked_read(self):
        self.catcher_server.write(
            {"catcher_after_fetch": "delete", "imap_capabilities": "IMAP4REV1 IDLE"}
        )
        self.assertIn("neither MOVE nor UIDPLUS", self.catcher_server.catcher_after_fetch_note)
        self.catcher_server.imap_capabilities = "IMAP4REV1 UIDPLUS"
        self.assertFalse(self.catcher_server.catcher_after_fetch_note)


@tagged("post_install", "-at_install")
class TestSpam(RoutingCase):
    """What the provider's filter took for spam reaches a document on proof only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catcher_server.catcher_junk_folder = "Junk"
        cls.document.message_subscribe(cls.customer.ids)

    def from_junk(self, raw):
        [entry] = self.Journal._journal(self.catcher_server, [{"raw": raw, "folder": "Junk"}])
        entry._claim_and_route()
        return entry

    def test_a_reply_in_junk_with_its_token_reaches_its_document(self):
        address = self.company._mail_catcher_reply_address(self.document)
        entry = self.from_junk(compose(To=address))
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "token", "res_id": self.document.id}]
        )

    def test_a_reply_in_junk_with_its_headers_reaches_its_document(self):
        entry = self.from_junk(compose(In_Reply_To=self.sent.message_id))
        self.assertRecordValues(
            entry, [{"state": "routed", "route": "header", "res_id": self.document.id}]
        )

    def test_spam_in_junk_is_ignored_and_notifies_nobody(self):
        notifications = self.env["mail.notification"].search_count([])
        # From a follower, naming the document: in the INBOX its subject would match it.
        entry = self.from_junk(compose(Subject="Re: Order PO-4521"))
        self.assertRecordValues(
            entry, [{"state": "ignored", "kind": "spam", "route": False, "res_id": False}]
        )
        self.assertFalse(entry.mail_message_id)
        self.assertEqual(self.env["mail.notification"].search_count([]), notifications)
        inbox = self.receive(Subject="Re: Order PO-4521")
        self.assertRecordValues(inbox, [{"state": "routed", "route": "subject"}])

    def test_a_forged_token_in_junk_is_spam_not_quarantine(self):
        entry = self.from_junk(compose(To="mailcatcher+aaaaaaaaaaaaaaaa@company.test"))
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "spam"}])

    def test_a_mail_flagged_as_spam_in_the_inbox_needs_a_proof_too(self):
        spam = self.receive(X_Spam_Flag="YES", Subject="Cheap watches")
        answer = self.receive(X_Spam_Flag="YES", In_Reply_To=self.sent.message_id)
        self.assertRecordValues(
            spam + answer,
            [
                {"state": "ignored", "kind": "spam", "route": False},
                {"state": "routed", "kind": "reply", "route": "header"},
            ],
        )
