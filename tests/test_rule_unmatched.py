"""nothing_matched (routing/unmatched.py): the last rule, which always decides."""

from odoo.tests import tagged

from .common import JournalCase, RoutingCase


@tagged("post_install", "-at_install")
class TestNothingMatched(JournalCase):
    """A mail no rule matched waits in quarantine; nobody is bounced."""

    def test_an_unmatched_reply_is_quarantined_not_bounced(self):
        entry = self.receive(Subject="Hello")
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("assign it to one by hand", entry.reason)

    def test_a_reply_to_the_catchall_is_quarantined_not_bounced(self):
        entry = self.receive(Subject="Hello", To="catchall@company.test")
        self.assertEqual(entry.state, "quarantined")
        self.assertIn("would have bounced this mail back", entry.reason)
        bounces = self.env["mail.mail"].search([("email_to", "ilike", "customer@customer.test")])
        self.assertFalse(bounces, "a customer is never bounced back")


@tagged("post_install", "-at_install")
class TestAutomaticReplyMatchingNothing(RoutingCase):
    """An automatic reply that matches nothing is let go."""

    def test_an_out_of_office_matching_nothing_is_ignored(self):
        entry = self.receive(Subject="Out of Office: hello", X_Autoreply="yes")
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "auto_reply"}])
