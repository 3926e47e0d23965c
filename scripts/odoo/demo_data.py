"""Run inside `odoo-bin shell`, which gives `env`: the people and documents of scripts/demo.

Idempotent: each run creates only what is missing. MAIL_CATCHER_DEMO_STEP says what to do:

data (default)
    The company "Coopérative Demo", Alice (handles replies by email, speaks French) and Bob
    (handles them in Odoo), customers speaking French, English and Dutch with one posted
    invoice each, made by Alice, and a vendor with a request for quotation, made by Bob.
    MAIL_CATCHER_DEMO_URL (e.g. http://127.0.0.1:8069) is where Odoo serves the demo;
    MAIL_CATCHER_DEMO_ADDON_HASH, which code of the addon the database is up to date with.
    Prints the first invoice's number, followed by "delivered" when Camille's mailbox
    (MAIL_CATCHER_BENCH) already holds it: then there is no need for the send step.
send
    Alice sends the first invoice to Camille with the "Send" wizard, unless Camille's bench
    mailbox (MAIL_CATCHER_BENCH) already holds it: there is a mail to answer. Run it once the
    server answers at MAIL_CATCHER_DEMO_URL, since wkhtmltopdf fetches the invoice's
    stylesheets from there; without them the PDF would come out unstyled.
"""

import email.policy
import imaplib
import json
import os
import time
from email.parser import BytesHeaderParser
from pathlib import Path
from urllib.parse import urlsplit

DOMAIN = "company.test"
PASSWORDS = {"admin": "admin", "alice": "alice", "bob": "bob"}
CUSTOMERS = [
    {
        "name": "Camille Dupont",
        "email": "camille@customer.test",
        "lang": "fr_FR",
        "lines": [
            ("Atelier de formation (une journée)", 2, 350.0),
            ("Frais de déplacement", 1, 80.0),
        ],
    },
    {
        "name": "Emma Smith",
        "email": "emma@customer.test",
        "lang": "en_US",
        "lines": [("Consulting (hours)", 6, 95.0)],
    },
    {
        "name": "Jan de Vries",
        "email": "jan@customer.test",
        "lang": "nl_NL",
        "lines": [("Website onderhoud", 1, 600.0), ("Hosting (maand)", 12, 15.0)],
    },
]
VENDOR = {"name": "Papeterie Martin", "email": "papeterie@supplier.test", "lang": "fr_FR"}
PRODUCT = "Papier recyclé A4 (ramette de 500 feuilles)"


def ensure_langs(codes):
    """create_database loads fr_FR and nl_NL; an older database may lack one."""
    missing = [code for code in codes if not env["res.lang"]._lang_get(code)]
    if missing:
        langs = env["res.lang"].with_context(active_test=False).search([("code", "in", missing)])
        env["base.language.install"].create({"lang_ids": [(6, 0, langs.ids)]}).lang_install()


def ensure_user(login, name, lang, notification_type):
    user = env["res.users"].with_context(active_test=False).search([("login", "=", login)])
    if user:
        return user
    groups = [
        env.ref(xmlid).id
        for xmlid in (
            "base.group_user",
            "base.group_partner_manager",  # Contact Creation
            "account.group_account_invoice",
            "purchase.group_purchase_user",
        )
    ]
    return (
        env["res.users"]
        .with_context(no_reset_password=True)
        .create(
            {
                "name": name,
                "login": login,
                "password": PASSWORDS[login],
                "email": f"{login}@{DOMAIN}",
                "lang": lang,
                "tz": "Europe/Paris",
                "groups_id": [(6, 0, groups)],
                "notification_type": notification_type,
            }
        )
    )


def ensure_partner(values, **extra):
    partner = env["res.partner"].search([("email", "=ilike", values["email"])], limit=1)
    if not partner:
        partner = env["res.partner"].create(
            {"name": values["name"], "email": values["email"], "lang": values["lang"], **extra}
        )
    return partner


def customer_invoice(partner):
    return env["account.move"].search(
        [("move_type", "=", "out_invoice"), ("partner_id", "=", partner.id)], order="id", limit=1
    )


