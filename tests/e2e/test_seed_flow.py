"""The seed's story, end to end, on Odoo run as production runs it (the `production`
fixture: `--workers 2 --max-cron-threads 1` and the IMAP IDLE watcher), real SMTP and
real IMAP: a user sends an invoice (or a purchase order) by email, the customer answers
from their mailbox, the answer reaches the document's chatter and the user as their
preferences say, and the conversation goes on by email. Nothing is run by hand: no cron,
no mail queue; the two tests that run the fetch cron say why."""

import email.utils
import re
import time

import mails
import pytest
from conftest import wait_for
from helpers import setup_wizard
from odoo_process import RpcError
from reply_as_customer import build_reply, plain_text

CATCHER = "mailcatcher@company.test"
# Generous for a loaded machine: the watcher sees a reply in about half a second, the
# fetch and the sending of its notifications take about a second more. Queued for the
# mail queue instead, a notification would wait up to an hour.
WITHIN = 60
CUSTOMER = "camille@customer.test"
SUPPLIER = "jan@supplier.test"


def address(header):
    return email.utils.parseaddr(str(header or ""))[1].lower()


def is_catcher_address(header):
    """The catcher's address with the document's signed reply token."""
    return re.fullmatch(r"mailcatcher\+[a-z2-7]+@company\.test", address(header)) is not None


@pytest.fixture(scope="module")
def admin(production):
    session = production.login("admin", "admin")
    # wkhtmltopdf fetches the invoice's assets from this address.
    session("ir.config_parameter", "set_param", "web.base.url", production.url)
    session("ir.config_parameter", "set_param", "report.url", production.url)
    return session


@pytest.fixture(scope="module")
def people(production, admin):
    """Alice wants every reply by email; Bob handles them in Odoo."""
    groups = [
        admin.ref("base.group_user"),
        admin.ref("base.group_partner_manager"),
        admin.ref("account.group_account_invoice"),
        admin.ref("purchase.group_purchase_user"),
    ]
    users = {}
    for login, preference in (("alice", "email"), ("bob", "inbox")):
        users[login] = admin(
            "res.users",
            "create",
            {
                "name": login.title(),
                "login": login,
                "password": f"{login}-password",
                "email": f"{login}@company.test",
                "groups_id": [(6, 0, groups)],
                "notification_type": preference,
            },
        )
    customer = admin(
        "res.partner", "create", {"name": "Camille Dupont", "email": CUSTOMER, "lang": "fr_FR"}
    )
    supplier = admin(
        "res.partner", "create", {"name": "Jan de Vries", "email": SUPPLIER, "lang": "nl_NL"}
    )
    product = admin("product.product", "create", {"name": "Recycled paper", "type": "consu"})
    return {
        "alice": production.login("alice", "alice-password"),
        "bob": production.login("bob", "bob-password"),
        "alice_partner": admin("res.users", "read", [users["alice"]], ["partner_id"])[0][
            "partner_id"
        ][0],
        "bob_partner": admin("res.users", "read", [users["bob"]], ["partner_id"])[0]["partner_id"][
            0
        ],
        "customer": customer,
        "supplier": supplier,
        "product": product,
    }


def run_fetch_cron(admin):
    """Runs "Mail Catcher: fetch replies" at once, as its schedule would. Only for the
    two tests whose subject is that run itself (what it records, what it leaves alone);
    everywhere else the watcher fetches, as in production."""
    admin("ir.cron", "method_direct_trigger", [admin.ref("mail_catcher.ir_cron_fetch_replies")])


def routed(admin, reply, fields=("model", "res_id", "author_id", "body", "attachment_ids")):
    """The reply's message once it is posted (the watcher wakes the fetch)."""
    return wait_for(
        lambda: admin(
            "mail.message", "search_read", [("message_id", "=", reply["Message-ID"])], list(fields)
        ),
        WITHIN,
        f"the reply {reply['Subject']!r} posted",
    )


