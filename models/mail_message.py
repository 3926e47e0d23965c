from odoo import api, models

from ..lib.chunk_memo import values_searched


class MailMessage(models.Model):
    _name = "mail.message"
    _inherit = ["mail.message", "mail.catcher.chunk.source"]

    # The parents a chunk of routed mails finds (models/mail_thread.py) are forgotten
    # when a message one of its mails names is created, renamed or deleted meanwhile.

    @api.model
    def _mail_catcher_creating_changes(self, chunk, vals_list):
        return bool(chunk.message_ids & {vals.get("message_id") for vals in vals_list})

    @api.model
    def _mail_catcher_writing_changes(self, chunk, field_names):
        return bool(field_names & {"message_id", "parent_id"})

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        """Odoo's gateway looks for the message each mail answers (newest first, in
        sudo): while a chunk is routed, one search of the messages its mails name answers
        each mail's, filtered. A message created since with one of those Message-IDs
        ends that memory (mail.catcher.chunk.source)."""
        references = values_searched(domain, "message_id")
        chunk = references is not None and self.env["mail.thread"]._mail_catcher_chunk()
        answerable = chunk and self.env.su and not offset and order == "id desc"
        if not answerable or not set(references) <= chunk.message_ids:
            return super().search(domain, offset=offset, limit=limit, order=order)
        search_fetch = super().search_fetch
        found = chunk.recall(
            ("messages named, newest first",),
            lambda: [
                (message.id, message.message_id)
                # the document of each, which the gateway reads next, comes along
                for message in search_fetch(
                    [("message_id", "in", sorted(chunk.message_ids))],
                    ["message_id", "model", "res_id"],
                    order="id desc",
                )
            ],
        )
        wanted = set(references)
        ids = [message_id for message_id, header in found if header in wanted]
        return self.browse(ids[:limit] if limit else ids).with_prefetch(
            [message_id for message_id, _header in found]
        )
