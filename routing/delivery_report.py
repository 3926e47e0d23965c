"""A delivery report (RFC 3464, or a mail server's own words): the failed addresses and
why, shown on the document of the mail that bounced. A permanent failure marks the
address as bouncing; a temporary one is recorded in the journal only."""

from .outcome import Bounced, Match, Verdict


def delivery_report(mail):
    report = mail.delivery_report
    if report is None:
        return None
    env = mail.env
    if not report.failures:
        return Verdict(
            "ignored", "bounce", env._("A delivery report that names no failed address.")
        )
    summary = "\n".join(_describe(env, failure) for failure in report.failures)
    permanent = tuple(failure.recipient for failure in report.failures if failure.permanent)
    if not permanent:
        return Verdict("ignored", "bounce", summary)
    original = env["mail.message"].search(
        [("message_id", "=", report.original_message_id or mail.msg_dict.get("in_reply_to"))],
        limit=1,
    )
    bounced = Bounced(original, permanent, summary)
    if not (original.model in env and original.res_id):
        return Verdict("ignored", "bounce", summary, bounced=bounced)
    if not env[original.model].browse(original.res_id).exists():
        return Verdict("ignored", "bounce", summary, bounced=bounced)
    return Match("header", original.model, original.res_id, "bounce", (), summary, bounced)


def _describe(env, failure):
    return env._(
        "%(address)s: %(verdict)s failure %(status)s %(diagnostic)s",
        address=failure.recipient,
        verdict=env._("permanent") if failure.permanent else env._("temporary"),
        status=failure.status,
        diagnostic=failure.diagnostic,
    ).strip()
