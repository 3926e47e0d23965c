"""`odoo-bin mail_catcher_watch`: watch the catcher mailboxes with IMAP IDLE and have
Odoo fetch a reply as soon as it arrives, instead of at the next run of the fetch cron
(every 5 minutes).

The watcher fetches nothing itself: it wakes the cron "Mail Catcher: fetch replies"
(`ir.cron._trigger()`, which NOTIFYs the cron threads of the Odoo servers), so that
every fetch keeps going through `fetchmail.server.fetch_mail()`, its lock and its
journal. It needs an Odoo server with a cron thread running on the same database.

    odoo-bin --addons-path=ADDONS mail_catcher_watch -c odoo.conf -d DATABASE
"""

import contextlib
import logging
import optparse
import os
import signal
import sys
import threading
import time
from pathlib import Path

from odoo import SUPERUSER_ID, api
from odoo.cli.command import Command
from odoo.cli.server import report_configuration
from odoo.modules.registry import Registry
from odoo.tools import config

from ..lib.imap_idle import (
    AFTER_IDLING,
    NOOP_POLL_SECONDS,
    idle,
    poll_with_noop,
    raw_connection,
    supports_idle,
)
from ..lib.mailbox import ImapMailbox

_logger = logging.getLogger(__name__)

FETCH_CRON = "mail_catcher.ir_cron_fetch_replies"
RELOAD_SECONDS = 5 * 60
BACKOFF_FIRST_SECONDS = 2
BACKOFF_MAX_SECONDS = 5 * 60
STABLE_SECONDS = 60
# Each IDLE is ended and renewed after a minute: a server whose IDLE stays silent, and
# tells of new mail only once the IDLE ends (GNU imap4d), is found out within a minute,
# and watched with NOOP from then on.
IDLE_CHECK_SECONDS = 60
# The settings whose change needs a new connection.
CONNECTION_FIELDS = ("server_type", "server", "port", "is_ssl", "user", "password", "imap_folder")


class MailCatcherWatch(Command):
    """Watch the mail catcher mailboxes (IMAP IDLE) and fetch replies as they arrive"""

    name = "mail_catcher_watch"

    def run(self, args):
        parser = config.parser
        parser.prog = f"{Path(sys.argv[0]).name} {self.name}"
        group = optparse.OptionGroup(
            parser,
            "Mail Catcher watcher",
            "Watch the catcher mailboxes of the database given by -d, and wake the fetch "
            "cron of the Odoo servers when mail arrives. Needs an Odoo server with a cron "
            "thread (--max-cron-threads >= 1) on that database.",
        )
        group.add_option(
            "--reload-interval",
            dest="mail_catcher_reload_interval",
            type="int",
            default=RELOAD_SECONDS,
            help="seconds between two readings of the list of catcher servers (default %default)",
        )
        parser.add_option_group(group)
        options = config.parse_config(args, setup_logging=True)
        database = config["db_name"]
        if not database or "," in database:
            sys.exit("mail_catcher_watch needs one database: -d DATABASE")
        watch = Watch(database, reload_interval=max(options.mail_catcher_reload_interval, 1))
        signal.signal(signal.SIGTERM, watch.stop_from_signal)
        signal.signal(signal.SIGINT, watch.stop_from_signal)
        report_configuration()
        sys.exit(watch.run())


class Watch:
    """The watchers of one database's catcher servers: one thread and one IMAP connection
    per server, kept in line with the companies' settings."""

    def __init__(self, database, reload_interval=RELOAD_SECONDS):
        self.database = database
        self.reload_interval = reload_interval
        self.stopping = threading.Event()
        self.watchers = {}  # server id -> MailboxWatcher
        self._registry = None
        self._registry_lock = threading.Lock()

    def registry(self):
        """The database's registry, reloaded when another process changed it (an
        upgrade, cleared caches)."""
        with self._registry_lock:
            self._registry = self._registry.check_signaling()
            return self._registry

    @contextlib.contextmanager
    def environment(self):
        with self.registry().cursor() as cr:
            yield api.Environment(cr, SUPERUSER_ID, {})

    def run(self):
        threading.current_thread().dbname = self.database
        _logger.info("Mail catcher watcher starting on database %s", self.database)
        try:
            self._registry = Registry(self.database)
        except Exception:
            _logger.exception("Cannot load the database %s", self.database)
            return 1
        while not self.stopping.is_set():
            try:
                self.update_watchers(self.catcher_servers())
            except Exception:
                # The database may be restarting: keep the watchers running, try later.
                _logger.exception("Cannot read the catcher servers; next try in %ss", 30)
                self.stopping.wait(30)
                continue
            self.stopping.wait(self.reload_interval)
        _logger.info("Mail catcher watcher stopping")
        for watcher in self.watchers.values():
            watcher.stop()
        return 0

    def stop_from_signal(self, signum, _frame):
        _logger.info("%s received", signal.Signals(signum).name)
        self.stopping.set()

    def catcher_servers(self):
        """{server id: (name, connection settings)} of the companies' confirmed IMAP
        catcher servers."""
        with self.environment() as env:
            servers = (
                env["fetchmail.server"]
                ._catcher_servers()
                .filtered(lambda server: server.active and server._get_connection_type() == "imap")
            )
            return {
                server.id: (server.name, tuple(server[field] for field in CONNECTION_FIELDS))
                for server in servers
            }

    def update_watchers(self, servers):
        for server_id, watcher in list(self.watchers.items()):
            if servers.get(server_id, (None, None))[1] != watcher.settings:
                reason = "changed" if server_id in servers else "no longer a catcher"
                _logger.info("Server %s %s: its watcher stops", watcher.server_name, reason)
                watcher.stop()
                del self.watchers[server_id]
        for server_id, (name, settings) in servers.items():
            if server_id not in self.watchers:
                watcher = MailboxWatcher(self, server_id, name, settings)
                self.watchers[server_id] = watcher
                watcher.start()
        if not self.watchers and not self.stopping.is_set():
            _logger.info(
                "No confirmed IMAP catcher server on %s; looking again in %ss",
                self.database,
                self.reload_interval,
            )

    def trigger_fetch(self):
        """Have the cron threads run the fetch cron now: `_trigger` adds a trigger and,
        at commit, NOTIFYs the cron threads, which wake up at once."""
        with self.environment() as env:
            cron = env.ref(FETCH_CRON)
            triggered = cron._trigger()
            env.cr.commit()
            if not triggered:
                _logger.warning("The cron %r is inactive: nothing will fetch", cron.name)


