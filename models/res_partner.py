from odoo import api, models


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "mail.catcher.chunk.source"]

    @api.model
    def _mail_catcher_writing_changes(self, chunk, field_names):
        """The one partner field routing writes that no look-up of partners reads (a
        bounce counts on the partner) keeps the chunk's look-ups."""
        return not field_names <= {"message_bounce"}
