"""The scripted IMAP server answers imaplib as a real server would; no database involved."""

import imaplib
from datetime import datetime
from unittest import TestCase

# tests/lib is no package: pytest puts it on sys.path, so its helpers import by their name.
from scripted_imap import ScriptedImapServer

MAIL = b"From: a@x.test\r\nSubject: hi\r\n\r\nbody\r\n"


class TestScriptedImapServer(TestCase):
    def serve(self, **options):
        server = ScriptedImapServer(**options).start()
        self.addCleanup(server.stop)
        return server

    def connect(self, server):
        imap = imaplib.IMAP4(server.host, server.port, timeout=5)
        self.addCleanup(imap.shutdown)
        imap.login("catcher", "secret")
        return imap

    def test_login_is_checked(self):
        server = self.serve()
        imap = imaplib.IMAP4(server.host, server.port, timeout=5)
        self.addCleanup(imap.shutdown)
        with self.assertRaisesRegex(imaplib.IMAP4.error, "AUTHENTICATIONFAILED"):
            imap.login("catcher", "wrong")

    def test_select_search_and_fetch_by_uid(self):
        server = self.serve()
        server.append("INBOX", MAIL, flags=["\\Seen"])
        uid = server.append("INBOX", MAIL + b"2")
        imap = self.connect(server)
        self.assertEqual(imap.select("INBOX"), ("OK", [b"2"]))
        uidvalidity = str(server.folder("INBOX").uidvalidity).encode()
        self.assertEqual(imap.response("UIDVALIDITY"), ("UIDVALIDITY", [uidvalidity]))
        # `UID n:*` above the highest UID still answers the highest one.
        self.assertEqual(imap.uid("SEARCH", None, "UID 9:*"), ("OK", [b"2"]))
        self.assertEqual(imap.uid("SEARCH", None, "UID 1:* UNSEEN"), ("OK", [b"2"]))
        server.folder("INBOX").messages[1].internal_date = datetime(2020, 3, 4).astimezone()
        self.assertEqual(imap.uid("SEARCH", None, "UID 1:* SINCE 5-Mar-2020"), ("OK", [b"1"]))
        _status, data = imap.uid("FETCH", str(uid), "(BODY.PEEK[])")
        self.assertEqual(data[0], (b"2 (UID 2 BODY[] {%d}" % len(MAIL + b"2"), MAIL + b"2"))
        self.assertEqual(server.folder("INBOX").messages[1].flags, set())

    def test_copy_answers_copyuid(self):
        server = self.serve()
        server.add_folder("Archive")
        server.append("INBOX", MAIL)
        imap = self.connect(server)
        imap.select("INBOX")
        self.assertEqual(imap.uid("COPY", "1", "Archive")[0], "OK")
        archive = server.folder("Archive")
        self.assertEqual(imap.response("COPYUID")[1], [b"%d 1 1" % archive.uidvalidity])
        self.assertEqual([m.raw for m in archive.messages], [MAIL])

    def test_move_expunges_and_a_scripted_answer_refuses_it(self):
        server = self.serve(answers={"MOVE": "BAD Unknown command"})
        server.add_folder("Archive")
        server.append("INBOX", MAIL)
        imap = self.connect(server)
        imap.select("INBOX")
        with self.assertRaises(imaplib.IMAP4.error):
            imap.uid("MOVE", "1", "Archive")
        self.assertEqual(len(server.folder("INBOX").messages), 1)
        del server.answers["MOVE"]
        self.assertEqual(imap.uid("MOVE", "1", "Archive")[0], "OK")
        self.assertEqual(imap.response("EXPUNGE"), ("EXPUNGE", [b"1"]))
        self.assertEqual(len(server.folder("Archive").messages), 1)
        self.assertEqual(server.folder("INBOX").messages, [])

    def test_uid_expunge_removes_only_the_given_deleted_mails(self):
        server = self.serve()
        for _ in range(3):
            server.append("INBOX", MAIL, flags=["\\Deleted"])
        imap = self.connect(server)
        imap.select("INBOX")
        self.assertEqual(imap.uid("EXPUNGE", "2:3")[0], "OK")
        self.assertEqual([m.uid for m in server.folder("INBOX").messages], [1])
        self.assertNotIn("EXPUNGE", [line.split()[1] for line in server.commands])

        plain = self.serve(capabilities=("IMAP4rev1",))
        imap = self.connect(plain)
        imap.select("INBOX")
        with self.assertRaises(imaplib.IMAP4.error):
            imap.uid("EXPUNGE", "1")

    def test_sequence_numbers_follow_expunges(self):
        server = self.serve()
        for _ in range(3):
            server.append("INBOX", MAIL)
        imap = self.connect(server)
        imap.select("INBOX")
        imap.uid("STORE", "1:2", "+FLAGS.SILENT", "(\\Deleted)")
        self.assertEqual(imap.expunge(), ("OK", [b"1", b"1"]))
        self.assertEqual(imap.uid("FETCH", "3", "(UID FLAGS)")[1], [b"1 (UID 3 FLAGS ())"])

    def test_create_refuses_slashes_and_creates_superior_levels(self):
        server = self.serve()
        imap = self.connect(server)
        status, data = imap.create('"Odoo/Processed"')
        self.assertEqual(status, "NO")
        self.assertIn(b"Name must not have '/' characters", data[0])
        self.assertEqual(imap.create('"Odoo.Processed"')[0], "OK")
        self.assertEqual(list(server.folders), ["INBOX", "Odoo", "Odoo.Processed"])
        self.assertIn(b"ALREADYEXISTS", imap.create("Odoo")[1][0])

    def test_list_shows_the_separator_and_special_use(self):
        server = self.serve()
        server.add_folder("Junk", "\\Junk")
        imap = self.connect(server)
        self.assertEqual(imap.list('""', '""')[1], [b'(\\Noselect) "." ""'])
        self.assertEqual(
            imap.list('""', '"*"')[1],
            [b'(\\HasNoChildren) "." "INBOX"', b'(\\HasNoChildren \\Junk) "." "Junk"'],
        )

    def test_idle_announces_a_new_mail(self):
        server = self.serve()
        imap = self.connect(server)
        imap.select("INBOX")
        tag = imap._new_tag()
        imap.send(tag + b" IDLE\r\n")
        self.assertEqual(imap.readline(), b"+ idling\r\n")
        server.append("INBOX", MAIL)
        self.assertEqual(imap.readline(), b"* 1 EXISTS\r\n")
        imap.send(b"DONE\r\n")
        self.assertEqual(imap.readline(), tag + b" OK Idle completed\r\n")
