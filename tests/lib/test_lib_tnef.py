import os
import random
import sys
from pathlib import Path
from unittest import TestCase

from tnefparse import TNEF

from lib.tnef import TnefContent, UnreadableTnef, is_tnef, rtf_to_text, unpack

sys.path.append(str(Path(__file__).parents[2] / "scripts"))
import tnef_corpus

# Downloaded once, like the torture corpus; without the network or the package the tests
# fail, they never skip.
CORPUS = (
    Path(os.environ.get("MAIL_CATCHER_STATE", Path.home() / ".cache" / "mail_catcher"))
    / "tnef-corpus"
)

# What each example of tnefparse 1.4.0 holds, read with tnefparse itself: the file names,
# and which bodies. Ten have only an RTF body, three of them Outlook's HTML wrapped in RTF.
EXAMPLES = {
    "IPM-DistList.tnef": (["Untitled Attachment"], {"rtf"}),
    "MAPI_ATTACH_DATA_OBJ.tnef": (
        ["VIA_Nytt_1402.doc", "VIA_Nytt_1402.pdf", "VIA_Nytt_14021.htm"],
        {"rtf"},
    ),
    "MAPI_OBJECT.tnef": (["Untitled_Attachment"], {"rtf"}),
    "bad_checksum.tnef": (["image001.png"], {"html", "text"}),
    "body.tnef": ([], {"html"}),
    "data-before-name.tnef": (["AUTOEXEC.BAT", "CONFIG.SYS", "boot.ini"], {"rtf"}),
    "duplicate_filename.tnef": (
        ["file_abcdefgh.txt", "file_abcdefgh.txt", "VIA_Nytt_14021.htm"],
        {"rtf"},
    ),
    "garbage-at-end.tnef": ([], set()),
    "long-filename.tnef": (["allproductsmar2000.dat"], {"rtf"}),
    "missing-filenames.tnef": (
        ["generpts.src", "TechlibDEC99.doc", "TechlibDEC99-JAN00.doc", "TechlibNOV99.doc"],
        {"rtf"},
    ),
    "multi-name-property.tnef": ([], set()),
    "multi-value-attribute.tnef": (["208225__5_seconds__Voice_Mail.mp3"], {"rtf"}),
    "one-file.tnef": (["AUTHORS"], set()),
    "rtf.tnef": ([], {"rtf"}),
    "triples.tnef": ([], {"rtf", "text"}),
    "two-files.tnef": (["AUTHORS", "README"], set()),
    "umlaut.tnef": (
        ["TBZ PARIV GmbH.jpg", "image003.jpg", "UmlautAnhang-äüö.txt"],
        {"rtf"},
    ),
    "unicode-mapi-attr-name.tnef": (
        ["spaconsole2.cfg", "image001.png", "image002.png", "image003.png"],
        {"html"},
    ),
    "unicode-mapi-attr.tnef": (["example.dat"], {"html", "text"}),
}


