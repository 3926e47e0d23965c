"""An Odoo process on a database, for the end-to-end tests and the benchmark: a real
`odoo-bin` server driven over JSON-RPC, and `odoo-bin shell` runs of Python code, each in
a process of its own, as another worker or host would run it."""

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OdooServer:
    """A real `odoo-bin` process serving a database, and a JSON-RPC client for it."""

    def __init__(self, database, addons_path, log_path):
        self.database = database
        self.addons_path = addons_path
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None

    def command(self, *args, subcommand=()):
        """odoo-bin on the database; the addons path comes first, as Odoo looks for the
        addons' commands (mail_catcher_watch) before it reads the rest of the line."""
        odoo_home = os.environ.get("ODOO_HOME", "/opt/odoo")
        return [
            sys.executable,
            f"{odoo_home}/odoo-bin",
            f"--addons-path={self.addons_path}",
            *subcommand,
            "--db_host=127.0.0.1",
            f"--db_user={os.environ.get('USER') or 'root'}",
            "-d",
            self.database,
            *args,
        ]

    def shell(self, script, **env):
        """Runs a script of scripts/odoo inside `odoo-bin shell` on the test database."""
        result = self.run_python(Path(script).read_text(), env=env)
        if result.returncode:
            raise RuntimeError(f"{script} failed:\n{result.stderr[-3000:]}")

    def run_python(self, code, env=None, log_level="warn"):
        """Runs Python code in an Odoo process of its own (`odoo-bin shell`, which gives
        `env`), as a second worker or host would; returns the finished process."""
        return subprocess.run(
            self.command("--no-http", f"--log-level={log_level}", subcommand=["shell"]),
            input=code,
            text=True,
            env={**os.environ, **(env or {})},
            capture_output=True,
            timeout=600,
        )

    def spawn_python(self, code, log_level="info"):
        """Like run_python, without waiting: returns the running process, whose output
        goes to files (a pipe left unread would block it)."""
        output = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (read by finish())
        process = subprocess.Popen(
            self.command("--no-http", f"--log-level={log_level}", subcommand=["shell"]),
            stdin=subprocess.PIPE,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
        )
        process.stdin.write(code)
        process.stdin.close()
        process.output = output
        return process

    @staticmethod
    def finish(process, timeout=600):
        """Waits for a spawned process; returns (exit code, its output)."""
        returncode = process.wait(timeout=timeout)
        process.output.seek(0)
        text = process.output.read()
        process.output.close()
        return returncode, text

    def evaluate(self, code, **env):
        """Runs code that sets `result` and returns it (through JSON)."""
        wrapped = f"import json\n{code}\nenv.cr.commit()\nprint('RESULT:' + json.dumps(result))\n"
        finished = self.run_python(wrapped, env=env)
        for line in finished.stdout.splitlines():
            if line.startswith("RESULT:"):
                return json.loads(line[len("RESULT:") :])
        raise RuntimeError(f"no result (exit {finished.returncode}):\n{finished.stderr[-4000:]}")

    def start(self, *options, max_cron_threads=0):
        """Serves the database; without cron threads by default, so that tests run the
        crons when they choose to. `options` go last, so they override the defaults."""
        self.log = open(self.log_path, "ab")  # noqa: SIM115 (open as long as the server runs)
        self.process = subprocess.Popen(
            self.command(
                f"--http-port={self.port}",
                "--http-interface=127.0.0.1",
                f"--gevent-port={free_port()}",
                f"--max-cron-threads={max_cron_threads}",
                f"--db-filter=^{self.database}$",
                *options,
            ),
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Odoo exited at start; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"Odoo did not answer within 120 s; see {self.log_path}")

    def write_config(self, path):
        """An odoo.conf as an admin writes one for this database's server; returns its path."""
        path = Path(path)
        path.write_text(
            "[options]\n"
            f"addons_path = {self.addons_path}\n"
            "db_host = 127.0.0.1\n"
            f"db_user = {os.environ.get('USER') or 'root'}\n"
        )
        return path

    def start_production(self, config):
        """Serves the database as production runs Odoo: from its odoo.conf, in
        multi-process mode with two HTTP workers and one cron worker."""
        return self.start("-c", str(config), "--workers=2", max_cron_threads=1)

    def spawn_watcher(self, log_path, *args, config=None):
        """Starts the addon's `mail_catcher_watch` command on the database; returns the
        running process. With `config`, exactly as the README's systemd unit starts it."""
        if config:
            odoo_home = os.environ.get("ODOO_HOME", "/opt/odoo")
            command = [
                sys.executable,
                f"{odoo_home}/odoo-bin",
                f"--addons-path={self.addons_path}",
                "mail_catcher_watch",
                "-c",
                str(config),
                "-d",
                self.database,
                *args,
            ]
        else:
            command = self.command(*args, subcommand=["mail_catcher_watch"])
        with open(log_path, "ab") as log:
            return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    @staticmethod
    def stop_process(process, timeout=30):
        """SIGTERM, then SIGKILL if it does not end in time."""
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return process.returncode

    def stop(self):
        if self.process:
            self.stop_process(self.process)
        self.log.close()

    def login(self, login, password):
        uid = self.call("common", "login", self.database, login, password)
        if not uid:
            raise AssertionError(f"{login} cannot log in")
        return Session(self, uid, password)

    def call(self, service, method, *args):
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"service": service, "method": method, "args": args},
        }
        request = urllib.request.Request(
            f"{self.url}/jsonrpc",
            data=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=300) as response:
            answer = json.load(response)
        if "error" in answer:
            error = answer["error"]
            raise RpcError(error["data"].get("message") or error["message"], error)
        return answer["result"]


class RpcError(Exception):
    def __init__(self, message, error):
        super().__init__(message)
        self.error = error


class Session:
    """One user's JSON-RPC session: what that user may do through the web client."""

    def __init__(self, server, uid, password):
        self.server = server
        self.uid = uid
        self.password = password

    def __call__(self, model, method, *args, **kwargs):
        return self.server.call(
            "object",
            "execute_kw",
            self.server.database,
            self.uid,
            self.password,
            model,
            method,
            list(args),
            kwargs,
        )

    def ref(self, xmlid):
        module, name = xmlid.split(".")
        [data] = self(
            "ir.model.data",
            "search_read",
            [("module", "=", module), ("name", "=", name)],
            ["res_id"],
        )
        return data["res_id"]
