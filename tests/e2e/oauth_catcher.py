"""A catcher mailbox signed in to with OAuth, as Gmail and Microsoft 365 mailboxes are:
through Odoo's own apps (google_gmail, microsoft_outlook), whose incoming servers log in
with XOAUTH2. On the bench, the mailbox is Dovecot's, over TLS; the tokens come from the
bench's stand-in token service, which the Odoo processes reach under the providers' own
host names (see Bench.oauth_environ, set by conftest's `bench` fixture).

The tests below run once per provider: test_oauth_gmail.py and test_oauth_outlook.py
import them and say which provider (KIND); the `catcher` fixture makes that provider's
account the company's catcher before `production` (and its watcher) starts."""

import http.cookiejar
import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from conftest import wait_for
from reply_as_customer import build_reply

WITHIN = 60
# What each app names its fields and buttons, and the page the provider's consent sends
# the admin's browser back to.
APPS = {
    "gmail": {
        "module": "google_gmail",
        "settings": ("google_gmail_client_identifier", "google_gmail_client_secret"),
        "open": "open_google_gmail_uri",
        "confirm": "/google_gmail/confirm",
    },
    "outlook": {
        "module": "microsoft_outlook",
        "settings": ("microsoft_outlook_client_identifier", "microsoft_outlook_client_secret"),
        "open": "open_microsoft_outlook_uri",
        "confirm": "/microsoft_outlook/confirm",
    },
}


def install_app(admin, kind):
    """The provider's Odoo app installed (Apps > Install) and given the OAuth client that
    the admin registered with the provider (Settings)."""
    app = APPS[kind]
    [module] = admin("ir.module.module", "search_read", [("name", "=", app["module"])], ["state"])
    if module["state"] != "installed":
        admin("ir.module.module", "button_immediate_install", [module["id"]])
    client_id, client_secret = app["settings"]
    settings = admin(
        "res.config.settings",
        "create",
        {client_id: f"bench-{kind}-client", client_secret: "bench-client-secret"},
    )
    admin("res.config.settings", "execute", [settings])


class Browser:
    """The admin's browser: a web session of Odoo, which the provider's consent page
    sends back to Odoo with the authorization code."""

    def __init__(self, odoo, login="admin", password="admin"):
        self.url = odoo.url
        # The bench's proxy is for the providers' hosts; Odoo is reached directly.
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
        )
        payload = {"params": {"db": odoo.database, "login": login, "password": password}}
        request = urllib.request.Request(
            f"{self.url}/web/session/authenticate",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with self.opener.open(request, timeout=60) as response:
            assert "error" not in json.load(response), "the admin logs in to Odoo"

    def get(self, path, **query):
        url = f"{self.url}{path}?{urllib.parse.urlencode(query)}"
        with self.opener.open(url, timeout=60) as response:
            return response.geturl()


def connect_account(
    odoo, admin, bench, kind, server_id, address, expires_in=3600, model="fetchmail.server"
):
    """What the admin does on the server's form: the app's "Connect" button opens the
    provider's consent page; once they agree, the provider sends their browser back to
    Odoo with a code, which Odoo trades for the account's tokens. The bench's consent is
    given without a page: its code goes back to Odoo as the provider's redirect would."""
    app = APPS[kind]
    action = admin(model, app["open"], [server_id])
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(action["url"]).query)["state"][0]
    code = bench.oauth_consent(address, expires_in=expires_in)
    landed = Browser(odoo).get(app["confirm"], code=code, state=state)
    assert f"/odoo/{model}/{server_id}" in landed, f"Odoo kept the tokens: {landed}"


def make_oauth_catcher(odoo, bench, kind):
    """A new account of the provider, connected and confirmed, chosen as the company's
    catcher in Settings. Its first access token expires at once: Odoo renews it through
    the token service at its first login. Returns (server id, address, the company's
    catcher before)."""
    admin = odoo.login("admin", "admin")
    install_app(admin, kind)
    address = f"{kind}-catcher-{uuid.uuid4().hex[:8]}@company.test"
    server_id = admin(
        "fetchmail.server",
        "create",
        {
            "name": f"Catcher on {kind}",
            "server_type": kind,
            "server": bench.info["host"],
            "port": bench.info["imaps_port"],
            "is_ssl": True,
            "user": address,
        },
    )
    connect_account(odoo, admin, bench, kind, server_id, address, expires_in=1)
    [company] = admin("res.users", "read", [admin.uid], ["company_id"])
    [before] = admin(
        "res.company",
        "read",
        [company["company_id"][0]],
        ["mail_catcher_server_id", "mail_catcher_email"],
    )
    # Odoo renews a token once its expiry (a second after the consent) is past.
    time.sleep(2)
    admin("fetchmail.server", "button_confirm_login", [server_id])
    settings = admin(
        "res.config.settings",
        "create",
        {"mail_catcher_server_id": server_id, "mail_catcher_email": address},
    )
    admin("res.config.settings", "execute", [settings])
    return server_id, address, before


def restore_catcher(odoo, before):
    admin = odoo.login("admin", "admin")
    server = before["mail_catcher_server_id"]
    admin(
        "res.company",
        "write",
        [before["id"]],
        {
            "mail_catcher_server_id": server and server[0],
            "mail_catcher_email": before["mail_catcher_email"],
        },
    )


