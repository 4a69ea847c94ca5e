"""The daemon's retries, grace period, reloads and refusals, in-process on a clock of its own.

The daemon runs in this process with an injected clock (``Daemon(clock=, sleep=)``, see
tests/clock_harness.py), a real ledger, a real SMTP server (aiosmtpd), a real outbox and its feed
on a free port; the test moves the clock and the daemon runs what its scheduler would have run.

What needs a real process (SIGKILL between claim and send, SIGTERM with a delivery in flight,
SIGHUP, start-up errors on stderr, the JSON log) stays in tests/test_daemon.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from reminders.notify.ledger import FAILED, MISSED, SENT, LedgerError

from .clock_harness import Clock, Records, Start, captured, run
from .daemon_harness import Inbox, Project, Rule, free_port

# 09:00 in the project's time zone (Asia/Karachi), a Sunday in January.
NOW = datetime(2027, 1, 10, 4, 0, tzinfo=UTC)


@pytest.fixture
def records() -> Iterator[Records]:
    with captured() as handler:
        yield handler


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
    assert records.logged("stop received: no delivery in flight; stopping")
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
