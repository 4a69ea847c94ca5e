"""The delivery ledger: one contract suite run over SQLite and PostgreSQL.

PostgreSQL runs when REMINDERS_TEST_POSTGRES_URL names a server (each test in a schema of its own,
dropped afterwards); without it those cases skip with the reason stated.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url

from reminders.core.settings import Ledger as LedgerSettings
from reminders.notify.ledger import (
    CLAIMED,
    FAILED,
    MISSED,
    SENT,
    Claim,
    Ledger,
    LedgerError,
    deliveries,
    engine_url,
    ledger_url,
)

from . import racers

PG_ENV = "REMINDERS_TEST_POSTGRES_URL"
PG_SKIP = "REMINDERS_TEST_POSTGRES_URL is not set; the PostgreSQL ledger tests need a server"
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
TICK = timedelta(microseconds=1)
NOTICE = "embassy:january-20:2027:plan-30"


class Database(NamedTuple):
    """Where a test's ledger lives; ``open()`` gives another Ledger (engine) on the same data."""

    url: str
    schema: str | None
    open: Callable[[], Ledger]


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    opened: list[Ledger] = []
    schema: str | None = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'state' / 'ledger.sqlite3'}"
    else:
        url = os.environ.get(PG_ENV, "")
        if not url:
            pytest.skip(PG_SKIP)
        schema = f"ledger_test_{uuid.uuid4().hex[:16]}"

    def open_ledger() -> Ledger:
        ledger = Ledger(url, schema=schema)
        opened.append(ledger)
        return ledger

    yield Database(url, schema, open_ledger)
    for ledger in opened:
        ledger.close()
    if schema is not None:
        admin = create_engine(engine_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def ledger(database: Database) -> Ledger:
    opened = database.open()
    opened.create_schema()
    return opened


def claim(ledger: Ledger, now: datetime, notice: str = NOTICE, channel: str = "outbox") -> Claim:
    taken = ledger.claim(notice, channel, T0, now, LEASE)
    assert taken is not None, f"{notice}/{channel} could not be claimed at {now}"
    return taken


def state(ledger: Ledger, notice: str = NOTICE, channel: str = "outbox") -> str:
    row = ledger.get(notice, channel)
    assert row is not None
    return row.state


def test_a_sent_delivery_is_never_claimed_again(ledger: Ledger) -> None:
    first = claim(ledger, T0)
    assert (first.attempt, first.fire_at, first.late) == (1, T0, False)
    assert len(first.token) == 32
    assert ledger.mark_sent(first, T0 + timedelta(seconds=3))
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.state, row.attempts, row.sent_at, row.lease_until) == (
        SENT,
        1,
        T0 + timedelta(seconds=3),
        None,
    )
    for later in (T0, T0 + LEASE, T0 + timedelta(days=400)):
        assert ledger.claim(NOTICE, "outbox", T0, later, LEASE) is None
    assert not ledger.mark_sent(first, T0 + LEASE)  # completing twice changes nothing
    assert ledger.claim(NOTICE, "email", T0, T0, LEASE) is not None  # another channel's own row


def test_create_schema_again_keeps_every_row(database: Database, ledger: Ledger) -> None:
    ledger.mark_sent(claim(ledger, T0), T0)
    ledger.create_schema()
    database.open().create_schema()
    assert state(ledger) == SENT
    assert ledger.counts() == {CLAIMED: 0, SENT: 1, FAILED: 0, MISSED: 0}


def test_an_unfinished_claim_is_taken_over_once_its_lease_ends(ledger: Ledger) -> None:
    stale = claim(ledger, T0)
    assert ledger.claim(NOTICE, "outbox", T0, T0 + LEASE - TICK, LEASE) is None
    fresh = claim(ledger, T0 + LEASE)
    assert (fresh.attempt, fresh.fire_at) == (2, T0)
    assert fresh.token != stale.token
    assert ledger.claim(NOTICE, "outbox", T0, T0 + LEASE, LEASE) is None  # exactly once
    assert not ledger.mark_sent(stale, T0 + LEASE + TICK)
    assert not ledger.mark_failed(stale, T0 + LEASE + TICK, "timed out", None)
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.state, row.attempts, row.claimed_at, row.lease_until) == (
        CLAIMED,
        2,
        T0 + LEASE,
        T0 + 2 * LEASE,
    )
    assert ledger.mark_sent(fresh, T0 + LEASE + TICK)
    assert state(ledger) == SENT


