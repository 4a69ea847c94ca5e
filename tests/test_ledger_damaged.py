"""A SQLite ledger file that is not a database, or is damaged: a clear error naming the file.

``run`` and ``status`` used to end in a traceback (``sqlite3.DatabaseError``).  Now both exit 1
with one message naming the file, what SQLite said and what to do, and leave the file as it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reminders.notify.ledger import Ledger, LedgerDamagedError

Cli = Callable[..., tuple[int, str, str]]

CALENDAR = """\
[calendar]
id = "test"
name = "A calendar"
timezone = "Asia/Baku"

[[observance]]
id = "january-20"
title = "{ordinal} anniversary"
date = "01-20"
since = 1990
description = "A day."
"""


def damaged_ledger(kind: str, path: Path) -> bytes:
    """Write a ledger file of ``kind`` at ``path``; returns its bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "not a database":
        path.write_bytes(b"These are not the pages of a SQLite database.\n" * 100)
    elif kind == "random bytes":
        path.write_bytes(bytes(range(256)) * 16)
    else:  # truncated: a real ledger with rows, cut in half
        ledger = Ledger(f"sqlite:///{path}")
        ledger.create_schema()
        now = datetime(2027, 1, 1, tzinfo=UTC)
        for number in range(400):
            ledger.claim(f"test:day:{number}:rule", "outbox", now, now, timedelta(minutes=5))
        ledger.close()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        data = path.read_bytes()
        assert len(data) > 8192
        path.write_bytes(data[: len(data) // 2])
    return path.read_bytes()


KINDS = ["not a database", "random bytes", "truncated"]


def expected_message(path: Path) -> str:
    return f"{path} is not a usable SQLite database ("


@pytest.mark.parametrize("kind", KINDS)
def test_status_names_a_damaged_ledger_and_leaves_it_alone(
    project: Callable[..., Path], cli: Cli, kind: str
) -> None:
    config = project({"test.toml": CALENDAR})
    ledger = config.parent / "var" / "ledger.sqlite3"
    before = damaged_ledger(kind, ledger)
    code, out, err = cli("--config", str(config), "status")
    assert code == 1
    assert expected_message(ledger) in err
    assert "move it aside and start again for a new, empty ledger" in err
    assert "Traceback" not in err
    assert out == ""
    assert ledger.read_bytes() == before
    assert sorted(p.name for p in ledger.parent.iterdir()) == ["ledger.sqlite3"]


@pytest.mark.parametrize("kind", KINDS)
def test_run_refuses_to_start_on_a_damaged_ledger(project: Callable[..., Path], kind: str) -> None:
    config = project({"test.toml": CALENDAR})
    text = config.read_text("utf-8").replace(
        'name = "Test feed"', 'name = "Test feed"\nlisten = "127.0.0.1:0"'
    )
    config.write_text(text, "utf-8")
    ledger = config.parent / "var" / "ledger.sqlite3"
    before = damaged_ledger(kind, ledger)
    done = subprocess.run(
        [sys.executable, "-m", "reminders", "--config", str(config), "run"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=config.parent,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    assert done.returncode == 1, done.stderr
    assert expected_message(ledger) in done.stderr
    assert "Traceback" not in done.stderr
    assert ledger.read_bytes() == before


def test_a_damaged_ledger_is_its_own_error_in_the_api(tmp_path: Path) -> None:
    path = tmp_path / "ledger.sqlite3"
    damaged_ledger("not a database", path)
    ledger = Ledger(f"sqlite:///{path}")
    try:
        with pytest.raises(LedgerDamagedError) as caught:
            ledger.counts()
    finally:
        ledger.close()
    assert caught.value.reason.startswith(f"{path} is not a usable SQLite database (")
