"""Fetch the same mailbox of replies with stock Odoo 18 and with mail_catcher, in one run
on this machine, and print mails per second, SQL queries per mail, peak memory and how
each system placed every kind of mail: where both should agree (replies that carry their
reply headers), whether they did, to the body text, author, attachments and notified people.

`--scale` instead measures mail_catcher's time per mail with 10,000 and with 1,000,000
messages already in the database; `--workers` the fetch cron under Odoo's multi-process
settings; `--burst` a mass mailing's delivery reports and out-of-office answers fetched by
a real server while a user works in the web client (see burst()).

Run through scripts/benchmark, which starts the bench and creates the databases.
"""

import argparse
import email.utils
import json
import os
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from email.message import EmailMessage
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench as bench_module
import psutil
import psycopg2
import requests
from latency import percentile
from odoo_process import OdooServer

CATCHER = "catcher@company.test"
# mail_catcher's settings for a benchmark fetch: the whole mailbox in one run.
CATCHER_OPTIONS = 'server.write({"catcher_time_budget": 3600, "catcher_batch_size": 100})'
# The mix of a mailbox, by the last digit of a mail's number.
KINDS = {
    0: "header",  # these also carry an attachment
    1: "header",
    2: "header",
    3: "header",
    4: "header",
    5: "header",
    6: "token",
    7: "subject",
    8: "auto-reply",
    9: "bounce",
}

SETUP = """
domain = env["mail.alias.domain"].search([("name", "=", "company.test")], limit=1)
domain = domain or env["mail.alias.domain"].create(
    {{"name": "company.test", "catchall_alias": "catcher"}}
)
env.company.alias_domain_id = domain
server = env["fetchmail.server"].create({server!r})
server.button_confirm_login()
if "mail_catcher_server_id" in env.company._fields:
    env.company.write({{"mail_catcher_server_id": server.id, "mail_catcher_email": {catcher!r}}})
Users = env["res.users"].with_context(no_reset_password=True)
alice = Users.search([("login", "=", "bench_alice")]) or Users.create({{
    "name": "Alice", "login": "bench_alice", "email": "alice@company.test",
    "notification_type": "inbox",
}})
customers = env["res.partner"].create(
    [{{"name": f"Customer {{i}}", "email": f"customer{{i}}@customer.test"}} for i in range({count})]
)
documents = env["res.partner"].with_context(mail_create_nosubscribe=True).create(
    [{{"name": f"Document {{i}}"}} for i in range({count})]
)
documents.message_subscribe(alice.partner_id.ids)
env["mail.message"].create([
    {{
        "model": "res.partner",
        "res_id": document.id,
        "message_type": "comment",
        "subtype_id": env.ref("mail.mt_comment").id,
        "author_id": alice.partner_id.id,
        "partner_ids": [(4, customer.id)],
        "body": "Here is your document",
        "message_id": f"<bench{tag}-{{i}}@company.test>",
    }}
    for i, (document, customer) in enumerate(zip(documents, customers))
])
tokens = {{}}
if "mail_catcher_server_id" in env.company._fields:
    tokens = {{
        i: env.company._mail_catcher_reply_address(documents[i])
        for i in range({count}) if i % 10 == 6
    }}
result = {{
    "server": server.id, "documents": documents.ids, "customers": customers.ids, "tokens": tokens
}}
"""

FETCH = """
import hashlib, resource, time
import odoo.sql_db
from lxml import html as lxml_html
def text_of(body):
    # The words of the mail, whatever their markup: mail_catcher turns plain text into
    # paragraphs and a ">"-quoted part into a folded blockquote, which is meant to differ.
    words = " ".join(lxml_html.fromstring(body).itertext()).split() if body else []
    return " ".join(word for word in words if word.strip(">"))
server = env["fetchmail.server"].browse({server})
{options}
profile_path = {profile!r}
if profile_path:
    import cProfile
    profiler = cProfile.Profile()
    profiler.enable()
queries = odoo.sql_db.sql_counter
started = time.perf_counter()
server.fetch_mail()
env.cr.commit()
elapsed = time.perf_counter() - started
if profile_path:
    profiler.disable()
    profiler.dump_stats(profile_path)
posted = env["mail.message"].search([("message_id", "like", "<bench{tag}-reply-%")])
result = {{
    "seconds": elapsed,
    "queries": odoo.sql_db.sql_counter - queries,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "posted": sorted(
        [
            message.message_id,
            message.res_id if message.model == "res.partner" else None,
            message.author_id.email or message.email_from,
            len(message.attachment_ids),
            hashlib.sha1(text_of(message.body).encode()).hexdigest()[:10],
            message.subtype_id.internal,
            sorted(message.notification_ids.res_partner_id.mapped("email")),
        ]
        for message in posted
    ),
}}
"""


