"""``reminders channel test ID`` sends one test notice now; ``check`` says what it verified.

Against real receivers (tests/test_channels.py's aiosmtpd server and webhook, an outbox folder):
the test notice arrives marked as a test, the command prints what the receiver answered, the
ledger is never opened (no file appears), and an unknown channel or a refused connection is one
clear line.  ``check`` says of an e-mail channel that it did not connect; ``check --connect``
connects (TLS, login) and sends nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import trustme

from .conftest import english_config_text
from .test_channels import (
    PASSWORD,
    TOKEN,
    Inbox,
    ca_file,
    closed_port,
    http_server,
    smtp_server,
    tls_server_context,
)

Cli = Callable[..., tuple[int, str, str]]

EMAIL = """
[[channel]]
id = "team-mail"
type = "email"
host = "127.0.0.1"
port = {port}
security = "{security}"
sender = "events@embassy.example.org"
recipients = ["team@embassy.example.org"]
timeout = "PT5S"
"""


def project(tmp_path: Path, extra: str = "") -> Path:
    """The bundled config (ledger and outbox under var/) with more channels; returns its path."""
    folder = tmp_path / "project"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(english_config_text() + extra, "utf-8")
    return config


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def test_file_channel_writes_a_marked_test_notice_and_prints_the_path(
    cli: Cli, tmp_path: Path
) -> None:
    config = project(tmp_path)
    code, out, err = cli("--config", str(config), "channel", "test", "outbox")
    assert (code, err) == (0, "")
    outbox = config.parent / "var" / "outbox"
    (written,) = outbox.iterdir()
    assert re.fullmatch(r"test_outbox_\d{8}t\d{6}z_plan-30__outbox\.txt", written.name)
    lines = out.splitlines()
    assert re.fullmatch(
        r"test notice test:outbox:\d{8}t\d{6}z:plan-30 \(rule plan-30's templates, sample data\)",
        lines[0],
    )
    assert lines[1:] == [
        f"sent through channel outbox (file: txt files in {outbox}):",
        f"  wrote {written}",
    ]
    text = written.read_text("utf-8")
    assert text.startswith("Subject: [TEST] Start planning: 25th anniversary of a sample ")
    assert (
        "\n\nTEST NOTICE, sent with 'reminders channel test outbox' to check the channel. "
        "Nothing is due: the remembrance day, facts and events below are made-up sample data.\n"
    ) in text
    # Past the ledger: nothing recorded, no ledger made.
    assert sorted(p.name for p in (config.parent / "var").iterdir()) == ["outbox"]


def test_email_test_notice_reaches_a_real_smtp_server_and_prints_its_reply(
    cli: Cli, tmp_path: Path
) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = project(tmp_path, EMAIL.format(port=port, security="none"))
        code, out, err = cli("--config", str(config), "channel", "test", "team-mail")
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        f"sent through channel team-mail (email via 127.0.0.1:{port} (none) to 1 recipient):",
        f"  127.0.0.1:{port} accepted it for 1 recipient: 250 Message accepted",
    ]
    (mail,) = inbox.messages()
    assert str(mail["Subject"]).startswith("[TEST] Start planning: 25th anniversary of a sample")
    assert mail["To"] == "team@embassy.example.org"
    assert re.fullmatch(
        r"<test_team-mail_\d{8}t\d{6}z_plan-30__team-mail@[^>]+>", mail["Message-ID"].strip()
    )
    plain = mail.get_body(("plain",))
    html = mail.get_body(("html",))
    assert plain is not None
    assert html is not None
    assert str(plain.get_content()).startswith("TEST NOTICE, sent with 'reminders channel test ")
    assert "TEST NOTICE, sent with &#x27;reminders channel test team-mail&#x27;" in str(
        html.get_content()
    )
    assert not (config.parent / "var").exists()  # no ledger, no outbox


def test_email_test_notice_says_what_the_server_refused(cli: Cli, tmp_path: Path) -> None:
    inbox = Inbox(data_reply="554 5.7.1 Message rejected as spam")
    with smtp_server(inbox) as port:
        config = project(tmp_path, EMAIL.format(port=port, security="none"))
        code, out, err = cli("--config", str(config), "channel", "test", "team-mail")
    assert (code, out) == (1, "")
    assert err == (
        "reminders: channel 'team-mail': the test notice was not sent: SMTPDataError: 554 5.7.1 "
        "Message rejected as spam\n"
    )


def test_a_refused_connection_is_one_line(cli: Cli, tmp_path: Path) -> None:
    port = closed_port()
    config = project(tmp_path, EMAIL.format(port=port, security="none"))
    code, out, err = cli("--config", str(config), "channel", "test", "team-mail")
    assert (code, out) == (1, "")
    assert err == (
        f"reminders: channel 'team-mail': the test notice was not sent: cannot reach "
        f"127.0.0.1:{port}: Connection refused\n"
    )
    assert not (config.parent / "var").exists()


def test_an_unknown_channel_id_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    config = project(tmp_path)
    code, out, err = cli("--config", str(config), "channel", "test", "team-chat")
    assert (code, out) == (2, "")
    assert err == "reminders: channel 'team-chat': no such channel; expected one of: outbox\n"


def test_apprise_test_notice_reports_each_url_without_its_secret(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    chat = '\n[[channel]]\nid = "chat"\ntype = "apprise"\nurls_env = "TEST_CHAT_URLS"\n'
    config = project(tmp_path, chat)
    with http_server() as (port, posts):
        urls = f"json://127.0.0.1:{port}/hook/{TOKEN} json://127.0.0.1:{closed_port()}/{TOKEN}"
        monkeypatch.setenv("TEST_CHAT_URLS", urls)
        code, out, err = cli("--config", str(config), "channel", "test", "chat")
        monkeypatch.setenv("TEST_CHAT_URLS", urls.split()[0])
        code_one, out_one, _ = cli("--config", str(config), "channel", "test", "chat")
    assert (code, out) == (1, "")
    assert err == (
        "reminders: channel 'chat': the test notice was not sent: Apprise reported failure for "
        "1 of 2 services: URL 1 of 2 (json://) delivered; URL 2 of 2 (json://) failed\n"
    )
    assert code_one == 0
    assert out_one.splitlines()[-1] == "  URL 1 of 1 (json://) delivered"
    assert len(posts) == 2
    assert all(b"[TEST] " in body for _, body in posts)
    assert TOKEN not in out + err + out_one


def test_check_says_an_email_channel_was_not_connected_to(cli: Cli, tmp_path: Path) -> None:
    config = project(tmp_path, EMAIL.format(port=closed_port(), security="none"))
    code, out, err = cli("--config", str(config), "check")
    assert (code, err) == (0, "")
    (line,) = [x for x in out.splitlines() if x.startswith("channel team-mail")]
    assert ": ok" not in line
    assert line.endswith(
        "settings checked (none, no login, sender and recipients); not connected, so nothing is "
        "known of the server at "
        + line.split("server at ")[1].split(" ")[0]
        + " ('reminders check --connect' connects, 'reminders channel test team-mail' sends a "
        "test notice)"
    )


def test_check_connect_logs_in_over_starttls_and_sends_nothing(
    cli: Cli, tmp_path: Path, ca: trustme.CA, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = Inbox()
    server = {
        "tls_context": tls_server_context(ca),
        "require_starttls": True,
        "authenticator": inbox.authenticate,
        "auth_require_tls": True,
    }
    login = (
        'username = "events@embassy.example.org"\npassword_env = "TEST_SMTP_PW"\n'
        f'ca_file = "{ca_file(ca, tmp_path)}"\n'
    )
    with smtp_server(inbox, **server) as port:
        config = project(tmp_path, EMAIL.format(port=port, security="starttls") + login)
        monkeypatch.setenv("TEST_SMTP_PW", PASSWORD)
        code, out, err = cli("--config", str(config), "check", "--connect")
        monkeypatch.setenv("TEST_SMTP_PW", "wrong-" + PASSWORD)
        wrong_code, wrong_out, wrong_err = cli("--config", str(config), "check", "--connect")
    assert (code, err) == (0, "")
    assert (
        f"channel team-mail (email via 127.0.0.1:{port} (starttls) to 1 recipient): ok: connected "
        f"to 127.0.0.1:{port}, TLS with a trusted certificate, EHLO answered 250, login as "
        "events@embassy.example.org accepted; QUIT, no mail sent"
    ) in out.splitlines()
    assert inbox.mail == []
    # One login for the right password; the wrong one may be tried with each mechanism.
    assert {login for _, login, _ in inbox.logins} == {b"events@embassy.example.org"}
    assert inbox.logins[0][2] == PASSWORD.encode()
    assert wrong_code == 1
    assert "channel 'team-mail': the connection test failed: SMTPAuthenticationError: 535" in (
        wrong_err
    )
    assert PASSWORD not in out + err + wrong_out + wrong_err
    assert not (config.parent / "var").exists()
