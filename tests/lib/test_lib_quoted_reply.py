import sys
from email import message_from_bytes
from email.policy import default
from html import escape
from pathlib import Path
from unittest import TestCase

from lib.quoted_reply import fold_html, plain_text_to_html, unflow, visible_part

# Shared with the Odoo tests, this plain module lives in tests/, a package whose __init__
# imports Odoo: import it as a top-level module instead (appended, so that `lib` stays the
# repository's lib/).
sys.path.append(str(Path(__file__).parents[1]))

from mails import sample


class TestQuotedReply(TestCase):
    """The new text told apart from what a reply quotes; no database involved. The mails
    of each client are in test_quoted_replies."""

    def test_plain_text_becomes_paragraphs_with_links(self):
        html = plain_text_to_html(
            "Hello,\nsee https://customer.test/a?b=1, www.customer.test and\n"
            "paul@customer.test.\n\n<script>x</script> & co"
        )
        self.assertEqual(
            html,
            '<p>Hello,<br>see <a href="https://customer.test/a?b=1" target="_blank">'
            'https://customer.test/a?b=1</a>, <a href="https://www.customer.test" '
            'target="_blank">www.customer.test</a> and<br><a href="mailto:paul@customer.test" '
            'target="_blank">paul@customer.test</a>.</p><p>&lt;script&gt;x&lt;/script&gt; '
            "&amp; co</p>",
        )

    def test_quoted_lines_are_folded_and_answers_between_them_stay(self):
        html = plain_text_to_html("> Can you pay on Friday?\nYes.\n> And the rest?\n>> Old\nLater.")
        self.assertEqual(
            html,
            '<div data-o-mail-quote="1"><blockquote><p>Can you pay on Friday?</p></blockquote>'
            "</div><p>Yes.</p>"
            '<div data-o-mail-quote="1"><blockquote><p>And the rest?</p><blockquote><p>Old</p>'
            "</blockquote></blockquote></div><p>Later.</p>",
        )

    def test_a_wrapped_attribution_is_folded_whole(self):
        html = plain_text_to_html(
            "Fine.\n\nOn Mon, Nov 30, 2026 at 10:00 AM Alice Martin <\n"
            "alice@company.test> wrote:\n\n> Dear Camille"
        )
        self.assertEqual(visible_part(html), "<p>Fine.</p>")

    def test_a_sentence_is_not_read_as_half_an_attribution(self):
        text = "We pay today.\n30 nov. 2026 г., 12:00 Alice <alice@company.test>:\n> Hello"  # noqa: RUF001
        self.assertIn("We pay today.", visible_part(plain_text_to_html(text)))

    def test_attribution_lines_and_header_blocks_of_each_language(self):
        starts = [
            "On Mon, Nov 30, 2026 at 10:00 AM Alice Martin <alice@company.test> wrote:",
            "Le lun. 30 nov. 2026 à 10:00, Alice Martin <alice@company.test> a écrit :",
            "Op ma 30 nov. 2026 om 10:00 schreef Alice Martin <alice@company.test>:",
            "Am Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Alice Martin <alice@company.test>:",
            "El lun, 30 nov 2026 a las 10:00, Alice Martin (<alice@company.test>) escribió:",
            "30.11.2026, 10:00, Alice Martin <alice@company.test>:",
            "Алиса Мартен написал(а):",  # noqa: RUF001
            "From: Alice Martin\nSent: Monday, November 30, 2026 10:00\nTo: Camille",
            "De : Alice Martin\nEnvoyé : lundi 30 novembre 2026 10:00\nÀ : Camille",
            "Van: Alice Martin\nVerzonden: maandag 30 november 2026 10:00\nAan: Camille",
            "Von: Alice Martin\nGesendet: Montag, 30. November 2026 10:00\nAn: Camille",
            "De: Alice Martin\nEnviado: lunes, 30 de noviembre de 2026 10:00\nPara: Camille",
            "От: Alice Martin\nОтправлено: 30 ноября 2026 г. 10:00\nКому: Camille",  # noqa: RUF001
            "-----Original Message-----",
            "----- Mail original -----",
            "----- Oorspronkelijk bericht -----",
            "________________________________\nFrom: Alice Martin\nSent: Monday\nTo: Camille",
            "Sent from my iPhone",
            "Envoyé de mon iPhone",
            "Von meinem iPhone gesendet",
            "Enviado desde mi iPhone",
            "Отправлено с iPhone",  # noqa: RUF001
        ]
        for start in starts:
            with self.subTest(start=start):
                html = plain_text_to_html(f"Paid.\n\n{start}\n\nPlease find your document.")
                self.assertEqual(visible_part(html), "<p>Paid.</p>")
                self.assertIn("Please find your document.", html)

    def test_the_writers_own_lines_stay_in_view(self):
        for line in (
            "--> the new address is below",
            "To: the accounts team, from Camille",
            "Sent from my office in Lyon, the signed order follows.",
        ):
            with self.subTest(line=line):
                html = plain_text_to_html(f"Paid.\n{line}\nThanks")
                self.assertNotIn("data-o-mail-quote", html)

    def test_forwards_are_not_folded(self):
        text = "See below.\n\n-------- Message transféré --------\nDe : Paul\nObjet : x\n\nBody"
        self.assertNotIn("data-o-mail-quote", plain_text_to_html(text))
        html = "<div>See below.</div><div>Begin forwarded message:</div><div>From: Paul</div>"
        self.assertEqual(fold_html(html), html)
        quoted = "<div>Ok</div><div>On Mon, Alice wrote:</div><blockquote>Hi</blockquote>"
        self.assertEqual(fold_html(quoted, subject="Fwd: Invoice"), quoted)

    def test_html_without_quote_is_left_as_it_is(self):
        html = '<div dir="ltr">Merci,<br>Camille</div>'
        self.assertEqual(fold_html(html), html)

    def test_what_no_parser_reads_is_left_as_it_is(self):
        for html in ("<!-- only a comment -->", "   ", ""):
            self.assertEqual(fold_html(html), html)
            self.assertEqual(visible_part(html), html)

    def test_a_long_line_starting_like_an_attribution_is_text(self):
        text = "On " + "and on " * 2000 + "wrote:\n> quoted"
        self.assertIn("and on", visible_part(plain_text_to_html(text)))

    def test_an_attribution_after_a_line_break_folds_from_there(self):
        html = fold_html(
            "<div>Thanks!<br><br>On 30 Nov 2026, at 10:00, Alice wrote:<br>Dear Camille</div>"
        )
        self.assertEqual(visible_part(html), "<div><span>Thanks!</span><br></div>")
        self.assertIn("Dear Camille", html)

    def test_flowed_lines_are_joined(self):
        self.assertEqual(
            unflow("A long line \nwrapped.\n> quoted \n> too\n-- \nCamille"),
            "A long line wrapped.\n> quoted too\n-- \nCamille",
        )


