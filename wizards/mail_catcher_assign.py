from odoo import api, fields, models
from odoo.exceptions import UserError


class MailCatcherAssign(models.TransientModel):
    _name = "mail.catcher.assign"
    _description = "Assign Incoming Emails to a Document"

    message_ids = fields.Many2many("mail.catcher.message", string="Incoming Emails")
    document = fields.Reference(selection="_selection_document", required=True)

    @api.model
    def _selection_document(self):
        models_ = (
            self.env["ir.model"]
            .sudo()
            .search([("is_mail_thread", "=", True), ("transient", "=", False)])
        )
        return [(model.model, model.name) for model in models_]

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "mail.catcher.message":
            values["message_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_assign(self):
        self.ensure_one()
        if not self.document or not self.document.exists():
            raise UserError(self.env._("Choose a document that exists."))
        for entry in self.message_ids.filtered(lambda entry: entry.state != "routed"):
            entry._assign(self.document)
        return {"type": "ir.actions.act_window_close"}