def mailbox_of_replies(count, tokens, tag="", kinds=KINDS):
    """The mails of the mix (`kinds`, by a mail's number modulo their count), as customers'
    mail clients and servers write them."""
    for index in range(count):
        kind = kinds[index % len(kinds)]
        if kind == "bounce":
            yield bounce(index, tag)
            continue
        mail = EmailMessage()
        mail["From"] = f"Customer {index} <customer{index}@customer.test>"
        mail["To"] = tokens.get(str(index), CATCHER) if kind == "token" else CATCHER
        mail["Subject"] = f"Re: Document {index}"
        mail["Date"] = email.utils.formatdate()
        mail["Message-ID"] = f"<bench{tag}-reply-{index}@customer.test>"
        if kind in ("header", "auto-reply"):
            # Clients that keep the reply headers; the others dropped them.
            mail["In-Reply-To"] = f"<bench{tag}-{index}@company.test>"
            mail["References"] = f"<bench{tag}-{index}@company.test>"
        if kind == "auto-reply":
            mail.replace_header("Subject", f"Automatic reply: Document {index}")
            mail["Auto-Submitted"] = "auto-replied"
            mail.set_content("I am out of the office until Monday.\n")
        else:
            mail.set_content(f"Thank you for document {index}.\n\n> Here is your document\n")
        if index % 10 == 0:
            mail.add_attachment(b"%PDF-1.4 signed" * 100, "application", "pdf", filename="s.pdf")
        yield mail.as_bytes()


def bounce(index, tag):
    """A Postfix delivery report: the customer's address of document `index` failed."""
    recipient = f"customer{index}@customer.test"
    return textwrap.dedent(
        f"""\
        From: MAILER-DAEMON@mx.customer.test (Mail Delivery System)
        To: {CATCHER}
        Subject: Undelivered Mail Returned to Sender
        Date: {email.utils.formatdate()}
        Message-Id: <bench{tag}-reply-{index}@mx.customer.test>
        Auto-Submitted: auto-replied
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="B{index}"

        --B{index}
        Content-Type: text/plain; charset=us-ascii

        <{recipient}>: host mx.customer.test said: 550 5.1.1 User unknown

        --B{index}
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.customer.test

        Final-Recipient: rfc822; {recipient}
        Action: failed
        Status: 5.1.1
        Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown

        --B{index}
        Content-Type: text/rfc822-headers

        From: Alice <alice@company.test>
        To: {recipient}
        Subject: Document {index}
        Message-Id: <bench{tag}-{index}@company.test>

        --B{index}--
        """
    ).encode()


def fill(bench, mailbox, raws):
    imap = bench.imap(mailbox)
    try:
        for raw in raws:
            imap.append("INBOX", None, None, raw)
    finally:
        imap.logout()


def by_rank(posted, documents):
    """The outcome with documents named by their rank, comparable across databases."""
    rank = {document_id: index for index, document_id in enumerate(documents)}
    return {row[0]: [rank.get(row[1]), *row[2:]] for row in posted}


def reply_index(message_id):
    return int(message_id.split("-reply-")[1].split("@")[0])


def kind_of(index, kinds=KINDS):
    return kinds[index % len(kinds)]


def placement(outcome, kinds=KINDS):
    """For each kind of mail: how many were posted on their own document."""
    placed = dict.fromkeys(kinds.values(), 0)
    for message_id, row in outcome.items():
        index = reply_index(message_id)
        if row[0] == index:
            placed[kind_of(index, kinds)] += 1
    return placed