def journaled(admin, message_ids):
    """The journal entries of these mails, once every one of them is settled."""

    def settled():
        entries = admin(
            "mail.catcher.message",
            "search_read",
            [("message_id", "in", message_ids), ("state", "!=", "received")],
            ["message_id", "state", "kind", "route", "model", "res_id", "reason"],
        )
        return entries if len(entries) == len(message_ids) else None

    return wait_for(settled, WITHIN, "the mails journaled and routed")


def reply_as(bench, who, original, text, attachments=()):
    reply = build_reply(original, who, text, attachments=attachments)
    bench.deliver(reply, address(reply["To"]))
    return reply


def messages_of(session, model, res_id, fields=("author_id", "body", "attachment_ids")):
    return session(
        "mail.message",
        "search_read",
        [("model", "=", model), ("res_id", "=", res_id), ("message_type", "!=", "notification")],
        list(fields),
    )


def posted_invoice(session, partner, line, price):
    """A customer invoice created and posted by `session`'s user: (id, number)."""
    invoice = session(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": partner,
            "invoice_line_ids": [(0, 0, {"name": line, "quantity": 1, "price_unit": price})],
        },
    )
    session("account.move", "action_post", [invoice])
    [number] = [m["name"] for m in session("account.move", "read", [invoice], ["name"])]
    return invoice, number


