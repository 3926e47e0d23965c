import time
from datetime import date, timedelta
from email import message_from_bytes

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import BenchMailboxCase
from .mails import compose

DAY = 86400


@tagged("post_install", "-at_install", "mail_catcher_bench")
class TestFirstFetch(BenchMailboxCase):
    """A first connection to a mailbox that already holds mail, on the bench's real Dovecot.
    Odoo's test cursor cannot commit, and fetching commits once per batch: these tests see
    what the first fetch leaves alone; tests/e2e/test_first_fetch.py sees what it fetches."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.document = cls.env["res.partner"].create({"name": "Document"})
        cls.sent = cls.document.message_post(
            body="Here", message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    def old_reply(self):
        """A reply to the document, which would be routed there if it were fetched."""
        return compose(
            "An answer from long ago",
            To=self.mailbox,
            Subject="Re: Document",
            In_Reply_To=self.sent.message_id,
        )

    def fill(self, count, days_ago=0, folder="INBOX"):
        """Mails put in the mailbox as a migration or a mail client would: arrived
        `days_ago` days ago (their IMAP internal date)."""
        mails = [self.old_reply() for _ in range(count)]
        imap = self.bench.imap(self.mailbox)
        try:
            imap.create(folder)  # answers NO when it exists
            for mail in mails:
                status, _data = imap.append(folder, None, time.time() - days_ago * DAY, mail)
                self.assertEqual(status, "OK")
        finally:
            imap.logout()
        return mails

    def unseen(self, folder="INBOX"):
        imap = self.bench.imap(self.mailbox)
        try:
            imap.select(folder, readonly=True)
            return len(imap.search(None, "UNSEEN")[1][0].split())
        finally:
            imap.logout()

    def assertNothingFetched(self, mails, server=None):
        server = server or self.catcher_server
        self.assertFalse(self.env["mail.catcher.message"].search([("server_id", "=", server.id)]))
        posted = self.env["mail.message"].search(
            [("message_id", "in", [message_from_bytes(mail)["Message-ID"] for mail in mails])]
        )
        self.assertFalse(posted, "nothing old is posted")
        self.assertFalse(self.document.message_ids.filtered(lambda m: m.parent_id == self.sent))

    def start_note(self, server=None):
        server = server or self.catcher_server
        return self.env["mail.message"].search(
            [("model", "=", server._name), ("res_id", "=", server.id), ("body", "ilike", "starts")]
        )

    def test_by_default_fetching_starts_after_the_mails_already_there(self):
        self.assertEqual(self.catcher_server.catcher_first_fetch, "now")
        old = self.fill(3, days_ago=400) + self.fill(2)
        self.catcher_server.button_confirm_login()
        server = self.catcher_server
        self.assertTrue(server.catcher_fetch_start)
        self.assertTrue(server.imap_uidvalidity)
        self.assertEqual(server.imap_last_uid, "5", "the highest UID at the confirmation")
        self.assertIn("the 5 mails already in the mailbox stay there", self.start_note().body)
        self.assertFalse(self.start_note().partner_ids, "a note that notifies nobody")

        server.fetch_mail()
        self.assertNothingFetched(old)
        self.assertEqual(self.unseen(), 5, "the old mails stay unread on the server")
        self.assertEqual(server.catcher_backlog, 0)
        self.assertEqual(server.imap_last_uid, "5")

    def test_confirming_again_keeps_the_place(self):
        self.catcher_server.button_confirm_login()
        self.fill(2)  # arrived while the server was paused: new mail, still to fetch
        self.catcher_server.set_draft()
        self.catcher_server.button_confirm_login()
        self.assertEqual(self.catcher_server.imap_last_uid, "0")

    def test_a_server_confirmed_without_a_login_starts_at_its_first_fetch(self):
        old = self.fill(2, days_ago=30)
        self.catcher_server.state = "done"
        self.assertFalse(self.catcher_server.catcher_fetch_start)
        self.catcher_server.fetch_mail()
        self.assertNothingFetched(old)
        self.assertEqual(self.unseen(), 2)
        self.assertEqual(self.catcher_server.imap_last_uid, "2")
        self.assertTrue(self.catcher_server.catcher_fetch_start)

    def test_since_a_date_leaves_the_older_mails(self):
        # The mails since the date are fetched in tests/e2e/test_first_fetch.py.
        old = self.fill(3, days_ago=90)
        self.catcher_server.write(
            {"catcher_first_fetch": "since", "catcher_import_since": date.today() - timedelta(30)}
        )
        self.catcher_server.button_confirm_login()
        self.assertFalse(self.catcher_server.imap_last_uid, "no UID mark: the date decides")
        self.assertIn("received since", self.start_note().body)
        self.catcher_server.fetch_mail()
        self.assertNothingFetched(old)
        self.assertEqual(self.unseen(), 3)

    def test_a_recreated_folder_does_not_bring_the_old_mails_back(self):
        self.catcher_server.imap_folder = "Replies"
        old = self.fill(3, days_ago=200, folder="Replies")
        self.catcher_server.button_confirm_login()
        first_uidvalidity = self.catcher_server.imap_uidvalidity
        # The folder is recreated with the same mails (a restore, a migration): new UIDs.
        imap = self.bench.imap(self.mailbox)
        imap.delete("Replies")
        imap.logout()
        time.sleep(1)  # Dovecot derives UIDVALIDITY from the time
        old = self.fill(3, days_ago=200, folder="Replies")
        self.catcher_server.fetch_mail()
        self.assertNotEqual(self.catcher_server.imap_uidvalidity, first_uidvalidity)
        self.assertNothingFetched(old)
        self.assertEqual(self.unseen("Replies"), 3)

    def test_pop_leaves_the_mails_already_there(self):
        old = [self.old_reply() for _ in range(2)]
        for mail in old:
            self.bench.deliver(mail, self.mailbox)
        self.bench.wait_for_messages(self.mailbox, count=2)
        server = self.catcher_server
        server.write({"server_type": "pop", "port": self.bench_info["pop3_port"]})
        server.button_confirm_login()
        self.assertEqual(len(server.catcher_pop_old_uidls.split()), 2)
        self.assertIn("the 2 mails already in the mailbox", self.start_note().body)
        server.fetch_mail()
        self.assertNothingFetched(old)
        self.assertEqual(len(self.bench.messages(self.mailbox)), 2, "neither fetched nor deleted")

    def test_a_pop_server_confirmed_without_a_login_starts_at_its_first_fetch(self):
        old = [self.old_reply() for _ in range(2)]
        for mail in old:
            self.bench.deliver(mail, self.mailbox)
        self.bench.wait_for_messages(self.mailbox, count=2)
        server = self.catcher_server
        server.write({"server_type": "pop", "port": self.bench_info["pop3_port"], "state": "done"})
        server.fetch_mail()
        self.assertNothingFetched(old)
        self.assertEqual(len(server.catcher_pop_old_uidls.split()), 2)
        self.assertEqual(len(self.bench.messages(self.mailbox)), 2)

    def test_since_a_date_needs_a_date_and_imap(self):
        with self.assertRaisesRegex(ValidationError, "Give the date"):
            self.catcher_server.catcher_first_fetch = "since"
        with self.assertRaisesRegex(ValidationError, "POP mailbox has no arrival dates"):
            self.catcher_server.write(
                {
                    "server_type": "pop",
                    "catcher_first_fetch": "since",
                    "catcher_import_since": date.today(),
                }
            )

    def test_another_mailbox_or_choice_starts_anew(self):
        server = self.catcher_server
        self.fill(1)
        server.button_confirm_login()
        started = server.catcher_fetch_start
        server.write({"user": self.mailbox, "catcher_first_fetch": "now"})  # the same
        self.assertEqual(server.catcher_fetch_start, started)
        self.assertEqual(server.imap_last_uid, "1")
        for values in (
            {"user": f"other-{self.mailbox}"},
            {"imap_folder": "Replies"},
            {"catcher_first_fetch": "since", "catcher_import_since": date.today()},
        ):
            server.set_draft()
            server.button_confirm_login()
            with self.subTest(values=values):
                server.write(values)
                self.assertRecordValues(
                    server,
                    [
                        {
                            "catcher_fetch_start": False,
                            "imap_uidvalidity": False,
                            "imap_last_uid": False,
                        }
                    ],
                )

    def test_the_setup_starts_from_now_on_a_full_mailbox(self):
        self.fill(4, days_ago=10)
        setup = self.env["mail.catcher.setup"].create(
            {
                "provider": "generic",
                "email": self.mailbox,
                "password": self.bench_info["password"],
                "incoming_type": "imap",
                "incoming_host": "127.0.0.1",
                "incoming_port": self.bench_info["imap_port"],
                "incoming_ssl": False,
                "smtp_host": "127.0.0.1",
                "smtp_port": self.bench_info["smtp_port"],
                "smtp_security": "none",
            }
        )
        self.assertEqual(setup.first_fetch, "now")
        setup.action_apply()
        server = self.company.mail_catcher_server_id
        self.assertRecordValues(server, [{"catcher_first_fetch": "now", "imap_last_uid": "4"}])
        self.assertIn("the 4 mails already in the mailbox", self.start_note(server).body)
        # Applied again, unchanged: the place is kept, without logging in to record it.
        setup.action_apply()
        self.assertEqual(len(self.start_note(server)), 1)

        since = date.today() - timedelta(days=30)
        setup.write({"first_fetch": "since", "import_since": since})
        setup.action_apply()
        self.assertRecordValues(
            server,
            [
                {
                    "catcher_first_fetch": "since",
                    "catcher_import_since": since,
                    "imap_last_uid": False,
                }
            ],
        )
        self.assertTrue(server.catcher_fetch_start)