class TestTnef(TestCase):
    """Outlook's winmail.dat unpacked, on the real files of tnefparse's own test suite;
    no database involved."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.files = {path.name: path.read_bytes() for path in tnef_corpus.gather(CORPUS)}

    def test_the_corpus_is_the_nineteen_examples(self):
        self.assertEqual(sorted(self.files), sorted(EXAMPLES))

    def test_each_example_gives_the_files_and_bodies_that_tnefparse_reads(self):
        for name, (files, bodies) in EXAMPLES.items():
            with self.subTest(name):
                content = unpack(self.files[name])
                self.assertIsInstance(content, TnefContent)
                read = TNEF(self.files[name])
                self.assertEqual([file for file, _ in content.attachments], files)
                self.assertEqual(
                    content.attachments,
                    tuple((a.long_filename(), a.data) for a in read.attachments),
                )
                self.assertEqual(
                    {body for body in ("html", "rtf", "text") if getattr(content, body)}, bodies
                )
                if "rtf" in bodies:
                    self.assertTrue(content.rtf.startswith(b"{\\rtf1"))
                    # tnefparse decompresses it too, now that compressed_rtf is there.
                    self.assertEqual(content.rtf, read.rtfbody.rstrip(b"\x00"))
                    # Every RTF body of the corpus shows some text.
                    self.assertTrue(content.rtf_text and content.rtf_text.strip())
                else:
                    self.assertIsNone(content.rtf_text)

    def test_the_files_come_out_whole(self):
        files = dict(unpack(self.files["two-files.tnef"]).attachments)
        self.assertEqual(len(files["AUTHORS"]), 244)
        self.assertIn(b"Authors o", files["AUTHORS"])
        self.assertEqual(len(files["README"]), 893)
        one_file = unpack(self.files["one-file.tnef"]).attachments
        self.assertEqual(one_file, (("AUTHORS", files["AUTHORS"]),))
        files = dict(unpack(self.files["umlaut.tnef"]).attachments)
        self.assertEqual(files["UmlautAnhang-äüö.txt"], "TEST äöü +-*/~".encode("cp1252"))
        self.assertTrue(files["TBZ PARIV GmbH.jpg"].startswith(b"\xff\xd8\xff\xe0\x00\x10JFIF"))
        ((name, data),) = unpack(self.files["long-filename.tnef"]).attachments
        # The long name, not the 8.3 one the TNEF also holds (ALLPRO~1.DAT).
        self.assertEqual(name, "allproductsmar2000.dat")
        self.assertTrue(data.startswith(b"\r\nFEATURE QARun_Developer"))

    def test_the_bodies_are_decoded(self):
        content = unpack(self.files["body.tnef"])
        self.assertTrue(content.html.startswith("<!DOCTYPE HTML PUBLIC"))
        self.assertIn("Amendment X", content.html)
        self.assertEqual((content.attachments, content.text), ((), None))
        # A plain body written in the TNEF's code page (cp1251), without its final NUL.
        self.assertEqual(unpack(self.files["triples.tnef"]).text, "Sample description\r\n")
        self.assertEqual(unpack(self.files["unicode-mapi-attr.tnef"]).text, "\u200bhello world")

    def test_an_rtf_body_is_decompressed_and_its_text_read(self):
        content = unpack(self.files["rtf.tnef"])
        self.assertEqual((content.attachments, content.html, content.text), ((), None, None))
        # tnefparse drops the compressed body's last byte, a NUL its header counts.
        self.assertTrue(content.rtf.startswith(b"{\\rtf1\\ansi\\ansicpg1252\\deff0"))
        self.assertTrue(content.rtf.endswith(b"\\par\r\n}\r\n"))
        self.assertTrue(content.rtf_text.startswith("aafgag'alga'kgk\n\nagka;kgag\n"))
        self.assertTrue(content.rtf_text.endswith("978-318-6939 (Fax)"))
        self.assertIn("Greg Allen\nSenior Engineer/QADirector Team\n", content.rtf_text)

    def test_the_text_of_an_rtf_body_is_what_it_shows(self):
        def rtf_text(name):
            return unpack(self.files[name]).rtf_text

        self.assertEqual(rtf_text("data-before-name.tnef"), "asdf")
        self.assertTrue(
            rtf_text("MAPI_OBJECT.tnef").startswith(
                "Attached is the updated October Discounted Price List of refurbished HP "
                "products available to staff members.\n"
            )
        )
        # Norwegian, in \'xx escapes of cp1252.
        self.assertTrue(
            rtf_text("MAPI_ATTACH_DATA_OBJ.tnef").startswith(
                "Det er jo en velkjent sak at bodødamene er noe mer jålete/velkledde"
            )
        )
        self.assertIn("Heather\n\n\n-----Original Message-----", rtf_text("long-filename.tnef"))
        self.assertTrue(rtf_text("missing-filenames.tnef").startswith("Hi Stephen,\n\nSue has"))
        # Outlook's HTML wrapped in RTF (\fromhtml1): its text, not its tags.
        for name, text in [
            ("IPM-DistList.tnef", "This is the first half of the list because Comcast allows"),
            ("multi-value-attribute.tnef", "You received a voice mail from Curie Conf Room"),
            ("umlaut.tnef", "TEST äöü +-*/~\n"),
        ]:
            with self.subTest(name):
                self.assertIn(b"\\fromhtml1", unpack(self.files[name]).rtf)
                self.assertTrue(rtf_text(name).startswith(text))
                self.assertNotIn("<", rtf_text(name))
        self.assertEqual(
            rtf_text("multi-value-attribute.tnef"),
            "You received a voice mail from Curie Conf Room at 208225.",
        )
        # Beside a plain body, in the code page the RTF declares (cp1251).
        self.assertEqual(rtf_text("triples.tnef"), "Sample description")

    def test_a_damaged_rtf_body_leaves_the_files_and_the_rest(self):
        data = self.files["data-before-name.tnef"]
        compressed = TNEF(data)._rtfbody
        start = data.index(compressed)
        whole = unpack(data)
        for why, damaged in [
            ("a byte changed: its CRC is wrong", data[: start + 20] + b"?" + data[start + 21 :]),
            ("no compression known", data[: start + 8] + b"XXXX" + data[start + 12 :]),
        ]:
            with self.subTest(why):
                content = unpack(damaged)
                self.assertEqual(content.attachments, whole.attachments)
                self.assertEqual((content.rtf, content.rtf_text), (None, None))
        # A header that counts billions of bytes: no NULs are made up for them, the bytes
        # there are read (and their CRC holds).
        damaged = data[:start] + b"\xff\xff\xff\x7f" + data[start + 4 :]
        self.assertEqual(unpack(damaged), whole)

    def test_rtf_to_text(self):
        for rtf, text in [
            (b"{\\rtf1\\ansi\\ansicpg1252 Gr\\'fc\\'dfe\\par\r\n}", "Grüße"),
            # 8-bit bytes left raw are in the RTF's code page too.
            (b"{\\rtf1\\ansi\\ansicpg1251 \xcf\xf0\xe8\xe2\xe5\xf2}", "Привет"),
            (b"{\\rtf1\\ansi \\u8364? \\par}", "€"),
            # A byte cp1252 leaves undefined.
            (b"{\\rtf1\\ansi\\ansicpg1252 a\\'81b}", "a\ufffdb"),
            # Nothing shown, or what striprtf fails on (\uc without its number).
            (b"{\\rtf1\\ansi \\par\\par }", None),
            (b"{\\rtf1\\ansi\\uc text}", None),
        ]:
            with self.subTest(rtf):
                self.assertEqual(rtf_to_text(rtf), text)

    def test_a_file_without_a_name_gets_one(self):
        # README's short and long names blanked out in a real TNEF.
        data = self.files["two-files.tnef"].replace(b"README\x00", b"\x00" * 7)
        names = [name for name, _ in unpack(data).attachments]
        self.assertEqual(names, ["AUTHORS", "attachment-2.bin"])

    def test_a_short_name_in_the_code_page_of_the_tnef_is_decoded(self):
        # No long name (its property renamed), the short one in cp1252: tnefparse alone
        # would fail on it.
        data = (
            self.files["one-file.tnef"]
            .replace(b"\x1e\x00\x07\x37", b"\x1e\x00\x08\x37")
            .replace(b"AUTHORS\x00", b"AUTH\xc4RS\x00")
        )
        self.assertEqual([name for name, _ in unpack(data).attachments], ["AUTHÄRS"])

    def test_cut_or_damaged_data_gives_what_it_holds_or_unreadable_tnef(self):
        """Never an exception of tnefparse's: every example cut at a dozen places, one
        with bytes changed at random (struct, date, code page and decoding errors)."""
        samples = []
        for data in self.files.values():
            samples += [data[: len(data) * part // 12] for part in range(1, 12)]
            samples += [data[:cut] for cut in (5, 9, 20, 40)]
        rng = random.Random(0)
        for _ in range(200):
            data = bytearray(self.files["one-file.tnef"])
            for _ in range(3):
                data[rng.randrange(6, len(data))] = rng.randrange(256)
            samples.append(bytes(data))
        unreadable = 0
        for data in samples:
            try:
                self.assertIsInstance(unpack(data), TnefContent)
            except UnreadableTnef as error:
                unreadable += 1
                self.assertIn(
                    str(error),
                    {
                        "it is damaged or cut short",
                        "a text inside is not in the character set it declares",
                    },
                )
                self.assertIsNotNone(error.__cause__)
        self.assertGreater(unreadable, 10)

    def test_what_is_no_tnef_is_unreadable(self):
        for data, why in [
            (b"", "it is empty"),
            (b"%PDF-1.4\n", "it is not TNEF data: it does not start with TNEF's signature"),
            (self.files["one-file.tnef"][:5], "it is damaged or cut short"),
        ]:
            with self.subTest(why), self.assertRaises(UnreadableTnef) as caught:
                unpack(data)
            self.assertEqual(str(caught.exception), why)

    def test_a_winmail_dat_is_told_by_its_type_or_its_name(self):
        for mimetype, filename in [
            ("application/ms-tnef", "winmail.dat"),
            ("application/ms-tnef", None),
            ("Application/MS-TNEF; name=winmail.dat", ""),
            ("application/vnd.ms-tnef", "message.dat"),
            ("application/octet-stream", "winmail.dat"),
            ("application/octet-stream", "WINMAIL.DAT"),
            (None, "Winmail.dat"),
        ]:
            self.assertTrue(is_tnef(mimetype, filename), (mimetype, filename))
        for mimetype, filename in [
            ("application/octet-stream", "data.dat"),
            ("application/pdf", "winmail.pdf"),
            ("text/plain", "winmail.dat.txt"),
            (None, None),
        ]:
            self.assertFalse(is_tnef(mimetype, filename), (mimetype, filename))
