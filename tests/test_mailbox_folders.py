from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import BenchMailboxCase


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
