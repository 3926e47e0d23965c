"""Nothing lost, nothing twice: the fetch pipeline against the bench's real Dovecot, run
in Odoo processes of their own (`odoo-bin shell`), killed and interrupted for real. Each
fetch is run by hand (helpers.fetch, or fetch_mail in a spawned process) on purpose: what
a fetch keeps, posts and acknowledges is these tests' subject."""

import textwrap
import time

from conftest import REPO
from helpers import fetch, make_server, outcome, reply_to, unseen


def deliver_replies(bench, mailbox, setup, count=None):
    replies = [
        reply_to(message_id, mailbox, f"Reply {index}")
        for index, message_id in enumerate(setup["sent"][:count])
    ]
    for reply in replies:
        bench.deliver(reply, mailbox)
    bench.wait_for_messages(mailbox, count=len(replies))
    return [reply["Message-ID"] for reply in replies]


def test_replies_are_routed_once_and_flagged(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 5, catcher_batch_size=2)
    replies = deliver_replies(bench, mailbox, setup)
    fetch(odoo, setup["server"])
    result = outcome(odoo, setup["server"], replies)
    assert result["counts"] == dict.fromkeys(replies, 1)
    assert result["states"] == ["routed"] * 5
    assert unseen(bench, mailbox) == 0
    fetch(odoo, setup["server"])  # nothing new: nothing doubled
    assert outcome(odoo, setup["server"], replies)["entries"] == 5


def test_crash_between_routing_and_acknowledgement(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 4, catcher_batch_size=2)
    replies = deliver_replies(bench, mailbox, setup)
    # The process is killed (SIGKILL) once the first batch is routed and committed,
    # before the server hears of it.
    crashed = fetch(
        odoo,
        setup["server"],
        patch="seams.at(seams.ROUTED, lambda: os.kill(os.getpid(), signal.SIGKILL))",
        expect_success=False,
    )
    assert crashed.returncode == -9
    assert unseen(bench, mailbox) == 4, "nothing was acknowledged"
    fetch(odoo, setup["server"])
    result = outcome(odoo, setup["server"], replies)
    assert result["counts"] == dict.fromkeys(replies, 1)
    assert result["entries"] == 4
    assert unseen(bench, mailbox) == 0


def test_crash_between_acknowledgement_and_commit(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 4, catcher_batch_size=2)
    replies = deliver_replies(bench, mailbox, setup)
    crashed = fetch(
        odoo,
        setup["server"],
        patch="seams.at(seams.ACKNOWLEDGED, lambda: os.kill(os.getpid(), signal.SIGKILL))",
        expect_success=False,
    )
    assert crashed.returncode == -9
    assert unseen(bench, mailbox) == 2, "the first batch was acknowledged"
    fetch(odoo, setup["server"])
    result = outcome(odoo, setup["server"], replies)
    assert result["counts"] == dict.fromkeys(replies, 1)
    assert result["entries"] == 4


def test_dovecot_stopped_in_the_middle_of_a_run(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 6, catcher_batch_size=2)
    replies = deliver_replies(bench, mailbox, setup)
    bench_json = bench.state_file
    stopped = fetch(
        odoo,
        setup["server"],
        patch=f"""
        import sys
        sys.path.insert(0, {str(REPO / "scripts")!r})
        import bench
        seams.at(
            seams.ACKNOWLEDGED, lambda: bench.Bench.load({str(bench_json)!r}).stop_dovecot()
        )
        """,
    )
    try:
        assert stopped.returncode == 0, "the run ends cleanly"
        result = outcome(odoo, setup["server"], replies)
        assert result["last_error"], "the failure is on the server"
        assert result["entries"] == 2
    finally:
        bench.start_dovecot()
    fetch(odoo, setup["server"])
    result = outcome(odoo, setup["server"], replies)
    assert result["counts"] == dict.fromkeys(replies, 1)
    assert result["last_error"] == ""


