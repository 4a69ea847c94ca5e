"""Commands that read never write: not a folder, not a file, not a table.

Every read-only command (check, status, upcoming, notices, preview, plan, export to standard
output) runs in a project folder, before the daemon ever ran there and after, and the folder
(names, modes, sizes, modification times, bytes) is the same afterwards.  With
REMINDERS_TEST_POSTGRES_URL set, the same for a fresh PostgreSQL database's tables and rows.
``status`` says plainly that there is no ledger yet, or that an older one needs the upgrade that
``reminders run`` makes, instead of creating or upgrading it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from reminders.notify.ledger import SCHEMA_VERSION, Ledger, LedgerError, meta

from . import test_ledger
from .conftest import english_config_text
from .pg_harness import PG_ENV, PG_SKIP, fresh_database
from .test_ledger_schema import make_v1

Cli = Callable[..., tuple[int, str, str]]

READ_COMMANDS = {
    "check": ["check"],
    "status": ["status"],
    "upcoming": ["upcoming", "--from", "2027-01-01", "--days", "60"],
    "notices": ["notices", "--from", "2027-01-01", "--days", "60"],
    "preview": ["preview", "day-of", "january-20", "2027"],
    "preview-eml": ["preview", "press-1", "february-26", "2027", "--format", "eml"],
    "plan": ["plan", "2027"],
    "plan-ics": ["plan", "2027", "--format", "ics"],
    "export": ["export", "--from", "2027", "--to", "2028"],
}


def snapshot(root: Path) -> dict[str, tuple[object, ...]]:
    """Every entry under ``root``: folders by mode, files by mode, size, mtime and bytes."""
    found: dict[str, tuple[object, ...]] = {}
    for folder, names, files in os.walk(root):
        for name in names:
            path = Path(folder, name)
            found[str(path.relative_to(root))] = ("dir", path.stat().st_mode)
        for name in files:
            path = Path(folder, name)
            info = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            found[str(path.relative_to(root))] = (
                "file",
                info.st_mode,
                info.st_size,
                info.st_mtime_ns,
                digest,
            )
    return found


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project: the bundled config.toml copied (ledger and outbox under var/), run from there."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "config.toml").write_text(english_config_text(), "utf-8")
    monkeypatch.chdir(project)
    return project


def used(folder: Path) -> None:
    """State as a daemon leaves it: the ledger with a sent, a failed and a missed delivery and
    a heartbeat, and the outbox with a file."""
    ledger = Ledger(f"sqlite:///{folder / 'var' / 'ledger.sqlite3'}")
    fill(ledger)
    (folder / "var" / "outbox").mkdir()
    (folder / "var" / "outbox" / "notice.txt").write_text("Subject: a notice\n\ntext\n")


def fill(ledger: Ledger) -> None:
    now = datetime.now(UTC)
    fire = now - timedelta(hours=1)
    ledger.create_schema()
    sent = ledger.claim("remembrance:january-20:2027:plan-30", "outbox", fire, now, timedelta(1))
    assert sent is not None
    ledger.mark_sent(sent, now)
    failing = ledger.claim("remembrance:january-20:2027:day-of", "outbox", fire, now, timedelta(1))
    assert failing is not None
    ledger.mark_failed(failing, now, "disk full", None)
    ledger.mark_missed("remembrance:january-20:2027:press-1", "outbox", fire, now, "was down")
    ledger.set_meta("heartbeat", now.isoformat())
    ledger.close()


@pytest.mark.parametrize("state", ["fresh", "used"])
@pytest.mark.parametrize("command", sorted(READ_COMMANDS))
def test_a_read_command_leaves_the_folder_as_it_was(
    cli: Cli, folder: Path, state: str, command: str
) -> None:
    if state == "used":
        used(folder)
    before = snapshot(folder)
    code, out, err = cli(*READ_COMMANDS[command])
    assert code == 0, err
    assert out
    assert snapshot(folder) == before


def test_status_before_the_daemon_ever_ran_says_there_is_no_ledger_yet(
    cli: Cli, folder: Path
) -> None:
    code, out, err = cli("status")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[:3] == [
        f"Ledger: sqlite:///{folder}/var/ledger.sqlite3 (none yet: `reminders run` creates it "
        "at its start)",
        "Daemon: has never run with this ledger (start it with `reminders run`)",
        f"Outbox: {folder}/var/outbox (channel outbox; none yet: the daemon creates it at its "
        "start)",
    ]
    assert list(folder.iterdir()) == [folder / "config.toml"]


def test_status_names_the_ledger_and_the_outbox_where_they_are(cli: Cli, folder: Path) -> None:
    used(folder)
    code, out, _ = cli("status")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        f"Ledger: sqlite:///{folder}/var/ledger.sqlite3 (claimed 0, sent 1, failed 1, missed 1)"
    )
    assert lines[2] == f"Outbox: {folder}/var/outbox (channel outbox)"


def test_status_of_a_first_release_ledger_says_run_upgrades_it_and_changes_nothing(
    cli: Cli, folder: Path
) -> None:
    (folder / "var").mkdir()
    ledger = Ledger(f"sqlite:///{folder / 'var' / 'ledger.sqlite3'}")
    make_v1(ledger)
    ledger.close()
    before = snapshot(folder)
    code, out, err = cli("status")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == (
        f"Ledger: sqlite:///{folder}/var/ledger.sqlite3 (claimed 0, sent 1, failed 0, missed 0; "
        f"schema version 1, made by an older release: `reminders run` upgrades it to version "
        f"{SCHEMA_VERSION} at its start, after which status shows its deliveries)"
    )
    assert snapshot(folder) == before
    check = Ledger(f"sqlite:///{folder / 'var' / 'ledger.sqlite3'}", read_only=True)
    assert check.inspect() == 1
    check.close()


def test_status_of_a_newer_release_ledger_is_refused_in_one_line(cli: Cli, folder: Path) -> None:
    used(folder)
    ledger = Ledger(f"sqlite:///{folder / 'var' / 'ledger.sqlite3'}")
    ledger.set_meta("schema_version", str(SCHEMA_VERSION + 1))
    ledger.close()
    before = snapshot(folder)
    code, out, err = cli("status")
    assert (code, out) == (1, "")
    assert err == (
        f"reminders: ledger sqlite:///{folder}/var/ledger.sqlite3: the ledger has schema version "
        f"{SCHEMA_VERSION + 1}, made by a newer release of reminders; this one knows versions up "
        f"to {SCHEMA_VERSION}: upgrade it\n"
    )
    assert snapshot(folder) == before


def test_a_read_only_ledger_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    writer = Ledger(f"sqlite:///{path}")
    writer.create_schema()
    writer.close()
    ledger = Ledger(f"sqlite:///{path}", read_only=True)
    with pytest.raises(RuntimeError, match="opened read-only"):
        ledger.set_meta("heartbeat", "now")
    assert ledger.inspect() == SCHEMA_VERSION
    ledger.close()
    missing = Ledger(f"sqlite:///{tmp_path / 'nowhere' / 'ledger.sqlite3'}", read_only=True)
    assert missing.inspect() is None
    missing.close()
    # Read without asking inspect() first: SQLite still creates no file.
    absent = Ledger(f"sqlite:///{tmp_path / 'absent.sqlite3'}", read_only=True)
    with pytest.raises(LedgerError, match="unable to open database file"):
        absent.counts()
    absent.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.sqlite3"]


database = test_ledger.database  # the fixture: SQLite, and PostgreSQL when configured


def test_the_database_itself_refuses_a_write_through_a_read_only_ledger(
    database: test_ledger.Database,
) -> None:
    # The methods that write raise before they reach the database; beneath them, SQLite's
    # query_only and PostgreSQL's READ ONLY transactions refuse any write that slipped through.
    writer = database.open()
    writer.create_schema()
    reader = Ledger(database.url, schema=database.schema, read_only=True)
    try:
        refused = pytest.raises(LedgerError, match=r"read-only|readonly")
        with refused, reader._connect(write=False) as conn:
            conn.execute(meta.insert().values(key="heartbeat", value="now"))
        assert reader.get_meta("heartbeat") is None
    finally:
        reader.close()


def test_a_ledger_without_its_meta_table_inspects_as_version_1(
    database: test_ledger.Database,
) -> None:
    # Deliveries but no reminder_meta (a ledger made before the table, or half restored): no
    # version is recorded, so it is the first release's; reading it must not fail.
    writer = database.open()
    make_v1(writer)
    with writer._engine.begin() as conn:
        meta.drop(conn)
    reader = Ledger(database.url, schema=database.schema, read_only=True)
    try:
        assert reader.inspect() == 1
    finally:
        reader.close()


# --- PostgreSQL -------------------------------------------------------------------------------


@pytest.fixture
def pg_url() -> Iterator[str]:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    with fresh_database(url, "reminders_readonly") as fresh:
        yield fresh


def database_snapshot(url: str) -> dict[str, list[tuple[object, ...]]]:
    """Every table of the database's public schema and its rows, sorted."""
    from reminders.notify.ledger import engine_url

    engine = create_engine(engine_url(url))
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
            return {
                name: sorted(
                    (
                        tuple(map(repr, row))
                        for row in conn.execute(text(f'SELECT * FROM "{name}"'))
                    ),
                )
                for name in tables
            }
    finally:
        engine.dispose()


@pytest.mark.parametrize("state", ["fresh", "used"])
def test_status_and_check_leave_a_postgresql_ledger_as_it_was(
    cli: Cli, folder: Path, pg_url: str, state: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = folder / "config.toml"
    config.write_text(
        config.read_text("utf-8").replace(
            'url = "sqlite:///var/ledger.sqlite3"', 'url_env = "TEST_LEDGER_URL"'
        ),
        "utf-8",
    )
    monkeypatch.setenv("TEST_LEDGER_URL", pg_url)
    if state == "used":
        fill(Ledger(pg_url))
    before = database_snapshot(pg_url)
    assert (before == {}) == (state == "fresh")
    for command in ("status", "check"):
        code, out, err = cli(command)
        assert code == 0, err
        assert database_snapshot(pg_url) == before
    code, out, _ = cli("status")
    first = out.splitlines()[0]
    if state == "fresh":
        assert first.endswith("(none yet: `reminders run` creates it at its start)")
    else:
        assert first.endswith("(claimed 0, sent 1, failed 1, missed 1)")
