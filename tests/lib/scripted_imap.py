"""A scripted IMAP4rev1 server for the tests that run without a database.

It stands in for the IMAP servers these tests cannot run, and gives on demand the answers no
real server gives at will: `answers` replaces the tagged answer to a command (`BAD` to a MOVE
that is advertised, `NO` to a CREATE...). It speaks as much of RFC 3501, UIDPLUS (RFC 4315),
MOVE (RFC 6851), SPECIAL-USE (RFC 6154) and IDLE (RFC 2177) as Python's imaplib needs, over
plain TCP on 127.0.0.1, one thread per connection.

Deliberate simplifications: no TLS, no AUTHENTICATE, no APPEND (tests add mails with
`append()`), no literals from the client; FETCH, STORE, COPY, MOVE and SEARCH by UID only, the
way the client works. The folders are shared, but the sequence numbers a connection sees are
always those of the folder as it is now: another connection's expunges are not held back until
announced, so tests that expunge should use one connection at a time.
"""

import contextlib
import re
import socket
import socketserver
import threading
from dataclasses import dataclass, field
from datetime import date, datetime

_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_SYSTEM_FLAGS = ("\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft")
# System flags are case-insensitive on the wire; stored flags use their usual spelling.
_CANONICAL_FLAGS = {flag.lower(): flag for flag in _SYSTEM_FLAGS}
_FLAG_SEARCH_KEYS = {
    "SEEN": ("\\Seen", True),
    "UNSEEN": ("\\Seen", False),
    "DELETED": ("\\Deleted", True),
    "UNDELETED": ("\\Deleted", False),
}
_FETCH_ITEMS = {"UID", "FLAGS", "BODY[]", "BODY.PEEK[]"}
_BEFORE_LOGIN = {"CAPABILITY", "NOOP", "LOGIN", "LOGOUT"}
_IN_FOLDER = {"EXPUNGE", "CLOSE", "UID"}
# (UID) commands that change the selected folder, refused when it was opened by EXAMINE.
_WRITING = {"EXPUNGE", "STORE", "MOVE"}
# A quoted string, a parenthesis, or an atom (which includes `BODY.PEEK[]`, `\Seen`, `1:*`).
_TOKEN = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|(\()|(\))|([^\s()"]+))')
_DATE = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})$")


class _Bad(Exception):
    """A command the server cannot read, or not in this state: answered `BAD <reason>`."""


@dataclass(eq=False)
class Message:
    """A mail of a folder; `flags` holds system flags as `\\Seen` and keywords as sent."""

    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)
    # SEARCH SINCE compares this by day; a test may set it back to age a mail.
    internal_date: datetime = field(default_factory=lambda: datetime.now().astimezone())


@dataclass(eq=False)
class Folder:
    """A mailbox; its messages are in UID order, so a message's index is its sequence number
    minus one."""

    name: str
    uidvalidity: int
    special_use: str | None = None
    messages: list[Message] = field(default_factory=list)
    uidnext: int = 1

    def store(self, raw, flags):
        message = Message(self.uidnext, raw, {_flag(flag) for flag in flags})
        self.uidnext += 1
        self.messages.append(message)
        return message


