"""The mail bench itself, against the real servers: if they cannot start, these tests fail."""

import email.policy
import email.utils
import imaplib
import json
import poplib
import re
import shutil
import smtplib
import subprocess
import sys
import tempfile
import uuid
from email.message import EmailMessage
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
sys.path.insert(0, str(SCRIPTS))

import bench as bench_module  # noqa: E402
import mails  # noqa: E402
import reply_as_customer  # noqa: E402

CATCHER = "mailcatcher@company.test"
CUSTOMER = "customer@customer.test"


@pytest.fixture(scope="module")
def bench():
    """A bench of our own, overriding conftest's shared one: these tests stop Dovecot."""
    with bench_module.Bench() as running:
        yield running


def make_mail(to: str, subject: str, sender: str = "alice@company.test") -> EmailMessage:
    return mails.build(
        "Hello,\nthis is the body.\n",
        From=sender,
        To=to,
        Subject=subject,
        Date=email.utils.formatdate(localtime=True),
        Message_ID=email.utils.make_msgid(domain="company.test"),
    )


def with_subject(subject):
    return lambda m: m["Subject"] == subject


def test_smtp_delivers_plus_address_to_base_inbox(bench):
    subject = f"plus {uuid.uuid4().hex}"
    mail = make_mail("mailcatcher+abc@company.test", subject)
    bench.deliver(mail, "mailcatcher+abc@company.test")

    [received] = bench.wait_for_messages(CATCHER, predicate=with_subject(subject), timeout=15)
    assert received["Message-ID"] == mail["Message-ID"]
    assert received["To"] == "mailcatcher+abc@company.test"
    assert "this is the body." in received.get_content()
    assert f"message-id={mail['Message-ID']}" in (bench.dir / "smtp.log").read_text()

    # Peeking did not mark it read: Odoo's fetchmail must still see it as new.
    conn = bench.imap(CATCHER)
    try:
        conn.select("INBOX", readonly=True)
        _, data = conn.search(None, "UNSEEN")
        assert data[0].split(), "messages() must not set \\Seen"
    finally:
        conn.logout()


def test_smtp_accepts_any_credentials(bench):
    subject = f"auth {uuid.uuid4().hex}"
    with smtplib.SMTP(bench.info["host"], bench.info["smtp_port"], timeout=10) as smtp:
        smtp.login("odoo@company.test", "whatever")
        smtp.send_message(make_mail(CATCHER, subject))
    bench.wait_for_messages(CATCHER, predicate=with_subject(subject), timeout=15)


def test_pop3_login_lists_mail(bench):
    subject = f"pop {uuid.uuid4().hex}"
    bench.deliver(make_mail(CUSTOMER, subject), CUSTOMER)
    bench.wait_for_messages(CUSTOMER, predicate=with_subject(subject), timeout=15)

    pop = poplib.POP3(bench.info["host"], bench.info["pop3_port"], timeout=10)
    try:
        pop.user(CUSTOMER)
        pop.pass_(bench.info["password"])
        count, _ = pop.stat()
        assert count >= 1
        _, listing, _ = pop.list()
        assert len(listing) == count
        subjects = []
        for num in range(1, count + 1):
            _, lines, _ = pop.retr(num)
            msg = email.message_from_bytes(b"\r\n".join(lines), policy=email.policy.default)
            subjects.append(msg["Subject"])
        assert subject in subjects
    finally:
        pop.quit()


