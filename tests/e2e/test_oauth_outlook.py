"""A Microsoft 365 (Outlook) catcher mailbox that Odoo signs in to with OAuth (XOAUTH2), end
to end: chosen in Settings, watched and fetched as production does, its expired token
renewed, its revoked consent named until the admin connects the account again. See
oauth_catcher.py."""

import pytest
from oauth_catcher import (
    a_reply_reaches_the_invoice,
    a_revoked_consent_is_named_until_renewed,
    make_oauth_catcher,
    restore_catcher,
)

KIND = "outlook"


@pytest.fixture(scope="module", autouse=True)
def catcher(odoo, bench):
    """The company's catcher, before production (and its watcher) starts; put back after."""
    server_id, address, before = make_oauth_catcher(odoo, bench, KIND)
    yield server_id, address, KIND
    restore_catcher(odoo, before)


def test_a_reply_reaches_the_invoice_over_xoauth2(bench, production, catcher):
    a_reply_reaches_the_invoice(bench, production, catcher)


def test_a_revoked_consent_is_named_until_the_account_is_connected_again(
    odoo, bench, production, catcher
):
    a_revoked_consent_is_named_until_renewed(odoo, bench, production, catcher)