def compare(args, bench):
    odoo = {
        "stock Odoo 18": OdooServer(args.stock_db, args.addons_path, log_path=None),
        "mail_catcher": OdooServer(args.catcher_db, args.addons_path, log_path=None),
    }
    setups = {
        label: setup_catcher(server, bench, f"{server.database}@company.test", "", args.count)
        for label, server in odoo.items()
    }
    # One mailbox content for both: the reply tokens are those mail_catcher signed.
    kinds = {0: args.only} if args.only else KINDS
    raws = list(mailbox_of_replies(args.count, setups["mail_catcher"]["tokens"], kinds=kinds))
    options = {"stock Odoo 18": "", "mail_catcher": CATCHER_OPTIONS}
    results = {}
    for label, server in odoo.items():
        mailbox = f"{server.database}@company.test"
        bench.clear(mailbox)
        fill(bench, mailbox, raws)
        print(f"{label}: fetching {args.count} mails...", flush=True)
        profile = args.profile and f"{args.profile}.{server.database}.prof"
        code = FETCH.format(
            server=setups[label]["server"], options=options[label], tag="", profile=profile
        )
        run = server.evaluate(textwrap.dedent(code))
        run["outcome"] = by_rank(run.pop("posted"), setups[label]["documents"])
        results[label] = run

    stock, catcher = results["stock Odoo 18"], results["mail_catcher"]
    print(f"\n{args.count} mails: {', '.join(sorted(set(kinds.values())))} (see KINDS)")
    print(f"{'':16}{'mails/s':>10}{'queries/mail':>14}{'peak RSS MB':>13}")
    for label, run in results.items():
        print(
            f"{label:16}{args.count / run['seconds']:>10.1f}{run['queries'] / args.count:>14.1f}"
            f"{run['peak_rss_mb']:>13.0f}"
        )
    print(f"ratio mail_catcher / stock: {stock['seconds'] / catcher['seconds']:.2f}x mails/s")
    print("\nposted on their own document, by kind (of how many):")
    totals = {
        kind: sum(kind_of(i, kinds) == kind for i in range(args.count)) for kind in kinds.values()
    }
    stock_placed = placement(stock["outcome"], kinds)
    catcher_placed = placement(catcher["outcome"], kinds)
    for kind in sorted(totals):
        print(
            f"  {kind:12} stock {stock_placed[kind]:>5}   mail_catcher {catcher_placed[kind]:>5}"
            f"   of {totals[kind]}"
        )
    headers = [mid for mid in stock["outcome"] if kind_of(reply_index(mid), kinds) == "header"]
    differences = [mid for mid in headers if stock["outcome"][mid] != catcher["outcome"].get(mid)]
    print(
        f"replies with their headers: {len(headers)} posted by stock; same document, author, "
        f"body text, attachments and notified people in mail_catcher: "
        f"{'yes' if not differences else f'NO, {len(differences)} differ'}"
    )
    for mid in differences[:5]:
        print(
            f"  {mid}: stock {stock['outcome'][mid]} / mail_catcher {catcher['outcome'].get(mid)}"
        )
    print(json.dumps({k: {x: v[x] for x in v if x != "outcome"} for k, v in results.items()}))
    return 1 if differences or not headers else 0


FILL_MESSAGES = """
env.cr.execute("SELECT count(*) FROM mail_message")
existing = env.cr.fetchone()[0]
env.cr.execute(
    '''INSERT INTO mail_message (model, res_id, message_type, body, message_id, author_id,
                                 subtype_id, date, create_date, write_date, create_uid, write_uid)
       SELECT 'res.partner', 1 + n %% 5000, 'email', '<p>An older message</p>',
              '<older-' || n || '@customer.test>', 3, %s, now(), now(), now(), 1, 1
         FROM generate_series(%s, %s) AS n''',
    [env.ref("mail.mt_comment").id, existing, {total} - 1],
)
env.cr.execute("ANALYZE mail_message")
env.cr.execute("SELECT count(*) FROM mail_message")
result = env.cr.fetchone()[0]
"""


def setup_catcher(odoo, bench, mailbox, tag, count):
    """`count` new documents, and a new catcher server on `mailbox` of the bench; returns
    the setup (server id, documents, reply tokens)."""
    values = {
        "name": f"Benchmark {tag}",
        "server_type": "imap",
        "server": bench.info["host"],
        "port": bench.info["imap_port"],
        "user": mailbox,
        "password": bench.info["password"],
    }
    return odoo.evaluate(SETUP.format(server=values, count=count, catcher=CATCHER, tag=tag))


def prepare_mailbox(odoo, bench, tag, count):
    """New documents, and a new catcher server on a new mailbox holding `count` mails of
    the mix; returns the setup."""
    mailbox = f"mailbox{tag}@company.test"
    setup = setup_catcher(odoo, bench, mailbox, tag, count)
    bench.clear(mailbox)
    fill(bench, mailbox, mailbox_of_replies(count, setup["tokens"], tag))
    return setup


def fetch_new_mailbox(odoo, bench, tag, count):
    """One fetch (batches of 100) of a new mailbox, in an Odoo process of its own;
    returns its measures."""
    setup = prepare_mailbox(odoo, bench, tag, count)
    code = FETCH.format(server=setup["server"], options=CATCHER_OPTIONS, tag=tag, profile=None)
    return odoo.evaluate(textwrap.dedent(code))


