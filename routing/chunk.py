"""What the mails routed together in one transaction share: looked up once for all of
them, and kept right as the chunk posts."""

from functools import cached_property

from .sent_by_odoo import odoo_addresses


class RoutingChunk:
    def __init__(self, entries):
        self.entries = entries
        self.env = entries.env
        # The messages this chunk posted, by Message-ID: a mail received twice (by two
        # catcher servers) in one chunk is posted once. A message is kept here once its
        # mail's savepoint is released (keep_posted): a rolled-back post is none.
        self.posted_here = {}

    def keep_posted(self, message):
        if message:
            self.posted_here[message.message_id] = message

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
    def _message_ids(self):
        return set(self.entries.mapped("message_id"))

    @cached_property
    def _posted_before(self):
        """The messages already in Odoo with a Message-ID of the chunk's mails."""
        found = self.env["mail.message"].search_fetch(
            [("message_id", "in", sorted(self._message_ids))], ["message_id"]
        )
        posted = {}
        for message in found:  # newest first: Odoo's order
            posted.setdefault(message.message_id, message)
        return posted

    def message_posted_with(self, message_id):
        """The message in Odoo with this Message-ID, if any."""
        if message_id in self.posted_here:
            return self.posted_here[message_id]
        if message_id in self._message_ids:
            return self._posted_before.get(message_id, self.env["mail.message"])
        return self.env["mail.message"].search([("message_id", "=", message_id)], limit=1)
