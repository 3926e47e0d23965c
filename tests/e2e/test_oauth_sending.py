"""A user's mail sent through their own Gmail account, signed in with OAuth (XOAUTH2) as
Odoo's google_gmail app does it, on the bench's SMTP server. When the provider refuses the
account's authorisation, the Outgoing Mail Health board says so in those words, not as a
server out of reach; once the admin connects the account again, the mail that failed goes
out, sent by Odoo's mail queue (run by the cron worker of `production`, woken then)."""

import email.utils
import uuid

import pytest
from conftest import wait_for
from oauth_catcher import connect_account, install_app

WITHIN = 60


@pytest.fixture
def own_account(bench, production):
    """The admin's own address gets an outgoing server of its own, its Gmail account
    connected with OAuth (`from_filter` = that address, as the app sets it)."""
    admin = production.login("admin", "admin")
    install_app(admin, "gmail")
    address = f"admin-{uuid.uuid4().hex[:8]}@company.test"
    [user] = admin("res.users", "read", [admin.uid], ["email"])
    admin("res.users", "write", [admin.uid], {"email": address})
    server = admin(
        "ir.mail_server",
        "create",
        {
            "name": "Admin's Gmail",
            "smtp_host": bench.info["host"],
            "smtp_port": bench.info["smtp_port"],
            "smtp_encryption": "starttls",
            "smtp_authentication": "gmail",
            "smtp_user": address,
            "from_filter": address,
        },
    )
    connect_account(production, admin, bench, "gmail", server, address, model="ir.mail_server")
    yield admin, server, address
    admin("ir.mail_server", "write", [server], {"active": False})
    admin("res.users", "write", [admin.uid], {"email": user["email"]})


def mail_a_customer(admin, bench, text):
    customer_address = f"sam-{uuid.uuid4().hex[:8]}@customer.test"
    customer = admin("res.partner", "create", {"name": "Sam", "email": customer_address})
    document = admin("res.partner", "create", {"name": f"Order {uuid.uuid4().hex[:6]}"})
    admin(
        "res.partner",
        "message_post",
        [document],
        body=text,
        partner_ids=[customer],
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    return customer_address


def test_a_refused_authorisation_is_named_and_its_mail_leaves_once_reconnected(
    production, bench, own_account
):
    admin, server, address = own_account
    first = mail_a_customer(admin, bench, "Your order is ready.")
    [received] = bench.wait_for_messages(first, timeout=WITHIN)
    assert email.utils.parseaddr(received["From"])[1] == address, "sent as the user"

    bench.oauth_revoke(address)
    second = mail_a_customer(admin, bench, "It ships on Monday.")

    def refused():
        [board] = admin(
            "ir.mail_server",
            "read",
            [server],
            ["mail_catcher_sign_in_refused", "mail_catcher_exception_count"],
        )
        return board["mail_catcher_exception_count"] and board["mail_catcher_sign_in_refused"]

    words = wait_for(refused, WITHIN, "the refusal on the Outgoing Mail Health board")
    assert "OAuth" in words and "535" in words, words
    [failed] = admin(
        "mail.mail",
        "search_read",
        [("state", "=", "exception"), ("recipient_ids.email", "=", second)],
        ["failure_reason"],
    )
    assert "OAuth" in failed["failure_reason"], failed

    connect_account(production, admin, bench, "gmail", server, address, model="ir.mail_server")
    [received] = bench.wait_for_messages(second, timeout=WITHIN)
    assert email.utils.parseaddr(received["From"])[1] == address
    [board] = admin("ir.mail_server", "read", [server], ["mail_catcher_sign_in_refused"])
    assert not board["mail_catcher_sign_in_refused"]
