"""The daemon's retries, grace period, reloads and refusals, in-process on a clock of its own.

The daemon runs in this process with an injected clock (``Daemon(clock=, sleep=)``), a real
ledger, a real SMTP server (aiosmtpd), a real outbox and its feed on a free port.  Its scheduler
is paused: :meth:`Running.run_until` moves the clock forward one sweep interval at a time and,
at each step, runs what the scheduler would have run by then (the fire jobs that are due, the
sweep, the file watch), so a test that covers a minute of the daemon's time takes a fraction of a
second of real time, and every instant it checks is exact.

What needs a real process (SIGKILL between claim and send, SIGTERM with a delivery in flight,
SIGHUP, start-up errors on stderr, the JSON log) stays in tests/test_daemon.py.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reminders.daemon import Daemon, sweep_interval
from reminders.ledger import FAILED, MISSED, SENT, LedgerError

from .daemon_harness import Inbox, Project, Rule, free_port

# 09:00 in the project's time zone (Asia/Karachi), a Sunday in January.
NOW = datetime(2027, 1, 10, 4, 0, tzinfo=UTC)


class Clock:
    """The daemon's clock: it moves only when the test, or a delivery's wait, moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:  # a delivery's wait (delivery.py), in a worker
        with self.lock:
            self.now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        with self.lock:
            self.now = max(self.now, when)


class Records(logging.Handler):
    """Every record the daemon logs (the JSON log's fields are the records' attributes)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]

    def logged(self, text: str) -> bool:
        return any(text in message for message in self.messages())


@pytest.fixture
def records() -> Iterator[Records]:
    handler = Records()
    logger = logging.getLogger("reminders")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


class Running:
    """A started daemon on ``clock`` with its scheduler paused; the test moves time."""

    def __init__(self, daemon: Daemon, clock: Clock) -> None:
        self.daemon, self.clock = daemon, clock
        self.watched = clock()

    async def tick(self) -> None:
        """What the scheduler runs at the clock's instant: due fire jobs, the sweep, the watch."""
        daemon, now = self.daemon, self.clock()
        for job in sorted(daemon.scheduler.get_jobs(), key=lambda j: j.next_run_time):
            if job.id.startswith("fire:") and job.next_run_time <= now:
                job.remove()  # a date job runs once
                await daemon.fire(job.id[5:])
        await daemon.sweep()
        assert daemon.runtime is not None
        every = daemon.runtime.settings.daemon.watch_interval
        if every and now - self.watched >= every:
            self.watched = now
            await daemon.watch()

    async def run_until(self, until: datetime) -> None:
        """Move the clock to ``until`` one sweep interval at a time, ticking at each step."""
        while self.clock() < until:
            assert self.daemon.runtime is not None
            step = timedelta(seconds=sweep_interval(self.daemon.runtime))
            self.clock.set(min(self.clock() + step, until))
            await self.tick()

    async def stop(self) -> None:
        self.daemon.stop()
        await self.daemon.shutdown()


Start = Callable[[], Awaitable[Running]]


def run(project: Project, clock: Clock, scenario: Callable[[Start], Awaitable[None]]) -> None:
    """Run ``scenario(start)`` in an event loop; ``start()`` starts a daemon on ``clock``."""

    async def main() -> None:
        started: list[Running] = []

        async def start() -> Running:
            daemon = Daemon(str(project.config), environ={}, clock=clock, sleep=clock.sleep)
            assert await daemon.start()
            daemon.scheduler.pause()  # the test runs the jobs, on the daemon's clock
            started.append(Running(daemon, clock))
            return started[-1]

        try:
            await scenario(start)
        finally:
            for running in started:
                if running.daemon.ledger is not None and not running.daemon.stopping.is_set():
                    await running.stop()

    asyncio.run(main())


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def replace_config(project: Project, text: str) -> None:
    """Write the config as an editor that saves by renaming does: a new file, a new inode."""
    temp = project.root / ".config.toml.tmp"
    temp.write_text(text, "utf-8")
    os.replace(temp, project.config)