def test_a_failed_delivery_is_claimable_at_its_retry_time_and_not_before(ledger: Ledger) -> None:
    retry_at = T0 + timedelta(seconds=30)
    assert ledger.mark_failed(claim(ledger, T0), T0, "SMTP 421 try later", retry_at)
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.state, row.attempts, row.last_error, row.next_attempt_at, row.lease_until) == (
        FAILED,
        1,
        "SMTP 421 try later",
        retry_at,
        None,
    )
    assert ledger.claim(NOTICE, "outbox", T0, retry_at - TICK, LEASE) is None
    retry = claim(ledger, retry_at)
    assert retry.attempt == 2
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.state, row.next_attempt_at, row.last_error) == (CLAIMED, None, "SMTP 421 try later")


def test_a_delivery_failed_for_good_is_never_claimed(ledger: Ledger) -> None:
    assert ledger.mark_failed(claim(ledger, T0), T0, "550 no such user " + "x" * 5000, None)
    for later in (T0, T0 + LEASE, T0 + timedelta(days=400)):
        assert ledger.claim(NOTICE, "outbox", T0, later, LEASE) is None
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.state, row.next_attempt_at) == (FAILED, None)
    assert row.last_error is not None
    assert row.last_error.startswith("550 no such user")
    assert len(row.last_error) == 2000
    assert ledger.due(T0 + timedelta(days=400)) == []


def test_mark_missed_records_only_a_delivery_without_a_row(ledger: Ledger) -> None:
    assert ledger.mark_missed(NOTICE, "outbox", T0, T0 + timedelta(days=1), "past the grace")
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.state, row.attempts, row.last_error, row.fire_at, row.late) == (
        MISSED,
        0,
        "past the grace",
        T0,
        False,
    )
    assert not ledger.mark_missed(NOTICE, "outbox", T0, T0 + timedelta(days=2), "again")
    assert ledger.claim(NOTICE, "outbox", T0, T0 + timedelta(days=2), LEASE) is None
    claim(ledger, T0, channel="email")
    assert not ledger.mark_missed(NOTICE, "email", T0, T0, "too late")
    assert state(ledger, channel="email") == CLAIMED


def test_a_late_claim_is_marked_late(ledger: Ledger) -> None:
    late = ledger.claim(NOTICE, "outbox", T0, T0 + timedelta(hours=2), LEASE, late=True)
    assert late is not None
    assert late.late
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert row.late


def test_due_lists_expired_leases_and_due_retries_oldest_first(ledger: Ledger) -> None:
    claim(ledger, T0, "n:lease")  # lease ends at T0 + 5 min
    ledger.mark_failed(claim(ledger, T0, "n:retry"), T0, "down", T0 + timedelta(minutes=10))
    ledger.mark_failed(claim(ledger, T0, "n:early"), T0, "down", T0 + timedelta(minutes=1))
    ledger.mark_sent(claim(ledger, T0, "n:sent"), T0)
    ledger.mark_failed(claim(ledger, T0, "n:dead"), T0, "refused", None)
    ledger.mark_missed("n:missed", "outbox", T0, T0, "too late")
    assert ledger.due(T0 + timedelta(seconds=59)) == []
    assert [d.notice_id for d in ledger.due(T0 + timedelta(minutes=1))] == ["n:early"]
    assert [d.notice_id for d in ledger.due(T0 + timedelta(minutes=10))] == [
        "n:early",
        "n:lease",
        "n:retry",
    ]
    assert [d.notice_id for d in ledger.due(T0 + timedelta(hours=1), limit=2)] == [
        "n:early",
        "n:lease",
    ]
    claim(ledger, T0 + timedelta(minutes=1), "n:early")  # taken again: its lease runs to T0+6m
    assert [d.notice_id for d in ledger.due(T0 + timedelta(minutes=5))] == ["n:lease"]


