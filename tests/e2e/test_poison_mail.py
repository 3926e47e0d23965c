"""One bad mail never stops the catcher: real malformed mails from public test suites, and
the shapes that stopped it, through the real IMAP fetch in Odoo processes of their own.
Each fetch is run by hand (helpers.fetch) on purpose: what a fetch does with a bad mail,
and with the mails behind it, is these tests' subject."""

import os
import time
from pathlib import Path

import poison_mails
import torture_corpus
from helpers import fetch, make_server, outcome, reply_to, unseen

CORPUS = (
    Path(os.environ.get("MAIL_CATCHER_STATE", Path.home() / ".cache" / "mail_catcher"))
    / "torture-corpus"
)


def append(bench, mailbox, raws):
    imap = bench.imap(mailbox)
    try:
        for raw in raws:
            status, answer = imap.append("INBOX", None, None, raw)
            assert status == "OK", answer
    finally:
        imap.logout()


def journal(odoo, server_id):
    return odoo.evaluate(
        f"""
entries = env["mail.catcher.message"].search([("server_id", "=", {server_id})])
result = [
    {{
        "subject": e.subject,
        "state": e.state,
        "reason": e.reason or "",
        "posted": bool(e.mail_message_id),
        "error": e.error or "",
        "crash_count": e.crash_count,
    }}
    for e in entries
]
"""
    )


def fetch_until_drained(odoo, server_id, runs=6, patch=""):
    """Fetch runs until the server's backlog is empty; each run must end on its own."""
    for _run in range(runs):
        fetch(odoo, server_id, patch=patch)
        if not outcome(odoo, server_id, [])["backlog"]:
            return _run + 1
    raise AssertionError(f"a backlog is left after {runs} runs")


def test_the_torture_corpus_is_journaled_and_stops_nothing(odoo, bench, mailbox):
    mails = [path.read_bytes() for path in torture_corpus.gather(CORPUS)]
    mails += list(poison_mails.written_shapes(mailbox).values())
    setup = make_server(odoo, bench, mailbox, 0, catcher_batch_size=50)
    append(bench, mailbox, mails)
    started = time.monotonic()
    runs = fetch_until_drained(odoo, setup["server"], runs=10)
    elapsed = time.monotonic() - started
    print(  # pylint: disable=print-used # the measure, in pytest's report of the test
        f"\ntorture: {len(mails)} mails in {runs} runs, {elapsed:.1f} s, "
        f"{1000 * elapsed / len(mails):.0f} ms per mail"
    )
    entries = journal(odoo, setup["server"])
    assert len(entries) == len(mails), "every mail journaled"
    states = {entry["state"] for entry in entries}
    assert states <= {"ignored", "quarantined"}, states
    assert all(entry["reason"] for entry in entries), "each one says why"
    assert not any(entry["posted"] for entry in entries), "none posted on a document"
    assert unseen(bench, mailbox) == 0, "none left unread on the server"


def test_two_poison_mails_in_a_mailbox_delay_the_others_by_one_batch(odoo, bench, mailbox):
    # Limits off: the slow one must meet the time limit, not the depth limit.
    limits = {"catcher_max_mime_depth": 0, "catcher_max_mime_parts": 0}
    setup = make_server(
        odoo, bench, mailbox, 60, catcher_batch_size=20, catcher_route_time_limit=2, **limits
    )
    replies = [reply_to(sent, mailbox, f"Reply {i}") for i, sent in enumerate(setup["sent"])]
    deep = poison_mails.nested_forwards(1000, mailbox, filler=3000)
    slow = poison_mails.nested_forwards(400, mailbox, filler=2000)
    raws = [reply.as_bytes() for reply in replies]
    append(bench, mailbox, [*raws[:30], deep, slow, *raws[30:]])
    fetch(odoo, setup["server"])
    result = outcome(odoo, setup["server"], [reply["Message-ID"] for reply in replies])
    assert result["counts"] == {reply["Message-ID"]: 1 for reply in replies}, "all in one run"
    poison = [
        entry
        for entry in journal(odoo, setup["server"])
        if entry["subject"] and "Fwd" in entry["subject"]
    ]
    assert [entry["state"] for entry in poison] == ["quarantined", "quarantined"]
    # The reasons are in the admin's language: the tracebacks say which limit it was.
    errors = " ".join(entry["error"] for entry in poison)
    assert "RecursionError" in errors
    assert "TimeLimitExceeded" in errors
    assert unseen(bench, mailbox) == 0


def test_a_mail_that_kills_its_worker_is_set_aside_and_the_others_routed(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 6, catcher_batch_size=3)
    replies = [reply_to(sent, mailbox, f"Reply {i}") for i, sent in enumerate(setup["sent"])]
    killer = replies[1]
    append(bench, mailbox, [reply.as_bytes() for reply in replies])
    # The worker dies (SIGKILL) whenever it routes that one mail, as under an OOM killer.
    kill = f"""
    def kill_on(entry):
        if entry.message_id == {killer["Message-ID"]!r}:
            os.kill(os.getpid(), signal.SIGKILL)
    seams.at(seams.ROUTING, kill_on)
    """
    for _run in range(2):
        died = fetch(odoo, setup["server"], patch=kill, expect_success=False)
        assert died.returncode == -9
    server = odoo.evaluate(
        f"""
server = env["fetchmail.server"].browse({setup["server"]})
result = {{
    "stopped": server.catcher_fetch_stopped,
    "health": server.catcher_health,
    "failures": server.catcher_failure_count,
    "backlog": server.catcher_backlog,
}}
"""
    )
    assert server["stopped"] and server["health"] == "error", server
    assert server["failures"] == 1, "the first death, recorded by the second run"
    assert server["backlog"] > 0, "the true backlog is left on the server"
    fetch(odoo, setup["server"], patch=kill)
    result = outcome(odoo, setup["server"], [reply["Message-ID"] for reply in replies])
    others = [reply["Message-ID"] for reply in replies if reply is not killer]
    assert {mid: result["counts"][mid] for mid in others} == dict.fromkeys(others, 1)
    assert result["counts"][killer["Message-ID"]] == 0
    [entry] = [e for e in journal(odoo, setup["server"]) if e["state"] != "routed"]
    assert entry["state"] == "quarantined"
    assert entry["crash_count"] == 2, "set aside at its second kill"
    assert unseen(bench, mailbox) == 0
