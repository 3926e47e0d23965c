from unittest import TestCase

from lib.quoted_reply import fold_html, plain_text_to_html, unflow, visible_part


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
