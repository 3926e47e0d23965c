from odoo import models
from odoo.tools import email_normalize


class Base(models.AbstractModel):
    _inherit = "base"

    def _notify_get_reply_to(self, default=None):
        """Replies to a document go to its company's mail catcher when one is set up, so
        that they come back into the chatter; without a catcher they go to the author's
        own mailbox rather than to a catchall that nobody fetches."""
        reply_to = super()._notify_get_reply_to(default=default)
        companies = self._mail_catcher_reply_companies()
        author_reply_to = default or self.env.user.email_formatted
        doc_names = {record.id: record.display_name for record in self.sudo()} if self else {}
        internal = bool(self.env.context.get("mail_catcher_internal_post"))
        for res_id, company in companies.items():
            record = self.browse(res_id) if res_id else self.browse()
            catcher_email = company.sudo()._mail_catcher_reply_address(record, internal=internal)
            if catcher_email:
                reply_to[res_id] = self._notify_get_reply_to_formatted_email(
                    catcher_email, doc_names.get(res_id) or "", company=company
                )
            elif self._mail_catcher_is_company_catchall(reply_to.get(res_id), company):
                reply_to[res_id] = author_reply_to
        return reply_to

    def _mail_catcher_reply_companies(self):
        """The company whose catcher settings apply to each record (False: no record)."""
        if not self or self._name == "mail.thread":
            return {False: self.env.company}
        return self.sudo()._mail_get_companies(default=self.env.company)

    @staticmethod
    def _mail_catcher_is_company_catchall(reply_to, company):
        """A document's own alias (a project's, a sales team's) is a deliberate route and
        is kept; only the company-wide catchall, or nothing, gives way to the author."""
        if not reply_to:
            return True
        catchall = company.sudo().catchall_email
        return bool(catchall) and email_normalize(reply_to) == email_normalize(catchall)
