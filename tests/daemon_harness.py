"""A temporary project and a real `reminders run` process, for the daemon's end-to-end tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message as EmailMessage
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

TZ = "Asia/Karachi"

CALENDAR_HEAD = """\
[calendar]
id = "test"
name = "Test days"
description = "Days for the daemon's tests"
timezone = "Asia/Baku"
public = true
revised = 2026-11-23T00:00:00Z
"""

OBSERVANCE = """
[[observance]]
id = "{id}"
title = "{{ordinal}} anniversary of day {id}"
date = "{month_day}"
since = 2000
description = "A test day: Xocalı, 20 Yanvar."
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Rule:
    """A notice rule firing at one aware instant (before = 0, on its own observance)."""

    def __init__(self, rule_id: str, at: datetime, channels: Iterable[str] = ("outbox",)) -> None:
        self.id = rule_id
        self.local = at.astimezone(ZoneInfo(TZ))
        self.channels = tuple(channels)

    @property
    def observance(self) -> str:
        return f"d{self.local:%m%d}"

    @property
    def notice_id(self) -> str:
        return f"test:{self.observance}:{self.local.year}:{self.id}"


class Project:
    """config.toml, calendars/ and the state of one test daemon."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.outbox = root / "outbox"
        self.ledger_path = root / "ledger.sqlite3"
        (root / "calendars").mkdir(exist_ok=True)

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def write(
        self,
        rules: list[Rule],
        *,
        smtp_port: int | None = None,
        daemon: dict[str, object] | None = None,
        extra: str = "",
        listen: str = "127.0.0.1:0",
    ) -> None:
        settings: dict[str, object] = {
            "lease": "PT3S",
            "retry_backoff": "PT1S",
            "retry_limit": 4,
            "watch_interval": "PT1S",
            "grace": "PT30M",
            **(daemon or {}),
        }
        days = sorted({(r.observance, r.local.strftime("%m-%d")) for r in rules})
        calendar = CALENDAR_HEAD + "".join(
            OBSERVANCE.format(id=obs, month_day=md) for obs, md in days
        )
        (self.root / "calendars" / "test.toml").write_text(calendar, "utf-8")
        text = (
            "[organisation]\n"
            'name = "Test Institute"\n'
            f'timezone = "{TZ}"\n'
            'uid_domain = "test.example.org"\n\n'
            '[paths]\ncalendars = "calendars"\n\n'
            '[ledger]\nurl = "sqlite:///ledger.sqlite3"\n\n'
            f'[feed]\nlisten = "{listen}"\n\n'
            "[daemon]\n"
            + "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
            + '\n[[channel]]\nid = "outbox"\ntype = "file"\nfolder = "outbox"\n'
        )
        if smtp_port is not None:
            text += (
                '\n[[channel]]\nid = "mail"\ntype = "email"\nhost = "127.0.0.1"\n'
                f'port = {smtp_port}\nsecurity = "none"\n'
                'sender = "events@test.example.org"\nrecipients = ["team@test.example.org"]\n'
                'timeout = "PT5S"\n'
            )
        for rule in rules:
            text += (
                f'\n[[notice]]\nid = "{rule.id}"\nbefore = 0\n'
                f'at = "{rule.local:%H:%M:%S}"\ntemplate = "planning"\n'
                f"channels = {json.dumps(list(rule.channels))}\n"
                f'observances = ["{rule.observance}"]\n'
            )
        text += extra
        # Write then rename, so that a watching daemon never reads half a file.
        temp = self.root / ".config.toml.tmp"
        temp.write_text(text, "utf-8")
        os.replace(temp, self.config)

    def outbox_files(self) -> list[Path]:
        if not self.outbox.is_dir():
            return []
        return sorted(p for p in self.outbox.iterdir() if not p.name.startswith("."))

    def ledger(self):  # type: ignore[no-untyped-def]
        from reminders.notify.ledger import Ledger

        return Ledger(f"sqlite:///{self.ledger_path}")


STARTED: list[subprocess.Popen[bytes]] = []  # killed after each test, whatever its outcome


def kill_leftovers() -> None:
    while STARTED:
        process = STARTED.pop()
        if process.poll() is None:
            process.kill()
            process.wait(10)


class Daemon:
    """A real `reminders run --log-format json` process; its log lines parsed as they come."""

    def __init__(
        self, project: Project, env: dict[str, str] | None = None, args: Iterable[str] = ()
    ) -> None:
        environ = {**os.environ, **(env or {})}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reminders",
                "--config",
                str(project.config),
                "run",
                "--log-format",
                "json",
                *args,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=environ,
            cwd=project.root,
        )
        STARTED.append(self.process)
        self.lines: list[str] = []
        self.records: list[dict[str, object]] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            try:
                self.records.append(json.loads(line))
            except ValueError:
                self.records.append({"unparsed": line})

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 30.0, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            if self.process.poll() is not None:
                time.sleep(0.2)  # let the reader take the last lines
                raise AssertionError(
                    f"daemon exited ({self.process.returncode}) waiting for {what}:\n"
                    + "\n".join(self.lines)
                )
            time.sleep(0.05)
        raise AssertionError(f"timed out waiting for {what}:\n" + "\n".join(self.lines))

    def logged(self, text: str) -> bool:
        return any(text in str(r.get("message", "")) for r in list(self.records))

    def wait_logged(self, text: str, timeout: float = 30.0) -> None:
        self.wait_for(lambda: self.logged(text), timeout, f"log line {text!r}")

    def feed_url(self, timeout: float = 30.0) -> str:
        """The feed's base URL, from the log line that says where it listens."""
        marker = "serving the feed on "
        self.wait_logged(marker, timeout)
        for record in self.records:
            message = str(record.get("message", ""))
            if marker in message:
                return message.split(marker, 1)[1].split()[0]
        raise AssertionError("no feed address logged")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        self.process.send_signal(sig)
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    def exited(self, timeout: float = 30.0) -> tuple[int, str]:
        """Wait for the process to end by itself; its exit code and everything it logged."""
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code, "\n".join(self.lines)

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(10)
        self._reader.join(5)


class Inbox:
    """An in-process SMTP server (aiosmtpd) that keeps every message it accepts."""

    def __init__(self, port: int | None = None, refuse: str | None = None) -> None:
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.refuse = refuse
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        self.messages.append(message_from_bytes(content, policy=default))
        return "250 Message accepted"

    def __enter__(self) -> Inbox:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def soon(seconds: float) -> datetime:
    """An instant ``seconds`` from now, on a whole second (rules are written HH:MM:SS)."""
    at = datetime.now(UTC) + timedelta(seconds=seconds)
    return at.replace(microsecond=0) + timedelta(seconds=1)