def scale(args, bench):
    """mail_catcher's peak memory for a mailbox of N and of 4N mails, then its time per
    mail at 10,000 and at 1,000,000 messages in the database."""
    odoo = OdooServer(args.catcher_db, args.addons_path, log_path=None)
    for count in (args.count, 4 * args.count):
        run = fetch_new_mailbox(odoo, bench, f"m{count}", count)
        print(f"a mailbox of {count} mails: peak RSS {run['peak_rss_mb']:.0f} MB", flush=True)
    per_mail = {}
    for total in (10_000, 1_000_000):
        print(f"filling mail_message up to {total:,} messages...", flush=True)
        odoo.evaluate(FILL_MESSAGES.format(total=total))
        run = fetch_new_mailbox(odoo, bench, str(total), args.count)
        per_mail[total] = run["seconds"] / args.count * 1000
        print(f"  {args.count} mails fetched: {per_mail[total]:.1f} ms per mail", flush=True)
    ratio = per_mail[1_000_000] / per_mail[10_000]
    print(f"\ntime per mail at 1,000,000 messages / at 10,000: {ratio:.2f}")
    print(json.dumps({"ms_per_mail": per_mail, "count": args.count}))
    return 0


# Odoo's multi-process settings compared by --workers, each on new documents and a new
# mailbox of the same mix; a list of several flag lists starts several servers on the
# one database, all fetching the same mailbox.
WORKER_RUNS = {
    "one cron thread (--workers 0 --max-cron-threads 1)": [["--workers=0", "--max-cron-threads=1"]],
    "--workers 4 --max-cron-threads 2": [["--workers=4", "--max-cron-threads=2"]],
    "two servers, each --workers 4 --max-cron-threads 2": [
        ["--workers=4", "--max-cron-threads=2"],
        ["--workers=4", "--max-cron-threads=2"],
    ],
}

PREPARE_CRONS = """
import datetime
from odoo import fields
server = env["fetchmail.server"].browse({server})
server.write({{"catcher_batch_size": 100, "catcher_time_budget": 60}})
far = fields.Datetime.now() + datetime.timedelta(days=1)
crons = env.ref("mail_catcher.ir_cron_fetch_replies")
crons |= env.ref("mail_catcher.ir_cron_route_received")
crons.write({{"active": True, "nextcall": far}})
env.ref("mail.ir_cron_mail_gateway_action").write({{"active": False}})
# Nothing else due while the fetch is measured.
env["ir.cron"].search([("id", "not in", crons.ids)]).write({{"nextcall": far}})
result = env.ref("mail_catcher.ir_cron_fetch_replies").id
"""


def workers(args, bench):
    """Throughput of the fetch cron under Odoo's multi-process settings, and whether any
    mail was lost or doubled when several servers fetch one mailbox."""
    odoo = OdooServer(args.catcher_db, args.addons_path, log_path=None)
    database = psycopg2.connect(
        dbname=args.catcher_db, host="127.0.0.1", user=os.environ.get("USER") or "root"
    )
    database.autocommit = True
    rates = {}
    for label, flag_lists in WORKER_RUNS.items():
        tag = f"w{len(rates)}"
        setup = prepare_mailbox(odoo, bench, tag, args.count)
        cron_id = odoo.evaluate(PREPARE_CRONS.format(server=setup["server"]))
        with tempfile.TemporaryDirectory() as log_dir:
            servers = [
                OdooServer(args.catcher_db, args.addons_path, Path(log_dir) / f"odoo-{number}.log")
                for number in range(len(flag_lists))
            ]
            try:
                for server, flags in zip(servers, flag_lists, strict=True):
                    server.start("--log-level=warn", *flags)
                time.sleep(5)  # the cron threads LISTEN a moment after HTTP answers
                seconds = time_the_fetch(database, cron_id, setup["server"], args.count)
            finally:
                for server in servers:
                    if server.process:
                        server.stop()
        lost, doubled = check_exactly_once(database, tag, args.count)
        rates[label] = args.count / seconds
        print(
            f"{label}: {rates[label]:.1f} mails/s ({seconds:.1f} s), "
            f"{lost} lost, {doubled} doubled",
            flush=True,
        )
    first = next(iter(rates.values()))
    print()
    for label, rate in rates.items():
        print(f"{label:55}{rate:>8.1f} mails/s{rate / first:>7.2f}x")
    print(json.dumps({"mails_per_second": rates, "count": args.count}))
    database.close()
    return 0


