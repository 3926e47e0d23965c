"""The IMAP IDLE watcher, end to end: an Odoo server with a cron thread, the
`odoo-bin mail_catcher_watch` command beside it, and a customer's reply delivered to the
catcher's mailbox reaches its document without anyone running the fetch cron."""

import email.utils
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from odoo_process import OdooServer
from reply_as_customer import build_reply

CUSTOMER = "watcher-customer@customer.test"
# Generous: the watcher sees the mail in about 0.5 s and the fetch takes a second; a
# loaded machine may take longer, and nothing else but the watcher can fetch it.
ROUTED_WITHIN = 60


def address(header):
    return email.utils.parseaddr(str(header or ""))[1].lower()


def wait_for(predicate, timeout, what):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout}s")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def admin(odoo):
    return odoo.login("admin", "admin")


@pytest.fixture(scope="module")
def fetch_cron_only_on_demand(admin):
    """Puts the schedules of the fetch cron and of Odoo's own mail gateway cron (which
    fetches every confirmed server too) out of reach, so that only a trigger (the
    watcher's) can fetch during the test; puts them back afterwards."""
    cron = admin.ref("mail_catcher.ir_cron_fetch_replies")
    crons = [cron, admin.ref("mail.ir_cron_mail_gateway_action")]
    before = admin("ir.cron", "read", crons, ["active", "nextcall"])
    assert before[0]["active"], "configure_mail.py confirms the catcher, which turns the cron on"
    later = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    admin("ir.cron", "write", crons, {"nextcall": later})
    yield cron
    for values in before:
        admin("ir.cron", "write", [values["id"]], {"nextcall": values["nextcall"]})


@pytest.fixture(scope="module")
def watched_odoo(odoo, fetch_cron_only_on_demand, tmp_path_factory):
    """A second Odoo server on the database, this one with a cron thread, and the
    watcher: (server, watcher process, watcher log path)."""
    logs = tmp_path_factory.mktemp("watcher")
    server = OdooServer(odoo.database, odoo.addons_path, logs / "odoo-cron.log")
    server.start(max_cron_threads=1)
    watcher_log = logs / "watcher.log"
    watcher = server.spawn_watcher(watcher_log)
    try:
        wait_for(
            lambda: watcher.poll() is not None or "watching started" in watcher_log.read_text(),
            120,
            "the watcher watching the catcher",
        )
        assert watcher.poll() is None, watcher_log.read_text()[-3000:]
        yield server, watcher, watcher_log
    finally:
        OdooServer.stop_process(watcher)
        server.stop()


def test_a_reply_reaches_the_chatter_without_waiting_for_the_cron(bench, odoo, admin, watched_odoo):
    _server, watcher, watcher_log = watched_odoo
    tag = uuid.uuid4().hex[:8]
    login = f"watcher-{tag}"
    admin(
        "res.users",
        "create",
        {
            "name": f"Watcher User {tag}",
            "login": login,
            "password": f"{login}-password",
            "email": f"{login}@company.test",
            "groups_id": [
                (6, 0, [admin.ref("base.group_user"), admin.ref("base.group_partner_manager")])
            ],
        },
    )
    user = odoo.login(login, f"{login}-password")
    customer = admin("res.partner", "create", {"name": f"Customer {tag}", "email": CUSTOMER})
    document = admin("res.partner", "create", {"name": f"Document {tag}"})

    # The user mails the customer from the document.
    subject = f"Quote {tag}"
    user(
        "res.partner",
        "message_post",
        [document],
        body="Here is the quote.",
        subject=subject,
        partner_ids=[customer],
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    [sent] = bench.wait_for_messages(
        CUSTOMER, predicate=lambda m: subject in str(m["Subject"]), timeout=60
    )
    assert address(sent["Reply-To"]).startswith("mailcatcher+"), sent["Reply-To"]

    # The customer answers; nobody runs the fetch cron.
    reply = build_reply(sent, CUSTOMER, f"Agreed, {tag}.")
    bench.deliver(reply, address(reply["To"]))

    def routed():
        return admin(
            "mail.message",
            "search_read",
            [("message_id", "=", reply["Message-ID"])],
            ["model", "res_id", "body"],
        )

    [message] = wait_for(routed, ROUTED_WITHIN, "the reply in the document's chatter")
    assert (message["model"], message["res_id"]) == ("res.partner", document)
    assert f"Agreed, {tag}." in message["body"]
    assert watcher.poll() is None, "the watcher keeps running"
    assert "new mail, fetch cron triggered" in watcher_log.read_text()
