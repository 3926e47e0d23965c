"""Fetch the same mailbox of replies with stock Odoo 18 and with mail_catcher, in one run
on this machine, and print mails per second, SQL queries per mail, peak memory and
whether both posted the same replies in the same places.

Run through scripts/benchmark, which starts the bench and creates the two databases.
"""

import argparse
import email.utils
import json
import sys
import textwrap
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench as bench_module
from odoo_process import OdooServer

SETUP = """
server = env["fetchmail.server"].create({server!r})
server.button_confirm_login()
documents = env["res.partner"].create([{{"name": f"Document {{i}}"}} for i in range({count})])
env["mail.message"].create([
    {{
        "model": "res.partner",
        "res_id": document.id,
        "message_type": "comment",
        "body": "Here is your document",
        "message_id": f"<bench-{{i}}@company.test>",
    }}
    for i, document in enumerate(documents)
])
result = {{"server": server.id, "documents": documents.ids}}
"""

FETCH = """
import resource, time
import odoo.sql_db
server = env["fetchmail.server"].browse({server})
{options}
queries = odoo.sql_db.sql_counter
started = time.perf_counter()
server.fetch_mail()
env.cr.commit()
elapsed = time.perf_counter() - started
routed = env["mail.message"].search_read(
    [("message_id", "like", "<bench-reply-%")],
    ["message_id", "res_id", "author_id", "attachment_ids"],
)
result = {{
    "seconds": elapsed,
    "queries": odoo.sql_db.sql_counter - queries,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "routed": sorted(
        [m["message_id"], m["res_id"], bool(m["author_id"]), len(m["attachment_ids"])]
        for m in routed
    ),
}}
"""


def replies(count, mailbox):
    """Replies as customers send them: each answers one document's mail by its headers;
    one in ten carries an attachment."""
    for index in range(count):
        mail = EmailMessage()
        mail["From"] = f"Customer {index} <customer{index}@customer.test>"
        mail["To"] = mailbox
        mail["Subject"] = f"Re: Document {index}"
        mail["Date"] = email.utils.formatdate()
        mail["Message-ID"] = f"<bench-reply-{index}@customer.test>"
        mail["In-Reply-To"] = f"<bench-{index}@company.test>"
        mail["References"] = f"<bench-{index}@company.test>"
        mail.set_content(f"Thank you for document {index}.\n\n> Here is your document\n")
        if index % 10 == 0:
            mail.add_attachment(b"%PDF-1.4 signed" * 100, "application", "pdf", filename="s.pdf")
        yield mail.as_bytes()


def fill(bench, mailbox, raws):
    imap = bench.imap(mailbox)
    try:
        for raw in raws:
            imap.append("INBOX", None, None, raw)
    finally:
        imap.logout()


def document_index(routed, documents):
    """The outcome with documents named by their rank, comparable across databases."""
    rank = {document_id: index for index, document_id in enumerate(documents)}
    return [
        [mid, rank.get(res_id), author, attachments] for mid, res_id, author, attachments in routed
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bench", required=True, help="bench.json of running mail servers")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--stock-db", required=True)
    parser.add_argument("--catcher-db", required=True)
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()

    bench = bench_module.Bench.load(args.bench)
    raws = list(replies(args.count, "catcher@company.test"))
    results = {}
    for label, database, options in (
        ("stock Odoo 18", args.stock_db, ""),
        (
            "mail_catcher",
            args.catcher_db,
            'server.write({"catcher_time_budget": 3600, "catcher_batch_size": 100})',
        ),
    ):
        mailbox = f"{database}@company.test"
        odoo = OdooServer(database, args.addons_path, log_path=None)
        server = {
            "name": "Benchmark",
            "server_type": "imap",
            "server": bench.info["host"],
            "port": bench.info["imap_port"],
            "user": mailbox,
            "password": bench.info["password"],
        }
        setup = odoo.evaluate(SETUP.format(server=server, count=args.count))
        bench.clear(mailbox)
        fill(bench, mailbox, raws)
        print(f"{label}: fetching {args.count} replies...", flush=True)
        run = odoo.evaluate(textwrap.dedent(FETCH.format(server=setup["server"], options=options)))
        run["routed"] = document_index(run["routed"], setup["documents"])
        results[label] = run

    print()
    print(f"{'':16}{'mails/s':>10}{'queries/mail':>14}{'peak RSS MB':>13}{'routed':>8}")
    for label, run in results.items():
        print(
            f"{label:16}{args.count / run['seconds']:>10.1f}{run['queries'] / args.count:>14.1f}"
            f"{run['peak_rss_mb']:>13.0f}{len(run['routed']):>8}"
        )
    stock, catcher = results["stock Odoo 18"], results["mail_catcher"]
    print(f"\nratio mail_catcher / stock: {stock['seconds'] / catcher['seconds']:.2f}x mails/s")
    same = stock["routed"] == catcher["routed"]
    print(f"same outcomes (reply, document, author, attachments): {'yes' if same else 'NO'}")
    print(json.dumps({k: {x: v[x] for x in v if x != "routed"} for k, v in results.items()}))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
