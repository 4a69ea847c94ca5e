"""The fault scenarios of the daemon, shared by tests/test_faults.py (small) and bench/faults.py.

Each scenario writes a project whose notices all go to one e-mail channel, runs real
``reminders run`` processes against a real ledger, injects one kind of fault, waits until every
notice is in the ledger as sent and its message has arrived (or a deadline passes), and returns an
:class:`Outcome`: what arrived at the SMTP server, counted by Message-ID (the e-mail channel
derives it from the delivery id, so a repeat carries the same one), and what the ledger says.

* ``replicas``: several daemons on one PostgreSQL ledger, one SIGKILLed mid-burst;
* ``kills``: one daemon SIGKILLed at random instants of a burst and restarted each time;
* ``smtp_down``: the SMTP server absent for a while, then back;
* ``pg_restart``: the PostgreSQL server stopped mid-burst under two daemons, then started again.

A duplicate needs a second claim of the same delivery, and the ledger counts claims
(``attempts``), so every duplicate must be a delivery whose attempts grew after the fault: one
that was in flight (claimed, not recorded as sent) when the fault struck.  The scenarios record
those, so that the tests can check that duplicates are exactly that kind and no more numerous.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import default
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from .daemon_harness import CALENDAR_HEAD, TZ, Daemon, Project, free_port

CHANNEL = "mail"
SENDER = "events@test.example.org"
TIME_COLUMNS = ("fire_at", "claimed_at", "lease_until", "next_attempt_at", "sent_at")

OBSERVANCE = """
[[observance]]
id = "{id}"
title = "{{ordinal}} anniversary of burst day {id}"
date = "{month_day}"
since = 2000
description = "A generated day for the fault tests."
tags = ["{tag}"]
"""


def message_id(notice_id: str, channel: str = CHANNEL) -> str:
    """The Message-ID the e-mail channel gives the delivery (notice, channel)."""
    stem = f"{notice_id}/{channel}".replace(":", "_").replace("/", "__")
    return f"<{stem}@{SENDER.rpartition('@')[2]}>"


# --- The SMTP server --------------------------------------------------------------------------


class CountingInbox:
    """An aiosmtpd server that records the arrival time of every message, by Message-ID.

    It can be stopped and started again on the same port (the counts stay): stopped, the port
    refuses connections, as a mail server that is down.  A message counts when the server
    accepts it (its reply to DATA), as a real server's queue would.
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.arrivals: dict[str, list[float]] = {}
        self.lock = threading.Lock()
        self.controller: Controller | None = None
        self.started_at: list[float] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        headers = BytesHeaderParser(policy=default).parsebytes(content)
        key = str(headers.get("Message-ID", "(none)"))
        with self.lock:
            self.arrivals.setdefault(key, []).append(time.time())
        await asyncio.sleep(0)
        return "250 Message accepted"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        self.started_at.append(time.time())

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def snapshot(self) -> dict[str, list[float]]:
        with self.lock:
            return {key: list(times) for key, times in self.arrivals.items()}

    def distinct(self) -> int:
        with self.lock:
            return len(self.arrivals)

    def __enter__(self) -> CountingInbox:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- The project ------------------------------------------------------------------------------


