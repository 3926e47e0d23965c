"""One chunk of mails routed together in one transaction, from its opening to its end:
the mails (each parsed once, when the chunk opens), what they look up in common (asked
once for all of them: lib/chunk_memo.py, which models/mail_thread.py consults while the
chunk is the cursor's), what they post, and the inbox notifications sent as it ends."""

from functools import cached_property

from odoo.tools import email_normalize, email_split

from ..lib.chunk_memo import ChunkMemo, referenced_message_ids
from ..lib.time_limit import TimeLimitExceeded, time_limit
from .incoming import IncomingMail
from .sent_by_odoo import odoo_addresses

# The context key under which the look-ups of a chunk's mails name it (its token): a
# look-up made in the same cursor outside the routing is not answered from the chunk.
CHUNK_CONTEXT = "mail_catcher_chunk"
# Where a cursor keeps the chunk it routes (one chunk at a time).
CURSOR_CACHE_KEY = "mail_catcher.routing_chunk"


def routing_chunk_of(env):
    """The chunk the cursor of `env` routes, when the look-ups of `env` belong to it."""
    chunk = env.cr.cache.get(CURSOR_CACHE_KEY)
    if chunk and chunk.token == env.context.get(CHUNK_CONTEXT):
        return chunk
    return None


def changing_chunk_of(env):
    """The chunk the cursor of `env` routes, whoever changes the data it looked up."""
    return env.cr.cache.get(CURSOR_CACHE_KEY)


class RoutingChunk(ChunkMemo):
    def __init__(self, entries):
        """The chunk of `entries`, each read as an IncomingMail; the Message-IDs their
        reply headers name come from that one parse of each mail."""
        addresses = {
            email_normalize(address, strict=False)
            for entry in entries
            for field in (entry.email_from, entry.email_to, entry.email_cc)
            for address in email_split(field or "")
        }
        super().__init__(addresses)
        self.entries = entries.with_context(**{CHUNK_CONTEXT: self.token})
        self.env = self.entries.env
        self.mails = [IncomingMail(entry, self) for entry in self.entries]
        self.message_ids = frozenset().union(*map(_named_in_reply_headers, self.mails))
        # The messages this chunk posted, by Message-ID: a mail received twice (by two
        # catcher servers) in one chunk is posted once. A message is kept here once its
        # mail's savepoint is released (keep_posted): a rolled-back post is none.
        self.posted_here = {}
        # The messages being posted, by (Message-ID, model), as Odoo's gateway creates
        # them: what post() returns, without searching for what it just posted.
        self.just_posted = {}

    def open(self):
        """Make this the chunk its cursor routes, until end()."""
        self.env.cr.cache[CURSOR_CACHE_KEY] = self
        return self

    def end(self):
        """Returns the inbox notifications left to send."""
        if self.env.cr.cache.get(CURSOR_CACHE_KEY) is self:
            del self.env.cr.cache[CURSOR_CACHE_KEY]
        return self.inbox

    def keep_posted(self, message):
        if message:
            self.posted_here[message.message_id] = message

    def note_created(self, messages):
        for message in messages:
            self.just_posted[message.message_id, message.model] = message

    def message_just_posted(self, message_id, model):
        return self.just_posted.get((message_id, model), self.env["mail.message"])

    @cached_property
    def own_addresses(self):
        return odoo_addresses(self.env)

    @cached_property
    def _journal_ids_by_mail(self):
        """The journal's entries of each (server, Message-ID) the chunk's mails have."""
        groups = self.env["mail.catcher.message"]._read_group(
            [
                ("server_id", "in", self.entries.server_id.ids),
                ("message_id", "in", self.entries.mapped("message_id")),
            ],
            ["server_id", "message_id"],
            ["id:array_agg"],
        )
        return {(server.id, message_id): ids for server, message_id, ids in groups}

    def earlier_entry_of(self, entry):
        """The latest entry journaled before `entry` with its Message-ID, on its server."""
        ids = self._journal_ids_by_mail.get((entry.server_id.id, entry.message_id), [])
        earlier = [entry_id for entry_id in ids if entry_id < entry.id]
        return entry.browse(max(earlier, default=None) or [])

    @cached_property
    def _own_message_ids(self):
        return set(self.entries.mapped("message_id"))

    @cached_property
    def _posted_before(self):
        """The messages already in Odoo with a Message-ID of the chunk's mails."""
        found = self.env["mail.message"].search_fetch(
            [("message_id", "in", sorted(self._own_message_ids))], ["message_id"]
        )
        posted = {}
        for message in found:  # newest first: Odoo's order
            posted.setdefault(message.message_id, message)
        return posted

    def message_posted_with(self, message_id):
        """The message in Odoo with this Message-ID, if any."""
        if message_id in self.posted_here:
            return self.posted_here[message_id]
        if message_id in self._own_message_ids:
            return self._posted_before.get(message_id, self.env["mail.message"])
        return self.env["mail.message"].search([("message_id", "=", message_id)], limit=1)


def _named_in_reply_headers(mail):
    """The Message-IDs a mail's reply headers name, read as the chunk opens, under its
    server's time limit: a mail past its limits is not parsed here (its routing sets it
    aside unread), and one that cannot be read (its raw mail purged, or broken) names
    none: its own routing meets the error, in its savepoint, and journals it."""
    try:
        with time_limit(mail.server.catcher_route_time_limit):
            return set() if mail.over_limits else referenced_message_ids(mail.message)
    except (Exception, TimeLimitExceeded):  # met again, and journaled, by its routing
        return set()
