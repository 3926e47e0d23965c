"""Mail Odoo sent itself, come back: answering it would start a loop."""

from odoo.tools import email_normalize

from .outcome import Verdict


def sent_by_odoo(mail):
    if mail.thread._detect_loop_headers(mail.msg_dict) or mail.sender in mail.chunk.own_addresses:
        return Verdict("ignored", "loop", mail.env._("Odoo sent this mail itself."))
    return None


def odoo_addresses(env):
    """The catchers' and Odoo's notification and bounce addresses: mail from them is
    Odoo's own."""
    companies = env["res.company"].sudo().search([("mail_catcher_email", "!=", False)])
    own = set(companies.mapped("mail_catcher_email"))
    # pylint: disable-next=no-search-all # every alias domain, and there are a handful
    for domain in env["mail.alias.domain"].sudo().search([]):
        own |= {domain.default_from_email, domain.bounce_email}
    return {email_normalize(address) for address in own if address} - {False}
