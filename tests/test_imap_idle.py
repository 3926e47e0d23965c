import contextlib
import os
import threading
import time
import uuid

from odoo.tests import BaseCase, tagged

from ..lib.imap_idle import (
    announces_new_mail,
    idle,
    poll_with_noop,
    supports_idle,
)
from .common import load_bench
from .mails import compose

# Dovecot announces a delivery about 0.5 s after it (inotify, plus its own delay to
# gather changes); far below this bound, which leaves room for a loaded machine.
PROMPT = 5.0


@tagged("post_install", "-at_install", "mail_catcher_bench")
class TestImapIdle(BaseCase):
    """IDLE and its NOOP fallback against the bench's real Dovecot; no database."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bench, _info = load_bench()

    def setUp(self):
        super().setUp()
        # A mailbox of its own per test: nobody else delivers there.
        self.user = f"idle-{uuid.uuid4().hex[:10]}@company.test"
        self.bench.deliver(self.mail("first"), self.user)
        self.connection = self.bench.imap(self.user)
        self.addCleanup(self.logout)
        typ, _data = self.connection.select("INBOX")
        self.assertEqual(typ, "OK")

    def logout(self):
        # A test that broke the connection has failed already: say nothing more.
        with contextlib.suppress(Exception):
            self.connection.logout()

    def mail(self, subject):
        return compose("Hello", To=self.user, Subject=subject)

    def deliver_later(self, subject, delay=1.0):
        timer = threading.Timer(delay, self.bench.deliver, (self.mail(subject), self.user))
        timer.start()
        self.addCleanup(timer.join)
        return timer

    def assertUsable(self, expected_count):
        typ, _data = self.connection.noop()
        self.assertEqual(typ, "OK")
        typ, data = self.connection.search(None, "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data[0].split()), expected_count)

    def test_dovecot_offers_idle(self):
        self.assertIs(supports_idle(self.connection), True)
        self.assertUsable(1)

    def test_idle_returns_soon_after_a_delivery(self):
        self.deliver_later("reply")
        start = time.monotonic()
        self.assertTrue(idle(self.connection, timeout=60))
        self.assertLess(time.monotonic() - start, 1.0 + PROMPT)
        self.assertUsable(2)

    def test_idle_times_out_when_nothing_arrives(self):
        start = time.monotonic()
        self.assertFalse(idle(self.connection, timeout=1.5))
        self.assertGreaterEqual(time.monotonic() - start, 1.5)
        self.assertUsable(1)

    def test_mail_delivered_between_two_waits_is_announced_by_the_next(self):
        self.assertFalse(idle(self.connection, timeout=0.1))
        self.bench.deliver(self.mail("while not idling"), self.user)
        start = time.monotonic()
        self.assertTrue(idle(self.connection, timeout=30))
        self.assertLess(time.monotonic() - start, PROMPT)
        self.assertUsable(2)

    def test_several_waits_in_a_row(self):
        for count in (2, 3):
            self.deliver_later(f"reply {count}", delay=0.3)
            self.assertTrue(idle(self.connection, timeout=60))
            # Dovecot may announce a delivery in more than one response; the next
            # wait must not take the leftovers for new mail.
            time.sleep(0.2)
        self.assertFalse(idle(self.connection, timeout=1))
        self.assertUsable(3)

    def test_an_interrupt_ends_the_wait(self):
        read_end, write_end = os.pipe()
        self.addCleanup(os.close, read_end)
        self.addCleanup(os.close, write_end)
        timer = threading.Timer(0.5, os.write, (write_end, b"x"))
        timer.start()
        self.addCleanup(timer.join)  # before the pipe closes (cleanups run last first)
        start = time.monotonic()
        self.assertFalse(idle(self.connection, timeout=60, interrupt=read_end))
        self.assertLess(time.monotonic() - start, 10)
        self.assertUsable(1)

    def test_noop_fallback(self):
        self.deliver_later("reply")
        self.assertTrue(poll_with_noop(self.connection, timeout=60, interval=0.5))
        self.assertFalse(poll_with_noop(self.connection, timeout=1, interval=0.5))
        self.assertUsable(2)

    def test_which_responses_announce_new_mail(self):
        self.assertTrue(announces_new_mail(b"* 12 EXISTS"))
        self.assertTrue(announces_new_mail(b"* 1 RECENT"))
        self.assertFalse(announces_new_mail(b"* 0 RECENT"))
        self.assertFalse(announces_new_mail(b"* 3 EXPUNGE"))
        self.assertFalse(announces_new_mail(b"* 3 FETCH (FLAGS (\\Seen))"))
        self.assertFalse(announces_new_mail(b"* OK Still here"))