# Formerly tests/test_daemon.py::test_smtp_server_down_is_retried_and_delivered_once_it_is_back
def test_smtp_server_down_is_retried_and_delivered_once_it_is_back(
    project: Project, records: Records
) -> None:
    clock = Clock(NOW)
    fire = NOW + timedelta(seconds=3)
    rule = Rule("retry", fire, channels=("mail",))
    port = free_port()  # nothing listens there yet: the server is down
    project.write([rule], smtp_port=port, daemon={"retry_limit": 10})
    ledger = project.ledger()
    messages: list[object] = []

    async def scenario(start: Start) -> None:
        daemon = await start()
        await daemon.run_until(fire)
        assert records.logged("attempt 1 of 10 failed")
        row = ledger.get(rule.notice_id, "mail")
        assert row is not None
        # The next attempt one retry_backoff (PT1S) later, then twice that.
        assert (row.state, row.attempts, row.next_attempt_at) == (
            FAILED,
            1,
            fire + timedelta(seconds=1),
        )
        await daemon.run_until(fire + timedelta(seconds=1))
        row = ledger.get(rule.notice_id, "mail")
        assert row is not None
        assert (row.attempts, row.next_attempt_at) == (2, fire + timedelta(seconds=3))
        with Inbox(port=port) as inbox:  # the server is back
            await daemon.run_until(fire + timedelta(seconds=2.5))
            assert inbox.messages == []  # not before the next attempt's time
            await daemon.run_until(fire + timedelta(seconds=3))
            assert len(inbox.messages) == 1
            assert records.logged("sent")
            await daemon.run_until(fire + timedelta(seconds=30))  # many more sweeps
            await daemon.stop()
            messages.extend(inbox.messages)

    run(project, clock, scenario)
    assert len(messages) == 1
    assert records.logged("stopped")
    row = ledger.get(rule.notice_id, "mail")
    assert row is not None
    assert (row.state, row.attempts) == (SENT, 3)
    assert row.sent_at == fire + timedelta(seconds=3)
    ledger.close()
    failures = [r for r in records.records if "failed" in r.getMessage()]
    assert len(failures) == 2
    assert all(
        (getattr(r, "notice", None), getattr(r, "channel", None)) == (rule.notice_id, "mail")
        for r in failures
    )


# Formerly tests/test_daemon.py::test_smtp_refusal_fails_for_good_without_retries
def test_smtp_refusal_fails_for_good_without_retries(project: Project, records: Records) -> None:
    clock = Clock(NOW)
    fire = NOW + timedelta(seconds=3)
    rule = Rule("refused", fire, channels=("mail",))
    ledger = project.ledger()

    with Inbox(refuse="550 5.1.1 mailbox unavailable") as inbox:
        project.write([rule], smtp_port=inbox.port)

        async def scenario(start: Start) -> None:
            daemon = await start()
            await daemon.run_until(fire)
            assert records.logged("failed for good (permanent failure)")
            await daemon.run_until(fire + timedelta(seconds=60))  # many sweeps: no retry
            await daemon.stop()

        run(project, clock, scenario)
        assert inbox.messages == []
    assert records.logged("stopped")
    assert not records.logged("next attempt")
    row = ledger.get(rule.notice_id, "mail")
    assert row is not None
    assert (row.state, row.attempts, row.next_attempt_at) == (FAILED, 1, None)
    assert "550" in (row.last_error or "")
    ledger.close()


# Formerly tests/test_daemon.py::
#     test_downtime_inside_the_grace_period_sends_late_and_outside_records_missed
def test_downtime_inside_the_grace_period_sends_late_and_outside_records_missed(
    project: Project, records: Records
) -> None:
    clock = Clock(NOW)
    inside = Rule("inside", NOW - timedelta(minutes=10))  # grace is 30 minutes
    outside = Rule("outside", NOW - timedelta(hours=1))
    before = Rule("before", NOW - timedelta(hours=5))  # before the daemon last ran
    project.write([inside, outside, before])
    ledger = project.ledger()
    ledger.create_schema()
    ledger.set_meta("heartbeat", (NOW - timedelta(hours=2)).isoformat())  # down for two hours

    async def first(start: Start) -> None:
        daemon = await start()  # the catch-up runs in the start
        assert len(project.outbox_files()) == 1
        assert records.logged("recorded, not sent")
        await daemon.run_until(NOW + timedelta(seconds=10))  # sweeps: nothing else
        await daemon.stop()

    run(project, clock, first)
    (late,) = project.outbox_files()
    assert inside.notice_id.replace(":", "_") in late.name
    assert "Late: yes" in late.read_text("utf-8")
    sent = ledger.get(inside.notice_id, "outbox")
    missed = ledger.get(outside.notice_id, "outbox")
    assert sent is not None
    assert missed is not None
    assert (sent.state, sent.late, sent.sent_at) == (SENT, True, NOW)
    assert missed.state == MISSED
    assert "not running" in (missed.last_error or "")
    assert ledger.get(before.notice_id, "outbox") is None  # older than the last heartbeat

    # A second start changes nothing: the late one is sent, the missed one stays missed.
    async def second(start: Start) -> None:
        daemon = await start()
        await daemon.run_until(NOW + timedelta(seconds=20))
        await daemon.stop()

    run(project, clock, second)
    assert len(project.outbox_files()) == 1
    assert ledger.get(inside.notice_id, "outbox") == sent
    assert ledger.get(outside.notice_id, "outbox") == missed
    ledger.close()


