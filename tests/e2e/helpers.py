"""What the end-to-end tests of the fetch do to a catcher from outside: a server on a
mailbox of the bench, a reply to deliver, one fetch in an Odoo process of its own, and
what it left in Odoo and on the mail server."""

import email.utils
import textwrap

import mails


def reply_to(message_id, mailbox, body):
    """A customer's reply to the sent message `message_id`, to `mailbox`; with
    `message_id` None, a mail that answers nothing."""
    return mails.build(
        body,
        To=mailbox,
        Date=email.utils.formatdate(),
        In_Reply_To=message_id or None,
        References=message_id or None,
    )


def make_server(odoo, bench, mailbox, documents, **options):
    """An incoming server on `mailbox`, and documents each with a sent message."""
    values = {
        "name": mailbox,
        "server_type": "imap",
        "server": bench.info["host"],
        "port": bench.info["imap_port"],
        "is_ssl": False,
        "user": mailbox,
        "password": bench.info["password"],
        **options,
    }
    if values["server_type"] == "pop":
        values["port"] = bench.info["pop3_port"]
    return odoo.evaluate(
        textwrap.dedent(
            f"""
            server = env["fetchmail.server"].create({values!r})
            server.button_confirm_login()
            docs = env["res.partner"].create([{{"name": f"Doc {{i}}"}} for i in range({documents})])
            post = dict(body="Here", message_type="comment", subtype_xmlid="mail.mt_comment")
            sent = [doc.message_post(**post) for doc in docs]
            result = {{"server": server.id, "docs": docs.ids, "sent": [m.message_id for m in sent]}}
            """
        )
    )


def fetch(odoo, server_id, patch="", expect_success=True):
    """One fetch in an Odoo process of its own; `patch` may sabotage it. `fetch_mail` is
    called by hand on purpose: the tests that use it are about that very action (what a
    fetch keeps and acknowledges, when it is killed or interrupted), run as its cron runs it."""
    code = textwrap.dedent(
        f"""
        import os, signal, time
        from odoo.addons.mail_catcher.lib import seams
        {textwrap.indent(textwrap.dedent(patch), "        ").strip()}
        # By hand on purpose: the fetch is the action under test.
        env["fetchmail.server"].browse({server_id}).fetch_mail(raise_exception=False)
        env.cr.commit()
        print("FETCHED")
        """
    )
    finished = odoo.run_python(code, log_level="info")
    if expect_success:
        assert "FETCHED" in finished.stdout, finished.stdout + finished.stderr[-3000:]
    return finished


def outcome(odoo, server_id, message_ids):
    """How many times each reply is in Odoo, and the journal of the server."""
    return odoo.evaluate(
        textwrap.dedent(
            f"""
            counts = {{
                mid: env["mail.message"].search_count([("message_id", "=", mid)])
                for mid in {message_ids!r}
            }}
            journal = env["mail.catcher.message"].search([("server_id", "=", {server_id})])
            server = env["fetchmail.server"].browse({server_id})
            result = {{
                "counts": counts,
                "states": sorted(journal.mapped("state")),
                "entries": len(journal),
                "last_error": server.catcher_last_error or "",
                "backlog": server.catcher_backlog,
                "uidvalidity": server.imap_uidvalidity,
            }}
            """
        )
    )


def unseen(bench, mailbox, folder="INBOX"):
    """How many mails of the mailbox's folder are unread, on whichever server holds it."""
    imap = bench.connect(mailbox)
    try:
        imap.select(f'"{folder}"', readonly=True)
        return len(imap.search(None, "UNSEEN")[1][0].split())
    finally:
        imap.logout()


def setup_wizard(admin, bench, **values):
    """The setup wizard (mail.catcher.setup) filled for the bench's catcher
    mailcatcher@company.test, as configure_mail.py sets it up; `values` change it."""
    defaults = {
        "provider": "generic",
        "email": "mailcatcher@company.test",
        "password": bench.info["password"],
        "incoming_type": "imap",
        "incoming_host": bench.info["host"],
        "incoming_port": bench.info["imap_port"],
        "incoming_ssl": False,
        "smtp_host": bench.info["host"],
        "smtp_port": bench.info["smtp_port"],
        "smtp_security": "none",
    }
    return admin("mail.catcher.setup", "create", {**defaults, **values})