def mailed_invoice(bench, alice, customer, line, price):
    """A posted invoice that Alice mails to the customer from its chatter: (id, number,
    the mail in the customer's mailbox)."""
    invoice, number = posted_invoice(alice, customer, line, price)
    alice(
        "account.move",
        "message_post",
        [invoice],
        body=f"Invoice {number}",
        subject=f"Invoice {number}",
        partner_ids=[customer],
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    [sent] = bench.wait_for_messages(CUSTOMER, predicate=lambda m: number in str(m["Subject"]))
    return invoice, number, sent


def test_invoice_sent_replied_and_answered_by_email(bench, production, admin, people):
    """The acceptance run: every step is a user's or a mail's, and each is timed out well
    under what the hourly mail queue or the 5-minute poll would take."""
    alice = people["alice"]
    invoice, number = posted_invoice(alice, people["customer"], "Consulting", 300)

    # 1. Alice sends it with the "Send" wizard.
    action = alice("account.move", "action_invoice_sent", [invoice])
    wizard = alice("account.move.send.wizard", "create", {}, context=action["context"])
    alice("account.move.send.wizard", "action_send_and_print", [wizard], context=action["context"])
    [sent] = bench.wait_for_messages(
        CUSTOMER, predicate=lambda m: number in str(m["Subject"]), timeout=WITHIN
    )
    assert address(sent["From"]) == "alice@company.test"
    assert is_catcher_address(sent["Reply-To"]), sent["Reply-To"]
    assert any(part.get_filename() for part in sent.iter_attachments()), "the invoice PDF"
    [smtp] = admin(
        "ir.mail_server",
        "search_read",
        [("from_filter", "=", "company.test")],
        ["mail_catcher_last_sent"],
    )
    assert smtp["mail_catcher_last_sent"], "the health board shows the last successful send"
    chatter = messages_of(alice, "account.move", invoice)
    assert any(m["author_id"][0] == people["alice_partner"] for m in chatter)

    # 2. Camille answers from her mailbox, through SMTP, quoting the mail and attaching a
    #    file; nobody fetches: the watcher sees it arrive and wakes the fetch cron.
    reply = reply_as(
        bench,
        CUSTOMER,
        sent,
        "Merci, je paierai vendredi.",
        attachments=[("bon-de-commande.txt", b"PO 4521")],
    )
    assert reply["In-Reply-To"] == sent["Message-ID"]

    # 3. The answer is in the invoice's chatter, and only there.
    answered = routed(admin, reply)
    assert len(answered) == 1, answered
    [answered] = answered
    assert (answered["model"], answered["res_id"]) == ("account.move", invoice)
    assert answered["author_id"][0] == people["customer"]
    assert "je paierai vendredi" in answered["body"]
    attachments = admin("ir.attachment", "read", answered["attachment_ids"], ["name"])
    assert [a["name"] for a in attachments] == ["bon-de-commande.txt"]
    bodies = " ".join(m["body"] for m in messages_of(alice, "account.move", invoice))
    assert "not a draft" not in bodies, "no bot note on a routed reply"
    assert "new mail, fetch cron triggered" in production.watcher_log.read_text()

    # 4. Alice (« Tous les messages ») gets it in her mailbox, without the mail queue.
    [notification] = bench.wait_for_messages(
        "alice@company.test",
        predicate=lambda m: "je paierai vendredi" in plain_text(m),
        timeout=WITHIN,
    )
    assert is_catcher_address(notification["Reply-To"]), notification["Reply-To"]

    # 5. Alice answers from her mailbox, through SMTP: her answer is on the invoice, by
    #    her, and reaches Camille's mailbox.
    answer = reply_as(bench, "alice@company.test", notification, "Parfait, merci Camille.")
    assert address(answer["To"]) == address(notification["Reply-To"])
    [posted] = routed(admin, answer)
    assert (posted["model"], posted["res_id"]) == ("account.move", invoice)
    assert posted["author_id"][0] == people["alice_partner"]
    [received] = bench.wait_for_messages(
        CUSTOMER, predicate=lambda m: "Parfait, merci Camille" in plain_text(m), timeout=WITHIN
    )
    assert address(received["From"]) == "alice@company.test"
    assert is_catcher_address(received["Reply-To"]), received["Reply-To"]
    assert production.watcher.poll() is None, "the watcher keeps running"


def test_purchase_order_sent_replied_and_in_the_inbox(bench, admin, people):
    bob = people["bob"]
    order = bob(
        "purchase.order",
        "create",
        {
            "partner_id": people["supplier"],
            "order_line": [(0, 0, {"product_id": people["product"], "product_qty": 500})],
        },
    )
    [name] = [o["name"] for o in bob("purchase.order", "read", [order], ["name"])]

    # "Send by email": the composer with the RFQ template.
    action = bob("purchase.order", "action_rfq_send", [order])
    composer = bob("mail.compose.message", "create", {}, context=action["context"])
    bob("mail.compose.message", "action_send_mail", [composer], context=action["context"])
    [sent] = bench.wait_for_messages(
        SUPPLIER, predicate=lambda m: name in str(m["Subject"]), timeout=WITHIN
    )
    assert address(sent["From"]) == "bob@company.test"
    assert is_catcher_address(sent["Reply-To"]), sent["Reply-To"]

    reply = reply_as(bench, SUPPLIER, sent, "Levering volgende week.")
    [answered] = routed(admin, reply, ["model", "res_id", "author_id"])
    assert (answered["model"], answered["res_id"]) == ("purchase.order", order)
    assert answered["author_id"][0] == people["supplier"]

    # Bob handles notifications in Odoo: the answer waits in his inbox, naming the order.
    inbox = bob(
        "mail.message",
        "search_read",
        [("needaction", "=", True), ("message_id", "=", reply["Message-ID"])],
        ["model", "res_id", "record_name"],
    )
    assert inbox == [
        {"id": answered["id"], "model": "purchase.order", "res_id": order, "record_name": name}
    ]
    time.sleep(2)  # let a wrongly sent email reach the mailbox before looking
    assert not [m for m in bench.messages("bob@company.test") if "Levering" in plain_text(m)]


def test_catcher_that_cannot_log_in_says_so(admin, people):
    server = admin("fetchmail.server", "search", [("user", "=", CATCHER)])
    [password] = [s["password"] for s in admin("fetchmail.server", "read", server, ["password"])]
    admin("fetchmail.server", "write", server, {"password": "wrong"})
    try:
        # What this test is about: the fetch cron's run, as its schedule runs it, names
        # the failure (the watcher, whose own login fails, only retries).
        run_fetch_cron(admin)
        [state] = admin("fetchmail.server", "read", server, ["catcher_last_error"])
        assert "refused the login" in state["catcher_last_error"]
        admin("fetchmail.server", "set_draft", server)
        with pytest.raises(RpcError, match="refused the login"):
            admin("fetchmail.server", "button_confirm_login", server)
    finally:
        admin("fetchmail.server", "write", server, {"password": password})
        admin("fetchmail.server", "button_confirm_login", server)

    # Test & Confirm fetches at once what waited while the login failed; its fetch is over
    # once the error is gone (the next test turns the fetch cron off, which a running
    # fetch would keep on).
    def fetched():
        [state] = admin("fetchmail.server", "read", server, ["catcher_last_error"])
        return not state["catcher_last_error"]

    wait_for(fetched, WITHIN, "the fetch that Test & Confirm woke")


def test_without_catcher_replies_go_to_the_user(bench, admin, people):
    company = admin("res.users", "read", [admin.uid], ["company_id"])[0]["company_id"][0]
    [catcher] = admin("res.company", "read", [company], ["mail_catcher_server_id"])
    admin("res.company", "write", [company], {"mail_catcher_server_id": False})
    try:
        [cron] = admin(
            "ir.cron", "read", [admin.ref("mail_catcher.ir_cron_fetch_replies")], ["active"]
        )
        assert not cron["active"]

        alice = people["alice"]
        alice(
            "res.partner",
            "message_post",
            [people["supplier"]],
            body="Un mot sans catcher.",
            partner_ids=[people["customer"]],
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        [sent] = bench.wait_for_messages(
            CUSTOMER, predicate=lambda m: "Un mot sans catcher" in plain_text(m)
        )
        assert address(sent["Reply-To"]) == "alice@company.test"

        # A mail waiting in the catcher's mailbox stays there: nothing fetches it.
        stray = reply_as(bench, CUSTOMER, sent, "Personne ne me lira ici.")
        bench.deliver(stray, CATCHER)
        bench.wait_for_messages(CATCHER, predicate=lambda m: m["Message-ID"] == stray["Message-ID"])
        # What this test is about: the fetch cron, run as its schedule would, leaves
        # the mailbox of a company without a catcher alone.
        run_fetch_cron(admin)
        assert not admin("mail.message", "search", [("message_id", "=", stray["Message-ID"])])
    finally:
        bench.clear(CATCHER)
        admin(
            "res.company",
            "write",
            [company],
            {"mail_catcher_server_id": catcher["mail_catcher_server_id"][0]},
        )


def test_replies_without_threading_headers_still_find_their_invoice(bench, admin, people):
    """Through the real servers: a client that drops In-Reply-To/References is routed by
    the reply token; one that writes to the bare catcher address, by the subject."""
    alice = people["alice"]
    invoice, _number, sent = mailed_invoice(bench, alice, people["customer"], "Audit", 900)

    by_token = build_reply(sent, CUSTOMER, "Sans en-têtes.", threading_headers=False)
    by_token.replace_header("Subject", "Question (subject edited by Outlook)")
    bench.deliver(by_token, address(by_token["To"]))
    by_subject = build_reply(sent, CUSTOMER, "Par le sujet.", threading_headers=False)
    by_subject.replace_header("To", CATCHER)
    bench.deliver(by_subject, CATCHER)
    entries = journaled(admin, [by_token["Message-ID"], by_subject["Message-ID"]])
    routes = {entry["message_id"]: entry for entry in entries}
    assert routes[by_token["Message-ID"]]["route"] == "token"
    assert routes[by_subject["Message-ID"]]["route"] == "subject"
    for entry in entries:
        assert (entry["state"], entry["model"], entry["res_id"]) == (
            "routed",
            "account.move",
            invoice,
        )


def test_a_bounce_reaches_the_invoice_through_the_real_servers(bench, admin, people):
    """A Postfix delivery report about a sent invoice, delivered to the catcher by SMTP."""
    alice = people["alice"]
    gone = admin("res.partner", "create", {"name": "Gone Customer", "email": "gone@customer.test"})
    invoice, _number = posted_invoice(alice, gone, "Audit", 100)
    message = alice(
        "account.move",
        "message_post",
        [invoice],
        body="Your invoice",
        partner_ids=[gone],
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    [sent] = admin("mail.message", "read", [message], ["message_id"])
    raw = mails.sample(
        "bounces/postfix_hard.eml", recipient="gone@customer.test", message_id=sent["message_id"]
    )
    report_id = email.utils.make_msgid(domain="mx.customer.test")
    raw = raw.replace(b"<20261130081201.4Xk2@mx.customer.test>", report_id.encode())
    bench.deliver(raw, CATCHER)
    [entry] = journaled(admin, [report_id])
    assert (entry["state"], entry["kind"]) == ("routed", "bounce")
    assert (entry["model"], entry["res_id"]) == ("account.move", invoice)
    assert "gone@customer.test" in entry["reason"] and "5.1.1" in entry["reason"]
    [partner] = admin("res.partner", "read", [gone], ["message_bounce"])
    assert partner["message_bounce"] == 1


def test_setup_wizard_round_trip(bench, admin, people):
    """The guided setup, applied to the bench's servers, then its round trip: the tagged
    mail goes out by SMTP as a user (Alice), comes back through the catcher at its signed
    plus address, and is posted nowhere."""
    [alice] = admin("res.users", "search", [("login", "=", "alice")])
    wizard = setup_wizard(admin, bench, round_trip_user_id=alice)
    admin("mail.catcher.setup", "action_apply", [wizard])
    admin("mail.catcher.setup", "action_round_trip", [wizard])
    [result] = admin("mail.catcher.setup", "read", [wizard], ["report"])
    assert "received and journaled after" in result["report"], result["report"]
    assert "The customer sees alice@company.test as the sender" in result["report"]
    [entry] = admin(
        "mail.catcher.message",
        "search_read",
        [("kind", "=", "test"), ("email_to", "like", "mailcatcher+")],
        ["state", "message_id", "mail_message_id", "email_from"],
        order="id desc",
        limit=1,
    )
    assert entry["state"] == "ignored" and not entry["mail_message_id"]
    assert "alice@company.test" in entry["email_from"]
    assert not admin("mail.message", "search", [("message_id", "=", entry["message_id"])])


def test_notifications_wait_while_the_smtp_server_is_down(bench, admin, people):
    """The outgoing server stops during a burst of replies: the replies are still posted,
    their notifications wait as failed mails on the Outgoing Mail Health board, and
    leave on their own once the server is back."""
    alice = people["alice"]
    _invoice, number, sent = mailed_invoice(bench, alice, people["customer"], "Maintenance", 450)
    [server] = admin("ir.mail_server", "search", [("from_filter", "=", "company.test")])

    def failed_on_the_board():
        admin_view = admin("ir.mail_server", "read", [server], ["mail_catcher_exception_count"])
        return admin_view[0]["mail_catcher_exception_count"]

    failed_before = failed_on_the_board()
    texts = [f"Burst {number} #{index}" for index in range(5)]
    bench.stop_smtp()
    try:
        # The customer's provider still takes their replies into the catcher's mailbox.
        replies = [build_reply(sent, CUSTOMER, text) for text in texts]
        for reply in replies:
            bench.deliver_lmtp(reply, address(reply["To"]))
        entries = journaled(admin, [reply["Message-ID"] for reply in replies])
        assert {entry["state"] for entry in entries} == {"routed"}
        wait_for(
            lambda: failed_on_the_board() >= failed_before + len(texts),
            WITHIN,
            "the notifications counted as failed on the health board",
        )
    finally:
        bench.start_smtp()
    # Nobody retries them: the mail queue does, within a minute of the failure.
    arrived = bench.wait_for_messages(
        "alice@company.test",
        count=len(texts),
        predicate=lambda m: any(text in plain_text(m) for text in texts),
        timeout=150,
    )
    assert sorted(t for t in texts for m in arrived if t in plain_text(m)) == texts
    wait_for(
        lambda: failed_on_the_board() == failed_before,
        WITHIN,
        "the board clear again",
    )