def data_step():
    url = os.environ.get("MAIL_CATCHER_DEMO_URL", "http://127.0.0.1:8069")
    parameters = env["ir.config_parameter"]
    # Links in mails point at the browser's address (Odoo updates it when admin logs in);
    # wkhtmltopdf fetches the PDF's stylesheets from report.url, an address of this machine.
    parameters.set_param("web.base.url", url.replace("127.0.0.1", "localhost"))
    parameters.set_param("report.url", url)

    company = env.company
    company.name = "Coopérative Demo"
    if not company.external_report_layout_id:
        # Otherwise the first "Send" by an admin opens the document layout configurator.
        company.external_report_layout_id = env.ref("web.external_layout_standard")
    euro = env.ref("base.EUR")
    if company.currency_id != euro and not env["account.move"].search_count(
        [("company_id", "=", company.id)], limit=1
    ):
        euro.active = True
        company.currency_id = euro
    admin = env.ref("base.user_admin")
    # On the partner: changing it on the user would mail a security notice to the old address.
    admin.partner_id.email = f"admin@{DOMAIN}"
    if not parameters.get_param("mail_catcher.demo_addon_hash"):
        # First run only, admin may change it: create_database leaves admin French.
        admin.lang = "en_US"
    if os.environ.get("MAIL_CATCHER_DEMO_ADDON_HASH"):
        # The addon's code this database is up to date with (scripts/demo).
        parameters.set_param(
            "mail_catcher.demo_addon_hash", os.environ["MAIL_CATCHER_DEMO_ADDON_HASH"]
        )

    ensure_langs(["fr_FR", "nl_NL"])
    alice = ensure_user("alice", "Alice", "fr_FR", "email")
    bob = ensure_user("bob", "Bob", "en_US", "inbox")

    for values in CUSTOMERS:
        partner = ensure_partner(values, customer_rank=1)
        if customer_invoice(partner):
            continue
        invoice = (
            env["account.move"]
            .with_user(alice)
            .create(
                {
                    "move_type": "out_invoice",
                    "partner_id": partner.id,
                    "invoice_line_ids": [
                        (0, 0, {"name": name, "quantity": quantity, "price_unit": price})
                        for name, quantity, price in values["lines"]
                    ],
                }
            )
        )
        invoice.action_post()

    vendor = ensure_partner(VENDOR, supplier_rank=1)
    product = env["product.product"].search([("name", "=", PRODUCT)], limit=1)
    if not product:
        product = env["product.product"].create(
            {
                "name": PRODUCT,
                "type": "consu",
                "purchase_ok": True,
                "standard_price": 4.2,
                "list_price": 6.5,
                "seller_ids": [(0, 0, {"partner_id": vendor.id, "price": 4.2})],
            }
        )
    if not env["purchase.order"].search_count([("partner_id", "=", vendor.id)], limit=1):
        env["purchase.order"].with_user(bob).create(
            {
                "partner_id": vendor.id,
                "order_line": [(0, 0, {"product_id": product.id, "product_qty": 40})],
            }
        )
    env.cr.commit()
    invoice = first_invoice()
    print(invoice.name, "delivered" if delivered(invoice) else "")


def mailbox_subjects(address):
    """The subjects in a bench mailbox (read-only: the demo's user will read them)."""
    bench = json.loads(Path(os.environ["MAIL_CATCHER_BENCH"]).read_text())
    conn = imaplib.IMAP4(bench["host"], bench["imap_port"], timeout=10)
    try:
        conn.login(address, bench["password"])
        typ, data = conn.select("INBOX", readonly=True)
        if typ != "OK" or not int(data[0]):
            return []
        _, parts = conn.fetch("1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        parser = BytesHeaderParser(policy=email.policy.default)  # decodes =?utf-8?...?=
        return [
            str(parser.parsebytes(part[1])["Subject"]) for part in parts if isinstance(part, tuple)
        ]
    finally:
        conn.logout()


def first_invoice():
    email = CUSTOMERS[0]["email"]
    invoice = customer_invoice(env["res.partner"].search([("email", "=ilike", email)], limit=1))
    if not invoice:
        raise SystemExit(f"no invoice for {email}: run the data step first")
    return invoice


def delivered(invoice):
    """Whether the customer has the invoice's mail to answer."""
    subjects = mailbox_subjects(invoice.partner_id.email)
    return any(invoice.name in subject for subject in subjects)


def send_step():
    invoice = first_invoice()
    print(invoice.name)  # for scripts/demo's banner
    if delivered(invoice):
        return
    report_url = env["ir.config_parameter"].get_param("report.url")
    if urlsplit(report_url).port != urlsplit(os.environ["MAIL_CATCHER_DEMO_URL"]).port:
        raise SystemExit(f"report.url is {report_url}: run the data step first")

    alice = env["res.users"].search([("login", "=", "alice")])
    alice_env = env(user=alice.id, context=alice.context_get())
    invoice = invoice.with_env(alice_env)
    # What the "Send" button does: the wizard, with the context of its action.
    action = invoice.action_invoice_sent()
    wizard = alice_env["account.move.send.wizard"].with_context(action["context"]).create({})
    wizard.action_send_and_print()
    # The mail leaves when the transaction commits (Odoo sends it after commit).
    env.cr.commit()
    deadline = time.monotonic() + 30
    while not delivered(invoice):
        if time.monotonic() > deadline:
            raise SystemExit(f"{invoice.name} did not reach {invoice.partner_id.email} in 30 s")
        time.sleep(0.3)


step = os.environ.get("MAIL_CATCHER_DEMO_STEP", "data")
if step == "data":
    data_step()
elif step == "send":
    send_step()
else:
    raise SystemExit(f"MAIL_CATCHER_DEMO_STEP={step!r}: expected 'data' or 'send'")
