from odoo.tests import tagged

from .auth_results import GMAIL_FAIL, GMAIL_PASS
from .common import SenderAuthCase


@tagged("post_install", "-at_install")
class TestSenderAuthenticationRouting(SenderAuthCase):
    """The trusted provider's verdicts, counted on the health board."""

    def test_the_health_board_counts_failed_authentication(self):
        self.by_subject(GMAIL_FAIL)
        self.by_subject(GMAIL_PASS)
        server = self.catcher_server
        server.invalidate_recordset()
        self.assertEqual((server.catcher_auth_failed_24h, server.catcher_auth_failed_7d), (1, 1))
