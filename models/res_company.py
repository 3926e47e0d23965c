import hashlib
import hmac

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_domain_extract, email_normalize, email_split

from ..lib.reply_token import InvalidToken, make_token, plus_address, read_token, tokens_for
from .mail_catcher_message import Unroutable


class ResCompany(models.Model):
    _inherit = "res.company"

    mail_catcher_server_id = fields.Many2one(
        "fetchmail.server",
        groups="base.group_system",
        domain=[("server_type", "in", ("imap", "pop"))],
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

    def _mail_catcher_reply_address(self, record):
        """The catcher address for replies to `record`, with its signed token when
        plus-addressing is on."""
        self.ensure_one()
        address = self._mail_catcher_address()
        if not (address and self.mail_catcher_plus_addressing and record):
            return address
        model_id = self.env["ir.model"]._get_id(record._name)
        return plus_address(address, make_token(self._mail_catcher_key(), model_id, record.id))

    def _mail_catcher_document_from_recipients(self, message):
        """The document named by a reply token in a mail's recipients, or None when there
        is no token. A token whose signature fails, or that names a document deleted
        since, makes the mail unroutable: it is never guessed around."""
        self.ensure_one()
        if not self.mail_catcher_email:
            return None
        recipients = email_split(
            ",".join(
                str(value)
                for name in ("To", "Cc", "Delivered-To", "X-Original-To")
                for value in message.get_all(name, [])
            )
        )
        tokens = tokens_for(self.mail_catcher_email, recipients)
        if not tokens:
            return None
        try:
            model_id, res_id = read_token(self._mail_catcher_key(), tokens[0])
        except InvalidToken as error:
            raise Unroutable(
                self.env._(
                    "Suspicious: the reply token %(token)s in the recipients is not one Odoo "
                    "signed. The mail was routed nowhere.",
                    token=tokens[0],
                )
            ) from error
        model = self.env["ir.model"].browse(model_id).exists().model
        document = self.env[model].browse(res_id).exists() if model in self.env else None
        if not document:
            raise Unroutable(self.env._("This mail answers a document that was deleted since."))
        return document

    @api.model
    def _mail_catcher_test_signature(self, nonce):
        """The value of the setup wizard's round-trip header: only Odoo can make one."""
        signature = hmac.new(self._mail_catcher_key(), b"test:" + nonce.encode(), hashlib.sha256)
        return f"{nonce}.{signature.hexdigest()[:32]}"

    @api.model
    def _mail_catcher_is_test(self, value):
        value = (value or "").strip()
        nonce, _dot, _signature = value.partition(".")
        return hmac.compare_digest(self._mail_catcher_test_signature(nonce), value)

    def _mail_catcher_key(self):
        """The reply tokens' HMAC key, from the database secret: never sent anywhere."""
        secret = self.env["ir.config_parameter"].sudo().get_param("database.secret")
        return hmac.new(secret.encode(), b"mail_catcher.reply-token", hashlib.sha256).digest()

    def write(self, vals):
        res = super().write(vals)
        if "mail_catcher_server_id" in vals:
            self.env["fetchmail.server"]._update_cron()
        return res
