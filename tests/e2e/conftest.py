"""Fixtures of the end-to-end tests: the bench of real mail servers and a real Odoo server
process on the test database, driven over JSON-RPC. scripts/test provides both through
the environment; run outside it, these tests fail and say how to run them."""

import os
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))
# tests/ holds the Odoo tests' package, whose __init__ imports Odoo: its plain modules (the
# one mail builder `mails`, `poison_mails`) are imported by their name. Appended, not
# prepended: this folder's test modules named like Odoo's (test_first_fetch) stay these.
sys.path.append(str(REPO / "tests"))

import bench as bench_module  # noqa: E402
from odoo_process import OdooServer  # noqa: E402


def required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: the end-to-end tests run from scripts/test, which starts "
            "the bench of mail servers and prepares the test database.",
            pytrace=False,
        )
    return value


@pytest.fixture(scope="session")
def bench():
    bench = bench_module.Bench.load(required_env("MAIL_CATCHER_BENCH"))
    # The Odoo processes the tests start reach the OAuth providers' token services on
    # the bench's stand-in, under their own names (Bench.oauth_environ).
    os.environ.update(bench.oauth_environ())
    return bench


@pytest.fixture(scope="session")
def odoo(bench, tmp_path_factory):
    database = required_env("MAIL_CATCHER_DB")
    server = OdooServer(
        database,
        required_env("MAIL_CATCHER_ADDONS"),
        tmp_path_factory.mktemp("odoo") / "odoo.log",
    )
    server.shell(REPO / "scripts" / "odoo" / "configure_mail.py")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(bench):
    """A catcher mailbox of its own for each test."""
    return f"pipe-{uuid.uuid4().hex[:10]}@company.test"


def wait_for(predicate, timeout, what):
    """Polls `predicate` until it returns something true; fails saying `what` after
    `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def production(odoo, tmp_path_factory):
    """Odoo as production runs it, on the test database: a server started from its
    odoo.conf with `--workers 2 --max-cron-threads 1`, and the IMAP IDLE watcher started
    as the README's systemd unit starts it. Tests drive it as users do (JSON-RPC, mail
    in and out); nothing runs a cron or the mail queue by hand. The fetch cron's and the
    stock mail gateway cron's schedules are put a day ahead meanwhile, so that only the
    watcher's wake-ups fetch: a reply seen in seconds is the watcher's doing, not a poll
    that happened to fall then. Yields the server; its `watcher` and `watcher_log`."""
    admin = odoo.login("admin", "admin")
    crons = [
        admin.ref("mail_catcher.ir_cron_fetch_replies"),
        admin.ref("mail.ir_cron_mail_gateway_action"),
    ]
    before = admin("ir.cron", "read", crons, ["active", "nextcall"])
    assert before[0]["active"], "configure_mail.py confirms the catcher, which turns the cron on"
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    admin("ir.cron", "write", crons, {"nextcall": later})

    logs = tmp_path_factory.mktemp("production")
    server = OdooServer(odoo.database, odoo.addons_path, logs / "odoo.log")
    config = server.write_config(logs / "odoo.conf")
    server.watcher = None
    try:
        server.start_production(config)
        server.watcher_log = logs / "watcher.log"
        server.watcher = server.spawn_watcher(server.watcher_log, config=config)
        wait_for(
            lambda: (
                server.watcher.poll() is not None
                or "watching started" in server.watcher_log.read_text()
            ),
            120,
            "the watcher watching the catcher",
        )
        assert server.watcher.poll() is None, server.watcher_log.read_text()[-3000:]
        yield server
    finally:
        if server.watcher is not None:
            OdooServer.stop_process(server.watcher)
        if server.process:
            server.stop()
        for values in before:
            admin("ir.cron", "write", [values["id"]], {"nextcall": values["nextcall"]})
