from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_domain_extract, email_normalize

from ..lib.reply_token import make_token, plus_address


class ResCompany(models.Model):
    _inherit = "res.company"

    mail_catcher_server_id = fields.Many2one(
        "fetchmail.server",
        groups="base.group_system",
        # Odoo's OAuth apps' servers (google_gmail, microsoft_outlook) are read over IMAP,
        # signing in with XOAUTH2: catchers like the others.
        domain=[("server_type", "in", ("imap", "pop", "gmail", "outlook"))],
        help="Incoming mail server that receives the replies to the mails sent from "
        "documents. Leave empty to let replies reach each sender's own mailbox.",
    )
    mail_catcher_email = fields.Char(
        string="Mail Catcher Address",
        compute="_compute_mail_catcher_email",
        store=True,
        readonly=False,
        help="Address the catcher server receives on; every mail sent from a document "
        "carries it as Reply-To. Defaults to the catchall of the company's alias domain.",
    )

    mail_catcher_plus_addressing = fields.Boolean(
        string="Plus-Addressing",
        default=True,
        help="Mail sent from a document carries a signed token naming it in its Reply-To "
        "(mailcatcher+token@company.com), so that replies find their document even when "
        "the mail client drops the reply headers. Turn it off for mail providers that do "
        "not deliver local+tag@domain to local@domain.",
    )

    @api.depends("mail_catcher_server_id", "alias_domain_id")
    def _compute_mail_catcher_email(self):
        for company in self:
            if not company.mail_catcher_email and company.sudo().mail_catcher_server_id:
                company.mail_catcher_email = company.catchall_email or False

    @api.constrains("mail_catcher_email", "alias_domain_id")
    def _check_mail_catcher_email(self):
        for company in self.filtered("mail_catcher_email"):
            email = email_normalize(company.mail_catcher_email)
            if not email:
                raise ValidationError(
                    self.env._(
                        "The mail catcher address %(address)s of %(company)s is not a valid "
                        "email address.",
                        address=company.mail_catcher_email,
                        company=company.name,
                    )
                )
            if not company.alias_domain_id:
                raise ValidationError(
                    self.env._(
                        "%(company)s has no alias domain: set one (Settings > General "
                        "Settings > Emails > Alias Domain) before the mail catcher address.",
                        company=company.name,
                    )
                )
            if email_domain_extract(email) != company.alias_domain_id.name.lower():
                raise ValidationError(
                    self.env._(
                        "The mail catcher address %(address)s is outside the alias domain "
                        "%(domain)s of %(company)s. Odoo recognises its own addresses by "
                        "that domain: use an address @%(domain)s.",
                        address=company.mail_catcher_email,
                        domain=company.alias_domain_id.name,
                        company=company.name,
                    )
                )

    def _mail_catcher_address(self):
        """The address replies go to, or False when this company has no catcher."""
        self.ensure_one()
        if self.mail_catcher_server_id.active and self.mail_catcher_email:
            return self.mail_catcher_email
        return False

    def _mail_catcher_reply_address(self, record, internal=False):
        """The catcher address for replies to `record`, with its signed token when
        plus-addressing is on; `internal`: the mail answered is internal (a note), and
        so will be the answers."""
        self.ensure_one()
        address = self._mail_catcher_address()
        if not (address and self.mail_catcher_plus_addressing and record):
            return address
        model_id = self.env["ir.model"]._get_id(record._name)
        key = self.env["ir.config_parameter"]._mail_catcher_key()
        return plus_address(address, make_token(key, model_id, record.id, internal=internal))

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        if any(vals.get("mail_catcher_server_id") for vals in vals_list):
            self.env["fetchmail.server"]._update_cron()
        return companies

    def write(self, vals):
        res = super().write(vals)
        if "mail_catcher_server_id" in vals:
            self.env["fetchmail.server"]._update_cron()
        return res