def mailed_invoice(admin, bench, customer_address):
    """A customer invoice whose user mails the customer from its chatter: (id, the mail
    as the customer received it)."""
    customer = admin("res.partner", "create", {"name": "Camille", "email": customer_address})
    invoice = admin(
        "account.move",
        "create",
        {
            "move_type": "out_invoice",
            "partner_id": customer,
            "invoice_line_ids": [(0, 0, {"name": "Consulting", "quantity": 1, "price_unit": 300})],
        },
    )
    admin(
        "account.move",
        "message_post",
        [invoice],
        body="Here is your invoice.",
        subject=f"Invoice {uuid.uuid4().hex[:6]}",
        partner_ids=[customer],
        message_type="comment",
        subtype_xmlid="mail.mt_comment",
    )
    [sent] = bench.wait_for_messages(customer_address, timeout=WITHIN)
    return invoice, sent


def answer(bench, sent, customer_address, text):
    reply = build_reply(sent, customer_address, text)
    bench.deliver(reply, str(reply["To"]).split("<")[-1].rstrip(">"))
    return reply


def posted(admin, reply):
    return admin(
        "mail.message",
        "search_read",
        [("message_id", "=", reply["Message-ID"])],
        ["model", "res_id"],
    )


@pytest.fixture(scope="module", autouse=True)
def catcher(request, odoo, bench):
    """The provider's account (the test module's KIND) as the company's catcher, before
    production (and its watcher) starts; the company's catcher put back after."""
    kind = request.module.KIND
    server_id, address, before = make_oauth_catcher(odoo, bench, kind)
    yield server_id, address, kind
    restore_catcher(odoo, before)


def test_a_reply_reaches_the_invoice_over_xoauth2(bench, production, catcher):
    """The seed's flow on the OAuth mailbox: the watcher, signed in with XOAUTH2, sees the
    customer's answer and wakes the fetch, which signs in the same way and posts it on
    the invoice. The token Odoo was given had expired: it was renewed."""
    server_id, address, kind = catcher
    admin = production.login("admin", "admin")
    [server] = admin("fetchmail.server", "read", [server_id], ["state"])
    assert server["state"] == "done"
    renewals = [grant for grant in bench.oauth_renewals() if grant["email"] == address]
    assert [grant["grant_type"] for grant in renewals][:2] == [
        "authorization_code",
        "refresh_token",
    ], "the code traded for tokens at the consent, the expired token renewed at the login"

    customer_address = f"camille-{uuid.uuid4().hex[:8]}@customer.test"
    invoice, sent = mailed_invoice(admin, bench, customer_address)
    assert str(sent["Reply-To"]).split("<")[-1].startswith(address.split("@")[0] + "+")
    reply = answer(bench, sent, customer_address, "Thanks, paid this morning.")
    [message] = wait_for(lambda: posted(admin, reply), WITHIN, "the reply posted")
    assert (message["model"], message["res_id"]) == ("account.move", invoice)
    [entry] = admin(
        "mail.catcher.message",
        "search_read",
        [("message_id", "=", reply["Message-ID"])],
        ["server_id", "state", "route"],
    )
    assert (entry["server_id"][0], entry["state"], entry["route"]) == (server_id, "routed", "token")
    log = production.watcher_log.read_text()
    assert f"Watching Catcher on {kind}, folder INBOX, with IDLE" in log, log[-3000:]
    assert f"Catcher on {kind}: new mail, fetch cron triggered" in log, log[-3000:]


def test_a_revoked_consent_is_named_until_the_account_is_connected_again(
    odoo, bench, production, catcher
):
    """The account's consent is withdrawn (by its owner, or by the provider's admin): the
    fetch that a new reply wakes is refused, and the server says so in words that tell how
    to authorise again; nothing is lost. Once the admin connects the account again and
    clicks Test & Confirm, as those words say, the waiting reply comes in."""
    server_id, address, kind = catcher
    admin = production.login("admin", "admin")
    customer_address = f"dominique-{uuid.uuid4().hex[:8]}@customer.test"
    invoice, sent = mailed_invoice(admin, bench, customer_address)
    bench.oauth_revoke(address)
    reply = answer(bench, sent, customer_address, "Can you resend it with our VAT number?")

    def refused():
        [server] = admin("fetchmail.server", "read", [server_id], ["catcher_last_error"])
        return server["catcher_last_error"]

    error = wait_for(refused, WITHIN, "the refused sign-in shown on the server")
    # The words of a refused authorisation (connect again), not of a wrong password; the
    # admin may read them in English or in French.
    assert "OAuth" in error, error
    assert not posted(admin, reply)

    connect_account(odoo, admin, bench, kind, server_id, address)
    admin("fetchmail.server", "button_confirm_login", [server_id])
    [message] = wait_for(lambda: posted(admin, reply), WITHIN, "the waiting reply posted")
    assert (message["model"], message["res_id"]) == ("account.move", invoice)
    [server] = admin("fetchmail.server", "read", [server_id], ["catcher_last_error"])
    assert not server["catcher_last_error"]