# The writer's last line, unpunctuated as typed on a phone and starting the way the
# attribution under it starts, for each attribution form the module knows.
NEW_TEXT_AND_ATTRIBUTION = {
    "English": (
        "On it, we pay tomorrow",
        "On Mon, Nov 30, 2026 at 10:00 AM Alice Martin <alice@company.test> wrote:",
    ),
    "French": (
        "Le virement part demain",
        "Le lun. 30 nov. 2026 à 10:00, Alice Martin <alice@company.test> a écrit :",
    ),
    "Dutch": ("Op tijd betaald", "Op ma 30 nov. 2026 om 10:00 schreef Alice Martin:"),
    "Dutch, iPhone": (
        "Op vrijdag betalen we",
        "Op 30 nov. 2026 om 10:00 heeft Alice Martin <alice@company.test> het volgende geschreven:",
    ),
    "German": (
        "Am Freitag zahlen wir",
        "Am Mo., 30. Nov. 2026 um 10:00 Uhr schrieb Alice Martin <alice@company.test>:",
    ),
    "Spanish": (
        "El pago sale mañana",
        "El lun, 30 nov 2026 a las 10:00, Alice Martin (<alice@company.test>) escribió:",
    ),
    "Russian": (
        "Спасибо, оплатим завтра",
        '30.11.2026 12:00 пользователь "Alice Martin" <alice@company.test> написал:',
    ),
    "Russian, пишет": ("Хорошо, оплатим", "Alice Martin пишет:"),
    "date first, Gmail for Android": (
        "Да, 2 счета оплатим завтра",
        "пн, 30 нояб. 2026 г., 12:00 Alice Martin <alice@company.test>:",  # noqa: RUF001
    ),
}


