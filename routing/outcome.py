"""What a routing rule returns, its only output: a Match (the document the mail belongs
to) or a Verdict (the mail is settled without being posted) decides; None, or a Refusal
(Odoo's own routing refused the mail, for the later rules to know), passes."""

from dataclasses import dataclass


class Unroutable(Exception):
    """Odoo's gateway wanted to bounce the mail back to its sender: a customer's reply is
    never bounced, so its routing stops there and says why."""


@dataclass(frozen=True)
class Refusal:
    """Odoo's own routing refused the mail (`error`: a ValueError, or Unroutable): no
    decision, but the admin's last word if no later rule finds the document either.
    routing.decide hands it to the later rules as IncomingMail.refusal."""

    error: BaseException


@dataclass(frozen=True)
class Bounced:
    """Addresses a delivery report says failed for good, and the mail that bounced."""

    original: object  # the mail.message that bounced (may be empty)
    addresses: tuple
    summary: str


@dataclass(frozen=True)
class Match:
    """The mail goes to a document: `matched_by` is the journal's "Routed By"; `kind` is
    how it is posted (reply, new, auto_reply, bounce); `odoo_routes` are the routes of
    Odoo's gateway (model, thread_id, custom_values, user_id, alias); `internal`: it
    answers an internal message, and is posted as an internal note."""

    matched_by: str
    model: str
    res_id: int
    kind: str
    odoo_routes: tuple = ()
    reason: str | None = None
    bounced: Bounced | None = None
    internal: bool = False


@dataclass(frozen=True)
class Verdict:
    """The mail is settled without being posted: `state` ignored or quarantined, `reason`
    for the admin, `cause` the error behind it (its traceback is kept on the entry)."""

    state: str
    kind: str | None
    reason: str
    posted: object = None  # the mail.message already in Odoo, for a duplicate
    cause: BaseException | None = None
    bounced: Bounced | None = None
