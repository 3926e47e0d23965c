import importlib.util
import json
import os
import socket
import uuid
from pathlib import Path

from odoo.addons.mail.tests.common import MockEmail
from odoo.tests import TransactionCase, new_test_user
from odoo.tools import email_normalize

from ..lib.reply_token import read_token, tokens_for
from .mails import compose, sample

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


class InternalAnswerCase(RoutingCase):
    """An employee's email answer to an internal note stays an internal note, however it
    comes back (with its reply headers, or with nothing but the reply token): the
    customer, a follower of the document, is neither notified nor mailed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.bob = new_test_user(
            cls.env,
            login="mail_catcher_test_bob",
            name="Bob Colleague",
            email="bob@company.test",
            groups="base.group_user",
        )
        cls.document.message_subscribe(cls.customer.ids)
        cls.note = cls.document.with_user(cls.alice).message_post(
            body="This customer pays late: chase them firmly.",
            subtype_xmlid="mail.mt_note",
            partner_ids=cls.bob.partner_id.ids,
        )

    def token(self, message):
        [token] = tokens_for("mailcatcher@company.test", [email_normalize(message.reply_to)])
        return read_token(self.env["ir.config_parameter"]._mail_catcher_key(), token)

    def answer(self, **headers):
        return self.receive(
            "Agreed, I will call them today.", From="Bob <bob@company.test>", **headers
        )

    def assertKeptInternal(self, entry):
        message = entry.mail_message_id
        self.assertRecordValues(entry, [{"state": "routed", "res_id": self.document.id}])
        self.assertEqual(message.subtype_id, self.env.ref("mail.mt_note"))
        self.assertTrue(message.is_internal)
        self.assertNotIn(self.customer, message.notification_ids.res_partner_id)
        mailed = self.env["mail.mail"].search([("mail_message_id", "=", message.id)])
        self.assertNotIn(self.customer, mailed.recipient_ids)
        self.assertIn(self.alice.partner_id, message.notification_ids.res_partner_id)


FORGED_PASS = "mx.google.com; dmarc=pass header.from=customer.test"
WARNING = "could not be verified"


def verdicts(*auth_results):
    """Authentication-Results headers (top first), as a provider leaves them on top of
    the mail."""
    return [("Authentication-Results", header) for header in auth_results]


class SenderAuthCase(MockEmail, RoutingCase):
    """The trusted provider's verdict on each route: a subject match needs a verified
    sender; token and header matches are posted with a warning when it is not."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.catcher_server.catcher_trusted_authserv_id = "mx.google.com"

    def by_subject(self, *auth_results):
        """The business email compromise, received: a customer's address and the
        document's reference, no token, no reply headers."""
        return self.receive(
            "Please pay our new bank account from now on.",
            trace=verdicts(*auth_results),
            Subject="About Order PO-4521",
        )

    def assertQuarantinedAsUnverified(self, entry, verdict):
        self.assertRecordValues(
            entry, [{"state": "quarantined", "sender_auth": verdict, "res_id": False}]
        )
        self.assertRegex(entry.reason, "^Sender not verified")
        self.assertIn("Order PO-4521", entry.reason)
        self.assertNotIn("bank account", str(self.document.message_ids.mapped("body")))


class CorpusCase(MailCatcherCase):
    """A document from which Alice mailed Camille, the customer, and mails of the corpus
    of tests/data (see test_corpus.py) filled in as answers to it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.use_catcher()
        cls.customer.write({"name": "Camille Dupont", "email": "camille@customer.test"})

    def setUp(self):
        super().setUp()
        self.document = self.env["res.partner"].create({"name": "INV/2026/00042"})
        self.sent = self.document.with_user(self.alice).message_post(
            body="Please find your document attached.",
            subject="Invoice INV/2026/00042",
            partner_ids=self.customer.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.count = 0

    def receive_sample(self, folder, name, recipient="camille@customer.test"):
        self.count += 1
        raw = sample(
            f"{folder}/{name}",
            message_id=self.sent.message_id,
            reply_to=email_normalize(self.sent.reply_to),
            catcher="mailcatcher@company.test",
            customer="camille@customer.test",
            recipient=recipient,
            subject="Invoice INV/2026/00042",
            n=str(self.count),
        )
        return self.receive(raw=raw)


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