def test_two_odoo_processes_fetching_at_once(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 12, catcher_batch_size=3)
    replies = deliver_replies(bench, mailbox, setup)
    slow = textwrap.dedent(
        f"""
        import time
        from odoo.addons.mail_catcher.lib import seams
        seams.at(seams.FETCHED, lambda: time.sleep(1))
        # By hand on purpose: two fetches of one mailbox at once are this test's subject.
        env["fetchmail.server"].browse({setup["server"]}).fetch_mail(raise_exception=False)
        env.cr.commit()
        """
    )
    first, second = odoo.spawn_python(slow), odoo.spawn_python(slow)
    outputs = [odoo.finish(first), odoo.finish(second)]
    assert [code for code, _ in outputs] == [0, 0]
    assert any("already being fetched: skipped" in text for _, text in outputs)
    result = outcome(odoo, setup["server"], replies)
    assert result["counts"] == dict.fromkeys(replies, 1)
    assert result["entries"] == 12


def test_free_workers_share_the_routing_of_a_batch(odoo, bench, mailbox):
    """A fetch and two route crons, as on three cron workers: the batch is routed by all
    three, each mail once. The fetch and the route cron's method are run by hand on
    purpose, each in a process of its own: how they share one batch is this test's
    subject, and it needs them to run at the same time."""
    setup = make_server(odoo, bench, mailbox, 30, catcher_batch_size=30)
    replies = deliver_replies(bench, mailbox, setup)
    server_id = setup["server"]
    slow_routes = textwrap.dedent(
        f"""
        import time
        from odoo.addons.mail_catcher.lib import seams
        # Routing that takes long enough for the others to join.
        seams.at(seams.ROUTING, lambda entry: time.sleep(0.5))
        Journal = type(env["mail.catcher.message"])
        route_claimed = Journal._route_claimed
        settled = []
        def counted_route_claimed(self):
            result = route_claimed(self)
            settled.extend(result.filtered(lambda entry: entry.server_id.id == {server_id}).ids)
            return result
        # Not a fault but a count: which entries this process settled.
        Journal._route_claimed = counted_route_claimed
        """
    )
    fetcher = odoo.spawn_python(
        slow_routes
        # The fetch cron's action, by hand: it shares its batch with the route crons below.
        + f"env['fetchmail.server'].browse({setup['server']}).fetch_mail()\nenv.cr.commit()\n"
        + "print('SETTLED', len(set(settled)))\n"
    )
    # Each route cron runs until the whole batch is journaled and routed (120 s at most).
    route_cron = slow_routes + textwrap.dedent(
        f"""
        journal = env["mail.catcher.message"]
        def batch_done():
            this_server = [("server_id", "=", {server_id})]
            received = this_server + [("state", "=", "received")]
            return journal.search_count(this_server) == 30 and not journal.search_count(received)
        started = time.monotonic()
        while time.monotonic() - started < 120 and not batch_done():
            # The route cron's own method, as its cron worker runs it (the test's subject).
            journal._cron_route_received(time_budget=5)
            env.cr.commit()
            time.sleep(0.2)
        print('SETTLED', len(set(settled)))
        """
    )
    routers = [odoo.spawn_python(route_cron) for _ in range(2)]
    outputs = [odoo.finish(process) for process in (fetcher, *routers)]
    assert [code for code, _ in outputs] == [0, 0, 0], outputs
    settled = [int(text.split("SETTLED ")[1].split()[0]) for _, text in outputs]
    result = outcome(odoo, setup["server"], replies)
    assert result["counts"] == dict.fromkeys(replies, 1)
    assert result["states"] == ["routed"] * 30
    assert sum(settled) == 30, settled
    assert settled[0] < 30 and sum(settled[1:]) > 0, f"the routing was not shared: {settled}"
    assert unseen(bench, mailbox) == 0


def test_a_mail_already_read_by_a_person_is_fetched(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 1)
    replies = deliver_replies(bench, mailbox, setup)
    imap = bench.imap(mailbox)
    imap.select("INBOX")
    imap.store("1:*", "+FLAGS", r"(\Seen)")
    imap.logout()
    fetch(odoo, setup["server"])
    assert outcome(odoo, setup["server"], replies)["counts"] == dict.fromkeys(replies, 1)