class ScriptedImapServer:
    """The server and its state, which the test reads and changes between commands."""

    host = "127.0.0.1"

    def __init__(
        self,
        capabilities=("IMAP4rev1", "UIDPLUS", "MOVE", "SPECIAL-USE", "IDLE"),
        separator=".",
        user="catcher",
        password="secret",
        answers=None,
        refused_characters="/",
    ):
        self.capabilities = tuple(capabilities)
        self.separator = separator
        self.user = user
        self.password = password
        self.answers = {name.upper(): answer for name, answer in (answers or {}).items()}
        self.refused_characters = refused_characters
        self.folders = {}
        self.commands = []
        self.port = None
        # One lock for the whole state: the sessions' threads and the test's own calls.
        self._lock = threading.RLock()
        self._sessions = set()
        self._uidvalidities = iter(range(1, 1 << 31))
        self._server = None
        self._thread = None
        self.add_folder("INBOX")

    def start(self):
        self._server = socketserver.ThreadingTCPServer((self.host, 0), _Session)
        self._server.daemon_threads = True
        self._server.imap = self
        self.port = self._server.server_address[1]
        # A short poll keeps stop(), which waits for the loop to notice, quick.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()
        # Clients that never logged out would otherwise keep their threads reading forever.
        with self._lock:
            for session in self._sessions:
                with contextlib.suppress(OSError):
                    session.request.shutdown(socket.SHUT_RDWR)
        self._thread.join()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    def add_folder(self, name, special_use=None):
        with self._lock:
            if name in self.folders:
                raise ValueError(f"the folder {name} exists already")
            self.folders[name] = Folder(name, next(self._uidvalidities), special_use)
            return self.folders[name]

    def append(self, folder, raw, flags=()):
        with self._lock:
            return self._deliver(self.folders[folder], raw, flags).uid

    def folder(self, name):
        return self.folders[name]

    def _deliver(self, folder, raw, flags):
        """Store a mail, and tell the clients idling on its folder, as a real server would."""
        message = folder.store(raw, flags)
        for session in self._sessions:
            if session.idling and session.selected is folder:
                session.announce_new_mail()
        return message


