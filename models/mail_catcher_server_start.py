from datetime import timedelta

from odoo import fields, models
from odoo.tools import format_date

from ..lib.mailbox import MOVE, ImapMailbox

# The folders read, each with the fields that keep its place in it.
FOLDERS = (
    ("imap_folder", "imap_uidvalidity", "imap_last_uid"),
    ("catcher_junk_folder", "imap_junk_uidvalidity", "imap_junk_last_uid"),
)


class MailCatcherServerStart(models.AbstractModel):
    """Where fetching starts in a mailbox that already holds mail, recorded when the server
    is confirmed (or at its first fetch): the mails there then are old mail, left alone."""

    _name = "mail.catcher.server.start"
    _description = "Where Fetching Starts"

    catcher_fetch_start = fields.Datetime(
        string="Fetching Started",
        readonly=True,
        copy=False,
        help="When the server was confirmed on this mailbox: what was in it before is left "
        "alone (see Mails to Fetch).",
    )
    # The POP mails that were in the mailbox at the start, one UIDL a line: never fetched
    # nor deleted. Not prefetched: it may be long.
    catcher_pop_old_uidls = fields.Text(
        string="Old POP Mails", readonly=True, copy=False, prefetch=False
    )

    def _catcher_start(self, find_junk=False):
        """Ready each server's mailbox once confirmed: its folders made (a name the server
        refuses is said now, not at a fetch), its Junk folder found if asked, and, once per
        folder, where fetching starts: what is in it now is old mail. Its own login: no
        fetch's connection is open."""
        for server in self.filtered(lambda s: s._get_connection_type() in ("imap", "pop")):
            mailbox = server._catcher_mailbox(allow_archived=True)
            try:
                if isinstance(mailbox, ImapMailbox):
                    if find_junk and not server.catcher_junk_folder:
                        server.catcher_junk_folder = mailbox.junk_folder()
                    server._catcher_make_folders(mailbox)
                    server._catcher_start_imap(mailbox)
                elif not server.catcher_fetch_start:
                    server._catcher_start_pop([uidl for _num, uidl in mailbox.mails()])
            finally:
                mailbox.close()

    def _catcher_make_folders(self, mailbox):
        """The folders fetched mails are moved to; FolderRefused names one the server
        refuses."""
        folders = [self.catcher_quarantine_folder]
        if self.catcher_after_fetch == MOVE:
            folders.append(self.catcher_processed_folder)
        for folder in filter(None, folders):
            mailbox.ensure_folder(folder)

    def _catcher_folder_refused(self, refused):
        return self.env._(
            "The server refuses the folder %(folder)s: %(answer)s\nChoose another name in the "
            "Fetching tab.",
            folder=refused.folder,
            answer=refused.answer,
        )

    def _catcher_start_imap(self, mailbox):
        """Start now: in each folder read, the highest UID is the last one fetched, and
        the mails up to it stay unread. A folder that was already read keeps its place."""
        first = not self.catcher_fetch_start
        if first:
            self.catcher_fetch_start = fields.Datetime.now()
        left = 0
        for folder in FOLDERS:
            name_field, _uidvalidity_field, last_uid_field = folder
            if self[name_field] and not self[last_uid_field] and self.catcher_first_fetch == "now":
                state = mailbox.open(self[name_field], readonly=True)
                left += self._catcher_start_folder(mailbox, folder, state)
        if first:
            self._catcher_tell_start(left)

    def _catcher_start_folder(self, mailbox, folder, state):
        """Fetching in `folder` starts after its mails of now (the selected folder's state;
        none when the folder is not there yet: nothing in it is old). Returns their count."""
        _name_field, uidvalidity_field, last_uid_field = folder
        highest = mailbox.highest_uid() if state else 0
        self.write({uidvalidity_field: state and state.uidvalidity, last_uid_field: str(highest)})
        return state.count if state else 0

    def _catcher_start_pop(self, uidls):
        """Start now: POP has neither order nor dates, so the mails there now are listed as
        old, and neither fetched nor deleted."""
        old_uidls = "\n".join(uidls)
        self.write(
            {"catcher_fetch_start": fields.Datetime.now(), "catcher_pop_old_uidls": old_uidls}
        )
        self._catcher_tell_start(len(uidls))

    def _catcher_tell_start(self, left):
        """A note on the server (it notifies nobody): where fetching starts, and why the
        mails already there are not in the journal."""
        if self.catcher_first_fetch == "since":
            body = self.env._(
                "Fetching starts: the mails received since %(date)s are fetched; older ones "
                "stay on the server, untouched.",
                date=format_date(self.env, self.catcher_import_since),
            )
        elif left:
            body = self.env._(
                "Fetching starts now: the %(count)s mails already in the mailbox stay there, "
                "unread, and are not fetched.",
                count=left,
            )
        else:
            return
        self.sudo().message_post(body=body)

    def _catcher_since(self):
        """The arrival date before which no mail is fetched, applied to every search so that
        a folder recreated (or a new UIDVALIDITY) never brings the old mails back: the chosen
        date, or the day before fetching started (a day's margin for the IMAP server's time
        zone: after a new UIDVALIDITY, only the old mails of those two days come back)."""
        if self.catcher_first_fetch == "since":
            return self.catcher_import_since
        return self.catcher_fetch_start and self.catcher_fetch_start.date() - timedelta(days=1)
