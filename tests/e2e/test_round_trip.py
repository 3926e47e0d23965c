"""The setup wizard's round trip against the bench's provider-shaped SMTP servers, on a
real Odoo server driven over JSON-RPC: it sends as a user through Odoo's outgoing server
for that user (ir.mail_server), to the catcher's signed plus address, and names what the
provider did: nothing (each user's own account, the relay), a refusal of the user's
address (Microsoft 365's SendAsDenied), a rewritten From (Gmail), or a plus address that
does not reach the catcher (a tenant with plus addressing off). Each test leaves the
outgoing servers and the catcher as it found them."""

import uuid

import pytest
from helpers import setup_wizard

CATCHER = "mailcatcher@company.test"
SERVER_FIELDS = [
    "name",
    "smtp_host",
    "smtp_port",
    "smtp_encryption",
    "smtp_authentication",
    "smtp_user",
    "smtp_pass",
    "from_filter",
    "active",
]


@pytest.fixture(scope="module")
def admin(odoo):
    return odoo.login("admin", "admin")


@pytest.fixture(scope="module")
def sender(admin):
    """A user of the company's domain, who is not the catcher's account."""
    tag = uuid.uuid4().hex[:8]
    email = f"rt-{tag}@company.test"
    name = f"Rita {tag}"
    user = admin("res.users", "create", {"name": name, "login": email, "email": email})
    return {"id": user, "email": email, "name": name}


@pytest.fixture(autouse=True)
def restored(admin, bench):
    """Puts back the outgoing servers, the catcher and the company's plus addressing as
    configure_mail.py left them, whatever the wizard changed."""
    context = {"context": {"active_test": False}}
    servers = admin("ir.mail_server", "search_read", [], SERVER_FIELDS, **context)
    [company] = admin("res.company", "search_read", [("id", "=", 1)], ["alias_domain_id"])
    [alias] = admin("mail.alias.domain", "read", [company["alias_domain_id"][0]], ["default_from"])
    yield
    admin("mail.catcher.setup", "action_apply", [setup_wizard(admin, bench)])
    kept = [server["id"] for server in servers]
    added = admin("ir.mail_server", "search", [("id", "not in", kept)], **context)
    admin("ir.mail_server", "unlink", added)
    for server in servers:
        admin("ir.mail_server", "write", [server.pop("id")], server)
    admin("mail.alias.domain", "write", [alias["id"]], {"default_from": alias["default_from"]})
    admin("res.company", "write", [1], {"mail_catcher_plus_addressing": True})


def round_trip(admin, bench, sender, **values):
    """Apply the setup, run the round trip as `sender`; the report."""
    setup = setup_wizard(admin, bench, round_trip_user_id=sender["id"], **values)
    admin("mail.catcher.setup", "action_apply", [setup])
    admin("mail.catcher.setup", "action_round_trip", [setup])
    [result] = admin("mail.catcher.setup", "read", [setup], ["report", "round_trip_seconds"])
    return result


def sender_check(admin, sender):
    """What the round trip recorded on the outgoing server that sent as `sender`."""
    return admin(
        "ir.mail_server",
        "search_read",
        [("mail_catcher_checked_sender", "=", sender["email"])],
        ["mail_catcher_sender_check", "smtp_user"],
    )


def settings_report(admin):
    settings = admin("res.config.settings", "create", {})
    [read] = admin("res.config.settings", "read", [settings], ["mail_catcher_sender_report"])
    return read["mail_catcher_sender_report"] or ""


def last_test_entry(admin, to):
    """The last round-trip mail journaled whose To holds `to`."""
    [entry] = admin(
        "mail.catcher.message",
        "search_read",
        [("kind", "=", "test"), ("email_to", "like", to)],
        ["email_from", "email_to", "state", "mail_message_id"],
        order="id desc",
        limit=1,
    )
    return entry


def assert_success(admin, result, sender, catcher=CATCHER):
    report = result["report"]
    assert "received and journaled after" in report, report
    assert f"The customer sees {sender['email']} as the sender" in report, report
    assert result["round_trip_seconds"] > 0
    local, _, domain = catcher.partition("@")
    entry = last_test_entry(admin, f"{local}+")
    assert entry["email_to"].endswith(f"@{domain}")
    assert sender["email"] in entry["email_from"]
    assert entry["state"] == "ignored" and not entry["mail_message_id"]


