import os
import random
import sys
from pathlib import Path
from unittest import TestCase

from tnefparse import TNEF

from lib.tnef import TnefContent, UnreadableTnef, is_tnef, unpack

sys.path.append(str(Path(__file__).parents[2] / "scripts"))
import tnef_corpus

# Downloaded once, like the torture corpus; without the network or the package the tests
# fail, they never skip.
CORPUS = (
    Path(os.environ.get("MAIL_CATCHER_STATE", Path.home() / ".cache" / "mail_catcher"))
    / "tnef-corpus"
)

# What each example of tnefparse 1.4.0 holds, read with tnefparse itself: the file names,
# and which bodies (the RTF body, compressed, is left out: see lib/tnef.py).
EXAMPLES = {
    "IPM-DistList.tnef": (["Untitled Attachment"], set()),
    "MAPI_ATTACH_DATA_OBJ.tnef": (
        ["VIA_Nytt_1402.doc", "VIA_Nytt_1402.pdf", "VIA_Nytt_14021.htm"],
        set(),
    ),
    "MAPI_OBJECT.tnef": (["Untitled_Attachment"], set()),
    "bad_checksum.tnef": (["image001.png"], {"html", "text"}),
    "body.tnef": ([], {"html"}),
    "data-before-name.tnef": (["AUTOEXEC.BAT", "CONFIG.SYS", "boot.ini"], set()),
    "duplicate_filename.tnef": (
        ["file_abcdefgh.txt", "file_abcdefgh.txt", "VIA_Nytt_14021.htm"],
        set(),
    ),
    "garbage-at-end.tnef": ([], set()),
    "long-filename.tnef": (["allproductsmar2000.dat"], set()),
    "missing-filenames.tnef": (
        ["generpts.src", "TechlibDEC99.doc", "TechlibDEC99-JAN00.doc", "TechlibNOV99.doc"],
        set(),
    ),
    "multi-name-property.tnef": ([], set()),
    "multi-value-attribute.tnef": (["208225__5_seconds__Voice_Mail.mp3"], set()),
    "one-file.tnef": (["AUTHORS"], set()),
    "rtf.tnef": ([], set()),
    "triples.tnef": ([], {"text"}),
    "two-files.tnef": (["AUTHORS", "README"], set()),
    "umlaut.tnef": (["TBZ PARIV GmbH.jpg", "image003.jpg", "UmlautAnhang-äüö.txt"], set()),
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
                    {body for body in ("html", "text") if getattr(content, body)}, bodies
                )
                self.assertIsNone(content.rtf)

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

    def test_an_rtf_body_is_not_read_without_compressed_rtf(self):
        self.assertTrue(TNEF(self.files["rtf.tnef"]).has_body())
        self.assertEqual(unpack(self.files["rtf.tnef"]), TnefContent((), None, None, None))

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
