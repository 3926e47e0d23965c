"""The bench's OAuth parts, against the real servers: Dovecot over TLS with the bench's
certificate, its XOAUTH2 logins (and the SMTP server's) checked with the stand-in token
service, and that service
reached under the providers' own names, as an Odoo process started with
Bench.oauth_environ() reaches it."""

import base64
import imaplib
import smtplib
import ssl
import sys
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench as bench_module


@pytest.fixture(scope="module")
def bench():
    """A bench of our own: these tests revoke consents and read the token service's log."""
    with bench_module.Bench() as running:
        yield running


@pytest.fixture
def address():
    return f"oauth-{uuid.uuid4().hex[:8]}@company.test"


@pytest.fixture
def provider(bench, monkeypatch):
    """requests, as Odoo's apps use it, under the environment Odoo processes get."""
    for name, value in bench.oauth_environ().items():
        monkeypatch.setenv(name, value)

    def token(url, **values):
        return requests.post(url, data=values, timeout=10)

    return token


GOOGLE = "https://oauth2.googleapis.com/token"
MICROSOFT = "https://login.microsoftonline.com/common/oauth2/v2.0/token"


def test_dovecot_speaks_tls_with_the_bench_certificate(bench, address):
    imap = bench.imaps(address)  # verifies the certificate against tls_cert
    try:
        assert imap.select("INBOX")[0] == "OK"
    finally:
        imap.logout()
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            bench.info["host"], bench.info["imaps_port"], ssl_context=ssl.create_default_context()
        )


def test_a_consent_signs_in_with_xoauth2_and_only_as_its_account(bench, provider, address):
    code = bench.oauth_consent(address)
    granted = provider(GOOGLE, grant_type="authorization_code", code=code).json()
    imap = bench.imaps(address, token=granted["access_token"])
    imap.logout()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        bench.imaps(f"other-{address}", token=granted["access_token"])
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        bench.imaps(address, token="access-forged")
    refused = provider(GOOGLE, grant_type="authorization_code", code=code)
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant"), "used once"


def test_an_expired_token_is_refused_and_renewed(bench, provider, address):
    granted = provider(
        MICROSOFT, grant_type="authorization_code", code=bench.oauth_consent(address, -1)
    ).json()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        bench.imaps(address, token=granted["access_token"])
    renewed = provider(
        MICROSOFT, grant_type="refresh_token", refresh_token=granted["refresh_token"]
    ).json()
    assert renewed["refresh_token"] != granted["refresh_token"], "Microsoft's rotate"
    bench.imaps(address, token=renewed["access_token"]).logout()
    google = provider(
        GOOGLE, grant_type="authorization_code", code=bench.oauth_consent(address)
    ).json()
    assert (
        "refresh_token"
        not in provider(
            GOOGLE, grant_type="refresh_token", refresh_token=google["refresh_token"]
        ).json()
    ), "Google keeps its refresh token"
    grants = [g["grant_type"] for g in bench.oauth_renewals() if g["email"] == address]
    assert grants == ["authorization_code", "refresh_token", "authorization_code", "refresh_token"]


def test_a_revoked_consent_stops_its_tokens_and_their_renewal(bench, provider, address):
    granted = provider(
        GOOGLE, grant_type="authorization_code", code=bench.oauth_consent(address)
    ).json()
    bench.oauth_revoke(address)
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        bench.imaps(address, token=granted["access_token"])
    refused = provider(GOOGLE, grant_type="refresh_token", refresh_token=granted["refresh_token"])
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


def test_smtp_takes_xoauth2_after_starttls_as_odoos_apps_send_it(bench, provider, address):
    granted = provider(
        GOOGLE, grant_type="authorization_code", code=bench.oauth_consent(address)
    ).json()

    def auth(token):
        with smtplib.SMTP(bench.info["host"], bench.info["smtp_port"], timeout=10) as smtp:
            smtp.starttls()
            smtp.ehlo()
            assert "XOAUTH2" in smtp.esmtp_features["auth"]
            sasl = f"user={address}\1auth=Bearer {token}\1\1"
            return smtp.docmd("AUTH", "XOAUTH2 " + base64.b64encode(sasl.encode()).decode())[0]

    assert auth(granted["access_token"]) == 235
    bench.oauth_revoke(address)
    assert auth(granted["access_token"]) == 535
