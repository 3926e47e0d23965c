import time
from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.tests import tagged

from .common import JournalCase
from .poison_mails import nested_forwards, nul_in_encoded_subject


@tagged("post_install", "-at_install")
class TestPoisonMail(JournalCase):
    """A bad mail is stored, set aside with its reason, and holds up no other mail."""

    def test_a_nul_in_a_subject_is_journaled_with_its_raw_mail_intact(self):
        raw = nul_in_encoded_subject()
        entry, good = self.receive_batch(raw, self.reply())
        self.assertEqual(entry.subject, "テスト\ufffd")
        self.assertEqual(entry.raw_attachment_id.raw, raw)
        self.assertEqual(entry.state, "quarantined")  # no document named: it waits
        self.assertEqual(good.state, "routed")

    def test_a_mail_the_database_refuses_is_kept_quarantined_and_the_batch_goes_on(self):
        # A mock stands in for a refusal the database no longer makes (texts are cleaned
        # before they are stored): an insert holding this subject raises.
        create = type(self.Journal).create
        refused = []

        def refusing_create(records, vals_list):
            if any(vals.get("subject") == "Refused" for vals in vals_list):
                refused.append(len(vals_list))
                raise ValueError("the database refused this row")
            return create(records, vals_list)

        with patch.object(type(self.Journal), "create", refusing_create):
            [bad, good] = self.Journal._journal(
                self.catcher_server,
                [{"raw": self.reply(Subject="Refused")}, {"raw": self.reply()}],
            )
        self.assertEqual(refused, [2, 1], "the batch, then that mail alone")
        self.assertEqual(bad.state, "quarantined")
        self.assertIn("could not be stored as it came", bad.reason)
        self.assertIn(b"Refused", bad.raw_attachment_id.raw)
        self.assertEqual(good.state, "received")

    def test_a_mail_slower_than_its_time_limit_is_set_aside(self):
        # A real slow parse: Odoo cleans the growing HTML body once per nested part.
        self.catcher_server.write(
            {
                "catcher_max_mime_depth": 0,
                "catcher_max_mime_parts": 0,
                "catcher_route_time_limit": 1,
            }
        )
        started = time.monotonic()
        slow, good = self.receive_batch(nested_forwards(400, filler=2000), self.reply())
        self.assertEqual(slow.state, "quarantined")
        self.assertIn("over 1 seconds", slow.reason)
        self.assertLess(time.monotonic() - started, 30)
        self.assertEqual(good.state, "routed")

    def test_the_same_error_twice_goes_to_quarantine_at_once(self):
        # A mock stands in for a fault Odoo cannot be made to raise on demand here.
        self.assertEqual(self.catcher_server.catcher_max_attempts, 5)
        with patch.object(
            type(self.env["mail.thread"]),
            "_message_route_process",
            side_effect=RuntimeError("routing exploded"),
        ):
            entry = self.receive(raw=self.reply())
            self.assertRecordValues(entry, [{"state": "failed", "attempt_count": 1}])
            entry._claim_and_route()
        self.assertRecordValues(entry, [{"state": "quarantined", "attempt_count": 2}])
        self.assertIn("same error", entry.reason)

    def test_a_mail_left_claimed_by_a_dead_worker_is_routed_alone_then_set_aside(self):
        victim, other = self.Journal._journal(
            self.catcher_server, [{"raw": self.reply()}, {"raw": self.reply()}]
        )
        # What a worker killed while routing leaves: the claim committed, nobody on it.
        stale = fields.Datetime.now() - timedelta(minutes=5)
        (victim | other).write({"routing_started": stale, "attempt_count": 1})
        other.crash_count = 1
        victim._claim_and_route()
        self.assertRecordValues(victim, [{"state": "routed", "crash_count": 1, "attempt_count": 2}])
        self.assertFalse(victim.routing_started)
        other._claim_and_route()
        self.assertEqual(other.state, "quarantined")
        self.assertIn("Routing stopped 2 times", other.reason)
        self.assertFalse(other.mail_message_id)

    def test_a_claim_younger_than_its_grace_belongs_to_its_worker(self):
        [entry] = self.Journal._journal(self.catcher_server, [{"raw": self.reply()}])
        entry.routing_started = fields.Datetime.now()
        self.assertFalse(entry._claim_and_route())
        self.assertEqual(entry.state, "received")

    def test_replies_with_malformed_headers_are_routed(self):
        # Written as raw bytes: Python's own mail writer refuses the odd name.
        group = self.reply().replace(
            b"To: mailcatcher@company.test", b"To: undisclosed-recipients:;"
        )
        odd_name = self.reply().replace(b"From: Customer <", b"From: . <")
        entries = self.receive_batch(group, odd_name)
        self.assertEqual([entry.state for entry in entries], ["routed", "routed"])
        self.assertEqual({entry.res_id for entry in entries}, {self.document.id})

    def test_a_stopped_fetch_is_shown_until_the_next_one_records_it(self):
        server = self.catcher_server
        server.catcher_fetch_running_since = fields.Datetime.now() - timedelta(minutes=3)
        self.assertTrue(server.catcher_fetch_stopped)
        self.assertEqual(server.catcher_health, "error")
        server._catcher_check_last_fetch_ended()
        self.assertIn("stopped before its end", server.catcher_last_error)
        self.assertEqual(server.catcher_failure_count, 1)
        self.assertFalse(server.catcher_fetch_running_since)
