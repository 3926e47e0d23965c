from odoo import api, fields, models
from odoo.exceptions import UserError

from ..lib import mail_servers


class MailCatcherSetupSender(models.TransientModel):
    """A user whose mail leaves through their own account: an outgoing server of its own,
    whose FROM Filtering is the user's address, as Odoo's own OAuth apps set it."""

    _name = "mail.catcher.setup.sender"
    _description = "User Sending from Their Own Account"

    wizard_id = fields.Many2one("mail.catcher.setup", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", required=True, domain=[("share", "=", False)])
    email = fields.Char(related="user_id.email")
    login = fields.Char(
        compute="_compute_login", store=True, readonly=False, help="The user's address."
    )
    password = fields.Char(help="Empty when the account signs in with OAuth.")

    @api.depends("user_id")
    def _compute_login(self):
        for sender in self:
            sender.login = sender.user_id.email

    def _outgoing_server(self, values):
        """This user's outgoing server: the catcher's settings, with the user's login."""
        self.ensure_one()
        address = (self.user_id.email or "").strip().lower()
        if not address:
            raise UserError(self.env._("%(user)s has no email address.", user=self.user_id.name))
        login = (self.login or address).strip()
        own = {
            **values,
            "name": self.env._(
                "Mail of %(user)s (%(address)s)", user=self.user_id.name, address=address
            ),
            "smtp_user": login,
            "smtp_pass": False if values.get("smtp_pass") is False else self.password,
        }
        return self.wizard_id._outgoing_server(address, [address], **own)

    def _test_smtp(self):
        """Log in as the user, as the catcher's login is tested."""
        wizard = self.wizard_id
        try:
            mail_servers.smtp_connect(
                wizard.smtp_host,
                wizard.smtp_port,
                wizard.smtp_security,
                (self.login or self.user_id.email or "").strip(),
                self.password,
            ).quit()
        except Exception as error:
            what = self.env._("the outgoing server of %(user)s", user=self.user_id.name)
            raise UserError(
                self.env["fetchmail.server"]._describe_connection_error(
                    error, what, wizard.smtp_host, wizard.smtp_port
                )
            ) from error
