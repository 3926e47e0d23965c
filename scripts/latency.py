"""How long a customer's reply takes to reach its document's chatter with the IMAP IDLE
watcher (`odoo-bin mail_catcher_watch`) beside an Odoo server that runs one cron thread:
from the moment the reply is handed to the mail server (SMTP, then LMTP into the
catcher's mailbox) to the moment its mail.message exists in the database (polled every
50 ms). Replies are sent one at a time, each once the previous one is in; prints the
median, the 95th percentile and the worst, next to stock Odoo's polling every 5 minutes.

Run through scripts/latency, which starts the bench and creates the database.
"""

import argparse
import email.utils
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench as bench_module
from odoo_process import OdooServer

CATCHER = "mailcatcher@company.test"
POLL_SECONDS = 0.05
# Stock Odoo fetches every 5 minutes: a reply waits for the next run.
STOCK_INTERVAL = 300

DOCUMENTS = """
documents = env["res.partner"].create([{{"name": f"Latency {tag} {{i}}"}} for i in range({count})])
post = dict(body="Here is your document", message_type="comment", subtype_xmlid="mail.mt_comment")
result = [doc.message_post(**post).message_id for doc in documents]
"""


def reply_to(message_id, index):
    mail = EmailMessage()
    mail["From"] = f"Customer {index} <customer{index}@customer.test>"
    mail["To"] = CATCHER
    mail["Subject"] = f"Re: document {index}"
    mail["Message-ID"] = email.utils.make_msgid(domain="customer.test")
    mail["Date"] = email.utils.formatdate()
    mail["In-Reply-To"] = message_id
    mail["References"] = message_id
    mail.set_content(f"Reply number {index}.")
    return mail


def wait_until_posted(cursor, message_id, timeout):
    """Seconds until the mail.message exists, polling every POLL_SECONDS; None if never."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        cursor.execute("SELECT 1 FROM mail_message WHERE message_id = %s", [message_id])
        if cursor.fetchone():
            return time.monotonic() - start
        time.sleep(POLL_SECONDS)
    return None


def wait_for_log(path, text, process, timeout):
    deadline = time.monotonic() + timeout
    while text not in path.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the watcher did not start; see {path}")
        time.sleep(0.2)


def percentile(values, fraction):
    """The nearest-rank percentile: the smallest value with `fraction` of them at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * fraction) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", required=True, help="bench.json of running mail servers")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--db", required=True, help="a database with mail_catcher installed")
    parser.add_argument("--count", type=int, default=100, help="replies to send (100)")
    parser.add_argument(
        "--pause", type=float, default=0.5, help="seconds between a reply posted and the next"
    )
    parser.add_argument(
        "--timeout", type=float, default=120, help="seconds after which a reply counts as lost"
    )
    parser.add_argument("--logs", help="folder for the Odoo and watcher logs (default: temp)")
    args = parser.parse_args()

    os.environ["MAIL_CATCHER_BENCH"] = args.bench
    bench = bench_module.Bench.load(args.bench)
    logs = Path(args.logs or tempfile.mkdtemp(prefix="mc-latency-"))
    logs.mkdir(parents=True, exist_ok=True)
    odoo = OdooServer(args.db, args.addons_path, logs / "odoo.log")

    print(f"Pointing {args.db} at the bench and writing {args.count} documents", flush=True)
    odoo.shell(Path(__file__).resolve().parent / "odoo" / "configure_mail.py")
    tag = uuid.uuid4().hex[:8]
    sent = odoo.evaluate(DOCUMENTS.format(tag=tag, count=args.count))
    bench.clear(CATCHER)

    print("Starting Odoo (1 cron thread) and the watcher", flush=True)
    odoo.start(max_cron_threads=1)
    watcher = None
    try:
        watcher = odoo.spawn_watcher(logs / "watcher.log")
        wait_for_log(logs / "watcher.log", "watching started", watcher, timeout=120)
        connection = psycopg2.connect(
            dbname=args.db, host="127.0.0.1", user=os.environ.get("USER") or "root"
        )
        connection.autocommit = True
        latencies, lost = [], 0
        with connection, connection.cursor() as cursor:
            for index, message_id in enumerate(sent):
                reply = reply_to(message_id, index)
                start = time.monotonic()
                bench.deliver(reply, CATCHER)
                waited = wait_until_posted(
                    cursor, reply["Message-ID"], args.timeout - (time.monotonic() - start)
                )
                if waited is None:
                    lost += 1
                    print(f"reply {index}: not posted within {args.timeout:g}s", flush=True)
                    continue
                latencies.append(time.monotonic() - start)
                if (index + 1) % 10 == 0:
                    print(f"{index + 1}/{len(sent)} replies posted", flush=True)
                time.sleep(args.pause)
        connection.close()
    finally:
        if watcher is not None:
            OdooServer.stop_process(watcher)
        odoo.stop()

    if not latencies:
        raise SystemExit(f"no reply was posted; see the logs in {logs}")
    p50, p95, worst = percentile(latencies, 0.50), percentile(latencies, 0.95), max(latencies)
    mean = statistics.fmean(latencies)
    print()
    print(f"From delivered to in the chatter, {len(latencies)} replies ({lost} lost):")
    print(f"{'':28}{'p50':>9}{'p95':>9}{'max':>9}{'mean':>9}")
    print(f"{'IDLE watcher':28}{p50:>8.2f}s{p95:>8.2f}s{worst:>8.2f}s{mean:>8.2f}s")
    # A reply waits for the next run of the cron: uniformly between 0 and the interval.
    stock = [STOCK_INTERVAL * q for q in (0.50, 0.95, 1.0, 0.5)]
    print(f"{'stock polling, every 5 min':28}" + "".join(f"{v:>8.0f}s" for v in stock))
    print(
        f"The watcher's median is {stock[0] / p50:.0f} times shorter, "
        f"its worst {STOCK_INTERVAL / worst:.0f} times shorter."
    )
    print(f"Logs: {logs}")
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
