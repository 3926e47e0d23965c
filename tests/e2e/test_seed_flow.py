"""The seed's story, end to end, on a real Odoo server process, real SMTP and real IMAP:
a user sends an invoice (or a purchase order) by email, the customer answers from their
mailbox, the catcher's cron brings the answer into the document's chatter, and the user
is told as their preferences say."""

import email.utils
import re
import time

import pytest
from conftest import REPO
from odoo_process import RpcError
from reply_as_customer import build_reply, plain_text

CATCHER = "mailcatcher@company.test"
CUSTOMER = "camille@customer.test"
SUPPLIER = "jan@supplier.test"


def address(header):
    return email.utils.parseaddr(str(header or ""))[1].lower()


def is_catcher_address(header):
    """The catcher's address with the document's signed reply token."""
    return re.fullmatch(r"mailcatcher\+[a-z2-7]+@company\.test", address(header)) is not None


@pytest.fixture(scope="module")
def admin(odoo):
    session = odoo.login("admin", "admin")
    # wkhtmltopdf fetches the invoice's assets from this address.
    session("ir.config_parameter", "set_param", "web.base.url", odoo.url)
    session("ir.config_parameter", "set_param", "report.url", odoo.url)
    return session


@pytest.fixture(scope="module")
def people(odoo, admin):
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
        "alice": odoo.login("alice", "alice-password"),
        "bob": odoo.login("bob", "bob-password"),
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


def run_cron(admin, xmlid):
    admin("ir.cron", "method_direct_trigger", [admin.ref(xmlid)])


def send_mail_queue(admin):
    run_cron(admin, "mail.ir_cron_mail_scheduler_action")


def fetch_replies(admin, bench, reply):
    """The reply is in the catcher's mailbox; the cron takes it from there."""
    bench.wait_for_messages(CATCHER, predicate=lambda m: m["Message-ID"] == reply["Message-ID"])
    run_cron(admin, "mail_catcher.ir_cron_fetch_replies")
    send_mail_queue(admin)


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


