"""What a fetch leaves in the mailbox, on the bench's Dovecot as Debian installs it
(Maildir: `.` between folder levels, a `/` in a name refused) and on a second IMAP server
(GNU Mailutils' imap4d: neither MOVE nor UIDPLUS): each reply routed, ours moved or
deleted as asked, a person's mail left alone, and a second reply after each to show
that nothing stalled. Each fetch is run by hand on purpose: what it does on the server
is these tests' subject."""

import textwrap
import uuid

from helpers import fetch, make_server, outcome, reply_to, unseen


def server_state(odoo, server_id):
    return odoo.evaluate(
        textwrap.dedent(
            f"""
            server = env["fetchmail.server"].browse({server_id})
            # The admins' alerts: comments with a subject (the server's notes have none).
            alerts = env["mail.message"].search_count(
                [("model", "=", server._name), ("res_id", "=", server.id),
                 ("message_type", "=", "comment"), ("subject", "!=", False)]
            )
            result = {{
                "last_error": server.catcher_last_error or "",
                "ack_problem": server.catcher_ack_problem or "",
                "health": server.catcher_health,
                "last_uid": server.imap_last_uid,
                "junk_last_uid": server.imap_junk_last_uid,
                "note": server.catcher_after_fetch_note or "",
                "alerts": alerts,
            }}
            """
        )
    )


def message_ids(bench, mailbox, folder="INBOX"):
    return [mail["Message-ID"] for mail in bench.messages(mailbox, folder)]


def reply_twice(odoo, bench, mailbox, setup, folder="INBOX"):
    """A reply, a fetch, a second reply, a fetch: the Message-IDs of both replies, each
    posted once."""
    replies = []
    for sent in setup["sent"][:2]:
        reply = reply_to(sent, mailbox, "Thanks")
        bench.append(mailbox, reply, folder=folder)
        fetch(odoo, setup["server"])
        replies.append(reply["Message-ID"])
    assert outcome(odoo, setup["server"], replies)["counts"] == dict.fromkeys(replies, 1)
    return replies


def test_move_to_the_default_folder_on_debians_dovecot(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 2, catcher_after_fetch="move")
    replies = reply_twice(odoo, bench, mailbox, setup)
    assert message_ids(bench, mailbox) == []
    assert message_ids(bench, mailbox, "Odoo.Processed") == replies
    state = server_state(odoo, setup["server"])
    assert (state["last_error"], state["ack_problem"], state["health"]) == ("", "", "ok")


def test_move_to_a_folder_with_an_accent(odoo, bench, mailbox):
    setup = make_server(
        odoo, bench, mailbox, 2, catcher_after_fetch="move", catcher_processed_folder="Traités"
    )
    replies = reply_twice(odoo, bench, mailbox, setup)
    assert message_ids(bench, mailbox, "Trait&AOk-s") == replies
    assert server_state(odoo, setup["server"])["health"] == "ok"


def test_delete_leaves_a_persons_deleted_mail(odoo, bench, mailbox):
    persons = reply_to(None, mailbox, "A draft someone deleted and has not expunged")
    bench.append(mailbox, persons, flags=("\\Deleted",))
    setup = make_server(odoo, bench, mailbox, 2, catcher_after_fetch="delete")
    reply_twice(odoo, bench, mailbox, setup)
    assert message_ids(bench, mailbox) == [persons["Message-ID"]]
    assert server_state(odoo, setup["server"])["health"] == "ok"


def test_a_refused_move_marks_read_and_the_fetch_goes_on(odoo, bench, mailbox):
    setup = make_server(odoo, bench, mailbox, 2)
    # Chosen after the confirmation, which would have refused it: Dovecot refuses "~".
    odoo.evaluate(
        f"""env["fetchmail.server"].browse({setup["server"]}).write(
            {{"catcher_after_fetch": "move", "catcher_processed_folder": "~Archive"}})
env.cr.commit()
result = True"""
    )
    replies = reply_twice(odoo, bench, mailbox, setup)
    state = server_state(odoo, setup["server"])
    assert state["last_error"] == "", "the fetch itself worked"
    assert "~Archive" in state["ack_problem"], state
    assert state["health"] == "warning"
    assert state["last_uid"] == "2", "the place moved on"
    assert state["alerts"] == 1, "the admins are told once, not at every fetch"
    assert message_ids(bench, mailbox) == replies
    assert unseen(bench, mailbox) == 0, "marked read instead"


def test_replies_filed_in_junk(odoo, bench, mailbox):
    """A reply that the provider's filter put in Junk reaches its document; spam there is
    journaled as ignored spam and posted nowhere."""
    setup = make_server(odoo, bench, mailbox, 2, catcher_junk_folder="Junk")
    spam = reply_to(None, mailbox, "Cheap watches")
    bench.append(mailbox, spam, folder="Junk")
    replies = reply_twice(odoo, bench, mailbox, setup, folder="Junk")
    result = outcome(odoo, setup["server"], [spam["Message-ID"]])
    assert result["counts"] == {spam["Message-ID"]: 0}
    assert result["states"] == ["ignored", "routed", "routed"]
    assert unseen(bench, mailbox, "Junk") == 0
    assert server_state(odoo, setup["server"])["junk_last_uid"] == "3"
    assert len(replies) == 2


def test_the_second_imap_server_without_move_nor_uidplus(odoo, bench):
    """imap4d offers neither MOVE nor UIDPLUS: "Delete" marks the mails read instead, and
    the form says why; the replies are routed all the same, and nothing stalls."""
    mailbox = f"folders-{uuid.uuid4().hex[:10]}@{bench.info['imap2_domain']}"
    bench.imap2(mailbox).logout()  # the account, which imap4d needs before any login
    setup = make_server(
        odoo,
        bench,
        mailbox,
        2,
        port=bench.info["imap2_port"],
        catcher_after_fetch="delete",
        catcher_junk_folder="Junk",  # imap4d has none: nothing to read there
    )
    replies = reply_twice(odoo, bench, mailbox, setup)
    assert message_ids(bench, mailbox) == replies, "nothing expunged"
    assert unseen(bench, mailbox) == 0, "marked read instead"
    state = server_state(odoo, setup["server"])
    # In the admin's language (the test database's admin may read French): the words
    # differ, the names of the missing capabilities do not.
    assert "MOVE" in state["note"] and "UIDPLUS" in state["note"]
    assert "UIDPLUS" in state["ack_problem"]
    assert state["last_error"] == ""