def time_the_fetch(database, cron_id, server_id, count):
    """Wake the fetch cron as the watcher or its schedule would; seconds until every mail
    of the mailbox is journaled and routed (or quarantined)."""
    with database.cursor() as cr:
        cr.execute(
            "INSERT INTO ir_cron_trigger (cron_id, call_at) VALUES (%s, now() at time zone 'UTC')",
            [cron_id],
        )
        started = time.monotonic()
        # Odoo's cron threads LISTEN on a connection to the "postgres" database.
        wake = psycopg2.connect(dbname="postgres", host="127.0.0.1", user=database.info.user)
        wake.autocommit = True
        with wake.cursor() as wake_cr:
            wake_cr.execute("SELECT pg_notify('cron_trigger', %s)", [database.info.dbname])
        wake.close()
        while time.monotonic() - started < 1800:
            cr.execute(
                "SELECT count(*) FROM mail_catcher_message WHERE server_id = %s"
                " AND state <> 'received'",
                [server_id],
            )
            if cr.fetchone()[0] >= count:
                return time.monotonic() - started
            time.sleep(0.2)
    raise RuntimeError("the mailbox was not routed within 30 minutes")


def check_exactly_once(database, tag, count):
    with database.cursor() as cr:
        cr.execute(
            "SELECT message_id, count(*) FROM mail_message WHERE message_id LIKE %s"
            " GROUP BY message_id",
            [f"<bench{tag}-reply-%"],
        )
        counts = dict(cr.fetchall())
    return count - len(counts), sum(1 for n in counts.values() if n > 1)


# --burst: what a mass mailing brings back at once, half delivery reports, half
# out-of-office answers, fetched by a production-shaped server while a user works.
BURST_KINDS = {0: "bounce", 1: "auto-reply"}
BURST_FLAGS = ["--workers=2", "--max-cron-threads=1"]
IDLE_SECONDS = 30
# A user reads, types and clicks between calls: a person, not a load generator.
USER_PAUSE = 0.2
USER_LOGIN = "bench_bob"
USER_PASSWORD = "bench-bob-password"

USER = """
groups = env.ref("base.group_user") | env.ref("base.group_partner_manager")
Users = env["res.users"].with_context(no_reset_password=True)
bob = Users.search([("login", "=", {login!r})]) or Users.create({{
    "name": "Bob", "login": {login!r}, "email": "bob@company.test",
    "groups_id": [(6, 0, groups.ids)],
}})
bob.password = {password!r}
from odoo.addons.mail_catcher.lib.pace import ROUTING_CHUNK
result = ROUTING_CHUNK
"""

# The fields the contact form reads when it opens.
FORM = {
    "display_name": {},
    "name": {},
    "email": {},
    "phone": {},
    "function": {},
    "message_bounce": {},
    "parent_id": {"fields": {"display_name": {}}},
    "category_id": {"fields": {"display_name": {}, "color": {}}},
    "user_id": {"fields": {"display_name": {}}},
    "message_follower_ids": {},
}


class WebUser:
    """A logged-in user of the web client: its session cookie, and the JSON-RPC calls the
    client makes when a document is opened, noted on, and its contact corrected."""

    def __init__(self, url, database, login, password):
        self.url = url
        self.http = requests.Session()
        self.rpc("/web/session/authenticate", db=database, login=login, password=password)

    def rpc(self, path, **params):
        payload = {"jsonrpc": "2.0", "method": "call", "params": params}
        response = self.http.post(f"{self.url}{path}", json=payload, timeout=300)
        response.raise_for_status()
        answer = response.json()
        if "error" in answer:
            raise RuntimeError(f"{path}: {answer['error']['data'].get('message')}")
        return answer["result"]

    def call_kw(self, model, method, *args, **kwargs):
        return self.rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            model=model,
            method=method,
            args=list(args),
            kwargs=kwargs,
        )

    def work_on(self, document, customer, number):
        """Open a document, read its chatter, post a note on it, and correct the phone of
        the customer it was sent to; returns each call's seconds."""
        calls = {
            "open (web_read)": lambda: self.call_kw(
                "res.partner", "web_read", [document], specification=FORM
            ),
            "chatter (/mail/thread/messages)": lambda: self.rpc(
                "/mail/thread/messages", thread_model="res.partner", thread_id=document, limit=30
            ),
            "post a note (message_post)": lambda: self.call_kw(
                "res.partner",
                "message_post",
                [document],
                body=f"Called the customer back ({number})",
                message_type="comment",
                subtype_xmlid="mail.mt_note",
            ),
            "save the customer (write)": lambda: self.call_kw(
                "res.partner", "write", [customer], {"phone": f"+32 2 555 {number % 10000:04d}"}
            ),
        }
        seconds = {}
        for label, call in calls.items():
            started = time.perf_counter()
            call()
            seconds[label] = time.perf_counter() - started
        return seconds


