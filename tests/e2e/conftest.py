"""Fixtures of the end-to-end tests: the bench of real mail servers and a real Odoo server
process on the test database, driven over JSON-RPC. scripts/test provides both through
the environment; run outside it, these tests fail and say how to run them."""

import os
import sys
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "scripts"))

import bench as bench_module  # noqa: E402
from odoo_process import OdooServer  # noqa: E402


def required_env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(
            f"{name} is not set: the end-to-end tests run from scripts/test, which starts "
            "the bench of mail servers and prepares the test database.",
            pytrace=False,
        )
    return value


@pytest.fixture(scope="session")
def bench():
    return bench_module.Bench.load(required_env("MAIL_CATCHER_BENCH"))


@pytest.fixture(scope="session")
def odoo(bench, tmp_path_factory):
    database = required_env("MAIL_CATCHER_DB")
    server = OdooServer(
        database,
        required_env("MAIL_CATCHER_ADDONS"),
        tmp_path_factory.mktemp("odoo") / "odoo.log",
    )
    server.shell(REPO / "scripts" / "odoo" / "configure_mail.py")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mailbox(bench):
    """A catcher mailbox of its own for each test."""
    return f"pipe-{uuid.uuid4().hex[:10]}@company.test"
