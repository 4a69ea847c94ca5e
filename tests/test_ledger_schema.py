"""The ledger's schema: versions, upgrades of an older ledger, and replicas creating it at once.

Runs on SQLite and, when REMINDERS_TEST_POSTGRES_URL names a server, on PostgreSQL (each test in a
schema of its own; see tests/test_ledger.py's ``database`` fixture).
"""

from __future__ import annotations

import os
import socket
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import MetaData, inspect
from sqlalchemy.schema import CreateSchema

from reminders.notify import ledger as ledger_module
from reminders.notify.ledger import SCHEMA_VERSION, SENT, Ledger, LedgerError, deliveries, meta

from . import racers, test_ledger
from .test_ledger import LEASE, T0, Database

database = test_ledger.database  # the fixture: SQLite, and PostgreSQL when configured


def make_v1(ledger: Ledger) -> None:
    """The tables as the first release left them: no claimed_by, no schema_version, one row."""
    old = MetaData()
    deliveries.to_metadata(old)
    meta.to_metadata(old)
    with ledger._engine.begin() as conn:
        if ledger.schema is not None:
            conn.execute(CreateSchema(ledger.schema, if_not_exists=True))
        old.create_all(conn)
        conn.exec_driver_sql(f"ALTER TABLE {qualified(ledger)} DROP COLUMN claimed_by")
        conn.execute(
            old.tables[deliveries.name]
            .insert()
            .values(
                notice_id="embassy:january-20:2027:plan-30",
                channel="outbox",
                fire_at=T0,
                state=SENT,
                attempts=1,
                late=False,
                sent_at=T0,
                created_at=T0,
                updated_at=T0,
            )
        )
        conn.execute(old.tables[meta.name].insert().values(key="heartbeat", value=T0.isoformat()))


def qualified(ledger: Ledger) -> str:
    return f'"{ledger.schema}".{deliveries.name}' if ledger.schema else deliveries.name


def columns(ledger: Ledger) -> list[str]:
    with ledger._engine.connect() as conn:
        return [c["name"] for c in inspect(conn).get_columns(deliveries.name, schema=ledger.schema)]


def test_a_new_ledger_has_the_current_version_and_records_who_claims(database: Database) -> None:
    ledger = database.open()
    ledger.create_schema()
    assert ledger.schema_version() == SCHEMA_VERSION == 2
    other = Ledger(database.url, schema=database.schema, owner="host-b:4242")
    claim = other.claim("cal:obs:2027:plan", "outbox", T0, T0, LEASE)
    assert claim is not None
    row = ledger.get("cal:obs:2027:plan", "outbox")
    assert row is not None
    assert row.claimed_by == "host-b:4242"
    other.close()
    assert ledger.owner == f"{socket.gethostname()}:{os.getpid()}"  # host:pid by default


# The columns of a version-2 ledger: (name, length, nullable).  Every release that reads or writes
# a version-2 ledger (replicas of several releases, the upgrade's own DDL) relies on them, so a
# change here needs a new version and an upgrade step.
VERSION_2_COLUMNS = [
    ("notice_id", None, False),
    ("channel", None, False),
    ("fire_at", None, False),
    ("state", 16, False),
    ("attempts", None, False),
    ("last_error", None, True),
    ("late", None, False),
    ("token", 64, True),
    ("claimed_by", 200, True),
    ("claimed_at", None, True),
    ("lease_until", None, True),
    ("next_attempt_at", None, True),
    ("sent_at", None, True),
    ("created_at", None, False),
    ("updated_at", None, False),
]


def layout(ledger: Ledger, table: str) -> list[tuple[str, int | None, bool]]:
    with ledger._engine.connect() as conn:
        found = inspect(conn).get_columns(table, schema=ledger.schema)
    return [(c["name"], getattr(c["type"], "length", None), c["nullable"]) for c in found]


def test_a_new_and_an_upgraded_ledger_have_the_columns_of_version_2(database: Database) -> None:
    new = database.open()
    new.create_schema()
    assert layout(new, deliveries.name) == VERSION_2_COLUMNS
    assert layout(new, meta.name) == [("key", 100, False), ("value", None, False)]


def test_a_first_release_ledger_is_upgraded_and_keeps_its_rows(database: Database) -> None:
    ledger = database.open()
    make_v1(ledger)
    assert "claimed_by" not in columns(ledger)
    ledger.create_schema()
    assert "claimed_by" in columns(ledger)
    # (the upgrade adds claimed_by after the others, so only the order differs)
    assert sorted(layout(ledger, deliveries.name)) == sorted(VERSION_2_COLUMNS)
    assert ledger.schema_version() == SCHEMA_VERSION
    kept = ledger.get("embassy:january-20:2027:plan-30", "outbox")
    assert kept is not None
    assert (kept.state, kept.sent_at, kept.claimed_by) == (SENT, T0, None)
    assert ledger.get_meta("heartbeat") == T0.isoformat()
    assert ledger.claim("embassy:january-20:2027:plan-30", "outbox", T0, T0, LEASE) is None
    ledger.create_schema()  # again: nothing to do, nothing lost
    assert ledger.counts()[SENT] == 1


def test_a_ledger_that_records_version_1_is_upgraded_and_records_2(database: Database) -> None:
    ledger = database.open()
    make_v1(ledger)
    ledger.set_meta("schema_version", "1")
    ledger.create_schema()
    assert "claimed_by" in columns(ledger)
    assert ledger.schema_version() == SCHEMA_VERSION


def test_a_ledger_of_a_newer_release_is_refused(database: Database) -> None:
    ledger = database.open()
    ledger.create_schema()
    ledger.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    with pytest.raises(LedgerError) as caught:
        ledger.create_schema()
    message = str(caught.value)
    assert f"schema version {SCHEMA_VERSION + 1}" in message
    assert f"versions up to {SCHEMA_VERSION}: upgrade it" in message


@pytest.mark.slow
@pytest.mark.parametrize("start", ["empty", "first release"])
def test_replicas_starting_at_once_create_or_upgrade_the_schema_once(
    database: Database, start: str
) -> None:
    ledger = database.open()
    if start == "first release":
        make_v1(ledger)
    # Six processes, each with its own connection, all let go at once.
    versions = racers.race(racers.create_schema, 6, database.url, database.schema)
    assert versions == [SCHEMA_VERSION] * 6
    assert columns(ledger).count("claimed_by") == 1
    assert ledger.counts()[SENT] == (1 if start == "first release" else 0)
    claim = ledger.claim("cal:obs:2027:plan", "outbox", T0, T0 + timedelta(1), LEASE)
    assert claim is not None


class LockedCursor:
    """A cursor whose first ``locked`` PRAGMA journal_mode calls fail as SQLite fails them while
    another connection switches the same new file to WAL."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked, self.message, self.calls = locked, message, 0

    def execute(self, sql: str) -> None:
        assert sql == "PRAGMA journal_mode=WAL"
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.message)


def test_the_switch_to_wal_is_tried_again_while_another_connection_holds_the_lock() -> None:
    cursor = LockedCursor(locked=3)
    ledger_module._journal_mode_wal(cursor)
    assert cursor.calls == 4


def test_the_switch_to_wal_gives_up_after_the_busy_timeout_and_at_once_on_another_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ledger_module, "SQLITE_WAL_WAIT", 0.05)
    forever = LockedCursor(locked=10**9)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        ledger_module._journal_mode_wal(forever)
    assert 2 <= forever.calls <= 10  # tried again every 10 ms, then gave up
    other = LockedCursor(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        ledger_module._journal_mode_wal(other)
    assert other.calls == 1
