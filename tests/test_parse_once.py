"""Each mail is parsed once on its way from the journal to its document: its limits are
read from its bytes, and the rules, the post and the journal entry all read that one
parse (routing/incoming.py). The journal's own read of a mail's headers, as it is
fetched, happens before routing, in another transaction (models/mail_catcher_message.py,
_journal); it reads the headers alone."""

from email.feedparser import FeedParser
from unittest.mock import patch

from odoo.tests import tagged

from .auth_results import GMAIL_PASS
from .common import JournalCase
from .mails import sample
from .poison_mails import nested_forwards


@tagged("post_install", "-at_install")
class TestParseOnce(JournalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_catcher()
        cls.catcher_server.catcher_trusted_authserv_id = "mx.google.com"

    def route_counting_parses(self, raw):
        """Journal `raw`, then route it as the routing cron does, counting the parses of
        that mail by Python's mail parser (each ends with FeedParser.close: a spy, not a
        stand-in, for the parser runs as it always does). A parse of a part that holds
        another mail's headers (Odoo reads those of a bounced mail) is not this mail's.
        Returns the entry and the count."""
        [entry] = self.Journal._journal(self.catcher_server, [{"raw": raw}])
        parses = []
        close = FeedParser.close

        def counted_close(parser):
            parsed = close(parser)
            if str(parsed.get("Message-ID", "")).strip() == entry.message_id:
                parses.append(parsed)
            return parsed

        with patch.object(FeedParser, "close", counted_close):
            entry._claim_and_route()
        return entry, len(parses)

    def test_a_verified_reply_is_parsed_once(self):
        raw = self.reply("Thanks", trace=[("Authentication-Results", GMAIL_PASS)])
        entry, parses = self.route_counting_parses(raw)
        self.assertRecordValues(entry, [{"state": "routed", "sender_auth": "pass"}])
        self.assertEqual(parses, 1)

    def test_a_delivery_report_is_parsed_once(self):
        for name in ("postfix_hard.eml", "qmail_hard.eml"):
            with self.subTest(sample=name):
                raw = sample(
                    f"bounces/{name}",
                    message_id=self.sent.message_id,
                    reply_to="mailcatcher@company.test",
                    catcher="mailcatcher@company.test",
                    customer="customer@customer.test",
                    recipient="gone@customer.test",
                    subject="Your document",
                    n=name,
                )
                entry, parses = self.route_counting_parses(raw)
                self.assertEqual(entry.kind, "bounce")
                self.assertIn("gone@customer.test", entry.reason)
                self.assertEqual(parses, 1)

    def test_a_mail_past_its_limits_is_never_parsed_whole(self):
        self.catcher_server.write({"catcher_max_mime_depth": 30, "catcher_max_mime_parts": 0})
        entry, parses = self.route_counting_parses(nested_forwards(1000, filler=3000))
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("over 30 levels", entry.reason)
        self.assertEqual(parses, 1, "its headers alone, for the sender's verdict")
