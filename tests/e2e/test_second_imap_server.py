"""The seed's flow on an IMAP server that is not Dovecot: GNU Mailutils' imap4d, which has
IDLE but neither MOVE, UIDPLUS nor SPECIAL-USE, numbers folder levels with `/`, and answers
`UID SEARCH UID n:*` with nothing. Odoo runs as production runs it (the `production`
fixture, with the IMAP IDLE watcher); the company's catcher is a mailbox there. A user
mails a customer from a document, the customer answers from their mail client, and the
answer reaches the document's chatter without anyone running anything."""

import uuid

import pytest
from conftest import wait_for
from reply_as_customer import build_reply

WITHIN = 60


@pytest.fixture(scope="module", autouse=True)
def catcher_on_imap4d(odoo, bench):
    """The company's catcher moved to imap4d before production starts (the watcher reads
    the catchers when it starts), and moved back after."""
    # In the company's domain, as a catcher must be; the bench keeps imap4d-* there.
    catcher = f"imap4d-catcher-{uuid.uuid4().hex[:8]}@company.test"
    bench.imap2(catcher).logout()  # the account, which imap4d needs before any login
    before = odoo.evaluate(
        f"""
company = env.company
result = [company.mail_catcher_server_id.id, company.mail_catcher_email]
server = env["fetchmail.server"].create({{
    "name": "Catcher on imap4d",
    "server_type": "imap",
    "server": {bench.info["host"]!r},
    "port": {bench.info["imap2_port"]},
    "is_ssl": False,
    "user": {catcher!r},
    "password": {bench.info["password"]!r},
}})
server.button_confirm_login()
company.write({{"mail_catcher_server_id": server.id, "mail_catcher_email": {catcher!r}}})
"""
    )
    yield catcher
    odoo.evaluate(
        f"""
env.company.write({{"mail_catcher_server_id": {before[0]}, "mail_catcher_email": {before[1]!r}}})
result = True
"""
    )


def test_a_reply_through_imap4d_reaches_the_chatter(bench, production, catcher_on_imap4d):
    admin = production.login("admin", "admin")
    customer_address = f"camille-{uuid.uuid4().hex[:8]}@customer.test"
    customer = admin("res.partner", "create", {"name": "Camille", "email": customer_address})
    document = admin("res.partner", "create", {"name": "Order on imap4d"})
    admin(
        "res.partner",
        "message_post",
        [document],
        body="Your order is ready.",
        subject="Order on imap4d",
        partner_ids=[customer],
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    [sent] = bench.wait_for_messages(customer_address, timeout=WITHIN)
    catcher_local = catcher_on_imap4d.split("@")[0]
    assert str(sent["Reply-To"]).split("<")[-1].rstrip(">").startswith(f"{catcher_local}+")

    # imap4d's IDLE is silent: the watcher finds it out at the end of its first minute of
    # IDLE, and polls with NOOP from then on, so the second answer comes in seconds.
    first = answer(bench, sent, customer_address, "Thanks, I will pick it up on Monday.")
    assert posted_on(admin, first, within=2 * WITHIN) == ("res.partner", document)
    second = answer(bench, sent, customer_address, "Make it Tuesday, sorry.")
    assert posted_on(admin, second, within=WITHIN) == ("res.partner", document)
    entries = admin(
        "mail.catcher.message",
        "search_read",
        [("message_id", "in", [first["Message-ID"], second["Message-ID"]])],
        ["state", "route", "folder"],
    )
    assert [(e["state"], e["route"], e["folder"]) for e in entries] == [
        ("routed", "token", "INBOX")
    ] * 2

    def acknowledged():
        imap = bench.imap2(catcher_on_imap4d)
        try:
            imap.select("INBOX", readonly=True)
            return imap.search(None, "UNSEEN")[1] == [b""]
        finally:
            imap.logout()

    wait_for(acknowledged, WITHIN, "the replies marked read on imap4d")
    log = production.watcher_log.read_text()
    assert "Watching Catcher on imap4d, folder INBOX, with IDLE" in log, log[-3000:]
    assert "announces new mail only once an IDLE ends" in log, log[-3000:]


def answer(bench, sent, customer, text):
    reply = build_reply(sent, customer, text)
    bench.deliver(reply, str(reply["To"]).split("<")[-1].rstrip(">"))
    return reply


def posted_on(admin, reply, within):
    [posted] = wait_for(
        lambda: admin(
            "mail.message",
            "search_read",
            [("message_id", "=", reply["Message-ID"])],
            ["model", "res_id"],
        ),
        within,
        f"the reply {reply['Subject']!r} posted on the document",
    )
    return posted["model"], posted["res_id"]