# Formerly tests/test_daemon.py::test_reload_on_change_adds_notices_and_rejects_a_broken_config
def test_reload_on_change_adds_notices_and_rejects_a_broken_config(
    project: Project, records: Records
) -> None:
    clock = Clock(NOW)
    first = Rule("first", NOW + timedelta(seconds=3))
    last = Rule("last", NOW + timedelta(seconds=14))
    added = Rule("added", NOW + timedelta(seconds=7))
    project.write([first, last])

    async def scenario(start: Start) -> None:
        daemon = await start()
        await daemon.run_until(first.local)
        assert len(project.outbox_files()) == 1

        project.write([first, last, added])
        await daemon.run_until(clock() + timedelta(seconds=1))  # the watch (PT1S) sees it
        assert records.logged("reloaded (a file changed)")
        await daemon.run_until(added.local)
        assert len(project.outbox_files()) == 2

        good = project.config.read_text("utf-8")
        replace_config(
            project, good.replace('timezone = "Asia/Karachi"', 'timezone = "Mars/Olympus"')
        )
        await daemon.run_until(clock() + timedelta(seconds=1))
        rejected = [m for m in records.messages() if "rejected" in m]
        assert len(rejected) == 1
        assert "organisation.timezone: got 'Mars/Olympus'" in rejected[0]

        # The old configuration keeps running: the last notice still goes out, and nothing twice.
        await daemon.run_until(last.local - timedelta(seconds=0.5))
        assert len(project.outbox_files()) == 2
        await daemon.run_until(last.local)
        assert len(project.outbox_files()) == 3
        await daemon.run_until(last.local + timedelta(seconds=10))
        await daemon.stop()

    run(project, clock, scenario)
    assert len([m for m in records.messages() if "rejected" in m]) == 1  # reported once
    names = [p.name for p in project.outbox_files()]
    assert len(names) == len(set(names)) == 3
    assert all(any(r.notice_id.replace(":", "_") in n for n in names) for r in (first, added, last))


def test_a_record_that_fails_waits_on_the_deliverys_clock_until_shortly_before_the_lease_ends(
    project: Project, records: Records
) -> None:
    """The outcome of a send is written again and again (0.5 s, then doubling) while the lease
    lasts; the waits are the daemon's (``sleep``), so they move its clock, not the real one."""
    clock = Clock(NOW)
    once = Rule("once", NOW + timedelta(seconds=3))
    never = Rule("never", NOW + timedelta(seconds=20))
    project.write([once, never])  # lease PT3S: the outcome must be written within 2 s
    ledger = project.ledger()
    seen: list[tuple[str, datetime]] = []

    async def scenario(start: Start) -> None:
        daemon = await start()
        assert daemon.daemon.ledger is not None
        real = daemon.daemon.ledger.mark_sent
        failures = {once.notice_id: 2, never.notice_id: 100}

        def mark_sent(claim: Any, now: datetime) -> bool:
            seen.append((claim.notice_id, clock()))
            if failures[claim.notice_id]:
                failures[claim.notice_id] -= 1
                raise LedgerError("sqlite:///ledger.sqlite3", "database is locked")
            return real(claim, now)

        daemon.daemon.ledger.mark_sent = mark_sent  # type: ignore[method-assign]
        await daemon.run_until(once.local)
        assert records.logged("sent: ")
        await daemon.run_until(never.local)
        # Given up shortly before the lease ends: the ledger is taken as unreachable.
        assert records.logged("the ledger does not answer")
        await daemon.stop()

    run(project, clock, scenario)
    fire, last = once.local.astimezone(UTC), never.local.astimezone(UTC)
    half, one = timedelta(seconds=0.5), timedelta(seconds=1.5)
    assert seen == [
        (once.notice_id, fire),
        (once.notice_id, fire + half),
        (once.notice_id, fire + one),
        (never.notice_id, last),
        (never.notice_id, last + half),
        (never.notice_id, last + one),  # the next wait (2 s) would pass the lease's end - 1 s
    ]
    waits = [m for m in records.messages() if m.startswith("cannot record the outcome yet")]
    assert [m.rsplit(" in ", 1)[1] for m in waits] == ["0.5 s", "1.0 s", "0.5 s", "1.0 s"]
    row = ledger.get(once.notice_id, "outbox")
    assert row is not None
    assert (row.state, row.sent_at) == (SENT, fire + one)
    ledger.close()
