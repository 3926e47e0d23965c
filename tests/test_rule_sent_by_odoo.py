"""sent_by_odoo (routing/sent_by_odoo.py): mail from Odoo's own addresses is a loop."""

from odoo.tests import tagged

from .common import RoutingCase


@tagged("post_install", "-at_install")
class TestSentByOdoo(RoutingCase):
    """Odoo's own addresses, seen as senders."""

    def test_mail_from_odoo_itself_is_a_loop(self):
        entry = self.receive(From="notifications@company.test")
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "loop"}])
        entry = self.receive(From="mailcatcher@company.test")
        self.assertRecordValues(entry, [{"state": "ignored", "kind": "loop"}])