def test_wrong_password_is_refused(bench):
    conn = imaplib.IMAP4(bench.info["host"], bench.info["imap_port"], timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            conn.login(CATCHER, "not-" + bench.info["password"])
    finally:
        conn.logout()


def test_clear_empties_mailbox(bench):
    user = f"clear-{uuid.uuid4().hex[:8]}@company.test"
    bench.deliver(make_mail(user, "to clear"), user)
    bench.wait_for_messages(user, timeout=15)
    bench.clear(user)
    assert bench.messages(user) == []


def test_dovecot_restart_keeps_mail(bench):
    subject = f"restart {uuid.uuid4().hex}"
    bench.deliver(make_mail(CATCHER, subject), CATCHER)
    bench.wait_for_messages(CATCHER, predicate=with_subject(subject), timeout=15)
    ports = {k: bench.info[k] for k in ("imap_port", "pop3_port", "lmtp_port")}

    bench.stop_dovecot()
    try:
        with pytest.raises(ConnectionRefusedError):
            bench.imap(CATCHER)
        # The SMTP server is still up, but cannot hand the mail over: a temporary failure.
        with pytest.raises(smtplib.SMTPDataError) as refused:
            bench.deliver(make_mail(CATCHER, "while down"), CATCHER)
        assert refused.value.smtp_code == 451
        with pytest.raises(TimeoutError, match=CATCHER):
            bench.wait_for_messages(CATCHER, timeout=0.5)
    finally:
        bench.start_dovecot()

    assert {k: bench.info[k] for k in ports} == ports
    assert bench_module.pid_alive(bench.info["dovecot_pid"])
    saved = json.loads((bench.dir / "bench.json").read_text())
    assert saved["dovecot_pid"] == bench.info["dovecot_pid"]
    subjects = [m["Subject"] for m in bench.messages(CATCHER)]
    assert subject in subjects
    assert "while down" not in subjects


def odoo_like_original(subject: str) -> EmailMessage:
    original = mails.build(
        "Dear customer,\n\nyour order is ready.\n",
        From='"Alice (Company)" <alice@company.test>',
        Reply_To='"Company catchall" <mailcatcher+tok@company.test>',
        To=CUSTOMER,
        Subject=subject,
        Date="Mon, 02 Jun 2025 10:00:00 +0000",
        Message_ID="<original.123@company.test>",
        References="<first.1@company.test>",
    )
    original.add_alternative("<p>Dear customer,</p><p>your order is <b>ready</b>.</p>", "html")
    return original


def test_build_reply_threads_and_quotes(bench):
    subject = f"Order {uuid.uuid4().hex}"
    original = odoo_like_original(subject)

    reply = reply_as_customer.build_reply(
        original, CUSTOMER, "Thanks!", attachments=[("note.txt", b"some notes\n")]
    )
    assert reply["From"] == CUSTOMER
    assert reply["To"] == original["Reply-To"]
    assert reply["Subject"] == f"Re: {subject}"
    assert reply["In-Reply-To"] == "<original.123@company.test>"
    assert reply["References"] == "<first.1@company.test> <original.123@company.test>"
    assert reply["Message-ID"].endswith("@customer.test>")
    text = reply.get_body(("plain",)).get_content()
    assert text.startswith("Thanks!\n")
    assert "On Mon, 02 Jun 2025 10:00:00 +0000, " in text
    assert "> Dear customer," in text
    assert "> your order is ready." in text
    [attachment] = list(reply.iter_attachments())
    assert attachment.get_filename() == "note.txt"
    assert attachment.get_content_type() == "text/plain"

    bare = reply_as_customer.build_reply(original, CUSTOMER, "Hi", threading_headers=False)
    assert bare["In-Reply-To"] is None and bare["References"] is None
    assert reply_as_customer.build_reply(reply, CUSTOMER, "x")["Subject"] == reply["Subject"]

    bench.deliver(reply, "mailcatcher+tok@company.test", sender=CUSTOMER)
    [received] = bench.wait_for_messages(
        CATCHER, predicate=lambda m: m["Message-ID"] == reply["Message-ID"], timeout=15
    )
    assert received["In-Reply-To"] == "<original.123@company.test>"
    assert received.get_filename() is None
    assert [a.get_filename() for a in received.iter_attachments()] == ["note.txt"]


def test_reply_as_customer_cli(bench):
    subject = f"Quote {uuid.uuid4().hex}"
    bench.deliver(odoo_like_original(subject), CUSTOMER, sender="alice@company.test")
    bench.wait_for_messages(CUSTOMER, predicate=with_subject(subject), timeout=15)

    out = subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "reply_as_customer.py"),
            "--bench",
            str(bench.dir / "bench.json"),
            "--customer",
            CUSTOMER,
            "--subject-contains",
            subject,
            "--body",
            "Yes, please.",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert f"Subject: Re: {subject}" in out
    [received] = bench.wait_for_messages(
        CATCHER, predicate=with_subject(f"Re: {subject}"), timeout=15
    )
    assert received["In-Reply-To"] == "<original.123@company.test>"
    assert received.get_content().startswith("Yes, please.")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / "bench.py"), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_dir_out_of_mail_users_reach_is_refused(tmp_path):
    # pytest's tmp_path lives under a 0700 folder: Dovecot could not deliver there.
    with pytest.raises(ValueError, match="out of reach of the 'mail' user"):
        bench_module.Bench(tmp_path / "bench").start()
    assert not (tmp_path / "bench" / "run" / "master.pid").exists()


