"""What the mails of one routing chunk look up in common: each look-up is made once, for
every address the chunk names, then answered from memory for each mail, until the chunk
ends or the data the look-up read changes; and what the chunk sends once it is routed.
ORM-free: it keeps ids and addresses, never records, and it searches nothing itself (the
caller gives the search to run)."""

import itertools
import re

_tokens = itertools.count(1)
# How Odoo finds the Message-IDs in a References header.
_MESSAGE_ID = re.compile(r"<[^<>]+>")


def referenced_message_ids(headers):
    """The Message-IDs by which Odoo looks for a mail's parent: In-Reply-To as written,
    and each <...> of In-Reply-To and References, from the parsed mail's `headers`."""
    found = set()
    for name in ("In-Reply-To", "References"):
        for value in headers.get_all(name) or []:
            text = str(value)
            found.update(reference.strip() for reference in _MESSAGE_ID.findall(text))
            if name == "In-Reply-To":
                found.add(text.strip())
    return found - {""}


class ChunkMemo:
    """The look-ups of one chunk (the ORM-free half of routing/chunk.py's RoutingChunk,
    which routes with it). `addresses`: the normalized addresses its mails name;
    `message_ids`: the Message-IDs their reply headers name. A look-up that asks for any
    other address or Message-ID is not answered from here."""

    def __init__(self, addresses, message_ids=()):
        self.token = next(_tokens)
        self.addresses = frozenset(address for address in addresses if address)
        self.message_ids = frozenset(message_ids)
        # The ids of the parent messages found for the chunk.
        self.parents = set()
        self.valid = True
        self._found = {}
        # Inbox notifications to send as the chunk ends: (user id, message id, its
        # scheduled date, ids of the followers to show), in the order they were asked.
        self.inbox = []

    def forget(self):
        """The data behind the look-ups changed (a partner or a user was created or
        edited): the rest of the chunk asks the database again, as stock Odoo does."""
        self.valid = False
        self._found.clear()

    def covers(self, emails):
        return self.valid and set(emails) <= self.addresses

    def matches(self, key, emails, search_all):
        """What searching for `emails` alone returns, as (ids, all_ids): `ids`, those of
        `search_all(addresses)` (pairs of id and address, in the search's order) whose
        address is one of `emails`, in that order; `all_ids`, every id found for the
        chunk, for the caller to read them at once. Valid for a search whose order does
        not depend on which addresses it is given."""
        found = self.recall(key, lambda: list(search_all(sorted(self.addresses))))
        wanted = set(emails)
        return (
            [record_id for record_id, address in found if address in wanted],
            [record_id for record_id, _address in found],
        )

    def recall(self, key, compute):
        """`compute()`, computed once per key while the memory is valid."""
        if key not in self._found:
            self._found[key] = compute()
        return self._found[key]


def values_searched(domain, field):
    """The values of a search by `field` alone (`[(field, "in", [values])]`), the only
    search a chunk's memory answers; None for any other domain."""
    if isinstance(domain, list | tuple) and len(domain) == 1:
        [condition] = domain
        if isinstance(condition, list | tuple) and len(condition) == 3:
            name, operator, values = condition
            if name == field and operator == "in" and isinstance(values, list):
                return values
    return None