class _Session(socketserver.StreamRequestHandler):
    """One client connection: its login, its selected folder, its IDLE."""

    # Each answer line is its own write: Nagle's algorithm would hold them back.
    disable_nagle_algorithm = True

    def setup(self):
        result = super().setup()
        self.imap = self.server.imap
        self.logged_in = False
        self.selected = None
        self.readonly = False
        self.announced = 0  # how many mails the client was told the selected folder holds
        self.idling = False
        return result

    def handle(self):
        with self.imap._lock:
            self.send(f"* OK [CAPABILITY {' '.join(self.imap.capabilities)}] ready")
            self.imap._sessions.add(self)
        try:
            while (line := self.rfile.readline()) and self.run(line.decode(errors="replace")):
                pass
        except OSError:  # the client went away, or stop() cut the connection
            return
        finally:
            with self.imap._lock:
                self.imap._sessions.discard(self)

    def send(self, line):
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def run(self, line):
        """Answer one command line; False when the connection is to be closed."""
        tag, _, rest = line.rstrip("\r\n").partition(" ")
        name, _, text = rest.partition(" ")
        name = name.upper()
        if not name:
            self.send("* BAD Missing command")
            return True
        with self.imap._lock:
            self.imap.commands.append(line.rstrip("\r\n"))
            answer_name = text.partition(" ")[0].upper() if name == "UID" else name
            if answer_name in self.imap.answers:
                self.send(f"{tag} {self.imap.answers[answer_name]}")
                return True
            if name == "IDLE" and "IDLE" in self.imap.capabilities and self.logged_in:
                return self.idle(tag)
            if name == "LOGOUT":
                self.send("* BYE Logging out")
                self.send(f"{tag} OK Logout completed")
                return False
            try:
                answer = self.dispatch(name, text)
            except _Bad as bad:
                answer = f"BAD {bad}"
            self.send(f"{tag} {answer}")
        return True

    def dispatch(self, name, text):
        command = getattr(self, f"command_{name.lower()}", None)
        if command is None:
            raise _Bad(f"Unknown command {name}")
        if not self.logged_in and name not in _BEFORE_LOGIN:
            raise _Bad("Log in first")
        if self.selected is None and name in _IN_FOLDER:
            raise _Bad("No mailbox selected")
        writing = text.partition(" ")[0].upper() if name == "UID" else name
        if self.readonly and writing in _WRITING:
            return "NO [READ-ONLY] Mailbox is read-only"
        return command(text)

    def announce_new_mail(self):
        count = len(self.selected.messages) if self.selected else 0
        if count > self.announced:
            self.send(f"* {count} EXISTS")
            self.announced = count

    # Not authenticated -----------------------------------------------------------------

    def command_capability(self, text):
        self.send(f"* CAPABILITY {' '.join(self.imap.capabilities)}")
        return "OK Capability completed"

    def command_noop(self, text):
        self.announce_new_mail()  # what clients without IDLE poll for
        return "OK NOOP completed"

    def command_login(self, text):
        user, password = _arguments(text, 2)
        if (user, password) != (self.imap.user, self.imap.password):
            return "NO [AUTHENTICATIONFAILED] Authentication failed."
        self.logged_in = True
        return "OK Logged in"

    # Authenticated -----------------------------------------------------------------------

    def command_list(self, text):
        arguments = _parse(text)
        special_use_only = False
        if arguments and isinstance(arguments[0], list):  # selection options (RFC 5258)
            special_use_only = "SPECIAL-USE" in (option.upper() for option in arguments.pop(0))
        if len(arguments) < 2 or not all(isinstance(arg, str) for arg in arguments[:2]):
            raise _Bad("Invalid arguments")
        separator = self.imap.separator
        reference, pattern = arguments[:2]  # RETURN options after them are ignored
        if not pattern:
            self.send(f'* LIST (\\Noselect) {_quote(separator)} ""')
            return "OK List completed"
        wildcards = {r"\*": ".*", "%": f"[^{re.escape(separator)}]*"}
        regex = "".join(
            wildcards.get(part, part)
            for part in re.split(r"(\\\*|%)", re.escape(reference + pattern))
        )
        for name, folder in self.imap.folders.items():
            if not re.fullmatch(regex, name) or (special_use_only and not folder.special_use):
                continue
            has_children = any(other.startswith(name + separator) for other in self.imap.folders)
            attributes = ["\\HasChildren" if has_children else "\\HasNoChildren"]
            attributes += [folder.special_use] if folder.special_use else []
            self.send(f"* LIST ({' '.join(attributes)}) {_quote(separator)} {_quote(name)}")
        return "OK List completed"

    def command_create(self, text):
        (name,) = _arguments(text, 1)
        name = _mailbox(name)
        if not name:
            raise _Bad("Empty mailbox name")
        if name in self.imap.folders:
            return "NO [ALREADYEXISTS] Mailbox already exists"
        for character in self.imap.refused_characters:
            if character in name:
                return (
                    f"NO [CANNOT] Invalid mailbox name: Name must not have '{character}' characters"
                )
        # The missing superior levels are created too (RFC 3501 6.3.3).
        levels = name.split(self.imap.separator)
        for depth in range(1, len(levels) + 1):
            level = self.imap.separator.join(levels[:depth])
            if level not in self.imap.folders:
                self.imap.add_folder(level)
        return "OK Create completed"

    def command_select(self, text, readonly=False):
        (name,) = _arguments(text, 1)
        self.selected = None  # a failed SELECT leaves no folder selected (RFC 3501 6.3.1)
        folder = self.imap.folders.get(_mailbox(name))
        if folder is None:
            return "NO [NONEXISTENT] Mailbox doesn't exist"
        self.selected, self.readonly, self.announced = folder, readonly, len(folder.messages)
        self.send(f"* FLAGS ({' '.join(_SYSTEM_FLAGS)})")
        self.send(f"* OK [PERMANENTFLAGS ({' '.join(_SYSTEM_FLAGS)} \\*)] Flags permitted")
        self.send(f"* {len(folder.messages)} EXISTS")
        self.send("* 0 RECENT")
        self.send(f"* OK [UIDVALIDITY {folder.uidvalidity}] UIDs valid")
        self.send(f"* OK [UIDNEXT {folder.uidnext}] Predicted next UID")
        if readonly:
            return "OK [READ-ONLY] Examine completed"
        return "OK [READ-WRITE] Select completed"

    def command_examine(self, text):
        return self.command_select(text, readonly=True)

    # Selected ----------------------------------------------------------------------------

    def command_uid(self, text):
        name, _, rest = text.partition(" ")
        command = getattr(self, f"uid_{name.lower()}", None)
        if command is None:
            raise _Bad(f"Unknown command UID {name}")
        return command(rest)

    def uid_search(self, text):
        arguments = _parse(text)
        if arguments[:1] and str(arguments[0]).upper() == "CHARSET":
            arguments = arguments[2:]
        found = self.selected.messages
        keys = iter(arguments)
        for key in keys:  # the keys are ANDed
            if isinstance(key, list):
                raise _Bad("Nested search keys are not supported")
            test = self.search_key(key.upper(), keys)
            found = [message for message in found if test(message)]
        self.send("* SEARCH" + "".join(f" {message.uid}" for message in found))
        return "OK Search completed"

    def search_key(self, key, keys):
        """The test of one search key on a message; takes the key's argument from `keys`."""
        if key == "ALL":
            return lambda message: True
        if key in _FLAG_SEARCH_KEYS:
            flag, present = _FLAG_SEARCH_KEYS[key]
            return lambda message: (flag in message.flags) == present
        if key not in ("UID", "SINCE"):
            raise _Bad(f"Unknown search key {key}")
        argument = next(keys, None)
        if not isinstance(argument, str):
            raise _Bad(f"Missing argument to {key}")
        if key == "UID":
            uids = {message.uid for _number, message in self.matching(argument)}
            return lambda message: message.uid in uids
        day = _date(argument)
        return lambda message: message.internal_date.date() >= day

    def uid_fetch(self, text):
        sequence, *items = _arguments(text, None)
        items = items[0] if len(items) == 1 and isinstance(items[0], list) else items
        items = [str(item).upper() for item in items]
        if not items or not set(items) <= _FETCH_ITEMS:
            raise _Bad("Unsupported FETCH items")
        if "UID" not in items:
            items.insert(0, "UID")  # a UID FETCH always answers the UID (RFC 3501 6.4.8)
        for number, message in self.matching(sequence):
            answered = items
            if "BODY[]" in items and not self.readonly and "\\Seen" not in message.flags:
                message.flags.add("\\Seen")
                answered = items if "FLAGS" in items else [*items, "FLAGS"]
            parts = [_fetch_item(item, message) for item in answered]
            self.send(b"* %d FETCH (" % number + b" ".join(parts) + b")")
        return "OK Fetch completed"

    def uid_store(self, text):
        sequence, mode, flags = _arguments(text, 3)
        flags = {_flag(flag) for flag in (flags if isinstance(flags, list) else [flags])}
        mode = mode.upper()
        silent = mode.endswith(".SILENT")
        mode = mode.removesuffix(".SILENT")
        if mode not in ("FLAGS", "+FLAGS", "-FLAGS"):
            raise _Bad(f"Unknown STORE mode {mode}")
        for number, message in self.matching(sequence):
            if mode == "FLAGS":
                message.flags.clear()
            if mode == "-FLAGS":
                message.flags.difference_update(flags)
            else:
                message.flags.update(flags)
            if not silent:
                self.send(f"* {number} FETCH (UID {message.uid} FLAGS ({_flags(message)}))")
        return "OK Store completed"

    def uid_copy(self, text):
        return self.copy_into(text, move=False)

    def uid_move(self, text):
        if "MOVE" not in self.imap.capabilities:
            raise _Bad("Unknown command UID MOVE")
        return self.copy_into(text, move=True)

    def copy_into(self, text, move):
        sequence, name = _arguments(text, 2)
        target = self.imap.folders.get(_mailbox(name))
        if target is None:
            return "NO [TRYCREATE] Mailbox doesn't exist"
        picked = [message for _number, message in self.matching(sequence)]
        copies = [self.imap._deliver(target, message.raw, message.flags) for message in picked]
        copyuid = None
        if picked and "UIDPLUS" in self.imap.capabilities:
            sources, targets = (",".join(str(m.uid) for m in ms) for ms in (picked, copies))
            copyuid = f"COPYUID {target.uidvalidity} {sources} {targets}"
        if not move:
            return f"OK [{copyuid}] Copy completed" if copyuid else "OK Copy completed"
        if copyuid:
            self.send(f"* OK [{copyuid}] Moved")
        self.expunge(set(picked))
        return "OK Move completed"

    def command_expunge(self, text):
        self.expunge({m for m in self.selected.messages if "\\Deleted" in m.flags})
        return "OK Expunge completed"

    def uid_expunge(self, text):
        if "UIDPLUS" not in self.imap.capabilities:
            raise _Bad("Unknown command UID EXPUNGE")
        (sequence,) = _arguments(text, 1)
        picked = self.matching(sequence)
        self.expunge({message for _number, message in picked if "\\Deleted" in message.flags})
        return "OK Expunge completed"

    def command_close(self, text):
        if not self.readonly:  # CLOSE expunges silently (RFC 3501 6.4.2)
            deleted = {m for m in self.selected.messages if "\\Deleted" in m.flags}
            self.expunge(deleted, announce=False)
        self.selected = None
        return "OK Close completed"

    def idle(self, tag):
        """Called holding the lock: it is let go while waiting for DONE, so that `append()`
        can announce new mail meanwhile."""
        self.send("+ idling")
        self.idling = True
        self.announce_new_mail()
        self.imap._lock.release()
        try:
            line = self.rfile.readline()
        finally:
            self.imap._lock.acquire()
        self.idling = False
        if not line:
            return False
        done = line.strip().upper() == b"DONE"
        self.send(f"{tag} OK Idle completed" if done else f"{tag} BAD Expected DONE")
        return True

    def matching(self, uid_set):
        """[(sequence number, message)] of the selected folder whose UID is in `uid_set`;
        UIDs that do not exist are skipped (RFC 3501 6.4.8)."""
        messages = self.selected.messages
        ranges = _uid_ranges(uid_set, messages[-1].uid if messages else 0)
        return [(n, m) for n, m in enumerate(messages, 1) if _within(m.uid, ranges)]

    def expunge(self, doomed, announce=True):
        """Remove `doomed` from the selected folder. Each `* n EXPUNGE` counts the sequence
        numbers as they are after the previous ones, as RFC 3501 7.4.1 requires."""
        kept = []
        for message in self.selected.messages:
            if message not in doomed:
                kept.append(message)
            elif announce:
                self.send(f"* {len(kept) + 1} EXPUNGE")
        self.announced -= len(self.selected.messages) - len(kept)
        self.selected.messages[:] = kept