def test_cli_start_stop_round_trip():
    bench_dir = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    info = json.loads(run_cli("start", "--dir", str(bench_dir), "--password", "s3cret").stdout)
    try:
        assert info == json.loads((bench_dir / "bench.json").read_text())
        assert info["password"] == "s3cret"
        assert bench_module.pid_alive(info["dovecot_pid"], "dovecot")
        assert bench_module.pid_alive(info["smtp_pid"], "smtp-serve")

        # The servers outlived the CLI, and a Bench can attach to them.
        attached = bench_module.Bench.load(bench_dir / "bench.json")
        attached.deliver(make_mail("bob+x@company.test", "via cli"), "bob+x@company.test")
        [received] = attached.wait_for_messages("bob@company.test", timeout=15)
        assert received["Subject"] == "via cli"
    finally:
        run_cli("stop", "--dir", str(bench_dir))

    assert not bench_module.pid_alive(info["dovecot_pid"])
    assert not bench_module.pid_alive(info["smtp_pid"])
    for key in (
        "imap_port",
        "pop3_port",
        "lmtp_port",
        "smtp_port",
        *bench_module.SMTP_SHAPES.values(),
    ):
        assert not bench_module.port_open(info[key]), key
    run_cli("stop", "--dir", str(bench_dir))  # idempotent
    shutil.rmtree(bench_dir)


# -- the second IMAP server, and folders ------------------------------------------------------

IMAP2_CATCHER = f"mailcatcher@{bench_module.IMAP2_DOMAIN}"


def list_folders(conn: imaplib.IMAP4, *args: str) -> dict[str, tuple[str, str]]:
    """LIST's answer as {name: (attributes, separator)}, names as on the wire, unquoted;
    `args` are LIST's own (imaplib's list() cannot send LIST (SPECIAL-USE) "" "*")."""
    typ, data = conn._simple_command("LIST", *(args or ('""', '"*"')))
    assert typ == "OK", data
    _, lines = conn._untagged_response(typ, data, "LIST")
    folders = {}
    for line in lines:
        attrs, separator, name = re.match(rb'\(([^)]*)\) ("[^"]*"|NIL) (.+)', line).groups()
        folders[name.decode().strip('"')] = (attrs.decode(), separator.decode().strip('"'))
    return folders


def test_imap2_server_runs_and_takes_address_logins(bench):
    assert bench.info["imap2_kind"] == "mailutils-imap4d"
    assert bench_module.pid_alive(bench.info["imap2_pid"], "imap4d")
    assert bench.info["imap2_port"] not in (bench.info["imap_port"], bench.info["pop3_port"])

    bench.imap2(IMAP2_CATCHER).logout()  # makes the account
    conn = imaplib.IMAP4(bench.info["host"], bench.info["imap2_port"], timeout=10)
    try:
        conn.login(IMAP2_CATCHER, bench.info["password"])
        capabilities = conn.capability()[1][0].split()
        # What Odoo must do without: imap4d lacks MOVE, UIDPLUS and SPECIAL-USE.
        assert b"IDLE" in capabilities
        assert not {b"MOVE", b"UIDPLUS", b"SPECIAL-USE"} & set(capabilities)
        assert conn.namespace()[1] == [b'(("" "/")) NIL NIL']
    finally:
        conn.logout()

    conn = imaplib.IMAP4(bench.info["host"], bench.info["imap2_port"], timeout=10)
    try:
        with pytest.raises(imaplib.IMAP4.error):
            conn.login(IMAP2_CATCHER, "not-" + bench.info["password"])
    finally:
        conn.logout()


