"""Every duration is bounded at ``check`` to what the program can compute with it.

``horizon = "P999999999D"`` used to pass ``check`` and end ``run`` in an OverflowError, and an RRULE
with ``INTERVAL=1000000000`` passed although it gives no date after its first.  Now each bound is
a problem naming file, line, key, value and what is expected, and a property test makes sure that
no accepted duration, lead time or interval makes ``run``, ``export``, ``notices`` or ``plan``
raise, at any time from now to the last year the commands accept.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.cli.run import make_daemon
from reminders.config.calendars import load_calendars
from reminders.config.config_file import load_config
from reminders.core.ics import export_ics
from reminders.core.notices import notice_list
from reminders.core.occurrences import LAST_YEAR
from reminders.core.settings import Loaded
from reminders.notify.delivery import retry_wait
from reminders.plan.hostcal import FIRST_YEAR as PLAN_FIRST
from reminders.plan.hostcal import LAST_YEAR as PLAN_LAST
from reminders.plan.output import plan_parts

Cli = Callable[..., tuple[int, str, str]]

CONFIG = """\
[organisation]
name = "Test Institute"
timezone = "Pacific/Kiritimati"
country = "PK"
uid_domain = "test.example.org"

[paths]
calendars = "calendars"

[feed]
refresh_interval = {refresh}
future_years = 2

[ledger]
url = "sqlite:///ledger.sqlite3"

[daemon]
horizon = {horizon}
grace = {grace}
lease = {lease}
retry_backoff = {backoff}
retry_limit = 100
watch_interval = {watch}
serve_feed = false

[[channel]]
id = "outbox"
type = "file"
folder = "outbox"

[[notice]]
id = "lead"
before = {before}
at = "23:59"
template = "planning"
channels = ["outbox"]
weekend = "previous-working-day"
"""

CALENDAR = """\
[calendar]
id = "test"
name = "Test days"
timezone = "Etc/GMT+12"

[[observance]]
id = "fixed"
title = "{{ordinal}} fixed day"
date = "12-31"
since = 1990
description = "A day."

[[observance.moment]]
id = "silence"
name = "Minute of silence"
time = "23:59"
duration = {moment}

[[observance]]
id = "movable"
title = "{{ordinal}} movable day"
rrule = "FREQ=YEARLY;BYMONTH=1;BYDAY=1MO;INTERVAL={interval}"
since = 1990
description = "A day."