class BurstProject(Project):
    """A project with ``per_rule`` observances on each day and one notice rule per fire time.

    Each rule fires at its own second (``before = 0``) and picks the observances of its local date
    by tag, so the notices are ``len(fire_times) * per_rule``, all to the channel ``mail``.

    With ``organisations`` (issue 18's scale), config.toml names a folder of that many
    organisations, each with config.toml's rules and channel (its own file names only itself):
    every one of them has each of those notices, with its id in the delivery's.
    """

    organisations = 0

    def write_burst(
        self,
        fire_times: Sequence[datetime],
        per_rule: int,
        *,
        smtp_port: int,
        ledger_url: str | None = None,
        daemon: dict[str, object] | None = None,
    ) -> dict[str, datetime]:
        """Write calendar and config; returns every expected Message-ID with its fire time."""
        zone = ZoneInfo(TZ)
        settings: dict[str, object] = {
            "lease": "PT3S",
            "retry_backoff": "PT1S",
            "retry_limit": 10,
            "watch_interval": "PT0S",
            "grace": "PT30M",
            "workers": 4,
            "serve_feed": False,
            **(daemon or {}),
        }
        days = sorted({at.astimezone(zone).date() for at in fire_times})
        calendar = CALENDAR_HEAD + "".join(
            OBSERVANCE.format(
                id=f"b{day:%m%d}-{index:04d}", month_day=f"{day:%m-%d}", tag=f"t{day:%m%d}"
            )
            for day in days
            for index in range(per_rule)
        )
        (self.root / "calendars" / "test.toml").write_text(calendar, "utf-8")
        url = ledger_url or "sqlite:///ledger.sqlite3"
        owners = [f"mission-{n:03d}" for n in range(self.organisations)] or [""]
        if owners[0]:
            folder = self.root / "organisations"
            folder.mkdir(exist_ok=True)
            for owner in owners:
                (folder / f"{owner}.toml").write_text(
                    f'[organisation]\nname = "Mission {owner[-3:]}"\n', "utf-8"
                )
        text_ = (
            "[organisation]\n"
            'name = "Test Institute"\n'
            f'timezone = "{TZ}"\n'
            'uid_domain = "test.example.org"\n\n'
            '[paths]\ncalendars = "calendars"\n'
            + ('organisations = "organisations"\n' if owners[0] else "")
            + "\n"
            f"[ledger]\nurl = {json.dumps(url)}\n\n"
            '[feed]\nlisten = "127.0.0.1:0"\n\n'
            "[daemon]\n"
            + "".join(f"{key} = {json.dumps(value)}\n" for key, value in settings.items())
            + f'\n[[channel]]\nid = "{CHANNEL}"\ntype = "email"\nhost = "127.0.0.1"\n'
            f'port = {smtp_port}\nsecurity = "none"\n'
            f'sender = "{SENDER}"\nrecipients = ["team@test.example.org"]\n'
            'timeout = "PT5S"\n'
        )
        expected: dict[str, datetime] = {}
        for number, at in enumerate(fire_times):
            local = at.astimezone(zone)
            rule = f"r{number:03d}"
            text_ += (
                f'\n[[notice]]\nid = "{rule}"\nbefore = 0\n'
                f'at = "{local:%H:%M:%S}"\ntemplate = "planning"\n'
                f'channels = ["{CHANNEL}"]\ntags = ["t{local:%m%d}"]\n'
            )
            for index in range(per_rule):
                notice = f"test:b{local:%m%d}-{index:04d}:{local.year}:{rule}"
                for owner in owners:  # (the ledger's id of an organisation's notice: ID/notice)
                    delivery = f"{owner}/{notice}" if owner else notice
                    expected[message_id(delivery)] = at.astimezone(UTC)
        self.config.write_text(text_, "utf-8")
        return expected

    def sqlite_url(self) -> str:
        return f"sqlite:///{self.root / 'ledger.sqlite3'}"


def fire_times(first: datetime, count: int, step: float) -> list[datetime]:
    """``count`` instants on whole seconds from ``first``, ``step`` seconds apart."""
    return [first + timedelta(seconds=round(index * step)) for index in range(count)]


def start_at(lead: float) -> datetime:
    """A whole second at least ``lead`` seconds from now."""
    at = datetime.now(UTC) + timedelta(seconds=lead)
    return at.replace(microsecond=0) + timedelta(seconds=1)


# --- The ledger, read directly ----------------------------------------------------------------