def test_smtp_delivers_second_domain_to_imap2(bench):
    subject = f"second {uuid.uuid4().hex}"
    mail = make_mail("mailcatcher+x@second.test", subject)
    bench.deliver(mail, "mailcatcher+x@second.test")

    [received] = bench.wait_for_messages(IMAP2_CATCHER, predicate=with_subject(subject))
    assert received["Message-ID"] == mail["Message-ID"]
    # As Dovecot's LMTP adds them: Odoo routes replies by Delivered-To.
    assert received["Delivered-To"] == "mailcatcher+x@second.test"
    assert received["Return-Path"] == "<alice@company.test>"
    assert "to=mailcatcher+x@second.test" in (bench.dir / "smtp.log").read_text()
    conn = bench.imap(IMAP2_CATCHER)  # Dovecot takes any login, but got nothing
    try:
        assert conn.select("INBOX", readonly=True)[1] == [b"0"]
    finally:
        conn.logout()

    # What the catcher does with a mail, as on any IMAP4rev1 server.
    conn = bench.imap2(IMAP2_CATCHER)
    try:
        assert conn.create("Done")[0] == "OK"
        conn.select("INBOX")
        _, data = conn.uid("SEARCH", None, "UNSEEN")
        uids = data[0].split()
        assert uids
        _, data = conn.uid("FETCH", uids[-1], "(BODY.PEEK[])")
        assert mail["Message-ID"].encode() in data[0][1]
        assert conn.uid("COPY", uids[-1], "Done")[0] == "OK"
        assert conn.uid("STORE", uids[-1], "+FLAGS", r"(\Seen \Deleted)")[0] == "OK"
        assert conn.expunge()[0] == "OK"
    finally:
        conn.logout()
    assert subject not in [m["Subject"] for m in bench.messages(IMAP2_CATCHER)]
    assert subject in [m["Subject"] for m in bench.messages(IMAP2_CATCHER, "Done")]


def test_append_into_dovecot_junk(bench):
    subject = f"spam {uuid.uuid4().hex}"
    bench.append(CATCHER, make_mail(CATCHER, subject), "Junk", flags=[r"\Seen"])

    [filed] = bench.wait_for_messages(CATCHER, folder="Junk", predicate=with_subject(subject))
    assert filed["Message-ID"]
    assert subject not in [m["Subject"] for m in bench.messages(CATCHER)]
    conn = bench.imap(CATCHER)
    try:
        folders = list_folders(conn)
        assert r"\Junk" in folders["Junk"][0]
        assert r"\Trash" in folders["Trash"][0] and r"\Sent" in folders["Sent"][0]
        assert folders["INBOX"][1] == "."  # Debian-like Maildir++
        special = list_folders(conn, "(SPECIAL-USE)", '""', '"*"')
        assert special["Junk"][0] == r"\Junk"
        conn.select("Junk", readonly=True)
        _, data = conn.search(None, "SEEN", "SUBJECT", f'"{subject}"')
        assert data[0].split(), "append must set the flags it is given"
    finally:
        conn.logout()


