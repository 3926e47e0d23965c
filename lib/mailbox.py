"""The catcher's mailbox as a fetch drives it, batch by batch: where fetching starts, the
new mails, a batch of them, their acknowledgement, the goodbye. IMAP and POP behind one
small interface. Nothing here knows Odoo: the fetch hands over a logged-in connection,
and each call returns what happened for the fetch to record; nothing calls back up.

What an IMAP server can do is read once per connection: MOVE (RFC 6851), UIDPLUS (RFC
4315: `UID EXPUNGE` removes our mails only, where a plain EXPUNGE removes every mail a
person marked deleted), IDLE, SPECIAL-USE, and the hierarchy separator.
"""

import contextlib
import imaplib
import poplib
from dataclasses import dataclass

from .imap import new_uids, parse_fetch, search_criteria, uid_set
from .imap_folders import admin_path, junk_folder, parse_list, wire_name

FLAG = "flag"
MOVE = "move"
DELETE = "delete"


class FolderRefused(Exception):
    """The server refuses a folder name, or to open the folder."""

    def __init__(self, folder, answer):
        super().__init__(f"{folder}: {answer}")
        self.folder = folder
        self.answer = answer


@dataclass(frozen=True)
class FolderState:
    """A selected folder: its UIDVALIDITY, how many mails it holds, and the UID its next
    mail will get (None where the server does not say)."""

    uidvalidity: str
    count: int
    uidnext: int | None = None


@dataclass(frozen=True)
class Acknowledgement:
    """What was done on the server to a batch: `done` is FLAG, MOVE or DELETE (FLAG when
    the server could not do what was asked); `problem` says why, when it could not."""

    done: str
    problem: str | None = None


def _answer(data):
    return b" ".join(part for part in data if isinstance(part, bytes)).decode(errors="replace")