def test_find_looks_up_deliveries_over_several_chunks(ledger: Ledger) -> None:
    ids = [f"cal:obs-{n}:2027:plan" for n in range(700)]
    for notice in ids:
        ledger.mark_missed(notice, "outbox", T0, T0, "test")
    claim(ledger, T0, ids[7], "email")
    found = ledger.find([*ids, *ids[:10], "cal:unknown:2027:plan"])
    assert len(found) == 701
    assert found[ids[699], "outbox"].state == MISSED
    assert found[ids[7], "email"].state == CLAIMED
    assert ledger.find([]) == {}


def test_recent_problems_and_counts(ledger: Ledger) -> None:
    minute = timedelta(minutes=1)
    ledger.mark_sent(claim(ledger, T0, "n:sent"), T0 + minute)
    ledger.mark_failed(claim(ledger, T0, "n:retry"), T0 + 2 * minute, "down", T0 + 3 * minute)
    ledger.mark_failed(claim(ledger, T0, "n:dead"), T0 + 3 * minute, "refused", None)
    ledger.mark_missed("n:missed", "outbox", T0, T0 + 4 * minute, "too late")
    claim(ledger, T0 + 5 * minute, "n:open")
    assert [d.notice_id for d in ledger.recent()] == [
        "n:open",
        "n:missed",
        "n:dead",
        "n:retry",
        "n:sent",
    ]
    assert [d.notice_id for d in ledger.recent(limit=2)] == ["n:open", "n:missed"]
    assert [d.notice_id for d in ledger.problems(T0)] == ["n:missed", "n:dead", "n:retry"]
    assert [d.notice_id for d in ledger.problems(T0 + 3 * minute)] == ["n:missed", "n:dead"]
    assert [d.notice_id for d in ledger.problems(T0, limit=1)] == ["n:missed"]
    assert ledger.counts() == {CLAIMED: 1, SENT: 1, FAILED: 2, MISSED: 1}


def test_meta_values_are_upserted(ledger: Ledger) -> None:
    assert ledger.get_meta("heartbeat") is None
    ledger.set_meta("heartbeat", "2026-11-23T09:00:00+00:00")
    ledger.set_meta("heartbeat", "2026-11-23T09:00:30+00:00")
    assert ledger.get_meta("heartbeat") == "2026-11-23T09:00:30+00:00"


def test_datetimes_come_back_as_aware_utc(ledger: Ledger) -> None:
    karachi = datetime(2027, 1, 20, 9, 0, 0, 123456, tzinfo=ZoneInfo("Asia/Karachi"))
    taken = ledger.claim(NOTICE, "outbox", karachi, karachi, LEASE)
    assert taken is not None
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert row.fire_at == karachi
    assert row.fire_at.tzinfo is UTC
    assert row.fire_at.hour == 4
    assert row.fire_at.microsecond == 123456
    assert row.lease_until == karachi + LEASE
    assert row.created_at.tzinfo is UTC


