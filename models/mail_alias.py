from odoo import api, models

from ..lib.chunk_memo import values_searched

# The look-ups a chunk of routed mails shares (models/mail_thread.py) are forgotten when
# an alias, or a domain of aliases, changes (mail.catcher.chunk.source): Odoo's look-up
# of partners by address leaves out the addresses of aliases, and its check for bounces
# reads the domains.


class MailAlias(models.Model):
    _name = "mail.alias"
    _inherit = ["mail.alias", "mail.catcher.chunk.source"]

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        """Odoo searches aliases several times for each mail it routes (for the partners
        of its addresses, for its route, for the reply-to of the message it posts), and
        the mails of a chunk ask the same questions: while a chunk is routed, each search
        is made once, and one search of the aliases of all its addresses answers the
        look-ups of partners, filtered (in the aliases' order). Any change to an alias
        ends that memory (mail.catcher.chunk.source)."""
        chunk = self.env["mail.thread"]._mail_catcher_chunk()
        if not chunk:
            return super().search(domain, offset=offset, limit=limit, order=order)
        search = super().search
        addresses = values_searched(domain, "alias_full_name")
        if addresses is None or not chunk.covers(addresses) or offset or limit or order:
            key = ("aliases searched", repr(domain), offset, limit, order)
            found = chunk.recall(
                (*self.env["mail.thread"]._mail_catcher_env_key("alias search"), *key),
                lambda: search(domain, offset=offset, limit=limit, order=order).ids,
            )
            return self.browse(found)
        alias_ids, all_ids = chunk.matches(
            self.env["mail.thread"]._mail_catcher_env_key("aliases"),
            addresses,
            lambda chunk_addresses: [
                (alias.id, alias.alias_full_name)
                for alias in search([("alias_full_name", "in", chunk_addresses)])
            ],
        )
        return self.browse(alias_ids).with_prefetch(all_ids)


class MailAliasDomain(models.Model):
    _name = "mail.alias.domain"
    _inherit = ["mail.alias.domain", "mail.catcher.chunk.source"]

    @api.model
    def search(self, domain, offset=0, limit=None, order=None):
        """Odoo reads every domain of aliases for each mail it routes (is it sent to a
        bounce address?): while a chunk is routed, the first read answers the others."""
        chunk = self.env["mail.thread"]._mail_catcher_chunk()
        if not chunk or domain or offset or limit is not None or order is not None:
            return super().search(domain, offset=offset, limit=limit, order=order)
        search = super().search
        key = self.env["mail.thread"]._mail_catcher_env_key("alias domains")
        return self.browse(chunk.recall(key, lambda: search([]).ids))
