"""How long a customer's reply takes to reach its document's chatter, and its author's
mailbox, on Odoo run as production runs it: a server started from its odoo.conf with
`--workers 2 --max-cron-threads 1`, and the IMAP IDLE watcher started as the README's
systemd unit starts it. Nothing is run by hand. From the moment each reply is handed to
the SMTP server (which delivers it into the catcher's mailbox) to the moment its
mail.message exists (polled every 50 ms), and to the moment the notification of the
document's author (a user who wants every reply by email) is in her mailbox (polled
over IMAP every 50 ms). Replies are sent one at a time, each once the previous one's
notification arrived. Prints one line: p50, p95 and worst of both, against the target.

Run through scripts/latency, which starts the bench and creates the database.
"""

import argparse
import email.policy
import email.utils
import math
import os
import sys
import tempfile
import time
import uuid
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench as bench_module
from odoo_process import OdooServer
from reply_as_customer import plain_text

CATCHER = "mailcatcher@company.test"
AUTHOR = "alice@company.test"
POLL_SECONDS = 0.05
# The target for the author's email; stock Odoo queues it for the hourly queue.
TARGET_P95 = 10.0

DOCUMENTS = """
groups = env.ref("base.group_user") | env.ref("base.group_partner_manager")
alice = env["res.users"].search([("login", "=", "latency-alice")])
if not alice:
    alice = env["res.users"].create({{
        "name": "Alice", "login": "latency-alice", "email": "{author}",
        "notification_type": "email",
        "groups_id": [(6, 0, groups.ids)],
    }})
documents = env["res.partner"].create([{{"name": f"Latency {tag} {{i}}"}} for i in range({count})])
post = dict(body="Here is your document", message_type="comment", subtype_xmlid="mail.mt_comment")
result = [doc.with_user(alice).message_post(**post).message_id for doc in documents]
"""


def reply_to(message_id, index, tag):
    mail = EmailMessage()
    mail["From"] = f"Customer {index} <customer{index}@customer.test>"
    mail["To"] = CATCHER
    mail["Subject"] = f"Re: document {index}"
    mail["Message-ID"] = email.utils.make_msgid(domain="customer.test")
    mail["Date"] = email.utils.formatdate()
    mail["In-Reply-To"] = message_id
    mail["References"] = message_id
    mail.set_content(f"Reply {tag} number {index}.")
    return mail


def wait_until_posted(cursor, message_id, deadline):
    while time.monotonic() < deadline:
        cursor.execute("SELECT 1 FROM mail_message WHERE message_id = %s", [message_id])
        if cursor.fetchone():
            return True
        time.sleep(POLL_SECONDS)
    return False


class Mailbox:
    """The author's INBOX, kept selected: each look reads only the mails new since the
    last one."""

    def __init__(self, bench, user):
        self.connection = bench.imap(user)
        self.connection.select("INBOX")
        self.last_uid = 0
        self.texts = []
        self.parser = BytesParser(policy=email.policy.default)

    def wait_for(self, text, deadline):
        while time.monotonic() < deadline:
            if any(text in seen for seen in self.texts) or self._read_new(text):
                return True
            time.sleep(POLL_SECONDS)
        return False

    def _read_new(self, text):
        self.connection.noop()
        _status, data = self.connection.uid("SEARCH", None, f"UID {self.last_uid + 1}:*")
        uids = [int(uid) for uid in data[0].split() if int(uid) > self.last_uid]
        if not uids:
            return False
        _status, parts = self.connection.uid("FETCH", ",".join(map(str, uids)), "(BODY.PEEK[])")
        for part in parts:
            if isinstance(part, tuple):
                self.texts.append(plain_text(self.parser.parsebytes(part[1])))
        self.last_uid = max(uids)
        return any(text in seen for seen in self.texts)

    def close(self):
        self.connection.logout()


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


def figures(values):
    return (
        f"p50 {percentile(values, 0.5):.2f} s, p95 {percentile(values, 0.95):.2f} s, "
        f"max {max(values):.2f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", required=True, help="bench.json of running mail servers")
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--db", required=True, help="a database with mail_catcher installed")
    parser.add_argument("--count", type=int, default=50, help="replies to send (50)")
    parser.add_argument(
        "--pause", type=float, default=0.5, help="seconds between a reply's end and the next"
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
    sent = odoo.evaluate(DOCUMENTS.format(tag=tag, count=args.count, author=AUTHOR))
    bench.clear(CATCHER)

    print("Starting Odoo (--workers 2 --max-cron-threads 1) and the watcher", flush=True)
    config = odoo.write_config(logs / "odoo.conf")
    odoo.start_production(config)
    watcher = None
    to_chatter, to_mailbox, lost = [], [], 0
    try:
        watcher = odoo.spawn_watcher(logs / "watcher.log", config=config)
        wait_for_log(logs / "watcher.log", "watching started", watcher, timeout=120)
        bench.clear(AUTHOR)
        mailbox = Mailbox(bench, AUTHOR)
        connection = psycopg2.connect(
            dbname=args.db, host="127.0.0.1", user=os.environ.get("USER") or "root"
        )
        connection.autocommit = True
        with connection, connection.cursor() as cursor:
            for index, message_id in enumerate(sent):
                reply = reply_to(message_id, index, tag)
                start = time.monotonic()
                deadline = start + args.timeout
                bench.deliver(reply, CATCHER)
                if not wait_until_posted(cursor, reply["Message-ID"], deadline):
                    lost += 1
                    print(f"reply {index}: not posted within {args.timeout:g} s", flush=True)
                    continue
                to_chatter.append(time.monotonic() - start)
                if not mailbox.wait_for(f"Reply {tag} number {index}.", deadline):
                    lost += 1
                    print(f"reply {index}: author not told within {args.timeout:g} s", flush=True)
                    continue
                to_mailbox.append(time.monotonic() - start)
                if (index + 1) % 10 == 0:
                    print(f"{index + 1}/{len(sent)} replies", flush=True)
                time.sleep(args.pause)
        connection.close()
        mailbox.close()
    finally:
        if watcher is not None:
            OdooServer.stop_process(watcher)
        odoo.stop()

    if not to_mailbox:
        raise SystemExit(f"no reply made it through; see the logs in {logs}")
    met = percentile(to_mailbox, 0.95) <= TARGET_P95 and not lost
    print(f"Logs: {logs}")
    print(
        f"latency over {len(sent)} replies ({lost} lost), Odoo --workers 2 "
        f"--max-cron-threads 1 + IDLE watcher: reply to chatter {figures(to_chatter)}; "
        f"reply to the author's mailbox {figures(to_mailbox)} "
        f"(target p95 <= {TARGET_P95:g} s: {'met' if met else 'MISSED'})"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
