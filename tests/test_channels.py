"""One contract over every channel type, against real receivers, then what each type adds.

The ``rig`` fixture yields a channel and a receiver for each type: an outbox folder for ``file``,
an aiosmtpd server on 127.0.0.1 for ``email`` and an HTTP server on 127.0.0.1 that takes Apprise's
``json://`` webhook for ``apprise``.  The contract: a message arrives exactly once with its subject
and body; a repeat of the same delivery is recognisable at the receiver; a receiver that is down
gives a transient DeliveryError; a channel that cannot work fails at construction.
"""

from __future__ import annotations

import asyncio
import email
import email.header
import itertools
import json
import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

import icalendar
import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from reminders.config.channel_options import TYPES
from reminders.core.errors import MISSING
from reminders.core.settings import ChannelConfig
from reminders.notify.channels import TARGETS, Channel, ChannelError, DeliveryError, Message, build
from reminders.notify.channels.chat import split_urls
from reminders.notify.channels.smtp import build_mime

from .clock_harness import Clock, Start, run
from .daemon_harness import Project
from .daemon_harness import Rule as HarnessRule

KARACHI = ZoneInfo("Asia/Karachi")
SUBJECT = "Xocalı soyqırımı — 35th anniversary / خوجالی نسل کشی کی برسی"
TEXT = "Sabah saat 17:00-da bir dəqiqəlik sükut.\nکل شام پانچ بجے ایک منٹ کی خاموشی۔\n"
HTML = "<p>Sabah saat 17:00-da <b>bir dəqiqəlik sükut</b>.</p><p dir='rtl'>ایک منٹ کی خاموشی</p>"
PASSWORD = "p4ss-W0rd-secret"
TOKEN = "s3cr3t-t0ken"


def ics_bytes(year: int = 2027) -> bytes:
    """The occurrence as a real iCalendar file."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//reminders tests//EN")
    cal.add("version", "2.0")
    event = icalendar.Event()
    event.add("uid", f"remembrance-february-26-{year}@test.example.org")
    event.add("summary", "Xocalı soyqırımı günü")
    event.add("dtstart", date(year, 2, 26))
    event.add("dtstamp", datetime(2026, 1, 1, tzinfo=UTC))
    cal.add_component(event)
    return bytes(cal.to_ical())


def make_message(rule: str = "day-of", channel: str = "team", late: bool = False) -> Message:
    notice = f"remembrance:february-26:2027:{rule}"
    return Message(
        delivery_id=f"{notice}/{channel}",
        notice_id=notice,
        channel=channel,
        subject=SUBJECT if rule == "day-of" else f"{SUBJECT} ({rule})",
        text=TEXT,
        html=HTML,
        ics=ics_bytes(),
        created=datetime(2027, 2, 25, 9, 0, 7, tzinfo=KARACHI),
        fire_at=datetime(2027, 2, 25, 9, 0, tzinfo=KARACHI),
        late=late,
    )


def channel_config(kind: str, **raw: Any) -> ChannelConfig:
    """A ChannelConfig as the config loader makes it: every option parsed, defaults filled in."""
    options = {}
    for field in TYPES[kind].fields:
        if field.name in raw:
            options[field.name] = field.parse(raw.pop(field.name))
        else:
            assert field.default is not MISSING, f"{kind} needs {field.name}"
            options[field.name] = field.default
    assert not raw, f"unknown options {raw}"
    return ChannelConfig("team", kind, tuple(sorted(options.items())), "")


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# --- Receivers --------------------------------------------------------------------------------


class Arrival(NamedTuple):
    subject: str
    body: str
    key: str  # what identifies the delivery at the receiver: file name, Message-ID, payload


class Rig(NamedTuple):
    channel: Channel
    arrivals: Callable[[], list[Arrival]]
    down: Callable[[], Channel]  # a channel of the same type whose receiver cannot take it
    secrets: tuple[str, ...]


class Inbox:
    """An aiosmtpd handler that keeps what it accepts and can refuse at RCPT or DATA."""

    def __init__(self, rcpt_reply: str = "", data_reply: str = "", refuse: str = "") -> None:
        self.rcpt_reply, self.data_reply, self.refuse = rcpt_reply, data_reply, refuse
        self.mail: list[tuple[Envelope, bool]] = []  # (envelope, over TLS)
        self.logins: list[tuple[str, bytes, bytes]] = []  # (mechanism, login, password)

    async def handle_RCPT(
        self, server: SMTPServer, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if self.rcpt_reply and (not self.refuse or address == self.refuse):
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if self.data_reply:
            return self.data_reply
        assert server.transport is not None
        self.mail.append((envelope, server.transport.get_extra_info("ssl_object") is not None))
        return "250 Message accepted"

    def authenticate(
        self, server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((mechanism, data.login, data.password))
        ok = data.login == b"events@embassy.example.org" and data.password == PASSWORD.encode()
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd sends the 535

    def messages(self) -> list[EmailMessage]:
        out = []
        for envelope, _ in self.mail:
            assert isinstance(envelope.original_content, bytes)
            parsed = email.message_from_bytes(envelope.original_content, policy=policy.default)
            assert isinstance(parsed, EmailMessage)
            out.append(parsed)
        return out


class PortZeroController(Controller):
    """aiosmtpd's Controller on port 0: learn the real port before its start-up probe."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@contextmanager
