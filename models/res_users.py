from odoo import api, fields, models


class ResUsers(models.Model):
    # A user's partner is what the routing of a chunk looks up (models/mail_thread.py):
    # a user created or changed (archived, moved to another company) during the chunk is
    # found as it now is by the next mail (mail.catcher.chunk.source).
    _name = "res.users"
    _inherit = ["res.users", "mail.catcher.chunk.source"]

    notify_replies_by_email = fields.Boolean(
        string="Email me every reply",
        compute="_compute_notify_replies_by_email",
        inverse="_inverse_notify_replies_by_email",
        help="Replies to documents you follow, or whose mail you sent, reach your mailbox. "
        "Unticked, they wait in your Odoo inbox, next to your name.",
    )

    @property
    def SELF_READABLE_FIELDS(self):
        return [*super().SELF_READABLE_FIELDS, "notify_replies_by_email"]

    @property
    def SELF_WRITEABLE_FIELDS(self):
        return [*super().SELF_WRITEABLE_FIELDS, "notify_replies_by_email"]

    @api.depends("notification_type")
    def _compute_notify_replies_by_email(self):
        for user in self:
            user.notify_replies_by_email = user.notification_type == "email"

    def _inverse_notify_replies_by_email(self):
        # Portal users can only be notified by email (a constraint of `mail`).
        for user in self.filtered(lambda user: not user.share):
            user.notification_type = "email" if user.notify_replies_by_email else "inbox"

    def _bus_send_store(
        self, /, *args, notification_type="mail.record/insert", subchannel=None, **kwargs
    ):
        """A user's inbox notification of a message posted while a chunk of mails is
        routed waits for the chunk's end (models/mail_thread.py), where the payloads of
        all its messages are built from one read of them, and stored in one insert."""
        message = args[0] if len(args) == 1 else None
        deferrable = (
            notification_type == "mail.message/inbox"
            and subchannel is None
            and len(self) == 1
            and isinstance(message, models.BaseModel)
            and message._name == "mail.message"
            and len(message) == 1
        )
        if deferrable and self.env["mail.thread"]._mail_catcher_defer_inbox(self, message, kwargs):
            return
        super()._bus_send_store(
            *args, notification_type=notification_type, subchannel=subchannel, **kwargs
        )
