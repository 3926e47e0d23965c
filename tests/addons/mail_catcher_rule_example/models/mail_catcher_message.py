from odoo import api, models
from odoo.addons.mail_catcher.routing.outcome import Verdict
from odoo.addons.mail_catcher.routing.reply_token import signed_token_in_recipients

HOLD_HEADER = "X-Example-Hold"


def held_for_review(mail):
    """A mail its sender marked `X-Example-Hold: yes` waits in quarantine for review,
    whatever document it answers; a mail that earlier rules settle never gets here."""
    if str(mail.message.get(HOLD_HEADER, "")).strip().lower() != "yes":
        return None
    return Verdict("quarantined", None, mail.env._("Held for review (X-Example-Hold)."))


class MailCatcherMessage(models.Model):
    _inherit = "mail.catcher.message"

    @api.model
    def _routing_rules(self):
        rules = super()._routing_rules()
        rules.insert(rules.index(signed_token_in_recipients), held_for_review)
        return rules
