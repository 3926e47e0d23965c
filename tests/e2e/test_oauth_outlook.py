"""A Microsoft 365 (Outlook) catcher mailbox that Odoo signs in to with OAuth (XOAUTH2), end
to end: chosen in Settings, watched and fetched as production does, its expired token
renewed, its revoked consent named until the admin connects the account again. The tests
are oauth_catcher.py's, run here for this provider."""

from oauth_catcher import (  # noqa: F401 (pytest collects what is imported here)
    catcher,
    test_a_reply_reaches_the_invoice_over_xoauth2,
    test_a_revoked_consent_is_named_until_the_account_is_connected_again,
)

KIND = "outlook"
