from odoo import api, models

from ..lib.chunk_memo import values_searched


class MailMessage(models.Model):
    _inherit = "mail.message"

    # The parents a chunk of routed mails finds (models/mail_thread.py) are forgotten
    # when a message one of its mails names is created, renamed or deleted meanwhile.

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        """Odoo's gateway looks for the message each mail answers (newest first, in
        sudo): while a chunk is routed, one search of the messages its mails name answers
        each mail's, filtered. A message created since with one of those Message-IDs
        ends that memory (create, below)."""
        references = values_searched(domain, "message_id")
        memo = references is not None and self.env["mail.thread"]._mail_catcher_chunk_memo(
            (), False
        )
        answerable = memo and self.env.su and not offset and order == "id desc"
        if not answerable or not set(references) <= memo.message_ids:
            return super().search(domain, offset=offset, limit=limit, order=order)
        search_fetch = super().search_fetch
        found = memo.recall(
            ("messages named, newest first",),
            lambda: [
                (message.id, message.message_id)
                # the document of each, which the gateway reads next, comes along
                for message in search_fetch(
                    [("message_id", "in", sorted(memo.message_ids))],
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

    @api.model_create_multi
    def create(self, vals_list):
        named = {vals.get("message_id") for vals in vals_list}
        self.env["mail.thread"]._mail_catcher_forget_chunk(message_ids=named)
        return super().create(vals_list)

    def write(self, vals):
        if "message_id" in vals or "parent_id" in vals:
            self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().write(vals)

    def unlink(self):
        self.env["mail.thread"]._mail_catcher_forget_chunk()
        return super().unlink()
