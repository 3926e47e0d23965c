"""Mail the provider took for spam (read from the Junk folder, or marked `X-Spam-Flag:
YES`) reaches a document only on proof that it answers one of ours: its signed reply
token, or reply headers naming a message Odoo sent. Anything else in there is recorded
as spam and let go: never quarantined (nobody should sort a provider's spam), never a
new document, never a guess from its subject. Providers do file genuine replies as spam,
even ones that pass SPF, DKIM and DMARC."""

from .outcome import Match, Verdict
from .reply_headers import reply_headers_or_alias
from .reply_token import signed_token_in_recipients

PROOFS = {"token", "header"}


def answer_or_spam(mail):
    if not mail.filed_as_spam:
        return None
    for rule in (signed_token_in_recipients, reply_headers_or_alias):
        outcome = rule(mail)
        if isinstance(outcome, Match) and outcome.matched_by in PROOFS:
            return outcome
    reason = mail.env._("Filed as spam by the mail provider, and it answers no document: ignored.")
    return Verdict("ignored", "spam", reason)
