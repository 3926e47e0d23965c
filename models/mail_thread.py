from odoo import models


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        """A reply is a conversation about a document, not a document to import: without
        this, `account` reads a reply's attachments into a draft invoice, or adds a bot
        note to a posted one."""
        if routes and all(thread_id for _model, thread_id, *_rest in routes):
            self = self.with_context(no_new_invoice=True)
        return super()._message_route_process(message, message_dict, routes)