def work_until(user, pick, stop, latencies):
    """The user's loop: on the document `pick()` names, until `stop` is set."""
    number = 0
    while not stop.is_set():
        number += 1
        for label, seconds in user.work_on(*pick(number), number).items():
            latencies.setdefault(label, []).append(seconds)
        stop.wait(USER_PAUSE)


class CronWorkerMemory(threading.Thread):
    """Samples the peak resident memory (VmHWM) of the server's cron workers: its
    children that Odoo reniced (WorkerCron.start does os.nice(10); HTTP workers do not).
    A worker's VmHWM is its peak over its whole life, so sampling misses nothing but the
    last 0.2 s of a worker that dies."""

    def __init__(self, server_pid):
        super().__init__(daemon=True)
        self.server = psutil.Process(server_pid)
        self.stop = threading.Event()
        self.peaks = {}  # pid: MB
        self.at_start = {}  # pid: MB, VmRSS when first seen

    def run(self):
        while not self.stop.is_set():
            for child in self.server.children():
                try:
                    if child.nice() <= self.server.nice():
                        continue
                    status = Path(f"/proc/{child.pid}/status").read_text()
                except (psutil.Error, OSError):
                    continue
                values = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
                peak = int(values["VmHWM"].split()[0]) / 1024
                self.peaks[child.pid] = max(peak, self.peaks.get(child.pid, 0))
                self.at_start.setdefault(child.pid, int(values["VmRSS"].split()[0]) / 1024)
            self.stop.wait(0.2)

    def peak(self):
        return max(self.peaks.values(), default=0)


class LockWaits(threading.Thread):
    """Samples PostgreSQL every 0.1 s for sessions of the database waiting on a lock: for
    the HTTP workers (the user's calls) and for the cron worker, the longest wait seen and
    what held the lock (the holder's process, its transaction's age, its last query)."""

    def __init__(self, connection, server_pid):
        super().__init__(daemon=True)
        self.connection = connection
        self.server = psutil.Process(server_pid)
        self.stop = threading.Event()
        self.longest = {}  # waiter's role: (seconds, waiter's query, holder's role, age, query)

    def role(self, application_name):
        """Odoo names its connections odoo-<pid>; the cron worker is the reniced child."""
        pid = int(application_name.removeprefix("odoo-") or 0)
        try:
            children = {child.pid: child for child in self.server.children()}
            if pid in children:
                niced = children[pid].nice() > self.server.nice()
                return "cron worker" if niced else "HTTP worker"
        except psutil.Error:
            pass
        return application_name or "other"

    def run(self):
        with self.connection.cursor() as cr:
            while not self.stop.is_set():
                cr.execute(
                    """SELECT waiter.application_name,
                              extract(epoch FROM clock_timestamp() - waiter.query_start),
                              waiter.query, holder.application_name,
                              extract(epoch FROM clock_timestamp() - holder.xact_start),
                              holder.query
                         FROM pg_stat_activity waiter
                         CROSS JOIN LATERAL unnest(pg_blocking_pids(waiter.pid)) AS blocking(pid)
                         JOIN pg_stat_activity holder ON holder.pid = blocking.pid
                        WHERE waiter.datname = current_database()
                          AND waiter.wait_event_type = 'Lock'"""
                )
                for waiter, seconds, query, holder, age, holder_query in cr.fetchall():
                    role = self.role(waiter)
                    if seconds > self.longest.get(role, (0,))[0]:
                        self.longest[role] = (
                            float(seconds),
                            " ".join(query.split())[:80],
                            self.role(holder),
                            float(age or 0),
                            " ".join(holder_query.split())[:80],
                        )
                self.stop.wait(0.1)


def document_in_flight(database, setup):
    """The document and customer of the mail being routed now (the first of the chunk
    claimed, whose rows that chunk's transaction holds), else of the next mail due, else
    the next in turn: where row contention between the user and the routing would show."""

    def pick(number):
        with database.cursor() as cr:
            cr.execute(
                """SELECT message_id FROM mail_catcher_message
                    WHERE server_id = %s AND state = 'received'
                    ORDER BY routing_started IS NULL, id LIMIT 1""",
                [setup["server"]],
            )
            row = cr.fetchone()
        index = reply_index(row[0]) if row else number % len(setup["documents"])
        return setup["documents"][index], setup["customers"][index]

    return pick