class ImapMailbox:
    def __init__(self, connection):
        # Odoo's fetchmail wraps imaplib's object, and its wrapper lacks some commands.
        self.imap = getattr(connection, "__obj__", connection)
        _status, data = self.imap.capability()
        self.capabilities = frozenset(_answer(data).upper().split())
        self.separator = self._separator()
        self.selected = None
        # Whether `UID SEARCH UID n:*` can be trusted, once known (see new_mails).
        self._searches_uid_ranges = None

    def _separator(self):
        status, data = self.imap.list('""', '""')
        listed = parse_list(data) if status == "OK" else []
        return (listed[0][1] if listed else None) or "/"

    @property
    def can_move(self):
        return "MOVE" in self.capabilities

    @property
    def can_expunge_ours(self):
        return "UIDPLUS" in self.capabilities

    def name(self, folder):
        """The name to send for `folder`, typed by an admin with `/` between levels."""
        return "INBOX" if folder.strip().upper() == "INBOX" else wire_name(folder, self.separator)

    # Folders -----------------------------------------------------------------------------

    def folders(self):
        """[(attributes, separator, name with `/` levels)] of every folder."""
        status, data = self.imap.list('""', '"*"')
        if status != "OK":
            return []
        return [(attrs, sep, admin_path(name, sep)) for attrs, sep, name in parse_list(data)]

    def junk_folder(self):
        """The provider's Junk or Spam folder, as an admin would type it, or None."""
        return junk_folder(self.folders())

    def ensure_folder(self, folder):
        """Create `folder` unless it exists; FolderRefused when the server refuses it."""
        name = self.name(folder)
        status, data = self._command(self.imap.create, name)
        if status == "OK" or self.open(folder, readonly=True):
            return
        raise FolderRefused(folder, _answer(data))

    def open(self, folder, readonly=False):
        """Select `folder`: its FolderState, or None when it cannot be opened."""
        status, data = self._command(self.imap.select, self.name(folder), readonly)
        if status != "OK":
            return None
        uidvalidity = self.imap.response("UIDVALIDITY")[1][0]
        uidnext = self.imap.response("UIDNEXT")[1][0]
        self.selected = FolderState(
            uidvalidity.decode(), int(data[-1] or 0), int(uidnext) if uidnext else None
        )
        return self.selected

    # Fetching ----------------------------------------------------------------------------

    def highest_uid(self):
        """The UID below which every mail of the selected folder is there now (0 when
        empty): where "only new mails" starts. UIDNEXT less one, as SELECT says it; else
        the highest UID found."""
        if self.selected.uidnext:
            return self.selected.uidnext - 1
        _status, data = self.imap.uid("SEARCH", None, "ALL")
        return max(new_uids(data, 0), default=0)

    def new_mails(self, last_uid, since=None):
        """The UIDs above `last_uid` in the selected folder, received on or after `since`.
        Searched by UID range where the server answers such a search as RFC 3501 says, with
        at least the highest UID of a folder that holds mail; else (GNU imap4d answers
        nothing) every UID is searched and the new ones kept here."""
        if not self.selected.count:
            return []
        if self._searches_uid_ranges is None:
            _status, data = self.imap.uid("SEARCH", None, search_criteria(0))
            self._searches_uid_ranges = bool(new_uids(data, 0))
        criteria = search_criteria(last_uid if self._searches_uid_ranges else None, since)
        _status, data = self.imap.uid("SEARCH", None, criteria)
        return new_uids(data, last_uid)

    def fetch(self, uids):
        """{uid: raw mail} of a batch, leaving the mails unread."""
        _status, data = self.imap.uid("FETCH", uid_set(uids), "(BODY.PEEK[])")
        return parse_fetch(data)

    # Acknowledging -----------------------------------------------------------------------

    def acknowledge(self, uids, action, folder=None):
        """Mark read, move to `folder` or delete the mails `uids` of the selected folder. A
        refusal is not raised: the mails are marked read instead, and the Acknowledgement
        says why, so that the fetch goes on. A broken connection raises."""
        if not uids:
            return Acknowledgement(action)
        if action == FLAG:
            return self._flag(uids, None)
        if not (self.can_move or self.can_expunge_ours):
            return self._flag(
                uids,
                "the server offers neither MOVE nor UIDPLUS: moving or deleting would "
                "expunge the other mails marked deleted in the folder",
            )
        try:
            if action == MOVE:
                self._move(uids, folder)
            else:
                self._delete(uids)
        except FolderRefused as refused:
            return self._flag(uids, str(refused))
        return Acknowledgement(action)

    def _move(self, uids, folder):
        if self.can_move:
            status, data = self._into(folder, "MOVE", uids)
            if status == "OK":
                return
            if not self.can_expunge_ours:
                raise FolderRefused(folder, _answer(data))
        status, data = self._into(folder, "COPY", uids)
        if status != "OK":
            raise FolderRefused(folder, _answer(data))
        self._delete(uids)

    def _into(self, folder, command, uids):
        """MOVE or COPY into `folder`, made first if it went missing since (TRYCREATE)."""
        answer = self._command(self.imap.uid, command, uid_set(uids), self.name(folder))
        if answer[0] != "OK" and "[TRYCREATE]" in _answer(answer[1]).upper():
            self.ensure_folder(folder)
            answer = self._command(self.imap.uid, command, uid_set(uids), self.name(folder))
        return answer

    def _delete(self, uids):
        self._store(uids, r"(\Deleted)")
        status, data = self._command(self.imap.uid, "EXPUNGE", uid_set(uids))
        if status != "OK":
            raise FolderRefused("EXPUNGE", _answer(data))

    def _flag(self, uids, problem):
        self._store(uids, r"(\Seen)")
        return Acknowledgement(FLAG, problem)

    def _store(self, uids, flags):
        status, data = self._command(self.imap.uid, "STORE", uid_set(uids), "+FLAGS.SILENT", flags)
        if status != "OK":
            raise imaplib.IMAP4.error(f"STORE {flags} refused: {_answer(data)}")

    def _command(self, command, *args):
        """(status, data) of a command whose refusal the caller handles: imaplib raises
        on BAD (an unknown command, or a name it cannot read) and returns NO."""
        try:
            return command(*args)
        except imaplib.IMAP4.abort:
            raise
        except imaplib.IMAP4.error as error:
            return "BAD", [str(error).encode()]

    def close(self):
        """Log out; a failed goodbye changes nothing."""
        with contextlib.suppress(imaplib.IMAP4.error, OSError):
            self.imap.logout()


class PopMailbox:
    """POP has no folders, no order and no dates: the mails are told apart by UIDL, and
    a mail once fetched is deleted (QUIT applies it)."""

    def __init__(self, connection):
        self.pop = connection

    def mails(self):
        """[(number, UIDL)] of every mail in the mailbox."""
        _response, listing, _octets = self.pop.uidl()
        return [(int(number), uidl.decode()) for number, uidl in (line.split() for line in listing)]

    def fetch(self, number):
        return b"\r\n".join(self.pop.retr(number)[1])

    def acknowledge(self, numbers):
        for number in numbers:
            self.pop.dele(number)
        return Acknowledgement(DELETE)

    def close(self):
        with contextlib.suppress(poplib.error_proto, OSError):
            self.pop.quit()
