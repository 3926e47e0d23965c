"""The routing of a journaled mail: an ordered pipeline of rules. Each rule reads the
mail (an IncomingMail) and returns what it found, its only output: a decision (a
Verdict: ignored or quarantined; a Match: the document it goes to), or a pass (None; a
Refusal, which the later rules read as `mail.refusal`); the first decision wins.
Classifiers come first, then the matchers, most certain first; the last rule always
decides. The order is mail.catcher.message._routing_rules(), which another addon extends
with super() to add a rule of its own: one function, its place in the list, one test."""

from .delivery_report import delivery_report
from .duplicates import already_in_odoo, same_message_id_other_content
from .outcome import Refusal
from .over_limits import past_server_limits
from .reply_headers import reply_headers_or_alias
from .reply_token import signed_token_in_recipients
from .round_trip import setup_round_trip
from .sent_by_odoo import sent_by_odoo
from .spam import answer_or_spam
from .subject import document_named_in_subject
from .unmatched import nothing_matched

STANDARD_RULES = (
    # What the mail is.
    past_server_limits,
    setup_round_trip,
    same_message_id_other_content,
    already_in_odoo,
    sent_by_odoo,
    delivery_report,
    # Where it goes.
    answer_or_spam,
    signed_token_in_recipients,
    reply_headers_or_alias,
    document_named_in_subject,
    nothing_matched,
)


def decide(mail, rules):
    """The outcome of the first of `rules` that decides on `mail`."""
    for rule in rules:
        outcome = rule(mail)
        if isinstance(outcome, Refusal):
            mail.refusal = outcome.error
        elif outcome:
            return outcome
    raise ValueError(f"No routing rule decided on {mail.entry.message_id}: the last must.")
