"""The daemon's schedule, in-process with a fixed clock: job ids, run times across DST changes."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from reminders.notify.daemon import Daemon

from .daemon_harness import CALENDAR_HEAD

CONFIG = """\
[organisation]
name = "Test Institute"
timezone = "{tz}"
uid_domain = "test.example.org"

[paths]
calendars = "calendars"

[ledger]
url = "sqlite:///ledger.sqlite3"

[daemon]
horizon = "P14D"
watch_interval = "PT0S"
serve_feed = false  # no feed: nothing listens, so no port can be taken

[[channel]]
id = "outbox"
type = "file"
folder = "outbox"

[[notice]]
id = "nine"
before = 0
at = "09:00"
template = "planning"
channels = ["outbox"]
"""

OBSERVANCES = "".join(
    f'\n[[observance]]\nid = "d{md.replace("-", "")}"\ntitle = "{{ordinal}} day"\n'
    f'date = "{md}"\nsince = 2000\ndescription = "A day."\n'
    for md in ("03-13", "03-14", "03-27", "03-28", "10-30", "10-31", "11-06", "11-07")
)


def scheduled(tmp_path: Path, tz: str, now: datetime) -> dict[str, datetime]:
    """Start a daemon at ``now`` (its clock) and return its fire jobs' run times."""
    (tmp_path / "calendars").mkdir(parents=True)
    (tmp_path / "calendars" / "c.toml").write_text(CALENDAR_HEAD + OBSERVANCES, "utf-8")
    (tmp_path / "config.toml").write_text(CONFIG.format(tz=tz), "utf-8")

    async def start() -> dict[str, datetime]:
        daemon = Daemon(str(tmp_path / "config.toml"), environ={}, clock=lambda: now)
        await daemon.start()
        try:
            return {
                job.id: job.next_run_time
                for job in daemon.scheduler.get_jobs()
                if job.id.startswith("fire:")
            }
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    return asyncio.run(start())


@pytest.mark.parametrize(
    ("tz", "now", "expected"),
    [
        # Spring forward on 28 March 2027: 09:00 GMT, then 09:00 BST (08:00 UTC).
        ("Europe/London", datetime(2027, 3, 20, tzinfo=UTC), ["03-27T09:00", "03-28T08:00"]),
        # Fall back on 31 October 2027: 09:00 BST (08:00 UTC), then 09:00 GMT.
        (
            "Europe/London",
            datetime(2027, 10, 25, tzinfo=UTC),
            [
                "10-30T08:00",
                "10-31T09:00",
                "11-06T09:00",
                "11-07T09:00",
            ],
        ),
        ("America/New_York", datetime(2027, 3, 5, tzinfo=UTC), ["03-13T14:00", "03-14T13:00"]),
        ("America/New_York", datetime(2027, 11, 1, tzinfo=UTC), ["11-06T13:00", "11-07T14:00"]),
    ],
)
def test_jobs_fire_at_nine_wall_time_across_dst_changes(
    tmp_path: Path, tz: str, now: datetime, expected: list[str]
) -> None:
    jobs = scheduled(tmp_path, tz, now)
    wanted = [datetime.fromisoformat(f"2027-{text}:00+00:00") for text in expected]
    assert jobs == {f"fire:{at.isoformat()}": at for at in wanted}


def test_zones_without_dst_fire_at_the_same_utc_time_all_year(tmp_path: Path) -> None:
    march = scheduled(tmp_path / "a", "Asia/Baku", datetime(2027, 3, 20, tzinfo=UTC))
    october = scheduled(tmp_path / "b", "Asia/Baku", datetime(2027, 10, 25, tzinfo=UTC))
    assert {at.time().isoformat() for at in [*march.values(), *october.values()]} == {"05:00:00"}


def test_the_daily_replan_extends_the_horizon_and_keeps_due_fire_times(tmp_path: Path) -> None:
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "c.toml").write_text(CALENDAR_HEAD + OBSERVANCES, "utf-8")
    (tmp_path / "config.toml").write_text(CONFIG.format(tz="Europe/London"), "utf-8")
    clock = [datetime(2027, 3, 1, tzinfo=UTC)]

    async def run() -> tuple[set[str], set[str], list[str]]:
        daemon = Daemon(str(tmp_path / "config.toml"), environ={}, clock=lambda: clock[0])
        await daemon.start()
        try:
            before = {j.id for j in daemon.scheduler.get_jobs() if j.id.startswith("fire:")}
            clock[0] = datetime(2027, 3, 14, 12, tzinfo=UTC)  # 13.5 days later
            await daemon.replan()
            after = {j.id for j in daemon.scheduler.get_jobs() if j.id.startswith("fire:")}
            kept = [n.id for n in daemon.plan["2027-03-13T09:00:00+00:00"]]
            return before, after, kept
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    before, after, kept = asyncio.run(run())
    assert before == {"fire:2027-03-13T09:00:00+00:00", "fire:2027-03-14T09:00:00+00:00"}
    assert kept == ["test:d0313:2027:nine"]  # a due job still knows what it sends
    # The window now reaches 28 March (BST from the 28th); the two fire times that are due by
    # the daemon's clock but have not run (the scheduler's clock is the real one) are kept.
    assert after == before | {"fire:2027-03-27T09:00:00+00:00", "fire:2027-03-28T08:00:00+00:00"}


def test_healthz_names_the_next_notice_even_beyond_the_horizon(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "c.toml").write_text(CALENDAR_HEAD + OBSERVANCES, "utf-8")
    (tmp_path / "config.toml").write_text(CONFIG.format(tz="Europe/London"), "utf-8")
    clock = [datetime(2027, 4, 1, tzinfo=UTC)]  # the next day is 30 October: months away

    async def run() -> list[dict[str, object]]:
        daemon = Daemon(str(tmp_path / "config.toml"), environ={}, clock=lambda: clock[0])
        await daemon.start()
        try:
            seen = [daemon.health()]
            clock[0] = datetime(2027, 3, 10, tzinfo=UTC)  # inside the horizon: 13 March
            await daemon.replan()
            seen.append(daemon.health())
            clock[0] = datetime(2027, 3, 14, 12, tzinfo=UTC)  # both planned times are past
            seen.append(daemon.health())
            return seen
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    with caplog.at_level(logging.INFO, logger="reminders"):
        beyond, inside, after = asyncio.run(run())
    assert beyond["next_fire"] is None
    assert beyond["next_notice"] == {
        "id": "test:d1030:2027:nine",
        "fire_at": "2027-10-30T08:00:00+00:00",  # 09:00 BST
        "beyond_horizon": True,
    }
    # The log names the very notice that /healthz reports.
    assert "next notice after that: test:d1030:2027:nine at 2027-10-30 09:00 Europe/London" in (
        caplog.text
    )
    assert inside["next_fire"] == "2027-03-13T09:00:00+00:00"
    assert inside["next_notice"] == {
        "id": "test:d0313:2027:nine",
        "fire_at": "2027-03-13T09:00:00+00:00",
        "beyond_horizon": False,
    }
    # Everything inside the horizon is past: the next one is looked up after it (24 March).
    assert after["next_notice"] == {
        "id": "test:d0327:2027:nine",
        "fire_at": "2027-03-27T09:00:00+00:00",
        "beyond_horizon": True,
    }