def smtp_server(inbox: Inbox, **kwargs: Any) -> Iterator[int]:
    controller = PortZeroController(inbox, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    try:
        yield int(controller.port)
    finally:
        controller.stop()


def email_config(port: int, **raw: Any) -> ChannelConfig:
    defaults = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": "events@embassy.example.org",
        "recipients": ["team@embassy.example.org"],
        "timeout": "PT5S",
    }
    return channel_config("email", **{**defaults, **raw})


class Webhook(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.posts.append((self.path, self.rfile.read(length)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # keep the test output quiet
        pass


@contextmanager
def http_server() -> Iterator[tuple[int, list[tuple[str, bytes]]]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Webhook)
    posts: list[tuple[str, bytes]] = []
    server.posts = posts  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server.server_port, posts
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def file_rig(tmp_path: Path) -> Iterator[Rig]:
    folder = tmp_path / "outbox"

    def arrivals() -> list[Arrival]:
        out = []
        for path in sorted(folder.iterdir()) if folder.exists() else ():
            head, _, body = path.read_text("utf-8").partition("\n\n")
            fields = dict(line.split(": ", 1) for line in head.splitlines())
            out.append(Arrival(fields["Subject"], body, path.name))
        return out

    def down() -> Channel:
        gone = tmp_path / "gone"
        channel = build(channel_config("file", folder=str(gone)), {})  # (creates nothing)
        gone.write_text("a file where the outbox folder would be")  # creating it fails
        return channel

    yield Rig(build(channel_config("file", folder=str(folder)), {}), arrivals, down, ())


def email_rig(tmp_path: Path) -> Iterator[Rig]:
    inbox = Inbox()
    with smtp_server(inbox) as port:

        def arrivals() -> list[Arrival]:
            return [
                Arrival(str(m["Subject"]), _plain(m), str(m["Message-ID"]))
                for m in inbox.messages()
            ]

        def down() -> Channel:
            return build(email_config(closed_port()), {})

        yield Rig(build(email_config(port), {}), arrivals, down, ())


def apprise_rig(tmp_path: Path) -> Iterator[Rig]:
    with http_server() as (port, posts):

        def arrivals() -> list[Arrival]:
            payloads = [(json.loads(body), body) for _, body in posts]
            return [Arrival(p["title"], p["message"], raw.decode()) for p, raw in payloads]

        def down() -> Channel:
            url = f"json://127.0.0.1:{closed_port()}/hook/{TOKEN}"
            return build(channel_config("apprise", urls_env="CHAT_URLS"), {"CHAT_URLS": url})

        environ = {"CHAT_URLS": f"json://127.0.0.1:{port}/hook/{TOKEN}"}
        channel = build(channel_config("apprise", urls_env="CHAT_URLS"), environ)
        yield Rig(channel, arrivals, down, (TOKEN,))


def _plain(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


RIGS = {"file": file_rig, "email": email_rig, "apprise": apprise_rig}


@pytest.fixture(params=sorted(TYPES))
def rig(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Rig]:
    # A proxy in the environment must not catch the webhook posts to 127.0.0.1.
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    yield from RIGS[request.param](tmp_path)


# --- The contract -----------------------------------------------------------------------------


def test_every_channel_type_has_a_rig() -> None:
    assert set(RIGS) == set(TYPES) == set(TARGETS)


def test_a_message_arrives_exactly_once_with_its_subject_and_body(rig: Rig) -> None:
    rig.channel.send(make_message())
    # Apprise trims the final line break that mail and files keep; the text is otherwise whole.
    assert [(a.subject, a.body.rstrip("\n")) for a in rig.arrivals()] == [(SUBJECT, TEXT.strip())]


def test_a_send_returns_what_the_receiver_answered_without_secrets(rig: Rig) -> None:
    receipt = rig.channel.send(make_message())
    expected = {
        "file": "wrote ",
        "email": "127.0.0.1:",
        "apprise": "URL 1 of 1 (json://) delivered",
    }[rig.channel.type_name]
    assert receipt.startswith(expected)
    if rig.channel.type_name == "email":
        assert receipt.endswith("accepted it for 1 recipient: 250 Message accepted")
    for secret in rig.secrets:
        assert secret not in receipt


def test_a_repeat_of_the_same_delivery_is_recognisable(rig: Rig) -> None:
    rig.channel.send(make_message())
    rig.channel.send(make_message())
    keys = {a.key for a in rig.arrivals()}
    assert len(keys) == 1
    rig.channel.send(make_message(rule="press-1"))
    assert len({a.key for a in rig.arrivals()}) == 2  # another delivery is told apart


def test_a_receiver_that_is_down_is_a_transient_error(rig: Rig) -> None:
    channel = rig.down()
    with pytest.raises(DeliveryError) as failure:
        channel.send(make_message())
    assert failure.value.transient
    assert failure.value.reason
    assert rig.arrivals() == []


def test_describe_names_the_channel_without_secrets(rig: Rig) -> None:
    text = rig.channel.describe()
    assert text.startswith(rig.channel.type_name)
    assert not any(secret in text for secret in rig.secrets)


# Wednesday 20 January 2027 is the observance of the daemon's project; its press release, a
# [[milestone]] with a channel, is due 2 working days before: Monday 18 January, 09:00 Karachi.
MILESTONE_DAY = datetime(2027, 1, 20, 4, 0, tzinfo=UTC)
MILESTONE_AT = datetime(2027, 1, 18, 4, 0, tzinfo=UTC)
MILESTONE = """
[[milestone]]
id = "press"
name = "Send the press release"
working_days = 2
channels = ["outbox"]
"""


def test_a_milestone_notice_is_sent_by_the_daemon_once_through_each_type(
    rig: Rig, tmp_path: Path
) -> None:
    """The daemon (on a moved clock) sends a milestone's own notice through the rig's channel,
    in the channel's place ``outbox``, and the ledger keeps it from going again."""
    (tmp_path / "project").mkdir()
    project = Project(tmp_path / "project")
    project.write([HarnessRule("day-of", MILESTONE_DAY)], extra=MILESTONE)
    clock = Clock(MILESTONE_AT - timedelta(seconds=10))

    async def scenario(start: Start) -> None:
        running = await start()
        runtime = running.daemon.runtime
        assert runtime is not None
        runtime.channels["outbox"].close()
        running.daemon.runtime = runtime._replace(channels={"outbox": rig.channel})
        await running.run_until(MILESTONE_AT + timedelta(seconds=5))
        await running.daemon.replan()  # planned again: still sent once
        await running.run_until(MILESTONE_AT + timedelta(seconds=15))
        await running.stop()

    run(project, clock, scenario)
    (arrival,) = rig.arrivals()
    assert arrival.subject == (
        "Today: Send the press release for the 27th anniversary of day d0120 "
        "(2 working days before Wednesday, 20 January 2027)"
    )
    body = " ".join(arrival.body.split())
    assert "Today, Monday, 18 January 2027: Send the press release" in body
    assert "Event date: Wednesday, 20 January 2027 (the day itself, a working day)." in body
    ledger = project.ledger()
    row = ledger.get("test:d0120:2027:milestone:press", "outbox")
    ledger.close()
    assert row is not None
    assert (row.state, row.attempts, row.fire_at) == ("sent", 1, MILESTONE_AT)


def _parent_is_a_file(tmp_path: Path) -> tuple[ChannelConfig, dict[str, str]]:
    (tmp_path / "plain-file").write_text("x")
    return channel_config("file", folder=str(tmp_path / "plain-file" / "outbox")), {}


def _login(**raw: Any) -> Callable[[Path], tuple[ChannelConfig, dict[str, str]]]:
    def make(tmp_path: Path) -> tuple[ChannelConfig, dict[str, str]]:
        environ = raw.get("environ", {})
        options = {"security": "starttls", "username": "events@embassy.example.org", **raw}
        options.pop("environ", None)
        return email_config(587, **options), environ

    return make


def _not_pem(tmp_path: Path) -> tuple[ChannelConfig, dict[str, str]]:
    (tmp_path / "ca.pem").write_text("not a certificate\n")
    return email_config(465, security="tls", ca_file=str(tmp_path / "ca.pem")), {}


def _chat(value: str | None) -> Callable[[Path], tuple[ChannelConfig, dict[str, str]]]:
    def make(tmp_path: Path) -> tuple[ChannelConfig, dict[str, str]]:
        environ = {} if value is None else {"CHAT_URLS": value}
        return channel_config("apprise", urls_env="CHAT_URLS"), environ

    return make


UNUSABLE = [
    ("file-parent-is-a-file", _parent_is_a_file, "cannot create the outbox folder"),
    ("email-password-unset", _login(password_env="SMTP_PW"), "SMTP_PW is not set or empty"),
    (
        "email-password-empty",
        _login(password_env="SMTP_PW", environ={"SMTP_PW": ""}),
        "SMTP_PW is not set or empty",
    ),
    ("email-no-password-env", _login(), "password_env must name a variable"),
    (
        "email-password-not-ascii",
        _login(password_env="SMTP_PW", environ={"SMTP_PW": "Xocalı-1992"}),
        "SMTP_PW has characters outside ASCII",
    ),
    (
        "email-login-in-clear",
        _login(password_env="SMTP_PW", security="none", environ={"SMTP_PW": PASSWORD}),
        "would be sent unencrypted",
    ),
    (
        "email-ca-file-missing",
        lambda tmp: (email_config(465, ca_file=str(tmp / "nope.pem")), {}),
        "nope.pem is not a file",
    ),
    ("email-ca-file-not-pem", _not_pem, "cannot load ca_file"),
    (
        "email-username-not-ascii",
        _login(username="olay@nümunə.az", password_env="SMTP_PW", environ={"SMTP_PW": PASSWORD}),
        "username has characters outside ASCII",
    ),
    ("apprise-urls-unset", _chat(None), "CHAT_URLS is not set or empty"),
    ("apprise-urls-blank", _chat(" ,\n "), "CHAT_URLS is not set or empty"),
    (
        "apprise-bad-url",
        _chat(f"json://127.0.0.1:9/ok tgram://bad-{TOKEN}/"),
        "URL 2 of 2 in CHAT_URLS (tgram://)",
    ),
    ("apprise-no-scheme", _chat(TOKEN), "URL 1 of 1 in CHAT_URLS (no scheme://)"),
    ("apprise-unknown-service", _chat(f"nosuch://{TOKEN}"), "(nosuch://)"),
]


@pytest.mark.parametrize(("case", "make", "expected"), UNUSABLE, ids=[c[0] for c in UNUSABLE])
def test_a_channel_that_cannot_work_fails_at_construction(
    case: str,
    make: Callable[[Path], tuple[ChannelConfig, dict[str, str]]],
    expected: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config, environ = make(tmp_path)
    with pytest.raises(ChannelError) as failure:
        build(config, environ)
    message = str(failure.value)
    assert message.startswith("channel 'team': ")
    assert expected in message
    for secret in (PASSWORD, TOKEN):
        assert secret not in message
        assert secret not in caplog.text


def test_all_channel_types_fail_somewhere_in_the_table() -> None:
    assert {case.partition("-")[0] for case, _, _ in UNUSABLE} == set(TYPES)


# --- file ---------------------------------------------------------------------------------------


def test_file_txt_has_a_header_block_then_the_text(tmp_path: Path) -> None:
    channel = build(channel_config("file", folder=str(tmp_path)), {})
    channel.send(make_message(late=True))
    written = tmp_path / "remembrance_february-26_2027_day-of__team.txt"
    assert written.read_bytes() == (
        f"Subject: {SUBJECT}\n"
        "Notice: remembrance:february-26:2027:day-of\n"
        "Channel: team\n"
        "Due: 2027-02-25T09:00:00+05:00\n"
        "Created: 2027-02-25T09:00:07+05:00\n"
        "Late: yes\n"
        "\n" + TEXT
    ).encode("utf-8")
    assert os.listdir(tmp_path) == [written.name]  # no temporary file left behind


def test_file_eml_is_the_mime_message_the_email_channel_sends(tmp_path: Path) -> None:
    channel = build(channel_config("file", folder=str(tmp_path), format="eml"), {})
    channel.send(make_message())
    written = tmp_path / "remembrance_february-26_2027_day-of__team.eml"
    parsed = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    assert isinstance(parsed, EmailMessage)
    assert_notice_mime(parsed)
    assert parsed["Message-ID"] == "<remembrance_february-26_2027_day-of__team@outbox.invalid>"
    assert parsed["X-Unsent"] == "1"


def test_file_creates_a_missing_outbox_folder(tmp_path: Path) -> None:
    folder = tmp_path / "var" / "outbox"
    build(channel_config("file", folder=str(folder)), {}).send(make_message())
    assert [p.name for p in folder.iterdir()] == ["remembrance_february-26_2027_day-of__team.txt"]


def test_file_construction_creates_nothing_and_prepare_makes_the_folder(tmp_path: Path) -> None:
    """``check`` builds every channel: building only checks that the folder could be made."""
    folder = tmp_path / "var" / "outbox"
    channel = build(channel_config("file", folder=str(folder)), {})
    assert list(tmp_path.iterdir()) == []
    channel.prepare()  # the daemon's start
    assert folder.is_dir()
    assert list(folder.iterdir()) == []


def test_file_folder_under_a_file_fails_at_construction_without_writing(tmp_path: Path) -> None:
    (tmp_path / "var").write_text("a file, not a folder")
    with pytest.raises(ChannelError) as failure:
        build(channel_config("file", folder=str(tmp_path / "var" / "outbox")), {})
    assert str(failure.value) == (
        f"channel 'team': cannot create the outbox folder {tmp_path / 'var' / 'outbox'}: "
        f"{tmp_path / 'var'} is not a folder"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["var"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_file_read_only_folder_fails_at_construction_and_when_sending(tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    channel = build(channel_config("file", folder=str(folder)), {})
    channel.prepare()
    folder.chmod(0o500)
    try:
        with pytest.raises(DeliveryError) as failure:
            channel.send(make_message())
        assert failure.value.transient
        assert "Permission denied" in failure.value.reason
        with pytest.raises(ChannelError, match="is not writable"):
            build(channel_config("file", folder=str(folder)), {})
    finally:
        folder.chmod(0o700)


# --- email --------------------------------------------------------------------------------------


def assert_notice_mime(mime: EmailMessage) -> None:
    """multipart/mixed > multipart/alternative (text, HTML) + the ICS attachment; UTF-8 intact."""
    assert mime.get_content_type() == "multipart/mixed"
    alternative, attachment = mime.iter_parts()
    assert isinstance(alternative, EmailMessage)
    assert isinstance(attachment, EmailMessage)
    assert alternative.get_content_type() == "multipart/alternative"
    plain, html = alternative.iter_parts()
    assert [plain.get_content_type(), html.get_content_type()] == ["text/plain", "text/html"]
    assert isinstance(plain, EmailMessage)
    assert isinstance(html, EmailMessage)
    assert str(plain.get_content()).replace("\r\n", "\n") == TEXT
    assert str(html.get_content()).rstrip() == HTML
    assert str(mime["Subject"]) == SUBJECT
    assert mime["Date"] == "Thu, 25 Feb 2027 09:00:07 +0500"
    assert mime["X-Reminders-Notice"] == "remembrance:february-26:2027:day-of"
    assert mime["Auto-Submitted"] == "auto-generated"
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_param("charset") == "utf-8"
    assert attachment.get_filename() == "remembrance-february-26-2027-day-of.ics"
    assert attachment.is_attachment()
    calendar = icalendar.Calendar.from_ical(attachment.get_content())
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == "Xocalı soyqırımı günü"
    assert event.decoded("DTSTART") == date(2027, 2, 26)


def test_email_is_multipart_with_alternatives_and_the_ics_attached(tmp_path: Path) -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        config = email_config(port, recipients=["a@embassy.example.org", "b@mfa.example.az"])
        build(config, {}).send(make_message())
    ((envelope, tls),) = inbox.mail
    assert (envelope.mail_from, envelope.rcpt_tos, tls) == (
        "events@embassy.example.org",
        ["a@embassy.example.org", "b@mfa.example.az"],
        False,
    )
    (mime,) = inbox.messages()
    assert_notice_mime(mime)
    assert mime["From"] == "events@embassy.example.org"
    assert mime["To"] == "a@embassy.example.org, b@mfa.example.az"
    assert mime["Message-ID"] == "<remembrance_february-26_2027_day-of__team@embassy.example.org>"
    assert format_datetime(make_message().created) == mime["Date"]


# A subject the e-mail package of Python 3.11.7 folds between "(bu" and "gün" (CPython
# gh-144156): the space became the folding white space between two encoded words, which decoders
# drop, and mail programs showed "(bugün,".
FOLDED_SUBJECT = (
    "20 Yanvar faciəsinin 37-ci ildönümü (bu gün, çərşənbə, saat 12:00-da bir dəqiqəlik sükut)"
)


def decoded_subjects(raw: bytes) -> tuple[str, str]:
    """The Subject of raw message bytes as two standard-library decoders read it."""
    folded = email.message_from_bytes(raw, policy=policy.compat32)["Subject"]
    legacy = str(email.header.make_header(email.header.decode_header(folded)))
    modern = str(email.message_from_bytes(raw, policy=policy.default)["Subject"])
    return legacy, modern


def test_email_subject_folded_inside_a_phrase_keeps_its_spaces() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        build(email_config(port), {}).send(make_message()._replace(subject=FOLDED_SUBJECT))
    ((envelope, _),) = inbox.mail
    raw = envelope.original_content
    assert isinstance(raw, bytes)
    lines = raw.split(b"\r\n\r\n", 1)[0].decode("ascii").split("\r\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Subject: "))
    folded = lines[start : start + 1] + list(
        itertools.takewhile(lambda line: line.startswith(" "), lines[start + 1 :])
    )
    assert len(folded) == 3  # it is folded twice, each line an encoded word
    assert all(line.split(": ", 1)[-1].strip().startswith("=?utf-8?") for line in folded)
    assert decoded_subjects(raw) == (FOLDED_SUBJECT, FOLDED_SUBJECT)


WORDS = st.text(
    st.characters(
        codec="utf-8", categories=("L", "N", "P", "S"), exclude_characters="\u2028\u2029"
    ),
    min_size=1,
    max_size=14,
)


# 75 examples (150 before): the fold inside a phrase, in Azerbaijani, has its explicit test above.
@settings(max_examples=75, deadline=None)
@given(
    st.lists(
        st.one_of(WORDS, st.sampled_from(["gün,", "çərşənbə", "خاموشی", "(bu", "37-ci", "—"])),
        min_size=8,
        max_size=24,
    )
)
def test_email_subject_decodes_to_itself_wherever_it_folds(words: list[str]) -> None:
    subject = " ".join(words)
    assume(len(subject.encode("utf-8")) > 80)  # too long for one line: it folds somewhere
    raw = build_mime(make_message()._replace(subject=subject), "a@example.org").as_bytes()
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # headers are 7-bit: no SMTPUTF8 needed
    assert b"\r\nSubject: " in head
    assert head.split(b"\r\nSubject: ", 1)[1].split(b"\r\n")[1].startswith(b" ")  # folded
    assert decoded_subjects(raw) == (subject, subject)


class SevenBitInbox(Inbox):
    """An SMTP server that does not offer 8BITMIME (RFC 6152): 7-bit bodies only."""

    async def handle_EHLO(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        hostname: str,
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        return [line for line in responses if line != "250-8BITMIME"]


@pytest.mark.parametrize(
    ("server", "body_option", "encoding"),
    [(Inbox, ["BODY=8BITMIME"], "8bit"), (SevenBitInbox, [], "quoted-printable")],
    ids=["8bitmime", "7bit-only"],
)
def test_email_body_is_8bit_only_where_the_server_offers_8bitmime(
    server: type[Inbox], body_option: list[str], encoding: str
) -> None:
    inbox = server()
    with smtp_server(inbox) as port:
        build(email_config(port), {}).send(make_message())
    ((envelope, _),) = inbox.mail
    assert [option for option in envelope.mail_options if option.startswith("BODY=")] == (
        body_option
    )
    raw = envelope.original_content
    assert isinstance(raw, bytes)
    assert raw.isascii() == (encoding != "8bit")
    (mime,) = inbox.messages()
    assert_notice_mime(mime)  # the same text and HTML, whatever the encoding
    text_parts = [part for part in mime.walk() if part.get_content_maintype() == "text"]
    encodings = {part.get_content_type(): part["Content-Transfer-Encoding"] for part in text_parts}
    assert encodings == {"text/plain": encoding, "text/html": encoding, "text/calendar": "base64"}


def test_email_says_its_language_in_content_language() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        build(email_config(port), {}).send(make_message()._replace(language="az"))
    (mime,) = inbox.messages()
    assert mime["Content-Language"] == "az"
    assert "Content-Language" not in build_mime(make_message()._replace(language=""))


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def tls_server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    return context


def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_email_starttls_and_login_with_the_password_from_the_environment(
    mechanism: str, ca: trustme.CA, tmp_path: Path
) -> None:
    inbox = Inbox()
    other = {"PLAIN": "LOGIN", "LOGIN": "PLAIN"}[mechanism]
    server = {
        "tls_context": tls_server_context(ca),
        "require_starttls": True,
        "authenticator": inbox.authenticate,
        "auth_require_tls": True,
        "auth_required": True,
        "auth_exclude_mechanism": [other],
    }
    with smtp_server(inbox, **server) as port:
        config = email_config(
            port,
            security="starttls",
            username="events@embassy.example.org",
            password_env="SMTP_PW",
            ca_file=ca_file(ca, tmp_path),
        )
        build(config, {"SMTP_PW": PASSWORD}).send(make_message())
    assert inbox.logins == [(mechanism, b"events@embassy.example.org", PASSWORD.encode())]
    assert [tls for _, tls in inbox.mail] == [True]
    assert str(inbox.messages()[0]["Subject"]) == SUBJECT


def test_email_implicit_tls(ca: trustme.CA, tmp_path: Path) -> None:
    inbox = Inbox()
    # aiosmtpd offers AUTH only after its own STARTTLS unless told the wrapped socket is enough.
    server = {"authenticator": inbox.authenticate, "auth_require_tls": False}
    with smtp_server(inbox, ssl_context=tls_server_context(ca), **server) as port:
        config = email_config(
            port,
            security="tls",
            username="events@embassy.example.org",
            password_env="SMTP_PW",
            ca_file=ca_file(ca, tmp_path),
        )
        build(config, {"SMTP_PW": PASSWORD}).send(make_message())
    assert [tls for _, tls in inbox.mail] == [True]
    assert [login[0] for login in inbox.logins] == ["PLAIN"]


def test_email_certificate_not_in_the_trusted_store_is_refused(ca: trustme.CA) -> None:
    inbox = Inbox()
    with smtp_server(inbox, tls_context=tls_server_context(ca)) as port:
        channel = build(email_config(port, security="starttls"), {})
        with pytest.raises(DeliveryError) as failure:
            channel.send(make_message())
    assert not failure.value.transient
    assert "certificate of 127.0.0.1 is not trusted" in failure.value.reason
    assert inbox.mail == []


def test_email_starttls_not_offered_is_never_downgraded() -> None:
    inbox = Inbox()
    with smtp_server(inbox) as port:
        channel = build(email_config(port, security="starttls"), {})
        with pytest.raises(DeliveryError) as failure:
            channel.send(make_message())
    assert not failure.value.transient
    assert "STARTTLS" in failure.value.reason
    assert inbox.mail == []


def test_email_wrong_password_is_permanent_and_not_shown(ca: trustme.CA, tmp_path: Path) -> None:
    inbox = Inbox()
    server = {"tls_context": tls_server_context(ca), "authenticator": inbox.authenticate}
    with smtp_server(inbox, **server) as port:
        config = email_config(
            port,
            security="starttls",
            username="events@embassy.example.org",
            password_env="SMTP_PW",
            ca_file=ca_file(ca, tmp_path),
        )
        with pytest.raises(DeliveryError) as failure:
            build(config, {"SMTP_PW": "not-" + PASSWORD}).send(make_message())
    assert not failure.value.transient
    assert "535" in failure.value.reason
    assert PASSWORD not in failure.value.reason
    assert inbox.mail == []


@pytest.mark.parametrize(
    ("stage", "reply", "transient"),
    [
        ("rcpt", "451 4.3.0 Mailbox temporarily unavailable", True),
        ("rcpt", "550 5.1.1 No such user here", False),
        ("data", "451 4.7.1 Greylisted, try again later", True),
        ("data", "550 5.7.1 Message rejected as spam", False),
    ],
)
def test_email_server_refusal_is_transient_for_4xx_and_permanent_for_5xx(
    stage: str, reply: str, transient: bool
) -> None:
    inbox = Inbox(**{f"{stage}_reply": reply})
    with smtp_server(inbox) as port:
        channel = build(email_config(port), {})
        with pytest.raises(DeliveryError) as failure:
            channel.send(make_message())
    assert failure.value.transient is transient
    assert reply in failure.value.reason  # the code and the server's own words
    assert inbox.mail == []


def test_email_partly_refused_recipients_fail_for_good() -> None:
    inbox = Inbox(rcpt_reply="550 5.1.1 No such user here", refuse="gone@embassy.example.org")
    with smtp_server(inbox) as port:
        recipients = ["team@embassy.example.org", "gone@embassy.example.org"]
        channel = build(email_config(port, recipients=recipients), {})
        with pytest.raises(DeliveryError) as failure:
            channel.send(make_message())
    # The others have it: a retry would send it to them twice.
    assert not failure.value.transient
    assert "refused 1 of 2 recipients (gone@embassy.example.org: 550" in failure.value.reason
    assert [envelope.rcpt_tos for envelope, _ in inbox.mail] == [["team@embassy.example.org"]]


# --- apprise ------------------------------------------------------------------------------------


def test_apprise_posts_title_and_body_as_json_to_the_webhook(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    caplog.set_level(logging.DEBUG)
    with http_server() as (port, posts):
        environ = {"CHAT_URLS": f"json://127.0.0.1:{port}/hook/{TOKEN}"}
        build(channel_config("apprise", urls_env="CHAT_URLS"), environ).send(make_message())
    ((path, body),) = posts
    assert path == f"/hook/{TOKEN}"
    payload = json.loads(body)
    assert (payload["title"], payload["message"], payload["type"]) == (
        SUBJECT,
        TEXT.strip(),
        "info",
    )
    assert TOKEN not in caplog.text  # Apprise and urllib3 log URLs and paths below WARNING


def test_apprise_failure_of_one_service_fails_the_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with http_server() as (port, posts):
        urls = f"json://127.0.0.1:{port}/a, json://127.0.0.1:{closed_port()}/b"
        channel = build(channel_config("apprise", urls_env="CHAT_URLS"), {"CHAT_URLS": urls})
        with pytest.raises(DeliveryError) as failure:
            channel.send(make_message())
    assert failure.value.transient
    assert failure.value.reason == (
        "Apprise reported failure for 1 of 2 services: URL 1 of 2 (json://) delivered; "
        "URL 2 of 2 (json://) failed"
    )
    assert [path for path, _ in posts] == ["/a"]
    assert channel.describe() == "apprise: 2 services (json://)"


def test_apprise_urls_split_on_whitespace_and_on_commas_before_a_new_url() -> None:
    value = " ntfy://ntfy.sh/topic?tags=a,b,\n tgram://1:x/2 ,slack://t/u/v,,mailto://u:p@x.org "
    assert split_urls(value) == [
        "ntfy://ntfy.sh/topic?tags=a,b",
        "tgram://1:x/2",
        "slack://t/u/v",
        "mailto://u:p@x.org",
    ]