class NoOffset(tzinfo):
    """A zone that knows no offset: Python calls a datetime in it naive."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None


def test_naive_datetimes_are_refused(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="aware datetimes only"):
        ledger.claim(NOTICE, "outbox", T0, datetime(2026, 11, 23, 9), LEASE)
    # A tzinfo without an offset does not make a datetime aware.
    with pytest.raises(ValueError, match="aware datetimes only"):
        ledger.claim(NOTICE, "outbox", T0, datetime(2026, 11, 23, 9, tzinfo=NoOffset()), LEASE)
    assert ledger.get(NOTICE, "outbox") is None


_examples = itertools.count()
_ids = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)
_moments = st.datetimes(
    min_value=datetime(1900, 1, 2),
    max_value=datetime(2200, 12, 30),
    timezones=st.sampled_from(
        [UTC, ZoneInfo("Asia/Karachi"), ZoneInfo("America/St_Johns"), ZoneInfo("Pacific/Apia")]
    ),
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(notice=_ids, channel=_ids, fire_at=_moments, now=_moments)
def test_any_ids_and_moments_round_trip_exactly(
    ledger: Ledger, notice: str, channel: str, fire_at: datetime, now: datetime
) -> None:
    notice = f"{next(_examples)}:{notice}"  # the ledger outlives examples; keep each key new
    # Compare instants in UTC: Python never calls a time in a DST gap or fold equal to a time in
    # another zone (PEP 495), even when both name the same instant.
    fire_utc, now_utc = fire_at.astimezone(UTC), now.astimezone(UTC)
    taken = ledger.claim(notice, channel, fire_at, now, LEASE)
    assert taken is not None
    assert (taken.notice_id, taken.channel, taken.fire_at) == (notice, channel, fire_utc)
    row = ledger.get(notice, channel)
    assert row is not None
    assert (row.notice_id, row.channel, row.fire_at, row.claimed_at, row.lease_until) == (
        notice,
        channel,
        fire_utc,
        now_utc,
        now_utc + LEASE,
    )
    assert row.fire_at.tzinfo is UTC
    assert row.claimed_at is not None
    assert row.claimed_at.tzinfo is UTC
    assert ledger.find([notice]) == {(notice, channel): row}


def _race(ledgers: list[Ledger], keys: list[str], now: datetime) -> list[Claim]:
    """Eight threads over the given ledgers claim every key at once; every win is returned."""
    start = threading.Barrier(8)
    won: list[Claim] = []
    lock = threading.Lock()

    def run(index: int) -> None:
        ledger = ledgers[index % len(ledgers)]
        start.wait()
        for key in keys if index % 2 else reversed(keys):
            taken = ledger.claim(key, "outbox", T0, now, LEASE)
            if taken is not None:
                with lock:
                    won.append(taken)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won


def test_racing_threads_claim_each_delivery_exactly_once(
    database: Database, ledger: Ledger
) -> None:
    keys = [f"cal:obs-{n}:2027:plan" for n in range(50)]
    ledgers = [ledger, database.open()]  # two engines: as two daemons would have
    first = _race(ledgers, keys, T0)
    assert sorted(c.notice_id for c in first) == sorted(keys)
    assert {c.attempt for c in first} == {1}
    again = _race(ledgers, keys, T0 + LEASE)  # every lease ran out: each is taken over once
    assert sorted(c.notice_id for c in again) == sorted(keys)
    assert {c.attempt for c in again} == {2}
    assert ledger.counts()[CLAIMED] == 50


@pytest.mark.slow
def test_racing_processes_claim_each_delivery_exactly_once(
    database: Database, ledger: Ledger
) -> None:
    keys = Counter(racers.KEYS)
    for now in (T0, T0 + LEASE):  # new claims, then taking over expired ones
        # Two processes, each connected, let go at once.
        won = racers.race(racers.claim_all, 2, database.url, database.schema, T0, now, LEASE)
        assert Counter(itertools.chain(*won)) == keys
    assert {row.attempts for row in ledger.find(keys).values()} == {2}


def test_an_unreachable_postgresql_is_a_ledger_error_without_the_password() -> None:
    ledger = Ledger("postgresql://reminders:s3cret-pw@127.0.0.1:1/ledger?connect_timeout=2")
    with pytest.raises(LedgerError) as caught:
        ledger.create_schema()
    message = str(caught.value)
    assert "s3cret-pw" not in message
    assert message.startswith("ledger postgresql+psycopg://reminders:***@127.0.0.1:1/ledger")
    assert "refused" in message
    assert (
        caught.value.url
        == "postgresql+psycopg://reminders:***@127.0.0.1:1/ledger?connect_timeout=2"
    )
    with pytest.raises(LedgerError, match="reminders:\\*\\*\\*@") as caught:
        ledger.claim(NOTICE, "outbox", T0, T0, LEASE)
    assert "s3cret-pw" not in str(caught.value)
    ledger.close()


def test_an_sqlite_folder_that_cannot_be_created_is_a_ledger_error(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the folder should be", encoding="utf-8")
    with pytest.raises(LedgerError) as caught:
        Ledger(f"sqlite:///{blocker / 'ledger.sqlite3'}")
    assert str(caught.value) == (
        f"ledger sqlite:///{blocker / 'ledger.sqlite3'}: cannot create the folder {blocker}: "
        "File exists"
    )


def test_an_sqlite_file_that_cannot_be_opened_is_a_ledger_error(tmp_path: Path) -> None:
    folder = tmp_path / "ledger.sqlite3"
    folder.mkdir()  # a folder where the database file should be
    ledger = Ledger(f"sqlite:///{folder}")
    with pytest.raises(LedgerError) as caught:
        ledger.create_schema()
    ledger.close()
    # The driver's own words, without SQLAlchemy's wrapping (its class name, SQL, help link).
    assert caught.value.reason == "unable to open database file"


def test_other_databases_are_refused() -> None:
    with pytest.raises(LedgerError, match="SQLite or PostgreSQL only"):
        Ledger("mysql://events:pw@db.example.org/ledger")
    with pytest.raises(LedgerError) as caught:
        Ledger("ledger.sqlite3")
    assert str(caught.value) == "ledger (unparsable URL): not a SQLAlchemy database URL"
    with pytest.raises(LedgerError, match=r"^ledger postgresql\+nosuchdriver://u@h/db: cannot use"):
        Ledger("postgresql+nosuchdriver://u@h/db")
    with pytest.raises(ValueError, match="a schema name applies to PostgreSQL ledgers only"):
        Ledger("sqlite://", schema="reminders")


def test_an_in_memory_ledger_works_across_threads() -> None:
    ledger = Ledger("sqlite://")
    ledger.create_schema()
    keys = [f"cal:obs-{n}:2027:plan" for n in range(20)]
    assert sorted(c.notice_id for c in _race([ledger], keys, T0)) == sorted(keys)
    ledger.close()


def test_the_url_env_variable_overrides_the_configured_url() -> None:
    configured = LedgerSettings("sqlite:////srv/reminders/var/ledger.sqlite3", "LEDGER_URL")
    shared = "postgresql://reminders@db.example.org/reminders"
    assert ledger_url(configured, {"LEDGER_URL": shared}) == shared
    assert ledger_url(configured, {"LEDGER_URL": ""}) == configured.url
    assert ledger_url(configured, {}) == configured.url
    assert ledger_url(configured._replace(url_env=""), {"LEDGER_URL": shared}) == configured.url


def test_a_postgresql_url_without_a_driver_uses_psycopg_3() -> None:
    assert engine_url("postgresql://u:pw@h/db").drivername == "postgresql+psycopg"
    assert engine_url("postgresql+psycopg2://u@h/db").drivername == "postgresql+psycopg2"
    assert engine_url("sqlite:///x.sqlite3").drivername == "sqlite"


def test_due_lists_the_longest_waiting_first_whatever_the_ids(ledger: Ledger) -> None:
    # The ids sort the other way round from the due times, and retries (due at next_attempt_at)
    # mix with expired claims (due at lease_until), so only the due time gives this order.
    ledger.mark_failed(claim(ledger, T0, "a:retry-late"), T0, "down", T0 + timedelta(minutes=9))
    claim(ledger, T0 + timedelta(minutes=2), "b:lease")  # lease ends at T0 + 7 min
    ledger.mark_failed(claim(ledger, T0, "c:retry-early"), T0, "down", T0 + timedelta(minutes=3))
    claim(ledger, T0, "d:lease-early")  # lease ends at T0 + 5 min
    assert [d.notice_id for d in ledger.due(T0 + timedelta(hours=1))] == [
        "c:retry-early",
        "d:lease-early",
        "b:lease",
        "a:retry-late",
    ]


def test_a_late_retry_is_marked_late_and_a_late_delivery_stays_late(ledger: Ledger) -> None:
    retry_at = T0 + timedelta(minutes=1)
    ledger.mark_failed(claim(ledger, T0, "n:on-time"), T0, "down", retry_at)
    again = ledger.claim("n:on-time", "outbox", T0, T0 + timedelta(hours=2), LEASE, late=True)
    assert again is not None
    assert again.attempt == 2
    assert again.late
    row = ledger.get("n:on-time", "outbox")
    assert row is not None
    assert row.late

    first = ledger.claim("n:late", "outbox", T0, T0, LEASE, late=True)
    assert first is not None
    ledger.mark_failed(first, T0, "down", retry_at)
    retried = ledger.claim("n:late", "outbox", T0, retry_at, LEASE)
    assert retried is not None
    assert retried.late
    never = ledger.claim("n:never-late", "outbox", T0, T0, LEASE)
    assert never is not None
    assert not never.late


def test_the_default_limits_of_due_recent_and_problems(ledger: Ledger) -> None:
    for n in range(1001):  # each a claim whose lease runs out at T0 + 5 min
        claim(ledger, T0 + n * TICK, f"n:{n:04}")
    assert len(ledger.due(T0 + timedelta(hours=1))) == 1000
    assert len(ledger.recent()) == 20
    assert [d.notice_id for d in ledger.recent()][:2] == ["n:1000", "n:0999"]
    for n in range(51):
        ledger.mark_missed(f"m:{n:02}", "outbox", T0, T0 + timedelta(hours=1), "too late")
    assert len(ledger.problems(T0)) == 50


def test_a_long_error_is_kept_to_its_first_2000_characters(ledger: Ledger) -> None:
    error = "x" * 1999 + "yz" + "0" * 500
    ledger.mark_failed(claim(ledger, T0), T0, error, None)
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert row.last_error == error[:2000]
    ledger.mark_missed("n:missed", "outbox", T0, T0, error)
    missed = ledger.get("n:missed", "outbox")
    assert missed is not None
    assert missed.last_error == error[:2000]


def test_the_password_is_hidden_wherever_the_database_error_repeats_it() -> None:
    # The password here is also the host's address, so the driver's own message (which names
    # the host) repeats it: the reason after the URL must show *** in its place.
    ledger = Ledger("postgresql://reminders:127.0.0.1@127.0.0.1:1/ledger?connect_timeout=2")
    with pytest.raises(LedgerError) as caught:
        ledger.create_schema()
    url, _, reason = str(caught.value).partition(": ")
    assert url == "ledger postgresql+psycopg://reminders:***@127.0.0.1:1/ledger?connect_timeout=2"
    assert "refused" in reason
    assert "***" in reason
    assert "127.0.0.1" not in reason
    ledger.close()


def test_each_change_stamps_updated_at_and_created_at_stays(ledger: Ledger) -> None:
    taken = claim(ledger, T0)
    ledger.mark_sent(taken, T0 + timedelta(minutes=3))
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.created_at, row.updated_at, row.sent_at) == (
        T0,
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=3),
    )
    assert (row.claimed_at, row.lease_until, row.attempts) == (T0, None, 1)


def test_every_method_refuses_naive_datetimes(ledger: Ledger) -> None:
    naive = datetime(2026, 11, 23, 9)
    for call in (
        lambda: ledger.due(naive),
        lambda: ledger.problems(naive),
        lambda: ledger.mark_missed(NOTICE, "outbox", T0, naive, "late"),
        lambda: ledger.mark_sent(claim(ledger, T0, "n:sent"), naive),
    ):
        with pytest.raises(ValueError, match="aware datetimes only"):
            call()


def test_an_in_memory_ledger_inspects_as_the_current_version() -> None:
    ledger = Ledger("sqlite://")
    assert ledger.inspect() is None  # no tables yet
    ledger.create_schema()
    assert ledger.inspect() == 2
    assert ledger.schema_version() == 2
    ledger.close()


def test_the_owner_is_kept_to_200_characters(database: Database) -> None:
    # PostgreSQL refuses a longer value than its column takes: the column holds 200 characters.
    ledger = Ledger(database.url, schema=database.schema, owner="h" * 300)
    try:
        ledger.create_schema()
        assert ledger.owner == "h" * 200
        claim(ledger, T0)
        row = ledger.get(NOTICE, "outbox")
        assert row is not None
        assert row.claimed_by == "h" * 200
    finally:
        ledger.close()


@pytest.fixture
def away_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local time and PostgreSQL's session time zone (PGTZ) in Asia/Karachi."""
    monkeypatch.setenv("TZ", "Asia/Karachi")
    monkeypatch.setenv("PGTZ", "Asia/Karachi")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_stay_utc_on_a_machine_and_a_server_in_another_zone(
    away_from_utc: None, database: Database
) -> None:
    # SQLite keeps naive text and the server answers in its session zone: neither may shift an
    # instant, and every datetime still comes back in UTC.
    ledger = database.open()
    ledger.create_schema()
    fire_at = datetime(2027, 1, 20, 9, 0, tzinfo=ZoneInfo("Asia/Karachi"))
    taken = ledger.claim(NOTICE, "outbox", fire_at, T0, LEASE)
    assert taken is not None
    row = ledger.get(NOTICE, "outbox")
    assert row is not None
    assert (row.fire_at, row.claimed_at, row.lease_until) == (
        datetime(2027, 1, 20, 4, 0, tzinfo=UTC),
        T0,
        T0 + LEASE,
    )
    assert {row.fire_at.tzinfo, row.created_at.tzinfo, row.updated_at.tzinfo} == {UTC}
    assert row.fire_at.hour == 4
    assert ledger.due(T0 + LEASE - TICK) == []
    assert [d.notice_id for d in ledger.due(T0 + LEASE)] == [NOTICE]


