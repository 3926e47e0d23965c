from odoo import api, models


class MailCatcherChunkSource(models.AbstractModel):
    """Records that the routing of a chunk looks up once for all its mails (aliases and
    their domains; models/mail_thread.py): one created, changed or deleted during the
    chunk ends that memory, so that the next mail finds it as it now is. Users do the same
    in models/res_users.py: res.users takes no mixin (its groups would be defined twice)."""

    _name = "mail.catcher.chunk.source"
    _description = "Looked Up Once per Routing Chunk"

    @api.model_create_multi
    def create(self, vals_list):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().create(vals_list)

    def write(self, vals):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().write(vals)

    def unlink(self):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().unlink()
