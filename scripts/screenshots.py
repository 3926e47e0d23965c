"""Screenshots of the main screens of a running Odoo with mail_catcher (the demo), taken
with headless Chromium, for the README: python scripts/screenshots.py [--url URL]."""

import argparse
import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import websocket
from odoo_process import free_port

SCREENS = [
    ("settings", "/odoo/settings", "document.querySelector('#mail_catcher_setting')"),
    ("setup", "/odoo/action-mail_catcher.mail_catcher_setup_action", None),
    ("journal", "/odoo/action-mail_catcher.mail_catcher_message_action", None),
    ("health", "/odoo/action-mail_catcher.fetchmail_server_action_health", None),
    (
        "invoice",
        "/odoo/action-account.action_move_out_invoice_type/1",
        "document.querySelector('.o-mail-Chatter')",
    ),
    ("templates", "/odoo/action-mail.action_email_template_tree_all", None),
]


def session_id(url, database, login, password):
    payload = {"params": {"db": database, "login": login, "password": password}}
    request = urllib.request.Request(
        f"{url}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as response:
        cookie = response.headers.get("Set-Cookie", "")
    return cookie.split("session_id=", 1)[1].split(";", 1)[0]


class Browser:
    def __init__(self):
        self.port = free_port()
        self.profile = tempfile.mkdtemp(prefix="mc-chromium-")
        self.process = subprocess.Popen(
            [
                shutil.which("chromium") or "/usr/bin/chromium",
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1366,860",
                f"--remote-debugging-port={self.port}",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json") as answer:
                    pages = [t for t in json.load(answer) if t["type"] == "page"]
                if pages:
                    break
            except OSError:
                pass
            time.sleep(0.1)
        self.socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"])
        self.next_id = 0

    def call(self, method, **params):
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            answer = json.loads(self.socket.recv())
            if answer.get("id") == self.next_id:
                return answer.get("result", {})

    def wait_for(self, expression, timeout=20):
        """Until the page shows what `expression` finds (Odoo renders after loading)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.call("Runtime.evaluate", expression=f"!!({expression})")
            if found.get("result", {}).get("value"):
                return
            time.sleep(0.3)

    def close(self):
        self.socket.close()
        self.process.terminate()
        self.process.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", default="mail_catcher_demo")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parents[1] / "docs"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    browser = Browser()
    try:
        host = args.url.split("://", 1)[1].split(":", 1)[0].split("/", 1)[0]
        browser.call(
            "Network.setCookie",
            name="session_id",
            value=session_id(args.url, args.db, args.login, args.password),
            domain=host,
            path="/",
        )
        for name, path, focus in SCREENS:
            browser.call("Page.navigate", url=args.url + path)
            browser.wait_for(focus or "document.querySelector('.o_view_controller, .modal')")
            time.sleep(1.5)
            if focus:
                browser.call("Runtime.evaluate", expression=f"{focus}?.scrollIntoView()")
                time.sleep(1)
            shot = browser.call("Page.captureScreenshot", format="png")
            (out / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
            print(out / f"{name}.png")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