def _parse(text):
    """A command's arguments: atoms and quoted strings as str, parenthesized lists as lists."""
    stack = [[]]
    position, text = 0, text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise _Bad("Invalid arguments")
        quoted, opening, closing, atom = match.groups()
        position = match.end()
        if opening:
            stack.append([])
        elif closing:
            if len(stack) == 1:
                raise _Bad("Unbalanced parentheses")
            closed = stack.pop()
            stack[-1].append(closed)
        else:
            stack[-1].append(atom if atom is not None else re.sub(r"\\(.)", r"\1", quoted))
    if len(stack) != 1:
        raise _Bad("Unbalanced parentheses")
    return stack[0]


def _arguments(text, count):
    """The arguments of a command that takes `count` of them (None: any number, at least
    one), the first being a string."""
    arguments = _parse(text)
    if (count is not None and len(arguments) != count) or not arguments:
        raise _Bad("Wrong number of arguments")
    if not isinstance(arguments[0], str):
        raise _Bad("Invalid arguments")
    return arguments


def _uid_ranges(text, star):
    """[(low, high)] of an IMAP sequence set. `*` is the highest UID in use, so that `n:*`
    always holds it, even when n is above it (RFC 3501 6.4.8)."""
    ranges = []
    for part in text.split(","):
        bounds = [star if bound == "*" else bound for bound in part.split(":")]
        if len(bounds) > 2 or not all(str(bound).isdigit() for bound in bounds):
            raise _Bad("Invalid messageset")
        bounds = [int(bound) for bound in bounds]
        ranges.append((min(bounds), max(bounds)))
    return ranges


def _within(number, ranges):
    return any(low <= number <= high for low, high in ranges)


def _date(text):
    match = _DATE.match(text)
    if not match or match.group(2).title() not in _MONTHS:
        raise _Bad(f"Invalid date {text}")
    day, month, year = match.groups()
    return date(int(year), _MONTHS.index(month.title()) + 1, int(day))


def _mailbox(name):
    """INBOX is case-insensitive (RFC 3501 5.1); other names are opaque strings."""
    return "INBOX" if name.upper() == "INBOX" else name


def _flag(name):
    return _CANONICAL_FLAGS.get(name.lower(), name)


def _flags(message):
    return " ".join(sorted(message.flags))


def _fetch_item(item, message):
    if item == "UID":
        return b"UID %d" % message.uid
    if item == "FLAGS":
        return f"FLAGS ({_flags(message)})".encode()
    # BODY.PEEK[] is answered as BODY[]; the mail goes as a literal.
    return b"BODY[] {%d}\r\n" % len(message.raw) + message.raw


def _quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
