from odoo import api, models

from ..routing.chunk import changing_chunk_of


class MailCatcherChunkSource(models.AbstractModel):
    """Records that the routing of a chunk looks up once for all its mails (partners,
    users, aliases and their domains, messages; routing/chunk.py): one created, changed
    or deleted during the chunk ends that memory, so that the next mail finds it as it
    now is. A model narrows what ends it by overriding the two methods below."""

    _name = "mail.catcher.chunk.source"
    _description = "Looked Up Once per Routing Chunk"

    @api.model
    def _mail_catcher_creating_changes(self, chunk, vals_list):
        """Whether creating records of `vals_list` changes what `chunk` looked up."""
        return True

    @api.model
    def _mail_catcher_writing_changes(self, chunk, field_names):
        """Whether writing `field_names` changes what `chunk` looked up."""
        return True

    @api.model_create_multi
    def create(self, vals_list):
        chunk = changing_chunk_of(self.env)
        if chunk and self._mail_catcher_creating_changes(chunk, vals_list):
            chunk.forget()
        return super().create(vals_list)

    def write(self, vals):
        chunk = changing_chunk_of(self.env)
        if chunk and self._mail_catcher_writing_changes(chunk, set(vals)):
            chunk.forget()
        return super().write(vals)

    def unlink(self):
        chunk = changing_chunk_of(self.env)
        if chunk:
            chunk.forget()
        return super().unlink()
