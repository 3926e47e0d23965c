from datetime import datetime

from odoo.tests import tagged

from .common import MailCatcherCase


@tagged("post_install", "-at_install")
class TestJournalViews(MailCatcherCase):
    def test_mails_per_day_by_state_and_kind(self):
        action = self.env.ref("mail_catcher.mail_catcher_message_action")
        self.assertEqual(action.view_mode, "list,form,graph,pivot")
        Journal = self.env["mail.catcher.message"]
        views = Journal.get_views([(False, "graph"), (False, "pivot")])["views"]
        self.assertIn('interval="day"', views["graph"]["arch"])
        self.assertIn('name="kind"', views["pivot"]["arch"])
        day = datetime(2026, 11, 30, 10, 0)
        mails = (("routed", "reply"), ("routed", "reply"), ("quarantined", False))
        for number, (state, kind) in enumerate(mails):
            Journal.create(
                {
                    "server_id": self.catcher_server.id,
                    "date": day,
                    "state": state,
                    "kind": kind,
                    "message_id": f"<{number}@customer.test>",
                    "checksum": str(number),
                }
            )
        counts = Journal._read_group(
            [("server_id", "=", self.catcher_server.id)],
            ["date:day", "state", "kind"],
            ["__count"],
        )
        self.assertEqual({day for day, *_rest in counts}, {datetime(2026, 11, 30)})
        self.assertEqual(
            sorted((state, kind or None, count) for _day, state, kind, count in counts),
            [("quarantined", None, 1), ("routed", "reply", 2)],
        )