def run_burst(args, bench, odoo, database, count, with_user):
    """A new mailbox of `count` mails of the burst, fetched by a new server process woken
    as the watcher wakes it; with `with_user`, the user's calls at idle then during it."""
    tag = f"b{count}x{uuid.uuid4().hex[:6]}"  # Message-IDs new to the database
    mailbox = f"burst{tag}@company.test"
    setup = setup_catcher(odoo, bench, mailbox, tag, count)
    bench.clear(mailbox)
    fill(bench, mailbox, mailbox_of_replies(count, setup["tokens"], tag, BURST_KINDS))
    cron_id = odoo.evaluate(PREPARE_CRONS.format(server=setup["server"]))
    run = {"count": count}
    with tempfile.TemporaryDirectory() as log_dir:
        server = OdooServer(args.catcher_db, args.addons_path, Path(log_dir) / "odoo.log")
        server.start("--log-level=warn", *BURST_FLAGS)
        memory = CronWorkerMemory(server.process.pid)
        locks = LockWaits(psycopg2.connect(database.dsn), server.process.pid)
        try:
            time.sleep(5)  # the cron worker LISTENs a moment after HTTP answers
            memory.start()
            locks.start()
            pick = document_in_flight(database, setup)
            idle, busy, stop = {}, {}, threading.Event()
            if with_user:
                user = WebUser(server.url, args.catcher_db, USER_LOGIN, USER_PASSWORD)
                print(f"a user's calls at idle, {IDLE_SECONDS} s...", flush=True)
                timer = threading.Timer(IDLE_SECONDS, stop.set)
                timer.start()
                work_until(user, pick, stop, idle)
                stop = threading.Event()
                working = threading.Thread(target=work_until, args=(user, pick, stop, busy))
                working.start()
            print(f"the burst: {count} mails fetched and routed...", flush=True)
            try:
                run["seconds"] = time_the_fetch(database, cron_id, setup["server"], count)
            finally:
                stop.set()
                if with_user:
                    working.join()
        finally:
            memory.stop.set()
            locks.stop.set()
            server.stop()
            log = (Path(log_dir) / "odoo.log").read_text(errors="replace")
            run["serialization_failures"] = log.count("could not serialize access")
            # Odoo's watchdog kills a worker whose job outlives limit_time_real(_cron).
            run["killed"] = [
                line[11:23] + line[line.index(" ERROR ") :]
                for line in log.splitlines()
                if "timeout after" in line
            ]
            memory.join()
            locks.join()
            locks.connection.close()
    run.update(idle=idle, busy=busy, peak_rss_mb=memory.peak(), lock_waits=locks.longest)
    run["cron_workers"] = [round(peak) for peak in memory.peaks.values()]
    run["rss_at_start_mb"] = min(memory.at_start.values(), default=0)
    with database.cursor() as cr:
        cr.execute(
            "SELECT state, count(*) FROM mail_catcher_message WHERE server_id = %s GROUP BY 1",
            [setup["server"]],
        )
        run["states"] = dict(cr.fetchall())
    return run


# The interactive calls: open a document, post on it. Saving the customer whose
# mail is being routed right then is the worst case of row contention, shown apart.
TARGET_CALLS = ("open (web_read)", "chatter (/mail/thread/messages)", "post a note (message_post)")


def print_latencies(idle, busy):
    """One line per kind of call, then the issue's calls, then all; returns the ratio of
    the issue's calls' p95s."""
    print(f"\n{'a user over HTTP JSON-RPC, seconds':36}{'idle p50':>9}{'p95':>7}", end="")
    print(f"{'burst p50':>11}{'p95':>7}{'p95 ratio':>11}{'calls idle/burst':>18}")
    rows = {label: (idle[label], busy.get(label, [])) for label in idle}
    rows["open, chatter, post (the target)"] = tuple(
        [*chain(*(calls[label] for label in TARGET_CALLS))] for calls in (idle, busy)
    )
    rows["all calls"] = ([*chain(*idle.values())], [*chain(*busy.values())])
    ratios = {}
    for label, (at_idle, at_burst) in rows.items():
        if not at_burst:
            continue
        ratios[label] = percentile(at_burst, 0.95) / percentile(at_idle, 0.95)
        print(
            f"{label:36}{percentile(at_idle, 0.5):>9.3f}{percentile(at_idle, 0.95):>7.3f}"
            f"{percentile(at_burst, 0.5):>11.3f}{percentile(at_burst, 0.95):>7.3f}"
            f"{ratios[label]:>10.2f}x{len(at_idle):>9}/{len(at_burst)}"
        )
    return ratios.get("open, chatter, post (the target)", 0.0)


