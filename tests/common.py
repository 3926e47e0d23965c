import importlib.util
import json
import os
import socket
import uuid
from pathlib import Path

from odoo.tests import TransactionCase, new_test_user
from odoo.tools import email_normalize

from .mails import compose

ADDON_DIR = Path(__file__).resolve().parent.parent


def load_bench():
    """The bench of real mail servers that scripts/test started (MAIL_CATCHER_BENCH names
    its bench.json). Tests that need it fail, loudly, without it: they never skip. Their
    classes carry the tag mail_catcher_bench, which `--test-tags /mail_catcher,-mail_catcher_bench`
    leaves out."""
    bench_json = os.environ.get("MAIL_CATCHER_BENCH")
    if not bench_json or not Path(bench_json).is_file():
        raise RuntimeError(
            "These tests need the bench of real mail servers: run them with scripts/test, "
            "or start one (python scripts/bench.py start) and set MAIL_CATCHER_BENCH to "
            f"its bench.json (now: {bench_json!r})."
        )
    spec = importlib.util.spec_from_file_location(
        "mail_catcher_bench", ADDON_DIR / "scripts" / "bench.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.Bench.load(bench_json), json.loads(Path(bench_json).read_text())


def closed_port():
    """A port of 127.0.0.1 that nothing listens on: bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailCatcherCase(TransactionCase):
    """A company with an alias domain, a catcher server (not connected), a user who sends
    mail from documents and a customer who receives it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Journal = cls.env["mail.catcher.message"]
        cls.company = cls.env.company
        cls.alias_domain = cls.env["mail.alias.domain"].search([("name", "=", "company.test")])
        cls.alias_domain = cls.alias_domain or cls.env["mail.alias.domain"].create(
            {"name": "company.test"}
        )
        cls.alias_domain.catchall_alias = "catchall"
        cls.company.write({"mail_catcher_server_id": False, "mail_catcher_email": False})
        cls.company.alias_domain_id = cls.alias_domain
        cls.catcher_server = cls.env["fetchmail.server"].create(
            {
                "name": "Catcher",
                "server_type": "imap",
                "server": "127.0.0.1",
                "port": 143,
                "user": "mailcatcher@company.test",
                "password": "secret",
            }
        )
        cls.alice = new_test_user(
            cls.env,
            login="mail_catcher_test_alice",
            name="Alice Sender",
            email="alice@company.test",
            groups="base.group_user,base.group_partner_manager",
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Customer", "email": "customer@customer.test"}
        )

    @classmethod
    def use_catcher(cls):
        """The company's catcher: the (unconnected) catcher server, mailcatcher@company.test."""
        cls.company.write(
            {
                "mail_catcher_server_id": cls.catcher_server.id,
                "mail_catcher_email": "mailcatcher@company.test",
            }
        )

    def assertCatcherAddress(self, reply_to, catcher="mailcatcher@company.test"):
        """The catcher's address, plus-addressed with a reply token."""
        local, domain = catcher.split("@")
        self.assertRegex(email_normalize(reply_to), rf"^{local}\+[a-z2-7]+@{domain}$")

    def set_catcher(self, server=None, email="mailcatcher@company.test"):
        self.company.write(
            {
                "mail_catcher_server_id": (server or self.catcher_server).id,
                "mail_catcher_email": email,
            }
        )

    def receive(self, *args, raw=None, **headers):
        """One mail fetched by the catcher server, journaled and routed as the fetch does
        (no IMAP): `raw`, or the mail that mails.compose() writes from the arguments.
        Returns its journal entry."""
        [entry] = self.receive_batch(compose(*args, **headers) if raw is None else raw)
        return entry

    def receive_batch(self, *raws):
        """Raw mails journaled in one batch, as one fetch journals them, then routed
        together; their entries, in order."""
        entries = self.Journal._journal(self.catcher_server, [{"raw": raw} for raw in raws])
        self.Journal.union(*entries)._claim_and_route()
        return entries


class JournalCase(MailCatcherCase):
    """Journal entries made from raw mails as the fetch makes them (no IMAP), replying to
    a message sent from a document."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.document = cls.env["res.partner"].create({"name": "Document"})
        cls.sent = cls.document.message_post(
            body="Your document", message_type="comment", subtype_xmlid="mail.mt_comment"
        )

    def reply(self, *args, **headers):
        """The bytes of a customer's reply to the sent message (see mails.compose)."""
        return compose(*args, In_Reply_To=self.sent.message_id, **headers)


class RoutingCase(MailCatcherCase):
    """The company's catcher in use, and a document from which Alice mailed the customer;
    mails built as clients write them, each journaled and routed alone."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_catcher()
        cls.document = cls.env["res.partner"].create({"name": "Order PO-4521"})
        cls.sent = cls.document.with_user(cls.alice).message_post(
            body="Your order",
            partner_ids=cls.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )


class BenchMailboxCase(MailCatcherCase):
    """The catcher server pointed at a mailbox of its own on the bench's real Dovecot,
    so that no other test's mail is in the way."""

    mailbox_prefix = "catcher"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bench, cls.bench_info = load_bench()

    def setUp(self):
        super().setUp()
        self.mailbox = f"{self.mailbox_prefix}-{uuid.uuid4().hex[:8]}@company.test"
        self.catcher_server.write(
            {
                "port": self.bench_info["imap_port"],
                "user": self.mailbox,
                "password": self.bench_info["password"],
            }
        )