[[event]]
id = "long-event"
title = "A long event"
start = 2027-12-31T23:00:00
timezone = "Pacific/Kiritimati"
duration = {event}
"""

DEFAULTS = {
    "refresh": "PT12H",
    "horizon": "P14D",
    "grace": "PT12H",
    "lease": "PT5M",
    "backoff": "PT30S",
    "watch": "PT0S",
    "before": "0",
    "moment": "PT1M",
    "interval": "1",
    "event": "PT2H",
}


def write_project(root: Path, **values: str) -> Path:
    chosen = {**DEFAULTS, **values}
    quoted = {k: v if k in ("before", "interval") else json.dumps(v) for k, v in chosen.items()}
    (root / "calendars").mkdir(parents=True, exist_ok=True)
    (root / "calendars" / "test.toml").write_text(CALENDAR.format(**quoted), "utf-8")
    config = root / "config.toml"
    config.write_text(CONFIG.format(**quoted), "utf-8")
    return config


@pytest.mark.parametrize(
    ("key", "value", "where", "expected"),
    [
        ("horizon", "P999999999D", "config.toml:18: daemon.horizon", "up to P366D, such as 'P14D'"),
        ("horizon", "P367D", "config.toml:18: daemon.horizon", "up to P366D, such as 'P14D'"),
        ("grace", "P53W", "config.toml:19: daemon.grace", "from PT0S up to P366D"),
        ("lease", "PT24H1S", "config.toml:20: daemon.lease", "up to P1D, such as 'PT5M'"),
        ("backoff", "P2D", "config.toml:21: daemon.retry_backoff", "up to P1D, such as 'PT30S'"),
        ("watch", "P1DT1S", "config.toml:23: daemon.watch_interval", "from PT0S up to P1D"),
        ("refresh", "P400D", "config.toml:11: feed.refresh_interval", "up to P366D"),
        (
            "moment",
            "PT25H",
            "calendars/test.toml:17: observance 'fixed'.moment[1].duration",
            "up to P1D",
        ),
        ("event", "P367D", "calendars/test.toml:31: event 'long-event'.duration", "up to P366D"),
    ],
)
def test_check_refuses_a_duration_past_its_bound(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch, key: str, value: str, where: str,
    expected: str,
) -> None:  # fmt: skip
    config = write_project(tmp_path, **{key: value})
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("--config", str(config), "check")
    assert code == 1
    assert f"{where}: got '{value}'; expected an ISO 8601 duration " in err
    assert expected in err
    assert "Traceback" not in err


def test_run_refuses_the_horizon_that_used_to_overflow(tmp_path: Path) -> None:
    from reminders.core.errors import ConfigError

    config = write_project(tmp_path, horizon="P999999999D")
    daemon = make_daemon(str(config), environ={}, clock=lambda: datetime(2027, 1, 1, tzinfo=UTC))
    with pytest.raises(ConfigError) as caught:
        asyncio.run(daemon.start())
    assert "daemon.horizon: got 'P999999999D'" in caught.value.message()
    assert not (tmp_path / "ledger.sqlite3").exists()


def test_an_interval_of_a_billion_years_is_refused(tmp_path: Path, cli: Cli) -> None:
    config = write_project(tmp_path, interval="1000000000")
    code, _, err = cli("--config", str(config), "check")
    assert code == 1
    assert (
        "observance 'movable'.rrule: got 'FREQ=YEARLY;BYMONTH=1;BYDAY=1MO;INTERVAL=1000000000'; "
        "expected an RRULE whose INTERVAL is a whole number from 1 to 100"
    ) in err


def test_retry_waits_double_and_stop_at_a_day() -> None:
    waits = [retry_wait(timedelta(seconds=30), attempt) for attempt in range(1, 101)]
    assert waits[:3] == [timedelta(seconds=30), timedelta(seconds=60), timedelta(seconds=120)]
    assert waits[-1] == timedelta(days=1)
    assert retry_wait(timedelta(days=1), 100) == timedelta(days=1)


def span(high_seconds: int, zero: bool) -> st.SearchStrategy[str]:
    """ISO 8601 durations from (or above) zero to the bound, the bound itself often."""
    low = 0 if zero else 1
    seconds = st.one_of(st.just(high_seconds), st.integers(low, high_seconds))
    return seconds.map(lambda s: f"P{s // 86400}DT{s % 86400}S")


DAY, YEAR = 86400, 366 * 86400


@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    horizon=span(YEAR, False),
    grace=span(YEAR, True),
    lease=span(DAY, False),
    backoff=span(DAY, False),
    watch=span(DAY, True),
    refresh=span(YEAR, False),
    moment=span(DAY, False),
    event=span(YEAR, False),
    before=st.one_of(st.just(3660), st.integers(0, 3660)).map(str),
    interval=st.one_of(st.just(100), st.integers(1, 100)).map(str),
    now=st.one_of(
        st.just(datetime(LAST_YEAR, 12, 31, 23, 59, tzinfo=UTC)),
        st.datetimes(datetime(2026, 1, 1), datetime(LAST_YEAR, 12, 31), timezones=st.just(UTC)),
    ),
)
def test_no_accepted_duration_makes_run_export_notices_or_plan_raise(
    horizon: str, grace: str, lease: str, backoff: str, watch: str, refresh: str, moment: str,
    event: str, before: str, interval: str, now: datetime,
) -> None:  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        config = write_project(
            root,
            horizon=horizon,
            grace=grace,
            lease=lease,
            backoff=backoff,
            watch=watch,
            refresh=refresh,
            moment=moment,
            event=event,
            before=before,
            interval=interval,
        )
        today = now.date()
        settings_ = load_config(config)  # accepted, as check accepts it
        loaded = Loaded(settings_, load_calendars(settings_.calendars_dir, date(2026, 11, 23)))
        year = min(today.year, LAST_YEAR)
        assert export_ics(loaded, year - 1, min(year + 2, LAST_YEAR), None, None)
        notice_list(loaded, min(today, date(LAST_YEAR - 1, 12, 31)), 365)
        plan_year = min(max(year, PLAN_FIRST), PLAN_LAST)  # the years the Hijri tables cover
        for fmt in ("json", "ics"):
            assert b"".join(plan_parts(loaded, plan_year, fmt))

        async def run() -> int:
            daemon = make_daemon(str(config), environ={}, clock=lambda: now)
            await daemon.start()
            try:
                await daemon.replan()
                return sum(len(v) for v in daemon.plan.values())
            finally:
                daemon.stopping.set()
                await daemon.shutdown()

        asyncio.run(run())
        backoff_span = settings_.daemon.retry_backoff
        for attempt in range(1, settings_.daemon.retry_limit + 1):
            assert now + retry_wait(backoff_span, attempt) > now
