"""Mail as people send it, posted as they meant it: Outlook's winmail.dat unpacked into
the files inside it, a signature logo shown in the text and not listed among the files, an
S/MIME signature said in a line rather than listed. The journal keeps the raw mail as it
came."""

import importlib.util
from email.utils import make_msgid
from pathlib import Path

from odoo.tests import tagged

from ..lib.tnef import UnreadableTnef
from ..lib.tnef import unpack as unpack_tnef
from .common import ADDON_DIR, RoutingCase
from .mails import build

PDF = b"%PDF-1.4\n% the customer's signed order\n%%EOF\n"
LOGO = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def tnef_corpus():
    """The real winmail.dat files of scripts/tnef_corpus.py, downloaded once."""
    spec = importlib.util.spec_from_file_location(
        "mail_catcher_tnef_corpus", ADDON_DIR / "scripts" / "tnef_corpus.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.gather(Path.home() / ".cache" / "mail_catcher" / "tnef-corpus")


@tagged("post_install", "-at_install")
class TestMailAsSent(RoutingCase):
    def reply(self):
        """A reply to the sent message, whose content each test sets as a client would."""
        return build(
            To=self.sent.reply_to, Subject="Re: Your order", In_Reply_To=self.sent.message_id
        )

    def posted(self, mail):
        raw = mail.as_bytes()
        entry = self.receive(raw=raw)
        self.assertEqual(entry.state, "routed", entry.reason)
        self.assertEqual(entry._raw(), raw, "the journal keeps the raw mail as it came")
        return entry.mail_message_id

    def test_a_signature_logo_is_shown_in_the_text_and_not_listed(self):
        mail = self.reply()
        mail.set_content("Signed order attached.\n-- \nCustomer Ltd")
        logo_cid = make_msgid(domain="customer.test")
        mail.add_alternative(
            f'<p>Signed order attached.</p><p>-- <br><img src="cid:{logo_cid[1:-1]}"> '
            "Customer Ltd</p>",
            subtype="html",
        )
        mail.get_payload()[1].add_related(
            LOGO, "image", "png", cid=logo_cid, filename="image001.png"
        )
        mail.add_attachment(PDF, "application", "pdf", filename="order.pdf")
        message = self.posted(mail)
        self.assertEqual(message.attachment_ids.mapped("name"), ["order.pdf"])
        logo = self.env["ir.attachment"].search(
            [("name", "=", "image001.png"), ("res_id", "=", self.document.id)]
        )
        self.assertEqual(len(logo), 1)
        self.assertIn(f"/web/image/{logo.id}?access_token=", message.body)

    def test_an_smime_signature_is_said_not_listed(self):
        mail = self.reply()
        mail.set_content("I confirm the order.")
        mail.add_attachment(PDF, "application", "pdf", filename="order.pdf")
        mail.add_attachment(
            b"0\x82\x05\x00 a detached signature",
            "application",
            "pkcs7-signature",
            filename="smime.p7s",
        )
        message = self.posted(mail)
        self.assertEqual(message.attachment_ids.mapped("name"), ["order.pdf"])
        self.assertIn("This mail was signed (S/MIME).", message.body)

    def test_winmail_dat_files_become_attachments(self):
        corpus = tnef_corpus()
        self.assertEqual(len(corpus), 19)
        unpacked = 0
        for path in corpus:
            with self.subTest(tnef=path.name):
                data = path.read_bytes()
                mail = self.reply()
                mail.set_content("See attached.")
                mail.add_attachment(data, "application", "ms-tnef", filename="winmail.dat")
                message = self.posted(mail)
                try:
                    inside = [name for name, _data in unpack_tnef(data).attachments]
                except UnreadableTnef:
                    self.assertEqual(message.attachment_ids.mapped("name"), ["winmail.dat"])
                    self.assertIn("could not be unpacked", message.body)
                    continue
                self.assertEqual(sorted(message.attachment_ids.mapped("name")), sorted(inside))
                self.assertNotIn("winmail.dat", message.attachment_ids.mapped("name"))
                unpacked += bool(inside)
        self.assertGreaterEqual(unpacked, 10, "most of the real files hold files")

    def test_the_body_inside_a_winmail_dat_is_shown_when_the_mail_has_none(self):
        [voice_mail] = [path for path in tnef_corpus() if path.stem == "multi-value-attribute"]
        mail = self.reply()
        mail.set_content(voice_mail.read_bytes(), "application", "ms-tnef", filename="winmail.dat")
        message = self.posted(mail)
        self.assertIn("You received a voice mail from Curie Conf Room", message.body)
        self.assertEqual(
            message.attachment_ids.mapped("name"), ["208225__5_seconds__Voice_Mail.mp3"]
        )

    def test_a_winmail_dat_that_cannot_be_read_is_kept_with_a_line(self):
        mail = self.reply()
        mail.set_content("See attached.")
        damaged = b"PK\x03\x04 a zip that a mail client mislabelled"
        mail.add_attachment(damaged, "application", "ms-tnef", filename="winmail.dat")
        message = self.posted(mail)
        self.assertEqual(message.attachment_ids.mapped("name"), ["winmail.dat"])
        self.assertIn("winmail.dat (Outlook's format) could not be unpacked", message.body)