def test_invoice_sent_replied_and_routed(bench, admin, people):
    alice = people["alice"]
    invoice, number = posted_invoice(alice, people["customer"], "Consulting", 300)

    # 1. Alice sends it with the "Send" wizard.
    action = alice("account.move", "action_invoice_sent", [invoice])
    wizard = alice("account.move.send.wizard", "create", {}, context=action["context"])
    alice("account.move.send.wizard", "action_send_and_print", [wizard], context=action["context"])
    send_mail_queue(admin)
    [sent] = bench.wait_for_messages(
        CUSTOMER, predicate=lambda m: number in str(m["Subject"]), timeout=60
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

    # 2. Camille answers from her mailbox, quoting the mail and attaching a file.
    reply = reply_as(
        bench,
        CUSTOMER,
        sent,
        "Merci, je paierai vendredi.",
        attachments=[("bon-de-commande.txt", b"PO 4521")],
    )
    assert reply["In-Reply-To"] == sent["Message-ID"]

    # 3. The cron brings the answer into the invoice's chatter, and only there.
    fetch_replies(admin, bench, reply)
    routed = admin(
        "mail.message",
        "search_read",
        [("message_id", "=", reply["Message-ID"])],
        ["model", "res_id", "author_id", "body", "attachment_ids"],
    )
    assert len(routed) == 1, routed
    [routed] = routed
    assert (routed["model"], routed["res_id"]) == ("account.move", invoice)
    assert routed["author_id"][0] == people["customer"]
    assert "je paierai vendredi" in routed["body"]
    attachments = admin("ir.attachment", "read", routed["attachment_ids"], ["name"])
    assert [a["name"] for a in attachments] == ["bon-de-commande.txt"]
    bodies = " ".join(m["body"] for m in messages_of(alice, "account.move", invoice))
    assert "not a draft" not in bodies, "no bot note on a routed reply"

    # 4. Alice, who handles notifications by email, gets the answer in her mailbox.
    bench.wait_for_messages(
        "alice@company.test",
        predicate=lambda m: "je paierai vendredi" in plain_text(m),
        timeout=60,
    )


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
    send_mail_queue(admin)
    [sent] = bench.wait_for_messages(
        SUPPLIER, predicate=lambda m: name in str(m["Subject"]), timeout=60
    )
    assert address(sent["From"]) == "bob@company.test"
    assert is_catcher_address(sent["Reply-To"]), sent["Reply-To"]

    reply = reply_as(bench, SUPPLIER, sent, "Levering volgende week.")
    fetch_replies(admin, bench, reply)
    [routed] = admin(
        "mail.message",
        "search_read",
        [("message_id", "=", reply["Message-ID"])],
        ["model", "res_id", "author_id"],
    )
    assert (routed["model"], routed["res_id"]) == ("purchase.order", order)
    assert routed["author_id"][0] == people["supplier"]

    # Bob handles notifications in Odoo: the answer waits in his inbox, naming the order.
    inbox = bob(
        "mail.message",
        "search_read",
        [("needaction", "=", True), ("message_id", "=", reply["Message-ID"])],
        ["model", "res_id", "record_name"],
    )
    assert inbox == [
        {"id": routed["id"], "model": "purchase.order", "res_id": order, "record_name": name}
    ]
    time.sleep(1)  # let a wrongly queued email reach the mailbox before looking
    assert not [m for m in bench.messages("bob@company.test") if "Levering" in plain_text(m)]


def test_catcher_that_cannot_log_in_says_so(admin, people):
    server = admin("fetchmail.server", "search", [("user", "=", CATCHER)])
    [password] = [s["password"] for s in admin("fetchmail.server", "read", server, ["password"])]
    admin("fetchmail.server", "write", server, {"password": "wrong"})
    try:
        run_cron(admin, "mail_catcher.ir_cron_fetch_replies")
        [state] = admin("fetchmail.server", "read", server, ["catcher_last_error"])
        assert "refused the login" in state["catcher_last_error"]
        admin("fetchmail.server", "set_draft", server)
        with pytest.raises(RpcError, match="refused the login"):
            admin("fetchmail.server", "button_confirm_login", server)
    finally:
        admin("fetchmail.server", "write", server, {"password": password})
        admin("fetchmail.server", "button_confirm_login", server)


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
        send_mail_queue(admin)
        [sent] = bench.wait_for_messages(
            CUSTOMER, predicate=lambda m: "Un mot sans catcher" in plain_text(m)
        )
        assert address(sent["Reply-To"]) == "alice@company.test"

        # A mail waiting in the catcher's mailbox stays there: nothing fetches it.
        stray = reply_as(bench, CUSTOMER, sent, "Personne ne me lira ici.")
        bench.deliver(stray, CATCHER)
        bench.wait_for_messages(CATCHER, predicate=lambda m: m["Message-ID"] == stray["Message-ID"])
        run_cron(admin, "mail_catcher.ir_cron_fetch_replies")
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
    invoice, number = posted_invoice(alice, people["customer"], "Audit", 900)
    alice(
        "account.move",
        "message_post",
        [invoice],
        body=f"Invoice {number}",
        subject=f"Invoice {number}",
        partner_ids=[people["customer"]],
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    send_mail_queue(admin)
    [sent] = bench.wait_for_messages(CUSTOMER, predicate=lambda m: number in str(m["Subject"]))

    by_token = build_reply(sent, CUSTOMER, "Sans en-têtes.", threading_headers=False)
    by_token.replace_header("Subject", "Question (subject edited by Outlook)")
    bench.deliver(by_token, address(by_token["To"]))
    by_subject = build_reply(sent, CUSTOMER, "Par le sujet.", threading_headers=False)
    by_subject.replace_header("To", CATCHER)
    bench.deliver(by_subject, CATCHER)
    for reply in (by_token, by_subject):
        bench.wait_for_messages(
            CATCHER, predicate=lambda m, r=reply: m["Message-ID"] == r["Message-ID"]
        )
    run_cron(admin, "mail_catcher.ir_cron_fetch_replies")
    entries = admin(
        "mail.catcher.message",
        "search_read",
        [("message_id", "in", [by_token["Message-ID"], by_subject["Message-ID"]])],
        ["message_id", "state", "route", "model", "res_id"],
    )
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
    raw = (REPO / "tests" / "data" / "bounces" / "postfix_hard.eml").read_bytes()
    raw = raw.replace(b"{recipient}", b"gone@customer.test")
    raw = raw.replace(b"{message_id}", sent["message_id"].encode())
    report_id = email.utils.make_msgid(domain="mx.customer.test")
    raw = raw.replace(b"<20261130081201.4Xk2@mx.customer.test>", report_id.encode())
    bench.deliver(raw, CATCHER)
    bench.wait_for_messages(CATCHER, predicate=lambda m: "Undelivered" in str(m["Subject"]))
    run_cron(admin, "mail_catcher.ir_cron_fetch_replies")
    [entry] = admin(
        "mail.catcher.message",
        "search_read",
        [("message_id", "=", report_id)],
        ["state", "kind", "model", "res_id", "reason"],
    )
    assert (entry["state"], entry["kind"]) == ("routed", "bounce")
    assert (entry["model"], entry["res_id"]) == ("account.move", invoice)
    assert "gone@customer.test" in entry["reason"] and "5.1.1" in entry["reason"]
    [partner] = admin("res.partner", "read", [gone], ["message_bounce"])
    assert partner["message_bounce"] == 1


def test_setup_wizard_round_trip(bench, admin):
    """The guided setup, applied to the bench's servers, then its round trip: the tagged
    mail goes out by SMTP, comes back through the catcher, and is posted nowhere."""
    wizard = admin(
        "mail.catcher.setup",
        "create",
        {
            "provider": "generic",
            "email": CATCHER,
            "password": bench.info["password"],
            "incoming_type": "imap",
            "incoming_host": bench.info["host"],
            "incoming_port": bench.info["imap_port"],
            "incoming_ssl": False,
            "smtp_host": bench.info["host"],
            "smtp_port": bench.info["smtp_port"],
            "smtp_security": "none",
        },
    )
    admin("mail.catcher.setup", "action_apply", [wizard])
    admin("mail.catcher.setup", "action_round_trip", [wizard])
    [result] = admin("mail.catcher.setup", "read", [wizard], ["report"])
    assert "received and journaled after" in result["report"], result["report"]
    [entry] = admin(
        "mail.catcher.message",
        "search_read",
        [("kind", "=", "test")],
        ["state", "message_id", "mail_message_id"],
        order="id desc",
        limit=1,
    )
    assert entry["state"] == "ignored" and not entry["mail_message_id"]
    assert not admin("mail.message", "search", [("message_id", "=", entry["message_id"])])
