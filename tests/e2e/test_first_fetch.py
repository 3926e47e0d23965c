"""A first connection to a catcher mailbox that already holds mail, fetched for real by
Odoo processes of their own (each batch committed) on the bench's Dovecot: the old mail
stays on the server, unread, and nothing of it is posted; new mail is routed. Each fetch
is run by hand (helpers.fetch) on purpose: where a first fetch starts is their subject."""

import textwrap
import time
from datetime import date, timedelta

from helpers import fetch, make_server, outcome, reply_to, unseen

DAY = 86400


def documents(odoo, count):
    """Message-IDs of messages sent from `count` new documents, for replies to answer."""
    return odoo.evaluate(
        textwrap.dedent(
            f"""
            docs = env["res.partner"].create([{{"name": f"Doc {{i}}"}} for i in range({count})])
            post = dict(body="Here", message_type="comment", subtype_xmlid="mail.mt_comment")
            result = [doc.message_post(**post).message_id for doc in docs]
            """
        )
    )


def confirm_server(odoo, bench, mailbox, **options):
    """A catcher server on `mailbox`, confirmed as an admin does (Test & Confirm)."""
    return make_server(odoo, bench, mailbox, 0, **options)["server"]


def deliver(bench, mailbox, mails, total):
    for mail in mails:
        bench.deliver(mail, mailbox)
    bench.wait_for_messages(mailbox, count=total)


def ids(mails):
    return [mail["Message-ID"] for mail in mails]


def test_from_now_the_old_mail_stays_and_new_mail_is_routed(odoo, bench, mailbox):
    sent = documents(odoo, 4)
    old = [reply_to(message_id, mailbox, f"Old {i}") for i, message_id in enumerate(sent[:3])]
    deliver(bench, mailbox, old, 3)
    server = confirm_server(odoo, bench, mailbox)  # the default: only new mails
    fetch(odoo, server)
    result = outcome(odoo, server, ids(old))
    assert result["counts"] == dict.fromkeys(ids(old), 0), "nothing old is posted"
    assert result["entries"] == 0
    assert unseen(bench, mailbox) == 3, "the old mails stay unread"

    new = reply_to(sent[3], mailbox, "New")
    deliver(bench, mailbox, [new], 4)
    fetch(odoo, server)
    result = outcome(odoo, server, ids(old) + ids([new]))
    assert result["counts"] == {**dict.fromkeys(ids(old), 0), new["Message-ID"]: 1}
    assert result["states"] == ["routed"]
    assert unseen(bench, mailbox) == 3


def test_since_a_date_imports_the_mails_received_since(odoo, bench, mailbox):
    sent = documents(odoo, 5)
    old = [reply_to(message_id, mailbox, f"Old {i}") for i, message_id in enumerate(sent[:2])]
    recent = [
        reply_to(message_id, mailbox, f"Recent {i}") for i, message_id in enumerate(sent[2:4])
    ]
    imap = bench.imap(mailbox)
    for mails, days_ago in ((old, 90), (recent, 10)):
        for mail in mails:
            arrived = time.time() - days_ago * DAY
            assert imap.append("INBOX", None, arrived, mail.as_bytes())[0] == "OK"
    imap.logout()
    since = str(date.today() - timedelta(days=30))
    server = confirm_server(
        odoo, bench, mailbox, catcher_first_fetch="since", catcher_import_since=since
    )
    fetch(odoo, server)
    result = outcome(odoo, server, ids(old + recent))
    assert result["counts"] == {**dict.fromkeys(ids(old), 0), **dict.fromkeys(ids(recent), 1)}
    assert result["states"] == ["routed", "routed"]
    assert unseen(bench, mailbox) == 2, "the older mails stay unread"

    new = reply_to(sent[4], mailbox, "New")
    deliver(bench, mailbox, [new], 5)
    fetch(odoo, server)
    result = outcome(odoo, server, ids([new]))
    assert result["counts"] == {new["Message-ID"]: 1}
    assert result["entries"] == 3


def test_pop_keeps_the_old_mail_and_routes_new_mail(odoo, bench, mailbox):
    sent = documents(odoo, 3)
    old = [reply_to(message_id, mailbox, f"Old {i}") for i, message_id in enumerate(sent[:2])]
    deliver(bench, mailbox, old, 2)
    server = confirm_server(odoo, bench, mailbox, server_type="pop")
    fetch(odoo, server)
    assert outcome(odoo, server, ids(old))["entries"] == 0

    new = reply_to(sent[2], mailbox, "New")
    deliver(bench, mailbox, [new], 3)
    fetch(odoo, server)
    result = outcome(odoo, server, ids(old) + ids([new]))
    assert result["counts"] == {**dict.fromkeys(ids(old), 0), new["Message-ID"]: 1}
    assert result["states"] == ["routed"]
    left = [mail["Message-ID"] for mail in bench.messages(mailbox)]
    assert left == ids(old), "the old mails stay on the server; the new one was deleted"


def test_the_old_mail_can_be_imported_later_from_a_date(odoo, bench, mailbox):
    sent = documents(odoo, 3)
    old = [reply_to(message_id, mailbox, f"Old {i}") for i, message_id in enumerate(sent[:2])]
    deliver(bench, mailbox, old, 2)
    server = confirm_server(odoo, bench, mailbox)
    new = reply_to(sent[2], mailbox, "New")
    deliver(bench, mailbox, [new], 3)
    fetch(odoo, server)
    assert outcome(odoo, server, ids([new]))["counts"] == {new["Message-ID"]: 1}

    # The admin changes their mind: Reset Confirmation, since yesterday, Test & Confirm.
    since = str(date.today() - timedelta(days=1))
    odoo.evaluate(
        textwrap.dedent(
            f"""
            server = env["fetchmail.server"].browse({server})
            server.set_draft()
            server.write({{"catcher_first_fetch": "since", "catcher_import_since": {since!r}}})
            server.button_confirm_login()
            result = True
            """
        )
    )
    fetch(odoo, server)
    result = outcome(odoo, server, ids([*old, new]))
    assert result["counts"] == dict.fromkeys(ids([*old, new]), 1), "imported, none twice"
    assert result["entries"] == 3
    assert unseen(bench, mailbox) == 0