def test_a_postgresql_ledger_stops_connecting_after_10_seconds_unless_the_url_says() -> None:
    url = os.environ.get(PG_ENV, "")
    if not url:
        pytest.skip(PG_SKIP)
    own = make_url(url).update_query_dict({"connect_timeout": "3"})
    for given_url, seconds in ((url, "10"), (own.render_as_string(hide_password=False), "3")):
        ledger = Ledger(given_url)
        try:
            with ledger._engine.connect() as conn:
                parameters = conn.connection.driver_connection.info.get_parameters()
        finally:
            ledger.close()
        assert parameters["connect_timeout"] == seconds


def test_sqlite_connections_wait_ten_seconds_for_a_writer_in_wal_mode(tmp_path: Path) -> None:
    # Another writer makes a connection wait (busy_timeout) instead of failing with "database is
    # locked", and in WAL mode readers and the writer do not block each other; a read-only
    # ledger waits as long, and leaves the journal mode alone (setting it writes the file).
    path = tmp_path / "ledger.sqlite3"
    writer = Ledger(f"sqlite:///{path}")
    writer.create_schema()
    reader = Ledger(f"sqlite:///{path}", read_only=True)
    try:
        for ledger in (writer, reader):
            with ledger._connect(write=False) as conn:
                settings = [
                    conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                    for name in ("busy_timeout", "journal_mode")
                ]
            assert settings == [10000, "wal"]
    finally:
        reader.close()
        writer.close()