def sample_bodies(name):
    """The plain-text and HTML bodies of a sample of tests/data/quoted."""
    raw = sample(
        f"quoted/{name}",
        message_id="<invoice-42@company.test>",
        reply_to="catchall@company.test",
        customer="camille@customer.test",
        subject="Invoice INV/2026/00042",
        n="1",
    )
    message = message_from_bytes(raw, policy=default)
    return (
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


class TestNewTextStaysInView(TestCase):
    """What the writer types above an attribution line is never folded with it, in any
    language, in plain text or HTML."""

    def assertNewTextInView(self, html, new_text):
        shown = visible_part(html)
        self.assertIn(new_text, shown, "the new text is in view")
        self.assertNotIn("Alice Martin", shown, "the attribution is folded")
        self.assertNotIn("Please find", shown, "the quoted mail is folded")
        self.assertIn("Alice Martin", html, "nothing is lost")
        self.assertIn("Please find", html, "nothing is lost")

    def test_plain_text(self):
        for language, (new_text, attribution) in NEW_TEXT_AND_ATTRIBUTION.items():
            with self.subTest(language=language):
                text = f"{new_text}\n\n{attribution}\n\n> Please find your document.\n>\n"
                self.assertNewTextInView(plain_text_to_html(text), new_text)

    def test_plain_text_without_a_blank_line(self):
        for language, (new_text, attribution) in NEW_TEXT_AND_ATTRIBUTION.items():
            with self.subTest(language=language):
                text = f"{new_text}\n{attribution}\n> Please find your document."
                self.assertNewTextInView(plain_text_to_html(text), new_text)

    def test_plain_text_above_a_wrapped_attribution(self):
        for attribution in (
            "On Mon, Nov 30, 2026 at 10:00 AM Alice Martin <\nalice@company.test> wrote:",
            "пн, 30 нояб. 2026 г., 12:00 Alice Martin <\nalice@company.test>:",  # noqa: RUF001
            '30.11.2026 12:00 пользователь "Alice Martin" <\nalice@company.test> написал:',
        ):
            with self.subTest(attribution=attribution):
                text = f"On it, 2 invoices paid\n{attribution}\n\n> Please find your document."
                self.assertNewTextInView(plain_text_to_html(text), "On it, 2 invoices paid")

    def test_html_attribution_in_a_block_of_its_own(self):
        for language, (new_text, attribution) in NEW_TEXT_AND_ATTRIBUTION.items():
            with self.subTest(language=language):
                html = fold_html(
                    f'<div dir="auto">{new_text}</div><br><div class="gmail_quote">'
                    f'<div dir="ltr" class="gmail_attr">{escape(attribution)}<br></div>'
                    '<blockquote class="gmail_quote"><div>Please find your document.</div>'
                    "</blockquote></div>"
                )
                self.assertNewTextInView(html, new_text)

    def test_html_attribution_after_a_line_break(self):
        for language, (new_text, attribution) in NEW_TEXT_AND_ATTRIBUTION.items():
            with self.subTest(language=language):
                html = fold_html(
                    f"<div>{new_text}<br>{escape(attribution)}</div><blockquote>"
                    "<div>Please find your document.</div></blockquote>"
                )
                self.assertNewTextInView(html, new_text)

    def test_gmail_for_android_in_russian(self):
        text, html = sample_bodies("android_ru_wrote.eml")
        self.assertNewTextInView(plain_text_to_html(text), "Спасибо, оплатим завтра")
        self.assertNewTextInView(fold_html(html), "Спасибо, оплатим завтра")


class TestQuotedHeaderBlock(TestCase):
    def test_a_header_block_quoted_with_marks_in_html_is_folded(self):
        """Hotmail quotes the header block and the mail with `&gt;` in its HTML."""
        text, html = sample_bodies("hotmail_en.eml")
        for body in (plain_text_to_html(text), fold_html(html)):
            shown = visible_part(body)
            self.assertIn("Noted, the transfer leaves on Thursday.", shown)
            self.assertNotIn("Subject:", shown)
            self.assertNotIn("Please find your document attached.", shown)
            self.assertIn("Please find your document attached.", body, "nothing is lost")

    def test_a_quoted_header_block_folds_at_any_quote_depth(self):
        for marks in ("&gt; ", "&gt;&gt; ", "&gt; &gt; "):
            with self.subTest(marks=marks):
                html = fold_html(
                    f"<div>Paid.</div><div>{marks}From: Alice Martin<br>{marks}Sent: Monday"
                    f"<br>{marks}To: Camille<br>{marks}Subject: Invoice<br>{marks}<br>"
                    f"{marks}Please find your document.</div>"
                )
                self.assertEqual(visible_part(html), "<div>Paid.</div>")
