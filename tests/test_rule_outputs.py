"""A rule's only output is its return value, and posting a mail changes nothing the rules
read (routing/__init__.py, routing/post.py)."""

from odoo.tests import tagged

from ..routing import decide
from ..routing.outcome import Refusal, Unroutable
from ..routing.reply_headers import reply_headers_or_alias
from .auth_results import GMAIL_FAIL
from .common import JournalCase
from .mails import compose


@tagged("post_install", "-at_install")
class TestRuleOutputs(JournalCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_catcher()

    def open_mail(self, raw):
        """The IncomingMail of `raw`, journaled, in a chunk opened as routing opens it."""
        [entry] = self.Journal._journal(self.catcher_server, [{"raw": raw}])
        chunk = self.env["mail.thread"]._mail_catcher_open_chunk(entry)
        self.addCleanup(self.env["mail.thread"]._mail_catcher_close_chunk)
        return chunk.mails[0]

    def test_odoos_refusal_travels_in_the_return_value(self):
        mail = self.open_mail(compose(Subject="Hello", To="catchall@company.test"))
        refusal = reply_headers_or_alias(mail)
        self.assertIsInstance(refusal, Refusal)
        self.assertIsInstance(refusal.error, Unroutable)
        self.assertIsNone(mail.refusal, "the rule wrote nothing on the mail")
        outcome = decide(mail, mail.entry._routing_rules())
        self.assertEqual(outcome.state, "quarantined")
        self.assertIn("would have bounced this mail back", outcome.reason)

    def test_posting_leaves_the_mail_as_the_rules_read_it(self):
        # An unverified sender: the post adds a warning on top of the body it posts.
        self.catcher_server.catcher_trusted_authserv_id = "mx.google.com"
        mail = self.open_mail(
            self.reply(
                "Please pay our new bank account.", trace=[("Authentication-Results", GMAIL_FAIL)]
            )
        )
        outcome = decide(mail, mail.entry._routing_rules())
        read_by_rules = dict(mail.msg_dict)
        posted = mail.entry._apply(mail, outcome)
        self.assertIn("could not be verified", str(posted.body))
        self.assertEqual(posted, mail.entry.mail_message_id)
        self.assertEqual(mail.msg_dict, read_by_rules)