class MailboxWatcher(threading.Thread):
    """One catcher mailbox: connect, select the folder, wait for new mail, trigger the
    fetch; reconnect with a growing delay after any error."""

    def __init__(self, watch, server_id, server_name, settings):
        super().__init__(name=f"mail_catcher_watch.{server_id}", daemon=True)
        self.watch = watch
        self.server_id = server_id
        self.server_name = server_name
        self.settings = settings
        self.stopping = threading.Event()
        # Written to on stop: wakes the select() of an IDLE without waiting for the server.
        self._wakeup_read, self._wakeup_write = os.pipe()

    def stop(self, timeout=10):
        self.stopping.set()
        os.write(self._wakeup_write, b"x")
        self.join(timeout)
        if self.is_alive():
            _logger.warning("The watcher of %s did not stop within %ss", self.server_name, timeout)
            return
        os.close(self._wakeup_read)
        os.close(self._wakeup_write)

    def run(self):
        threading.current_thread().dbname = self.watch.database
        backoff = BACKOFF_FIRST_SECONDS
        while not self.stopping.is_set() and not self.watch.stopping.is_set():
            connection = None
            connected_at = None
            try:
                connection, folder = self.connect()
                connected_at = time.monotonic()
                self.watch_mailbox(connection, folder)
            except Exception as error:
                # Only a connection that held a while resets the delay: one that fails
                # right after the login (IDLE refused, say) must not loop every 2 s.
                if connected_at and time.monotonic() - connected_at > STABLE_SECONDS:
                    backoff = BACKOFF_FIRST_SECONDS
                if self.stopping.is_set() or self.watch.stopping.is_set():
                    break
                _logger.warning(
                    "Watching %s failed: %s; reconnecting in %ss",
                    self.server_name,
                    error,
                    backoff,
                    exc_info=_logger.isEnabledFor(logging.DEBUG),
                )
                self.stopping.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX_SECONDS)
            finally:
                if connection is not None:
                    self.logout(connection)
        _logger.info("Stopped watching %s", self.server_name)

    def connect(self):
        """Log in with the server's own settings (and its overrides of `connect`), in a
        cursor that is closed at once: the connection outlives it."""
        with self.watch.environment() as env:
            server = env["fetchmail.server"].browse(self.server_id)
            connection = raw_connection(server.connect())
            folder = server.imap_folder
        try:
            # Read-only (EXAMINE): watching must not change the flags the fetch relies on.
            if not ImapMailbox(connection).open(folder, readonly=True):
                raise connection.error(f"cannot open the folder {folder}")
        except Exception:
            self.logout(connection)
            raise
        return connection, folder

    def watch_mailbox(self, connection, folder):
        use_idle = supports_idle(connection)
        _logger.info(
            "Watching %s, folder %s, %s",
            self.server_name,
            folder,
            "with IDLE" if use_idle else f"with a NOOP every {NOOP_POLL_SECONDS:g}s (no IDLE)",
        )
        # Mail may have arrived while nobody watched: before this start, or while
        # the connection was down.
        self.trigger("watching started")
        wait = idle if use_idle else poll_with_noop
        while not self.stopping.is_set() and not self.watch.stopping.is_set():
            announced = wait(connection, IDLE_CHECK_SECONDS, interrupt=self._wakeup_read)
            if announced:
                self.trigger("new mail")
            if announced == AFTER_IDLING:
                _logger.info(
                    "%s announces new mail only once an IDLE ends: a NOOP every %gs instead",
                    self.server_name,
                    NOOP_POLL_SECONDS,
                )
                wait = poll_with_noop

    def trigger(self, reason):
        self.watch.trigger_fetch()
        _logger.info("%s: %s, fetch cron triggered", self.server_name, reason)

    def logout(self, connection):
        with contextlib.suppress(Exception):
            connection.logout()
