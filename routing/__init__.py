"""The routing of a journaled mail: an ordered pipeline of rules. Each rule reads the
mail (an IncomingMail) and decides (a Verdict: ignored or quarantined; a Match: the
document it goes to) or passes (None); the first decision wins. Classifiers come first,
then the matchers, most certain first; the last rule always decides. To add a rule: one
module here, its place in RULES, one test."""

from .delivery_report import delivery_report
from .duplicates import already_in_odoo, same_message_id_other_content
from .over_limits import past_server_limits
from .reply_headers import reply_headers_or_alias
from .reply_token import signed_token_in_recipients
from .sent_by_odoo import sent_by_odoo
from .spam import answer_or_spam
from .round_trip import setup_round_trip
from .subject import document_named_in_subject
from .unmatched import nothing_matched

RULES = (
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
