import uuid

from odoo.tests import tagged

from .common import BenchMailboxCase, MailCatcherCase


@tagged("post_install", "-at_install")
class TestCronToggle(MailCatcherCase):
    """Which fetch crons are on: "Mail Catcher: fetch replies" while a company's catcher is
    confirmed, Odoo's "Mail: Fetchmail Service" while another server is."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stock_cron = cls.env.ref("mail.ir_cron_mail_gateway_action")
        cls.catcher_cron = cls.env.ref("mail_catcher.ir_cron_fetch_replies")
        # Only this class's servers count: the database may hold others.
        cls.env["fetchmail.server"].search([]).write({"state": "draft"})
        cls.jobs_server = cls.env["fetchmail.server"].create(
            {
                "name": "Jobs",
                "server_type": "imap",
                "server": "127.0.0.1",
                "port": 143,
                "user": "jobs@company.test",
                "password": "secret",
            }
        )

    def test_the_stock_cron_stays_off_when_the_catcher_is_the_only_server(self):
        self.set_catcher()
        self.catcher_server.state = "done"
        self.assertTrue(self.catcher_cron.active)
        self.assertFalse(self.stock_cron.active, "it would have no server to poll")

    def test_the_stock_cron_runs_while_another_server_is_confirmed(self):
        self.set_catcher()
        self.catcher_server.state = "done"
        self.jobs_server.state = "done"
        self.assertTrue(self.stock_cron.active)
        self.assertTrue(self.catcher_cron.active)
        self.jobs_server.state = "draft"
        self.assertFalse(self.stock_cron.active)
        self.assertTrue(self.catcher_cron.active)

    def test_a_server_no_longer_a_catcher_goes_back_to_the_stock_cron(self):
        self.set_catcher()
        self.catcher_server.state = "done"
        self.company.mail_catcher_server_id = False
        self.assertTrue(self.stock_cron.active)
        self.assertFalse(self.catcher_cron.active)

    def test_a_new_company_with_a_catcher_turns_its_cron_on(self):
        self.catcher_server.state = "done"
        self.catcher_cron.active = False
        self.env["res.company"].create(
            {"name": "Sister Company", "mail_catcher_server_id": self.catcher_server.id}
        )
        self.assertTrue(self.catcher_cron.active)

    def test_an_archived_catcher_is_not_fetched(self):
        self.set_catcher()
        self.catcher_server.state = "done"
        self.assertEqual(self.env["fetchmail.server"]._catcher_servers(), self.catcher_server)
        self.catcher_server.active = False
        self.assertFalse(self.env["fetchmail.server"]._catcher_servers())

    def test_a_backlog_is_handed_to_a_new_run_of_the_cron(self):
        """Odoo's reruns of a job that reports work left share one watchdog period of
        the cron worker: the backlog goes to a new run instead."""
        self.catcher_cron.active = True
        Trigger = self.env["ir.cron.trigger"]
        before = Trigger.search([("cron_id", "=", self.catcher_cron.id)])
        server = self.catcher_server.with_context(cron_id=self.catcher_cron.id)
        server._catcher_hand_over(done=100, remaining=0)
        self.assertEqual(Trigger.search([("cron_id", "=", self.catcher_cron.id)]), before)
        server._catcher_hand_over(done=100, remaining=250)
        self.assertEqual(len(Trigger.search([("cron_id", "=", self.catcher_cron.id)]) - before), 1)


@tagged("post_install", "-at_install", "mail_catcher_bench")
class TestCronServers(BenchMailboxCase):
    """Which servers each cron fetches, on real mailboxes of the bench: the company's
    catcher by its own cron only, another confirmed server (a jobs alias mailbox) by
    Odoo's cron only; Fetch Now still fetches either. The mailboxes stay empty: a test
    cursor cannot commit, as fetching a mail does; an empty fetch commits nothing and
    records its success on the server."""

    mailbox_prefix = "crons"

    def setUp(self):
        super().setUp()
        # Only this test's servers count: the database may hold others.
        self.env["fetchmail.server"].search([]).write({"state": "draft"})
        self.catcher_server.button_confirm_login()
        self.set_catcher()
        self.jobs_server = self.env["fetchmail.server"].create(
            {
                "name": "Jobs",
                "server_type": "imap",
                "server": "127.0.0.1",
                "port": self.bench_info["imap_port"],
                "user": f"jobs-{uuid.uuid4().hex[:8]}@company.test",
                "password": self.bench_info["password"],
            }
        )
        self.jobs_server.button_confirm_login()

    def test_the_stock_cron_leaves_the_catcher_to_its_own_cron(self):
        self.env["fetchmail.server"]._fetch_mails()
        self.assertTrue(self.jobs_server.catcher_last_fetch)
        self.assertFalse(self.catcher_server.catcher_last_fetch)

    def test_the_catcher_cron_fetches_the_catcher_only(self):
        self.env["fetchmail.server"]._fetch_catcher_replies()
        self.assertTrue(self.catcher_server.catcher_last_fetch)
        self.assertFalse(self.jobs_server.catcher_last_fetch)

    def test_fetch_now_fetches_any_server(self):
        self.catcher_server.fetch_mail()
        self.jobs_server.fetch_mail()
        self.assertTrue(self.catcher_server.catcher_last_fetch)
        self.assertTrue(self.jobs_server.catcher_last_fetch)