@pytest.mark.parametrize("user", [CATCHER, IMAP2_CATCHER], ids=["dovecot", "imap4d"])
def test_append_makes_folder_with_spaces(bench, user):
    subject = f"junk email {uuid.uuid4().hex}"
    bench.append(user, make_mail(user, subject), "Junk Email", flags=[r"\Seen"])
    assert bench.wait_for_messages(user, folder="Junk Email", predicate=with_subject(subject))
    conn = bench.connect(user)
    try:
        conn.select('"Junk Email"', readonly=True)
        _, data = conn.search(None, "SEEN")
        assert data[0].split()
    finally:
        conn.logout()
    bench.clear(user, "Junk Email")
    assert bench.messages(user, "Junk Email") == []


@pytest.mark.parametrize("user", [CATCHER, IMAP2_CATCHER], ids=["dovecot", "imap4d"])
def test_create_modified_utf7_folder(bench, user):
    folder = f"Trait&AOk-s {uuid.uuid4().hex[:6]}"  # "Traités …"
    conn = bench.connect(user)
    try:
        separator = list_folders(conn, '""', '""')[""][1]
        child = f"{folder}{separator}Ann&AOk-e"
        assert conn.create(bench_module.quote_mailbox(folder))[0] == "OK"
        assert conn.create(bench_module.quote_mailbox(child))[0] == "OK"
        folders = list_folders(conn, '""', '"*"')
        assert folder in folders and child in folders
    finally:
        conn.logout()

    subject = f"filed {uuid.uuid4().hex}"
    bench.append(user, make_mail(user, subject), child)
    [filed] = bench.messages(user, child)
    assert filed["Subject"] == subject


def test_cli_stop_stops_imap2():
    bench_dir = Path(tempfile.mkdtemp(prefix="bench-cli-"))
    info = json.loads(run_cli("start", "--dir", str(bench_dir)).stdout)
    try:
        assert bench_module.pid_alive(info["imap2_pid"], "imap4d")
        attached = bench_module.Bench.load(bench_dir / "bench.json")
        attached.deliver(make_mail(IMAP2_CATCHER, "via cli"), IMAP2_CATCHER)
        [received] = attached.wait_for_messages(IMAP2_CATCHER, timeout=15)
        assert received["Subject"] == "via cli"
    finally:
        run_cli("stop", "--dir", str(bench_dir))
    assert not bench_module.pid_alive(info["imap2_pid"])
    assert not bench_module.port_open(info["imap2_port"])
    shutil.rmtree(bench_dir)


# -- the provider-shaped SMTP servers ------------------------------------------------------------


def shaped_smtp(bench, shape: str, login: str = "") -> smtplib.SMTP:
    """A connection to one of the provider-shaped servers, logged in as `login` if given."""
    smtp = smtplib.SMTP(bench.info["host"], bench.smtp_port(shape), timeout=10)
    if login:
        smtp.login(login, bench.info["password"])
    return smtp


def test_send_as_server_sends_as_its_login_only(bench):
    """Microsoft 365's shape: its own address goes; another From, in the header or the
    envelope, is refused with Exchange Online's SendAsDenied; no login, no mail."""
    subject = f"send as {uuid.uuid4().hex}"
    with shaped_smtp(bench, "send_as", "carol@company.test") as smtp:
        smtp.send_message(make_mail(CATCHER, subject, sender="carol@company.test"))
        with pytest.raises(smtplib.SMTPDataError) as header_refused:
            smtp.send_message(
                make_mail(CATCHER, "as alice", sender="alice@company.test"),
                from_addr="carol@company.test",
            )
        assert header_refused.value.smtp_code == 554
        assert (
            b"5.2.252 SendAsDenied; carol@company.test not allowed to send as alice@company.test"
            in header_refused.value.smtp_error
        )
        with pytest.raises(smtplib.SMTPSenderRefused) as envelope_refused:
            smtp.send_message(
                make_mail(CATCHER, "as bounce", sender="carol@company.test"),
                from_addr="bounce@company.test",
            )
        assert b"SendAsDenied" in envelope_refused.value.smtp_error
    [received] = bench.wait_for_messages(CATCHER, predicate=lambda m: "send as" in m["Subject"])
    assert received["Subject"] == subject and received["From"] == "carol@company.test"

    with (
        shaped_smtp(bench, "send_as") as smtp,
        pytest.raises(smtplib.SMTPSenderRefused) as anonymous,
    ):
        smtp.send_message(make_mail(CATCHER, "anonymous", sender="carol@company.test"))
    assert anonymous.value.smtp_code == 530
    with shaped_smtp(bench, "send_as") as smtp, pytest.raises(smtplib.SMTPAuthenticationError):
        smtp.login("carol@company.test", "not the password")