def burst(args, bench):
    """A burst of delivery reports and out-of-office answers: mails per second, a user's
    call latency at idle and during it, the longest lock wait, and the cron worker's peak
    memory for the burst and for a quarter of it."""
    odoo = OdooServer(args.catcher_db, args.addons_path, log_path=None)
    chunk_size = odoo.evaluate(USER.format(login=USER_LOGIN, password=USER_PASSWORD))
    database = psycopg2.connect(
        dbname=args.catcher_db, host="127.0.0.1", user=os.environ.get("USER") or "root"
    )
    database.autocommit = True
    main = run_burst(args, bench, odoo, database, args.count, with_user=True)
    quarter = run_burst(args, bench, odoo, database, args.count // 4, with_user=False)
    database.close()

    print(
        f"\nburst of {args.count} mails ({args.count // 2} delivery reports, "
        f"{args.count - args.count // 2} out-of-office answers), Odoo {' '.join(BURST_FLAGS)}, "
        f"fetched in batches of 100, routed in chunks of {chunk_size}"
    )
    print(
        f"routed in {main['seconds']:.1f} s: {args.count / main['seconds']:.1f} mails/s; "
        f"journal states {main['states']}"
    )
    ratio = print_latencies(main["idle"], main["busy"])
    print(
        f"p95 of opening and posting, during the burst / at idle: {ratio:.2f}x (target <= 2x: "
        f"{'met' if ratio <= 2 else 'MISSED'})"
    )
    print(
        f"updates that met a concurrent one (a user's call, retried by Odoo after a random "
        f"pause, or a mail, routed in a later chunk): {main['serialization_failures']}"
    )
    waits = main["lock_waits"]
    chunk = main["seconds"] / (args.count / chunk_size)
    print("longest lock waits seen (sampled every 0.1 s):" if waits else "no lock wait seen")
    for role, (seconds, query, holder, age, holder_query) in waits.items():
        print(f"  {role} waited {seconds:.2f} s in: {query}")
        print(f"    held by {holder}, its transaction {age:.2f} s old, last: {holder_query}")
    print(f"a chunk of {chunk_size} mails takes {chunk:.2f} s on average")
    for run in (main, quarter):
        print(
            f"cron worker peak RSS, a burst of {run['count']} mails in batches of 100: "
            f"{run['peak_rss_mb']:.0f} MB (at start {run['rss_at_start_mb']:.0f} MB; "
            f"each cron worker process's peak: {run['cron_workers']} MB)"
        )
        for line in run["killed"]:
            print(f"  killed by Odoo's watchdog: {line}")
    for run in (main, quarter):
        for phase in ("idle", "busy"):
            calls = [*chain(*run.pop(phase).values())]
            run[f"{phase}_p50_p95"] = calls and [percentile(calls, 0.5), percentile(calls, 0.95)]
    print(json.dumps({"burst": main, "quarter": quarter}))
    return 0 if ratio <= 2 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench", required=True, help="bench.json of running mail servers")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--stock-db", required=True)
    parser.add_argument("--catcher-db", required=True)
    parser.add_argument("--count", type=int, help="mails (1,000; with --burst 5,000)")
    parser.add_argument(
        "--only", choices=sorted(set(KINDS.values())), help="mails of this kind only (the mix)"
    )
    parser.add_argument("--scale", action="store_true", help="per-mail time at 10k and 1M")
    parser.add_argument(
        "--workers", action="store_true", help="the fetch cron under Odoo's multi-process mode"
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="delivery reports and out-of-office answers at once, while a user works",
    )
    parser.add_argument(
        "--profile", help="write cProfile statistics of each fetch to PROFILE.<database>.prof"
    )
    args = parser.parse_args()
    args.count = args.count or (5000 if args.burst else 1000)
    bench = bench_module.Bench.load(args.bench)
    if args.scale:
        return scale(args, bench)
    if args.workers:
        return workers(args, bench)
    if args.burst:
        return burst(args, bench)
    return compare(args, bench)


if __name__ == "__main__":
    sys.exit(main())
