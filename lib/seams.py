"""Named points of a fetch where the end-to-end tests cause what they cannot cause from
outside: a worker killed between two steps or by one mail, a mail server stopped in the
middle of a run, a fetch slowed until another one meets it.

A test in an Odoo process of its own calls `at(ACKNOWLEDGED, action)`; the fetch calls
`reached(ACKNOWLEDGED)` at that point, and each action is called with the facts named
there. A seam renamed or dropped fails the test that uses it (an AttributeError), where
a private method patched by name would quietly stop being called. Nothing is registered
in production: `reached` is then a dictionary look-up.
"""

# A batch was read from the server; it is not journaled yet.
FETCHED = "fetched"
# The batch is journaled, routed and committed; the server has not been told yet.
ROUTED = "routed"
# The server acknowledged the batch (read, moved, deleted); its last UID is not recorded.
ACKNOWLEDGED = "acknowledged"
# One journal entry (`entry`) is about to be routed.
ROUTING = "routing"

_actions = {}


def at(seam, action):
    """Call `action(**facts)` each time the fetch reaches `seam`."""
    _actions.setdefault(seam, []).append(action)


def reached(seam, **facts):
    for action in _actions.get(seam, ()):
        action(**facts)