def test_rewrite_server_puts_its_login_in_the_from(bench):
    """Gmail's shape: the mail goes, from the account's address; the original From is
    kept in X-Google-Original-From, and the account's own From is left alone."""
    subject = f"rewrite {uuid.uuid4().hex}"
    own = f"own {uuid.uuid4().hex}"
    with shaped_smtp(bench, "rewrite", "carol@company.test") as smtp:
        smtp.send_message(make_mail(CATCHER, subject, sender='"Alice A." <alice@company.test>'))
        smtp.send_message(make_mail(CATCHER, own, sender="carol@company.test"))
    [rewritten] = bench.wait_for_messages(CATCHER, predicate=with_subject(subject))
    assert rewritten["From"] == '"Alice A." <carol@company.test>'
    assert rewritten["X-Google-Original-From"] == '"Alice A." <alice@company.test>'
    assert rewritten["Return-Path"] == "<carol@company.test>"
    [kept] = bench.wait_for_messages(CATCHER, predicate=with_subject(own))
    assert kept["From"] == "carol@company.test" and "X-Google-Original-From" not in kept

    with (
        shaped_smtp(bench, "rewrite") as smtp,
        pytest.raises(smtplib.SMTPSenderRefused) as anonymous,
    ):
        smtp.send_message(make_mail(CATCHER, "anonymous"))
    assert anonymous.value.smtp_code == 530


def test_relay_server_needs_no_login_and_keeps_the_from(bench):
    """A provider's relay (Google Workspace SMTP relay, a Microsoft 365 connector): trusted
    by the address it is reached from, it takes any From of the tenant as it is."""
    subject = f"relay {uuid.uuid4().hex}"
    with shaped_smtp(bench, "relay") as smtp:
        smtp.send_message(make_mail(CATCHER, subject, sender="alice@company.test"))
    [received] = bench.wait_for_messages(CATCHER, predicate=with_subject(subject))
    assert received["From"] == "alice@company.test" and "X-Google-Original-From" not in received
    assert (
        f"server=relay from=alice@company.test to={CATCHER}" in (bench.dir / "smtp.log").read_text()
    )


@pytest.mark.parametrize("shape", ["plain", *bench_module.SMTP_SHAPES])
def test_plus_address_of_a_tenant_without_plus_addressing_is_refused(bench, shape):
    """Where plus addressing is off, catcher+token@ does not exist: every server refuses it
    at RCPT TO, with Exchange Online's recipient-not-found, and still takes the plain address."""
    catcher = f"{bench.info['noplus_prefix']}catcher@company.test"
    port = bench.smtp_port(shape)
    subject = f"noplus {shape} {uuid.uuid4().hex}"
    with smtplib.SMTP(bench.info["host"], port, timeout=10) as smtp:
        if shape in ("send_as", "rewrite"):
            smtp.login("alice@company.test", bench.info["password"])
        for plus in (f"{catcher.replace('@', '+tok@')}", f"x+tok@{bench.info['noplus_domain']}"):
            with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
                smtp.send_message(make_mail(plus, "plus"), to_addrs=[plus])
            code, text = refused.value.recipients[plus]
            assert code == 550 and b"5.1.10 RESOLVER.ADR.RecipientNotFound" in text
        smtp.send_message(make_mail(catcher, subject), to_addrs=[catcher])
    [received] = bench.wait_for_messages(catcher, predicate=with_subject(subject))
    assert received["To"] == catcher
