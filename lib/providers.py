"""Mail providers' server settings, so that an admin picks a name instead of looking up
hosts, ports and security."""

# security: "ssl" (TLS from the first byte), "starttls", or "none"
# authserv_id: what the provider writes first in the Authentication-Results header of the
# mails it receives, as seen in its published mails' headers; None when that is unknown or
# cannot be told apart from what a sender writes.
PRESETS = {
    "gmail": {
        "imap": ("imap.gmail.com", 993, "ssl"),
        "smtp": ("smtp.gmail.com", 465, "ssl"),
        "authserv_id": "mx.google.com",
    },
    # Exchange Online writes `mx.microsoft.com 1;` first, or no authserv-id in the older
    # form Microsoft still documents: lib/sender_auth.py reads its topmost header alone.
    "microsoft": {
        "imap": ("outlook.office365.com", 993, "ssl"),
        "smtp": ("smtp.office365.com", 587, "starttls"),
        "authserv_id": "mx.microsoft.com",
    },
    # Each receiving host names itself (in66.mail.ovh.net); OVH reports DKIM only.
    "ovh": {
        "imap": ("ssl0.ovh.net", 993, "ssl"),
        "smtp": ("ssl0.ovh.net", 465, "ssl"),
        "authserv_id": "*.mail.ovh.net",
    },
    "infomaniak": {
        "imap": ("mail.infomaniak.com", 993, "ssl"),
        "smtp": ("mail.infomaniak.com", 465, "ssl"),
        "authserv_id": None,
    },
    "gandi": {
        "imap": ("mail.gandi.net", 993, "ssl"),
        "smtp": ("mail.gandi.net", 465, "ssl"),
        "authserv_id": "spool.mail.gandi.net",
    },
    # Bridge's IMAP connection mode must be set to SSL: Odoo's IMAP has no STARTTLS.
    # Proton writes one header per check (dkim, dmarc, spf), in no fixed order: the
    # topmost one alone does not always carry the DMARC result.
    "proton_bridge": {
        "imap": ("127.0.0.1", 1143, "ssl"),
        "smtp": ("127.0.0.1", 1025, "starttls"),
        "authserv_id": None,
    },
}

# The providers' relays, which trust the sender's IP address instead of a login: Google
# Workspace's SMTP relay service (support.google.com/a/answer/2956491), and a Microsoft 365
# connector, reached on the domain's MX host (None: <domain with dashes>.mail.protection.
# outlook.com, learn.microsoft.com/exchange/mail-flow-best-practices/how-to-set-up-a-
# multifunction-device-or-application-to-send-email-using-microsoft-365-or-office-365).
RELAYS = {
    "gmail": ("smtp-relay.gmail.com", 587, "starttls"),
    "microsoft": (None, 25, "starttls"),
}

# What a generic server most likely listens on, most secure first.
USUAL_PORTS = {
    "imap": [(993, "ssl"), (143, "none")],
    "pop": [(995, "ssl"), (110, "none")],
    "smtp": [(465, "ssl"), (587, "starttls"), (25, "starttls")],
}
