"""The mailbox adapter and folder names, without a database: against the scripted IMAP
server, for the answers no real server gives on demand (BAD to an advertised MOVE, no
UIDPLUS, a `/` refused), and on the names' encoding itself."""

import imaplib
from unittest import TestCase

from scripted_imap import ScriptedImapServer

from lib.imap_folders import decode_utf7, encode_utf7, junk_folder, parse_list, wire_name
from lib.mailbox import DELETE, FLAG, MOVE, FolderRefused, ImapMailbox


class TestFolderNames(TestCase):
    def test_modified_utf7(self):
        # RFC 3501's own example, and French folder names.
        self.assertEqual(encode_utf7("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        self.assertEqual(encode_utf7("Traités"), "Trait&AOk-s")
        self.assertEqual(encode_utf7("Courrier indésirable"), "Courrier ind&AOk-sirable")
        self.assertEqual(encode_utf7("R&D"), "R&-D")
        for name in ("Traités", "R&D", "Éléments envoyés", "日本語/mail", "plain"):
            self.assertEqual(decode_utf7(encode_utf7(name)), name)

    def test_admins_slashes_become_the_servers_separator(self):
        self.assertEqual(wire_name("Odoo/Processed", "."), '"Odoo.Processed"')
        self.assertEqual(wire_name("Odoo/Processed", "/"), '"Odoo/Processed"')
        self.assertEqual(wire_name("/Odoo//Traités/", "."), '"Odoo.Trait&AOk-s"')
        self.assertEqual(wire_name('Say "hi"', "."), '"Say \\"hi\\""')

    def test_list_answers_are_read(self):
        data = [
            rb'(\HasNoChildren \Junk) "." Junk',
            rb'(\Noselect \HasChildren) "/" "[Gmail]"',
            rb"(\HasNoChildren) NIL INBOX",
            (rb'(\HasNoChildren) "." {11}', b"Trait&AOk-s"),
        ]
        self.assertEqual(
            parse_list(data),
            [
                ({"\\hasnochildren", "\\junk"}, ".", "Junk"),
                ({"\\noselect", "\\haschildren"}, "/", "[Gmail]"),
                ({"\\hasnochildren"}, None, "INBOX"),
                ({"\\hasnochildren"}, ".", "Traités"),
            ],
        )

    def test_the_junk_folder_by_its_use_else_by_its_usual_names(self):
        folders = [(set(), "/", "INBOX"), ({"\\junk"}, "/", "Pourriels"), (set(), "/", "Spam")]
        self.assertEqual(junk_folder(folders), "Pourriels")
        self.assertEqual(
            junk_folder([(set(), "/", "INBOX"), (set(), "/", "Junk Email")]), "Junk Email"
        )
        self.assertEqual(junk_folder([(set(), "/", "[Gmail]/Spam")]), "[Gmail]/Spam")
        self.assertIsNone(junk_folder([(set(), "/", "INBOX"), (set(), "/", "Archives")]))


class MailboxCase(TestCase):
    capabilities = ("IMAP4rev1", "UIDPLUS", "MOVE", "SPECIAL-USE", "IDLE")
    answers = None

    def setUp(self):
        super().setUp()
        self.server = ScriptedImapServer(capabilities=self.capabilities, answers=self.answers)
        self.server.start()
        self.addCleanup(self.server.stop)
        self.server.add_folder("Junk", special_use="\\Junk")
        connection = imaplib.IMAP4(self.server.host, self.server.port, timeout=10)
        connection.login("catcher", "secret")
        self.mailbox = ImapMailbox(connection)
        self.addCleanup(self.mailbox.close)

    def fill(self, count, folder="INBOX", flags=()):
        return [
            self.server.append(folder, f"Subject: {n}\r\n\r\nBody\r\n".encode(), flags)
            for n in range(count)
        ]

    def uids(self, folder="INBOX"):
        return [message.uid for message in self.server.folder(folder).messages]


class TestImapMailbox(MailboxCase):
    def test_capabilities_and_separator_are_read_once(self):
        self.assertTrue(self.mailbox.can_move and self.mailbox.can_expunge_ours)
        self.assertEqual(self.mailbox.separator, ".")
        self.assertEqual(self.mailbox.junk_folder(), "Junk")

    def test_new_mails_are_fetched_by_uid_and_left_unread(self):
        self.fill(3)
        state = self.mailbox.open("INBOX")
        self.assertEqual(state.count, 3)
        self.assertEqual(self.mailbox.highest_uid(), 3)
        self.assertEqual(self.mailbox.new_mails(1), [2, 3])
        self.assertEqual(self.mailbox.new_mails(3), [], "n:* answers the highest: not new")
        fetched = self.mailbox.fetch([2, 3])
        self.assertEqual(sorted(fetched), [2, 3])
        self.assertTrue(fetched[2].startswith(b"Subject: 1"))
        self.assertFalse(any(m.flags for m in self.server.folder("INBOX").messages))

    def test_a_folder_typed_with_slashes_is_made_with_the_servers_separator(self):
        self.mailbox.ensure_folder("Odoo/Processed")
        self.mailbox.ensure_folder("Odoo/Processed")  # exists: fine
        self.assertIn("Odoo.Processed", self.server.folders)
        self.assertTrue(self.mailbox.open("Odoo/Processed"))

    def test_a_refused_folder_name_is_an_error_that_names_it(self):
        self.server.refused_characters = "~"
        with self.assertRaisesRegex(FolderRefused, "~Archive: .*CANNOT"):
            self.mailbox.ensure_folder("~Archive")

    def test_move_into_a_folder_made_if_missing(self):
        self.fill(2)
        self.mailbox.open("INBOX")
        done = self.mailbox.acknowledge([1, 2], MOVE, "Odoo/Processed")
        self.assertEqual(done.done, MOVE)
        self.assertIsNone(done.problem)
        self.assertEqual(self.uids(), [])
        self.assertEqual(len(self.server.folder("Odoo.Processed").messages), 2)

    def test_delete_expunges_ours_only(self):
        persons = self.fill(1, flags=("\\Deleted",))
        self.fill(2)
        self.mailbox.open("INBOX")
        self.assertEqual(self.mailbox.acknowledge([2, 3], DELETE).done, DELETE)
        self.assertEqual(self.uids(), persons)
        self.assertFalse([line for line in self.server.commands if line.split()[1:] == ["EXPUNGE"]])

    def test_flag(self):
        self.fill(1)
        self.mailbox.open("INBOX")
        self.assertEqual(self.mailbox.acknowledge([1], FLAG).done, FLAG)
        self.assertEqual(self.server.folder("INBOX").messages[0].flags, {"\\Seen"})


class TestServerAnsweringBadToMove(MailboxCase):
    """MOVE advertised, yet answered BAD (imaplib raises on it): COPY and UID EXPUNGE."""

    answers = {"MOVE": "BAD Unknown command MOVE"}

    def test_the_move_falls_back_to_copy_and_expunge(self):
        persons = self.fill(1, flags=("\\Deleted",))
        self.fill(2)
        self.mailbox.open("INBOX")
        self.mailbox.ensure_folder("Done")
        done = self.mailbox.acknowledge([2, 3], MOVE, "Done")
        self.assertEqual((done.done, done.problem), (MOVE, None))
        self.assertEqual(self.uids(), persons)
        self.assertEqual(len(self.server.folder("Done").messages), 2)


class TestServerWithoutMoveNorUidplus(MailboxCase):
    capabilities = ("IMAP4rev1", "IDLE")

    def test_mails_are_marked_read_and_the_reason_said(self):
        persons = self.fill(1, flags=("\\Deleted",))
        ours = self.fill(2)
        self.mailbox.open("INBOX")
        for action in (MOVE, DELETE):
            done = self.mailbox.acknowledge(ours, action, "Done")
            self.assertEqual(done.done, FLAG)
            self.assertIn("neither MOVE nor UIDPLUS", done.problem)
        self.assertEqual(self.uids(), persons + ours, "nothing expunged")
        self.assertTrue(all("\\Seen" in m.flags for m in self.server.folder("INBOX").messages[1:]))


class TestRefusedAcknowledgement(MailboxCase):
    answers = {"MOVE": "NO [CANNOT] Quota exceeded", "COPY": "NO [CANNOT] Quota exceeded"}

    def test_a_refused_move_marks_read_and_says_why(self):
        self.fill(1)
        self.mailbox.open("INBOX")
        done = self.mailbox.acknowledge([1], MOVE, "Gone")
        self.assertEqual(done.done, FLAG)
        self.assertIn("Quota exceeded", done.problem)
        self.assertEqual(self.server.folder("INBOX").messages[0].flags, {"\\Seen"})
