from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import config

from ..lib.cron_time import cron_time_limit
from ..lib.mailbox import FLAG

FIRST_FETCH = [("now", "Only new mails"), ("since", "Mails received since a date")]


def odoo_cron_time_limit():
    """The time limit of Odoo's cron jobs on this server, from its configuration: it caps
    the time budget of the fetch cron (catcher_time_budget) and of the route cron."""
    return cron_time_limit(config["limit_time_real"], config["limit_time_real_cron"])


class MailCatcherServerSettings(models.AbstractModel):
    """What an admin chooses for an incoming server: where to read, what to do with a mail
    once Odoo has it, the limits, whose sender verdicts to trust, where fetching starts."""

    _name = "mail.catcher.server.settings"
    _description = "Incoming Server Settings"

    # Where to read, and what to do with a mail once it is safe in the journal
    imap_folder = fields.Char(string="Folder", default="INBOX", required=True)
    catcher_after_fetch = fields.Selection(
        [("flag", "Mark as read"), ("move", "Move to a folder"), ("delete", "Delete")],
        string="After Fetching",
        default="flag",
        required=True,
        help="What happens on the IMAP server to a mail once Odoo has it. POP servers "
        "always delete it: the journal keeps its raw content.",
    )
    catcher_processed_folder = fields.Char(
        string="Move To",
        default="Odoo/Processed",
        help="Levels separated by /, whatever the server's own separator; created when the "
        "server is confirmed.",
    )
    catcher_quarantine_folder = fields.Char(
        string="Quarantine Folder",
        help="IMAP folder to move quarantined mails to; leave empty to treat them as the others.",
    )
    catcher_junk_folder = fields.Char(
        string="Junk Folder",
        help="The provider's Junk or Spam folder, read besides the main one: a reply its "
        "filter put there still reaches its document when it carries its reply token or "
        "reply headers; anything else there is recorded as spam and ignored. Empty: not read.",
    )
    imap_capabilities = fields.Char(
        string="Server Capabilities",
        readonly=True,
        copy=False,
        help="As last read from the server.",
    )
    catcher_after_fetch_note = fields.Char(
        string="About After Fetching", compute="_compute_catcher_after_fetch_note"
    )
    # Limits
    catcher_batch_size = fields.Integer(string="Batch Size", default=50)
    catcher_time_budget = fields.Integer(
        string="Time Budget (s)",
        default=60,
        help="A fetch stops taking new batches after this many seconds (at most half of "
        "Odoo's cron time limit, limit_time_real_cron); the rest of the backlog follows at "
        "once in a new run of the scheduled action.",
    )
    catcher_timeout = fields.Integer(string="Timeout (s)", default=60)
    catcher_max_attempts = fields.Integer(
        string="Attempts Before Quarantine",
        default=5,
        help="A mail that fails to route is retried later, with growing delays, up to this "
        "many times; then it is quarantined and the admins are told.",
    )
    catcher_retention_days = fields.Integer(
        string="Keep Raw Mails (days)",
        default=30,
        help="The raw content of routed and ignored mails is purged after this many days. "
        "Failed and quarantined mails keep theirs.",
    )
    catcher_route_time_limit = fields.Integer(
        string="Time Limit per Mail (s)",
        default=30,
        help="Routing one mail (reading it, finding its document, posting it) is stopped "
        "after this many seconds, and the mail quarantined: a mail Odoo cannot read in "
        "time never holds up the others. Keep it well below Odoo's cron time limit.",
    )
    catcher_max_size_mb = fields.Integer(
        string="Largest Mail (MB)",
        default=50,
        help="A larger mail is journaled, not routed: it waits in quarantine, raw mail "
        "kept, for an admin to download or assign. 0: no limit.",
    )
    catcher_max_mime_depth = fields.Integer(
        string="Deepest Nesting",
        default=30,
        help="Mails nested in mails (forwards of forwards) past this depth are quarantined "
        "unread. 0: no limit.",
    )
    catcher_max_mime_parts = fields.Integer(
        string="Most Parts",
        default=500,
        help="A mail of more parts (attachments, alternatives, nested mails) is quarantined "
        "unread. 0: no limit.",
    )
    # Sender authentication
    catcher_trusted_authserv_id = fields.Char(
        string="Trusted Authentication Server",
        help="The name (authserv-id) your mail provider writes first in the "
        "Authentication-Results header of the mails it receives, for example mx.google.com; "
        "*.mail.ovh.net stands for all of a provider's hosts. Only the topmost such header "
        "is trusted. When set, a mail matched by its subject alone is routed only if the "
        "provider verified its sender, and other unverified mails are posted with a "
        "warning. Empty: senders are not checked, and anyone who knows a customer's address "
        "and a document's reference can post on that document.",
    )
    # Where fetching starts in a mailbox that already holds mail. Starting from now is the
    # default: connected to a mailbox of years, Frappe sent its acknowledgements to the old
    # mails it pulled and had to flag its initial sync (frappe/frappe#33006), osTicket made a
    # ticket of two years of mail (osTicket/osTicket#2722), Zammad answered them
    # (zammad/zammad#3142). Importing older mail is a choice, from a date.
    catcher_first_fetch = fields.Selection(
        FIRST_FETCH,
        string="Mails to Fetch",
        default="now",
        required=True,
        help="Only new mails: the mails already in the mailbox when the server is confirmed "
        "stay there, unread, and are never fetched, posted or notified. Mails received since a "
        "date (IMAP only): those received on or after that date are fetched and routed too; "
        "older ones stay untouched. To change it once confirmed, reset the confirmation.",
    )
    catcher_import_since = fields.Date(string="Received Since")

    @api.constrains("catcher_first_fetch", "catcher_import_since", "server_type")
    def _check_catcher_first_fetch(self):
        for server in self.filtered(lambda s: s.catcher_first_fetch == "since"):
            if not server.catcher_import_since:
                raise ValidationError(self.env._("Give the date from which to fetch mails."))
            if server._get_connection_type() == "pop":
                raise ValidationError(
                    self.env._(
                        "A POP mailbox has no arrival dates to search: with POP, fetching "
                        "starts with the mails that arrive from now on."
                    )
                )

    @api.depends("catcher_after_fetch", "imap_capabilities")
    def _compute_catcher_after_fetch_note(self):
        for server in self:
            capabilities = (server.imap_capabilities or "").split()
            lacking = capabilities and not {"MOVE", "UIDPLUS"} & set(capabilities)
            server.catcher_after_fetch_note = (
                self.env._(
                    "This server offers neither MOVE nor UIDPLUS: fetched mails are marked "
                    "read instead, since removing ours would also remove any mail a person "
                    "marked deleted in the folder."
                )
                if lacking and server.catcher_after_fetch != FLAG
                else False
            )
