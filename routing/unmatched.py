"""What no rule placed: an automatic reply is let go; anything else waits in quarantine
for an admin, never bounced back to the customer."""

from .outcome import Unroutable, Verdict


def nothing_matched(mail):
    env = mail.env
    if mail.auto_reply:
        return Verdict("ignored", "auto_reply", env._("Automatic reply that matches no document."))
    refusal = mail.refusal
    if isinstance(refusal, Unroutable):
        return Verdict(
            "quarantined", None, str(refusal), cause=refusal.__cause__ or refusal.__context__
        )
    reason = env._("No document matches this mail: assign it to one by hand.")
    return Verdict("quarantined", None, reason, cause=refusal)