class LedgerView:
    """The ledger's rows as plain dicts, read with SQL (every column, whatever the version)."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        options: dict[str, Any] = {}
        if parsed.get_backend_name() == "postgresql":
            options["connect_args"] = {"connect_timeout": 3}
        else:
            options["connect_args"] = {"timeout": 10}
        self.engine: Engine = create_engine(parsed, pool_pre_ping=True, **options)

    def rows(self) -> dict[str, dict[str, Any]]:
        """Every delivery by its Message-ID; empty while the table does not exist yet."""
        try:
            with self.engine.connect() as conn:
                result = conn.execute(text("SELECT * FROM reminder_deliveries"))
                found = [dict(row._mapping) for row in result]
        except SQLAlchemyError as exc:
            if "reminder_deliveries" in str(exc):  # no such table (yet)
                return {}
            raise
        return {message_id(row["notice_id"], row["channel"]): _normal(row) for row in found}

    def claimed(self) -> dict[str, dict[str, Any]]:
        """The deliveries claimed and not completed: sending, or left by a dead process."""
        return {key: row for key, row in self.rows().items() if row["state"] == "claimed"}

    def close(self) -> None:
        self.engine.dispose()


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    for name in TIME_COLUMNS:
        value = row.get(name)
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if isinstance(value, datetime):
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        row[name] = value
    row["late"] = bool(row.get("late"))
    return row


# --- What a scenario found --------------------------------------------------------------------


@dataclass
class Outcome:
    """Arrivals by Message-ID and ledger rows at the end of one scenario, with the fault facts."""

    scenario: str
    expected: dict[str, datetime]  # Message-ID -> fire time
    arrivals: dict[str, list[float]] = field(default_factory=dict)
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    wall: float = 0.0
    late_after: float = 60.0
    faults: int = 0  # kills or outages injected
    arrived_at_fault: list[int] = field(default_factory=list)  # distinct arrivals when it struck
    inflight: dict[str, int] = field(default_factory=dict)  # Message-ID -> attempts at the fault
    inflight_per_fault: list[int] = field(default_factory=list)  # open claims at each fault
    workers: int = 4  # claims one daemon holds at most
    complete: bool = False  # everything arrived and the ledger says sent before the deadline
    notes: list[str] = field(default_factory=list)
    log_counts: Counter[str] = field(default_factory=Counter)
    settings: dict[str, object] = field(default_factory=dict)
    marks: dict[str, float] = field(default_factory=dict)  # instants and counts of the fault

    @property
    def notices(self) -> int:
        return len(self.expected)

    @property
    def sent(self) -> int:
        """Distinct expected Message-IDs that arrived."""
        return len(self.expected.keys() & self.arrivals.keys())

    @property
    def lost(self) -> list[str]:
        return sorted(self.expected.keys() - self.arrivals.keys())

    @property
    def unexpected(self) -> list[str]:
        return sorted(self.arrivals.keys() - self.expected.keys())

    @property
    def duplicate_ids(self) -> dict[str, int]:
        """Message-IDs that arrived more than once, with how many extra copies."""
        return {key: len(times) - 1 for key, times in self.arrivals.items() if len(times) > 1}

    @property
    def duplicated(self) -> int:
        return sum(self.duplicate_ids.values())

    def delays(self) -> list[float]:
        """First arrival minus fire time, seconds, for every delivery that arrived."""
        return sorted(
            min(self.arrivals[key]) - at.timestamp()
            for key, at in self.expected.items()
            if key in self.arrivals
        )

    @property
    def late(self) -> int:
        return sum(1 for delay in self.delays() if delay > self.late_after)

    @property
    def ledger_late(self) -> int:
        return sum(1 for row in self.rows.values() if row["late"])

    @property
    def retries(self) -> int:
        """Claims beyond the first, over every delivery (retries after failures, takeovers)."""
        return sum(max(0, int(row["attempts"]) - 1) for row in self.rows.values())

    @property
    def not_sent(self) -> dict[str, str]:
        """Expected deliveries whose ledger row is missing or not ``sent``, with their state."""
        out = {}
        for key in self.expected:
            row = self.rows.get(key)
            if row is None or row["state"] != "sent":
                out[key] = "no row" if row is None else f"{row['state']}: {row['last_error']}"
        return out

    @property
    def taken_over(self) -> set[str]:
        """Deliveries in flight at a fault that were claimed again afterwards."""
        return {
            key
            for key, attempts in self.inflight.items()
            if key in self.rows and int(self.rows[key]["attempts"]) > attempts
        }

    @property
    def reclaimed(self) -> set[str]:
        """Every delivery claimed more than once (attempts > 1)."""
        return {key for key, row in self.rows.items() if int(row["attempts"]) > 1}

    def table_row(self) -> dict[str, object]:
        delays = self.delays()
        return {
            "scenario": self.scenario,
            "notices": self.notices,
            "sent": self.sent,
            "lost": len(self.lost),
            "duplicated": self.duplicated,
            f"late>{self.late_after:g}s": self.late,
            "ledger late": self.ledger_late,
            "retries": self.retries,
            "max delay s": f"{delays[-1]:.1f}" if delays else "-",
            "wall s": f"{self.wall:.1f}",
        }

    def report(self) -> str:
        """Everything a reader needs when a figure is wrong: counts, ids, log lines."""
        lines = [
            f"{self.scenario}: {self.notices} notices, {self.sent} arrived, "
            f"{len(self.lost)} lost, {self.duplicated} duplicated, "
            f"complete={self.complete}, faults={self.faults}, wall {self.wall:.1f} s",
            f"arrived when each fault struck: {self.arrived_at_fault}; claims open then: "
            f"{self.inflight_per_fault} (one process holds at most {self.workers})",
            f"in flight at the faults: {len(self.inflight)}; claimed again: "
            f"{len(self.taken_over)}; claimed more than once overall: {len(self.reclaimed)}",
        ]
        if self.duplicate_ids:
            duplicates = set(self.duplicate_ids)
            lines.append(
                f"duplicates: {len(duplicates)} Message-IDs, {len(duplicates & self.reclaimed)} "
                f"of them claimed more than once, {len(duplicates & set(self.inflight))} of them "
                f"among the claims open at a fault; first ones: "
                f"{sorted(self.duplicate_ids.items())[:5]}"
            )
        if "recovered_at" in self.marks:
            ended = self.marks["recovered_at"]
            due = [key for key, at in self.expected.items() if at.timestamp() < ended]
            firsts = [min(self.arrivals[key]) for key in due if key in self.arrivals]
            if firsts:
                after = max(firsts) - ended
                lines.append(
                    f"{len(due)} deliveries fell due before the fault ended, {len(firsts)} of "
                    "them arrived, "
                    + (f"the last {after:.1f} s after it ended" if after > 0 else "all before")
                )
        if self.lost:
            lines.append(f"lost (first 10): {self.lost[:10]}")
        if self.unexpected:
            lines.append(f"unexpected Message-IDs: {self.unexpected[:10]}")
        not_sent = self.not_sent
        if not_sent:
            states = Counter(value.split(":")[0] for value in not_sent.values())
            lines.append(f"ledger rows not sent: {len(not_sent)} {dict(states)}")
            lines += [f"  {key}: {value}" for key, value in list(not_sent.items())[:5]]
        lines += self.notes
        if self.log_counts:
            lines.append("warnings and errors logged by the daemons (count, message):")
            lines += [f"  {count:5d}  {text_}" for text_, count in self.log_counts.most_common(12)]
        return "\n".join(lines)


def count_logs(daemons: Iterable[Daemon]) -> Counter[str]:
    """Warning and error lines of the daemons, numbers and times masked, counted."""
    counts: Counter[str] = Counter()
    for daemon in daemons:
        for record in list(daemon.records):
            level = str(record.get("level", "unparsed" if "unparsed" in record else ""))
            if level in ("info", "debug"):
                continue
            message = str(record.get("message", record.get("unparsed", "")))
            masked = re.sub(r"\d+", "N", message.splitlines()[0] if message else "")
            counts[f"{level}: {masked[:160]}"] += 1
    return counts


# --- Running daemons --------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(poll)


def start_daemon(project: Project, ready: float = 60.0) -> Daemon:
    """A daemon that has logged "starting" (ledger open, channels built; catch-up follows)."""
    daemon = Daemon(project)
    daemon.wait_logged("starting:", ready)
    return daemon


def stop_all(daemons: Iterable[Daemon], notes: list[str]) -> None:
    """SIGTERM every live daemon at once, then wait for each; a non-zero exit or a hang is
    noted, and the hung one killed."""
    live = [daemon for daemon in daemons if daemon.process.poll() is None]
    for daemon in live:
        daemon.process.send_signal(signal.SIGTERM)
    for daemon in live:
        try:
            code, _ = daemon.exited(timeout=30)
        except Exception as exc:  # subprocess.TimeoutExpired: noted, then killed
            notes.append(f"pid {daemon.process.pid} did not stop on SIGTERM: {exc}")
            daemon.kill()
            continue
        if code != 0:
            notes.append(f"pid {daemon.process.pid} exited {code} on SIGTERM")


@dataclass(frozen=True)
class Burst:
    """What every scenario shares: ``rules`` fire times ``step`` s apart, the first ``lead`` s
    from the start, ``per_rule`` notices each; the daemon's ``workers`` and ``lease``; a
    delivery is late after ``late_after`` s; the run ends after ``timeout`` s at most, then waits
    ``settle`` s for late duplicates."""

    per_rule: int = 20
    rules: int = 10
    step: float = 1.0
    workers: int = 4
    lease: str = "PT3S"
    lead: float = 5.0
    late_after: float = 30.0
    timeout: float = 60.0
    settle: float = 2.0


def _finished(inbox: CountingInbox, view: LedgerView, expected: dict[str, datetime]) -> bool:
    if inbox.distinct() < len(expected):
        return False
    try:
        rows = view.rows()
    except SQLAlchemyError:
        return False
    return all(key in rows and rows[key]["state"] == "sent" for key in expected)


def _finish(
    outcome: Outcome,
    inbox: CountingInbox,
    view: LedgerView,
    daemons: list[Daemon],
    burst: Burst,
    began: float,
) -> Outcome:
    """Wait for the end (or the deadline), let late duplicates land, stop, and collect."""
    timeout, settle = burst.timeout, burst.settle
    outcome.complete = wait_until(lambda: _finished(inbox, view, outcome.expected), timeout, 0.2)
    outcome.marks["complete_after"] = time.monotonic() - began
    if not outcome.complete:
        outcome.notes.append(f"deadline of {timeout:.0f} s passed before everything was sent")
    time.sleep(settle)  # a takeover racing the end would show up as a duplicate now
    outcome.wall = time.monotonic() - began
    stop_all(daemons, outcome.notes)
    outcome.marks["stop_s"] = time.monotonic() - began - outcome.wall
    outcome.arrivals = inbox.snapshot()
    try:
        outcome.rows = view.rows()
    except SQLAlchemyError as exc:
        outcome.notes.append(f"cannot read the ledger at the end: {exc}")
    outcome.log_counts = count_logs(daemons)
    for daemon in daemons:
        code = daemon.process.returncode
        if code not in (0, -signal.SIGKILL, None):
            outcome.notes.append(
                f"pid {daemon.process.pid} exited {code}; its last lines:\n"
                + "\n".join(daemon.lines[-15:])
            )
    return outcome


def _burst(
    name: str,
    project: BurstProject,
    inbox: CountingInbox,
    burst: Burst,
    ledger_url: str | None,
    **settings: object,
) -> tuple[datetime, Outcome, LedgerView]:
    """The burst written (config and calendar; ``[daemon]`` gets the burst's workers and lease
    and ``settings``), its first fire time, its Outcome, and a view of its ledger."""
    first = start_at(burst.lead)
    daemon = {"lease": burst.lease, "workers": burst.workers, **settings}
    expected = project.write_burst(
        fire_times(first, burst.rules, burst.step),
        burst.per_rule,
        smtp_port=inbox.port,
        ledger_url=ledger_url,
        daemon=daemon,
    )
    outcome = Outcome(name, expected, late_after=burst.late_after, workers=burst.workers)
    outcome.settings = dict(daemon)
    return first, outcome, LedgerView(ledger_url or project.sqlite_url())


def _start_replicas(
    project: Project, count: int, outcome: Outcome, first: datetime
) -> list[Daemon]:
    """``count`` daemons on the project, each past its "planned" line."""
    began = time.monotonic()
    daemons = [Daemon(project) for _ in range(count)]
    for daemon in daemons:
        daemon.wait_logged("planned", 60)
    _note_ready(outcome, began, first)
    return daemons


def _reached(
    outcome: Outcome, inbox: CountingInbox, burst: Burst, fraction: float, fault: str
) -> bool:
    """Wait until about ``fraction`` of the burst arrived (halfway through one rule's messages);
    False, with a note that there was no ``fault``, if it did not within the burst's timeout."""
    target = mid_rule(len(outcome.expected), burst.per_rule, fraction)
    if wait_until(lambda: inbox.distinct() >= target, burst.timeout):
        return True
    outcome.notes.append(f"fewer than {target} messages arrived; no {fault}")
    return False


def _clean_up(daemons: Iterable[Daemon], view: LedgerView) -> None:
    """Whatever a scenario left running is killed; the ledger view closed."""
    for daemon in daemons:
        if daemon.process.poll() is None:
            daemon.kill()
    view.close()


def replicas(
    root: Path,
    ledger_url: str,
    burst: Burst,
    *,
    count: int = 3,
    kill_after: float = 0.3,
    organisations: int = 0,
) -> Outcome:
    """``count`` daemons on one ledger; one SIGKILLed once ``kill_after`` of the mail arrived.
    ``organisations``: a deployment of that many, each with every notice of the burst."""
    project = BurstProject(root)
    project.organisations = organisations
    with CountingInbox() as inbox:
        first, outcome, view = _burst("replicas", project, inbox, burst, ledger_url)
        outcome.settings.update(replicas=count, kill_after=kill_after)
        if organisations:
            outcome.settings.update(organisations=organisations)
        daemons: list[Daemon] = []
        began = time.monotonic()
        try:
            daemons = _start_replicas(project, count, outcome, first)
            if _reached(outcome, inbox, burst, kill_after, "kill"):
                victim = busiest(daemons, view)
                victim.kill()
                outcome.arrived_at_fault.append(inbox.distinct())
                outcome.faults += 1
                held = view.claimed()
                mine = _held_by(held, victim)
                outcome.inflight = {key: int(row["attempts"]) for key, row in mine.items()}
                outcome.inflight_per_fault.append(len(mine))
                outcome.notes.append(
                    f"killed pid {victim.process.pid} with {outcome.arrived_at_fault[0]} "
                    f"arrived; {len(held)} claim(s) open right after"
                    + (
                        f", {len(mine)} of them naming it in claimed_by"
                        if mine is not held
                        else " (no claimed_by column: all counted as in flight)"
                    )
                )
            return _finish(outcome, inbox, view, daemons, burst, began)
        finally:
            _clean_up(daemons, view)


def mid_rule(total: int, per_rule: int, fraction: float) -> int:
    """The arrival count near ``fraction`` of ``total`` that lies halfway through one rule's
    notices: a fault then strikes while deliveries are in flight, not in the pause between two
    fire times."""
    whole = int(total * fraction) // per_rule * per_rule
    return max(1, min(total - 1, whole + per_rule // 2))


def _note_ready(outcome: Outcome, began: float, first: datetime) -> None:
    ready = time.monotonic() - began
    lead = first.timestamp() - time.time()
    when = f"{lead:.1f} s before" if lead >= 0 else f"{-lead:.1f} s AFTER"
    outcome.notes.append(f"every daemon planned after {ready:.1f} s, {when} the first fire time")


def busiest(daemons: Sequence[Daemon], view: LedgerView, within: float = 5.0) -> Daemon:
    """The daemon holding the most open claims (by ``claimed_by``), so that the kill catches
    deliveries in flight; looked for during ``within`` seconds.  The second daemon when the
    ledger has no such column or no daemon holds a claim meanwhile."""
    by_pid = {str(daemon.process.pid): daemon for daemon in daemons}
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        claims = list(view.claimed().values())
        if any("claimed_by" not in row for row in claims):
            break  # a ledger that does not name claimants
        held = Counter(str(row["claimed_by"] or "").rpartition(":")[2] for row in claims)
        for pid, _ in held.most_common():
            if pid in by_pid:
                return by_pid[pid]
        time.sleep(0.01)
    return daemons[1]


def _held_by(held: dict[str, dict[str, Any]], victim: Daemon) -> dict[str, dict[str, Any]]:
    """The open claims of ``victim`` when the ledger names claimants (``claimed_by`` =
    host:pid), else ``held`` itself: every open claim counts as possibly the victim's."""
    if not any("claimed_by" in row for row in held.values()):
        return held
    pid = str(victim.process.pid)
    return {
        key: row
        for key, row in held.items()
        if str(row.get("claimed_by") or "").rpartition(":")[2] == pid
    }


def kills(
    root: Path,
    ledger_url: str | None,
    burst: Burst,
    *,
    kill_count: int = 4,
    up_min: float = 0.3,
    up_max: float = 1.5,
    seed: int = 1,
) -> Outcome:
    """One daemon SIGKILLed ``kill_count`` times, each ``up_min..up_max`` s after it started.

    The first kill comes after the first fire time; each killed daemon is restarted at once.  The
    deliveries claimed right after each kill are recorded (the only daemon is dead: they are its).
    """
    rng = random.Random(seed)
    project = BurstProject(root)
    with CountingInbox() as inbox:
        first, outcome, view = _burst("kills", project, inbox, burst, ledger_url)
        url = ledger_url or project.sqlite_url()
        outcome.settings.update(kills=kill_count, seed=seed, ledger=url[:10])
        daemons: list[Daemon] = []
        seen: dict[str, int] = {}
        down = 0.0
        began = time.monotonic()
        try:
            daemons.append(start_daemon(project))
            wait_until(lambda: datetime.now(UTC) >= first, burst.lead + 5)
            while outcome.faults < kill_count:
                time.sleep(rng.uniform(up_min, up_max))
                victim = daemons[-1]
                if victim.process.poll() is not None:
                    outcome.notes.append(f"pid {victim.process.pid} had exited by itself")
                victim.kill()
                killed = time.monotonic()
                outcome.faults += 1
                outcome.arrived_at_fault.append(inbox.distinct())
                # Claims left by an earlier kill may still be open (their lease runs): count
                # only the claims this process made.
                fresh = {
                    key: int(row["attempts"])
                    for key, row in view.claimed().items()
                    if seen.get(key) != int(row["attempts"])
                }
                seen.update(fresh)
                outcome.inflight_per_fault.append(len(fresh))
                for key, attempts in fresh.items():
                    outcome.inflight.setdefault(key, attempts)
                daemons.append(start_daemon(project))
                down += time.monotonic() - killed
            outcome.marks["down_s"] = down
            outcome.notes.append(
                f"down {down:.1f} s in all, from each kill to the next 'starting' line"
            )
            return _finish(outcome, inbox, view, daemons, burst, began)
        finally:
            _clean_up(daemons, view)


def smtp_down(
    root: Path,
    ledger_url: str | None,
    burst: Burst,
    *,
    outage: float = 5.0,
    backoff: str = "PT1S",
    retry_limit: int = 12,
) -> Outcome:
    """The SMTP port refuses connections from before the first fire time until ``outage`` s
    after the last one, so every delivery falls due and fails while the server is down; then
    the server is started and the daemon's retries must deliver everything."""
    project = BurstProject(root)
    inbox = CountingInbox()  # not started: the port refuses connections
    first, outcome, view = _burst(
        "smtp-down", project, inbox, burst, ledger_url, retry_backoff=backoff,
        retry_limit=retry_limit,
    )  # fmt: skip
    times = fire_times(first, burst.rules, burst.step)
    url = ledger_url or project.sqlite_url()
    outcome.settings.update(outage=outage, ledger=url[:10])
    daemons: list[Daemon] = []
    began = time.monotonic()
    try:
        daemons.append(start_daemon(project))
        back = times[-1].timestamp() + outage
        wait_until(lambda: time.time() >= back, back - time.time() + 5, 0.01)
        outcome.arrived_at_fault.append(inbox.distinct())
        outcome.faults = 1
        rows = view.rows()
        failed = sum(1 for row in rows.values() if row["state"] == "failed")
        outcome.marks["failed_at_return"] = failed
        outcome.notes.append(
            f"when the server came back: {len(rows)} ledger rows, {failed} failed awaiting retry"
        )
        inbox.start()
        outcome.marks["back_at"] = outcome.marks["recovered_at"] = inbox.started_at[-1]
        return _finish(outcome, inbox, view, daemons, burst, began)
    finally:
        _clean_up(daemons, view)
        inbox.stop()


def pg_restart(
    root: Path,
    cluster: Any,
    burst: Burst,
    *,
    count: int = 2,
    down: float = 3.0,
    stop_after: float = 0.3,
    mode: str = "fast",
) -> Outcome:
    """``count`` daemons on ``cluster`` (a started PrivateCluster); once ``stop_after`` of the
    mail arrived the server is stopped (``mode``), and started again ``down`` s later."""
    project = BurstProject(root)
    with CountingInbox() as inbox:
        first, outcome, view = _burst("pg-restart", project, inbox, burst, cluster.url)
        outcome.settings.update(daemons=count, down=down, mode=mode)
        daemons: list[Daemon] = []
        began = time.monotonic()
        try:
            daemons = _start_replicas(project, count, outcome, first)
            if _reached(outcome, inbox, burst, stop_after, "outage"):
                held = view.claimed()
                outcome.inflight = {key: int(row["attempts"]) for key, row in held.items()}
                outcome.inflight_per_fault.append(len(held))
                view.engine.dispose()  # our own connections would only be cut
                cluster.stop(mode)
                outcome.marks["down_from"] = time.time()
                outcome.faults = 1
                outcome.arrived_at_fault.append(inbox.distinct())
                time.sleep(down)
                during = inbox.distinct() - outcome.arrived_at_fault[0]
                cluster.start()
                outcome.marks["down_until"] = outcome.marks["recovered_at"] = time.time()
                outcome.notes.append(
                    f"server stopped ({mode}) with {outcome.arrived_at_fault[0]} arrived and "
                    f"{len(held)} claim(s) open just before; {during} arrived while it was "
                    f"down; accepting again after "
                    f"{outcome.marks['down_until'] - outcome.marks['down_from']:.1f} s"
                )
            return _finish(outcome, inbox, view, daemons, burst, began)
        finally:
            _clean_up(daemons, view)
