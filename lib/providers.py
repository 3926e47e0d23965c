"""Mail providers' server settings, so that an admin picks a name instead of looking up
hosts, ports and security."""

# security: "ssl" (TLS from the first byte), "starttls", or "none"
PRESETS = {
    "gmail": {
        "imap": ("imap.gmail.com", 993, "ssl"),
        "smtp": ("smtp.gmail.com", 465, "ssl"),
    },
    "microsoft": {
        "imap": ("outlook.office365.com", 993, "ssl"),
        "smtp": ("smtp.office365.com", 587, "starttls"),
    },
    "ovh": {
        "imap": ("ssl0.ovh.net", 993, "ssl"),
        "smtp": ("ssl0.ovh.net", 465, "ssl"),
    },
    "infomaniak": {
        "imap": ("mail.infomaniak.com", 993, "ssl"),
        "smtp": ("mail.infomaniak.com", 465, "ssl"),
    },
    "gandi": {
        "imap": ("mail.gandi.net", 993, "ssl"),
        "smtp": ("mail.gandi.net", 465, "ssl"),
    },
    # Bridge's IMAP connection mode must be set to SSL: Odoo's IMAP has no STARTTLS.
    "proton_bridge": {
        "imap": ("127.0.0.1", 1143, "ssl"),
        "smtp": ("127.0.0.1", 1025, "starttls"),
    },
}

# What a generic server most likely listens on, most secure first.
USUAL_PORTS = {
    "imap": [(993, "ssl"), (143, "none")],
    "pop": [(995, "ssl"), (110, "none")],
    "smtp": [(465, "ssl"), (587, "starttls"), (25, "starttls")],
}
