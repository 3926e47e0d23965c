"""past_server_limits (routing/over_limits.py): a mail past its server's limits is set aside
unread."""

from odoo.tests import tagged

from .common import JournalCase
from .poison_mails import many_parts, nested_forwards


@tagged("post_install", "-at_install")
class TestPastServerLimits(JournalCase):
    """Size, MIME depth and part count, checked before Python's parser reads the mail."""

    def test_mails_past_the_limits_are_quarantined_unread(self):
        self.catcher_server.write({"catcher_max_mime_depth": 20, "catcher_max_mime_parts": 100})
        deep, wide = self.receive_batch(nested_forwards(40), many_parts(150))
        self.assertEqual(deep.state, "quarantined")
        self.assertIn("over 20 levels", deep.reason)
        self.assertEqual(wide.state, "quarantined")
        self.assertIn("over 100 parts", wide.reason)
        self.catcher_server.catcher_max_size_mb = 1
        big = self.receive(raw=self.reply("x" * 2_000_000))
        self.assertEqual(big.state, "quarantined")
        self.assertIn("over the limit of 1 MB", big.reason)

    def test_a_mail_too_deep_for_pythons_parser_is_quarantined_at_once(self):
        self.catcher_server.write({"catcher_max_mime_depth": 0, "catcher_max_mime_parts": 0})
        entry = self.receive(raw=nested_forwards(1000))
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("too deep", entry.reason)
        self.assertEqual(entry.attempt_count, 1)