def test_uidvalidity_change_imports_nothing_twice(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 3, imap_folder="Replies")
    mails = [reply_to(mid, mailbox, f"Reply {i}") for i, mid in enumerate(setup["sent"])]

    def fill_folder():
        imap = bench.imap(mailbox)
        imap.create("Replies")
        for mail in mails:
            imap.append("Replies", None, None, mail.as_bytes())
        imap.logout()

    fill_folder()
    fetch(odoo, setup["server"])
    first = outcome(odoo, setup["server"], [m["Message-ID"] for m in mails])
    imap = bench.imap(mailbox)
    imap.delete("Replies")
    imap.logout()
    time.sleep(1)  # Dovecot derives UIDVALIDITY from the time
    fill_folder()
    fetch(odoo, setup["server"])
    second = outcome(odoo, setup["server"], [m["Message-ID"] for m in mails])
    assert second["uidvalidity"] != first["uidvalidity"]
    assert second["counts"] == dict.fromkeys([m["Message-ID"] for m in mails], 1)
    assert second["entries"] == 3


def test_move_and_quarantine_folders(odoo, bench, mailbox):
    setup = make_server(
        odoo,
        bench,
        mailbox,
        1,
        catcher_after_fetch="move",
        catcher_processed_folder="Done",
        catcher_quarantine_folder="Quarantine",
    )
    routed = reply_to(setup["sent"][0], mailbox, "Routed")
    lost = reply_to(None, mailbox, "Matches nothing")
    for mail in (routed, lost):
        bench.deliver(mail, mailbox)
    bench.wait_for_messages(mailbox, count=2)
    fetch(odoo, setup["server"])
    assert bench.messages(mailbox) == []
    assert [m["Message-ID"] for m in bench.messages(mailbox, "Done")] == [routed["Message-ID"]]
    assert [m["Message-ID"] for m in bench.messages(mailbox, "Quarantine")] == [lost["Message-ID"]]


def test_a_25_mb_attachment_does_not_block_the_others(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 2)
    big = reply_to(setup["sent"][0], mailbox, "See the scan")
    scan = b"\0" * (25 * 1024 * 1024)
    big.add_attachment(scan, "application", "octet-stream", filename="scan.bin")
    small = reply_to(setup["sent"][1], mailbox, "Small one")
    imap = bench.imap(mailbox)
    for mail in (big, small):
        assert imap.append("INBOX", None, None, mail.as_bytes())[0] == "OK"
    imap.logout()
    fetch(odoo, setup["server"])
    result = outcome(odoo, setup["server"], [big["Message-ID"], small["Message-ID"]])
    assert result["counts"] == {big["Message-ID"]: 1, small["Message-ID"]: 1}
    assert result["states"] == ["routed", "routed"]


def test_pop_failures_do_not_block_the_good_mails(odoo, bench, mailbox):
    # A real fault: mails that match no document go to the server's fallback model,
    # bank accounts, which cannot be created without their owner: routing raises.
    bank_account = odoo.evaluate('result = env["ir.model"]._get_id("res.partner.bank")')
    setup = make_server(odoo, bench, mailbox, 60, server_type="pop", object_id=bank_account)
    bad = [reply_to(None, mailbox, f"Bad {i}") for i in range(60)]
    good = [reply_to(mid, mailbox, f"Good {i}") for i, mid in enumerate(setup["sent"])]
    for mail in bad + good:
        bench.deliver(mail, mailbox)
    bench.wait_for_messages(mailbox, count=120, timeout=120)
    fetch(odoo, setup["server"])
    result = outcome(odoo, setup["server"], [m["Message-ID"] for m in good])
    assert result["counts"] == {m["Message-ID"]: 1 for m in good}
    assert result["states"].count("routed") == 60
    assert result["states"].count("failed") == 60
    assert bench.messages(mailbox) == [], "POP deleted them all: the journal has them"


def test_a_backlog_drains_over_runs_within_the_time_budget(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 8, catcher_batch_size=2, catcher_time_budget=1)
    replies = deliver_replies(bench, mailbox, setup)
    # Each batch takes over a second here, so a run takes two batches at the most.
    slow = "seams.at(seams.FETCHED, lambda: time.sleep(1.1))"
    backlogs = []
    for _run in range(8):
        fetch(odoo, setup["server"], patch=slow)
        result = outcome(odoo, setup["server"], replies)
        backlogs.append(result["backlog"])
        if not result["backlog"]:
            break
    assert backlogs[0] > 0, "the first run left a backlog"
    assert backlogs[-1] == 0 and len(backlogs) > 1, backlogs
    assert backlogs == sorted(backlogs, reverse=True)
    assert result["counts"] == dict.fromkeys(replies, 1)
