import hashlib
import hmac

from odoo import api, models


class IrConfigParameter(models.Model):
    _inherit = "ir.config_parameter"

    @api.model
    def _mail_catcher_key(self):
        """The key that signs reply tokens and the setup wizard's round trip, derived from
        the database secret: database-wide, like the secret, and never sent anywhere."""
        secret = self.sudo().get_param("database.secret")
        return hmac.new(secret.encode(), b"mail_catcher.reply-token", hashlib.sha256).digest()
