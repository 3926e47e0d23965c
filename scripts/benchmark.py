"""Fetch the same mailbox of replies with stock Odoo 18 and with mail_catcher, in one run
on this machine, and print mails per second, SQL queries per mail, peak memory and how
each system placed every kind of mail: where both should agree (replies that carry their
reply headers), whether they did, to the body text, author, attachments and notified people.

`--scale` instead measures mail_catcher's time per mail with 10,000 and with 1,000,000
messages already in the database.

Run through scripts/benchmark, which starts the bench and creates the databases.
"""

import argparse
import email.utils
import json
import os
import sys
import tempfile
import textwrap
import time
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench as bench_module
import psycopg2
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
result = {{"server": server.id, "documents": documents.ids, "tokens": tokens}}
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


def mailbox_of_replies(count, tokens, tag=""):
    """The mails of the mix, as customers' mail clients and servers write them."""
    for index in range(count):
        kind = KINDS[index % 10]
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


def placement(outcome):
    """For each kind of mail: how many were posted on their own document."""
    placed = dict.fromkeys(KINDS.values(), 0)
    for message_id, row in outcome.items():
        index = reply_index(message_id)
        if row[0] == index:
            placed[KINDS[index % 10]] += 1
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
    raws = list(mailbox_of_replies(args.count, setups["mail_catcher"]["tokens"]))
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
    print(f"\n{args.count} mails: {', '.join(sorted(set(KINDS.values())))} (see KINDS)")
    print(f"{'':16}{'mails/s':>10}{'queries/mail':>14}{'peak RSS MB':>13}")
    for label, run in results.items():
        print(
            f"{label:16}{args.count / run['seconds']:>10.1f}{run['queries'] / args.count:>14.1f}"
            f"{run['peak_rss_mb']:>13.0f}"
        )
    print(f"ratio mail_catcher / stock: {stock['seconds'] / catcher['seconds']:.2f}x mails/s")
    print("\nposted on their own document, by kind (of how many):")
    totals = {
        kind: sum(KINDS[i % 10] == kind for i in range(args.count)) for kind in KINDS.values()
    }
    stock_placed, catcher_placed = placement(stock["outcome"]), placement(catcher["outcome"])
    for kind in sorted(totals):
        print(
            f"  {kind:12} stock {stock_placed[kind]:>5}   mail_catcher {catcher_placed[kind]:>5}"
            f"   of {totals[kind]}"
        )
    headers = [mid for mid in stock["outcome"] if KINDS[reply_index(mid) % 10] == "header"]
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench", required=True, help="bench.json of running mail servers")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--stock-db", required=True)
    parser.add_argument("--catcher-db", required=True)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--scale", action="store_true", help="per-mail time at 10k and 1M")
    parser.add_argument(
        "--workers", action="store_true", help="the fetch cron under Odoo's multi-process mode"
    )
    parser.add_argument(
        "--profile", help="write cProfile statistics of each fetch to PROFILE.<database>.prof"
    )
    args = parser.parse_args()
    bench = bench_module.Bench.load(args.bench)
    if args.scale:
        return scale(args, bench)
    if args.workers:
        return workers(args, bench)
    return compare(args, bench)


if __name__ == "__main__":
    sys.exit(main())