def test_each_users_own_account_sends_as_that_user(admin, bench, sender):
    """(a) The user's own account on Microsoft 365's shape: its own address goes through,
    and arrives at catcher+token@ from the user."""
    result = round_trip(
        admin,
        bench,
        sender,
        sending_mode="own_account",
        smtp_port=bench.smtp_port("send_as"),
        sender_ids=[(0, 0, {"user_id": sender["id"], "password": bench.info["password"]})],
    )
    assert_success(admin, result, sender)
    [check] = sender_check(admin, sender)
    assert (check["smtp_user"], check["mail_catcher_sender_check"]) == (sender["email"], "kept")
    assert sender["name"] not in settings_report(admin)


def test_the_relay_sends_as_any_user_of_the_domain(admin, bench, sender):
    """(c) The provider's relay: no login, the user's address kept."""
    result = round_trip(
        admin, bench, sender, sending_mode="relay", smtp_port=bench.smtp_port("relay")
    )
    assert_success(admin, result, sender)
    [check] = sender_check(admin, sender)
    assert (check["smtp_user"], check["mail_catcher_sender_check"]) == (False, "kept")


def test_one_account_refused_as_the_user_names_the_fix(admin, bench, sender):
    """(b) on Microsoft 365's shape: the catcher's account may not send as the user."""
    result = round_trip(
        admin, bench, sender, sending_mode="send_as", smtp_port=bench.smtp_port("send_as")
    )
    report = result["report"]
    assert f"refused mail from {sender['email']} ({sender['name']})" in report, report
    assert "SendAsDenied" in report
    assert f"Give {CATCHER} Send As rights on the mailbox of {sender['email']}" in report
    assert "let each user send from their own account" in report
    assert "relay" in report
    assert not result["round_trip_seconds"]
    [check] = sender_check(admin, sender)
    assert check["mail_catcher_sender_check"] == "refused"
    # Settings name the user too, from what the round trip saw.
    assert f"Mail from {sender['name']} leaves through" in settings_report(admin)


def test_one_account_rewriting_the_from_names_the_fix(admin, bench, sender):
    """(b) on Gmail's shape: the mail arrives, from the account instead of the user."""
    result = round_trip(
        admin, bench, sender, sending_mode="send_as", smtp_port=bench.smtp_port("rewrite")
    )
    report = result["report"]
    assert f"Mail from {sender['email']} arrived from" in report, report
    assert CATCHER in report.split("arrived from", 1)[1].split(":", 1)[0]
    assert f"Add {sender['email']} as a verified alias of {CATCHER} in Gmail" in report
    assert not result["round_trip_seconds"]
    entry = last_test_entry(admin, "mailcatcher+")
    assert CATCHER in entry["email_from"] and sender["email"] not in entry["email_from"]
    [check] = sender_check(admin, sender)
    assert check["mail_catcher_sender_check"] == "rewritten"


def test_a_catcher_without_plus_addressing_is_reported(admin, bench, sender):
    """The tenant has plus addressing off: catcher+token@ is refused, the plain address
    comes back; the report says how to turn it on and what works meanwhile, and the
    reply token is turned off so that customers' replies do not bounce."""
    catcher = f"{bench.info['noplus_prefix']}catcher@company.test"
    result = round_trip(
        admin,
        bench,
        sender,
        email=catcher,
        sending_mode="relay",
        smtp_port=bench.smtp_port("relay"),
    )
    report = result["report"]
    assert "did not reach the catcher (refused: 550 5.1.10" in report, report
    assert "Set-OrganizationConfig -DisablePlusAddressInRecipients $false" in report
    assert "still routed by their reply headers and subjects" in report
    assert not result["round_trip_seconds"]
    entry = last_test_entry(admin, catcher)
    assert entry["email_to"] == catcher and sender["email"] in entry["email_from"]
    [company] = admin("res.company", "read", [1], ["mail_catcher_plus_addressing"])
    assert company["mail_catcher_plus_addressing"] is False