def test_a_row_the_schema_refuses_is_an_error_of_the_caller_not_a_damaged_ledger(
    ledger: Ledger,
) -> None:
    # Only SQLite's word for a file that is not a database means "damaged"; a constraint the
    # row breaks (an unknown state; on PostgreSQL, too long an owner) is raised as it is.
    row = {
        "notice_id": NOTICE,
        "channel": "outbox",
        "fire_at": T0,
        "state": "lost",
        "attempts": 1,
        "late": False,
        "created_at": T0,
        "updated_at": T0,
    }
    with pytest.raises(sa_exc.IntegrityError), ledger._connect(write=True) as conn:
        conn.execute(deliveries.insert().values(row))
    if ledger.dialect == "postgresql":
        too_long = {**row, "state": CLAIMED, "claimed_by": "h" * 201}
        with pytest.raises(sa_exc.DataError), ledger._connect(write=True) as conn:
            conn.execute(deliveries.insert().values(too_long))
    assert ledger.get(NOTICE, "outbox") is None


def test_the_time_columns_store_the_utc_instant_of_any_aware_datetime(ledger: Ledger) -> None:
    # Written through the table itself (as the upgrade tests write a first-release row), not
    # through a method that converts first: the column type converts, and refuses naive times.
    karachi = datetime(2027, 1, 20, 9, 0, tzinfo=ZoneInfo("Asia/Karachi"))
    row = {
        "notice_id": NOTICE,
        "channel": "outbox",
        "state": MISSED,
        "attempts": 0,
        "late": False,
        "created_at": karachi,
        "updated_at": karachi,
    }
    with ledger._connect(write=True) as conn:
        conn.execute(deliveries.insert().values({**row, "fire_at": karachi}))
    found = ledger.get(NOTICE, "outbox")
    assert found is not None
    assert (found.fire_at, found.fire_at.tzinfo) == (datetime(2027, 1, 20, 4, 0, tzinfo=UTC), UTC)
    naive = {**row, "notice_id": "n:naive", "fire_at": datetime(2027, 1, 20, 4, 0)}
    with (
        pytest.raises(sa_exc.StatementError, match="aware datetimes only"),
        ledger._connect(write=True) as conn,
    ):
        conn.execute(deliveries.insert().values(naive))
    assert ledger.get("n:naive", "outbox") is None
