"""`reminders notices` and `reminders status`: what the daemon will send and what it did."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reminders.notify.ledger import Ledger

from .conftest import ROOT

Cli = Callable[..., tuple[int, str, str]]
CONFIG = str(ROOT / "config.toml")


def test_notices_lists_fire_times_rules_channels_and_ids(cli: Cli) -> None:
    code, out, err = cli("--config", CONFIG, "notices", "--from", "2027-01-12", "--days", "9")
    assert (code, err) == (0, "")
    # The milestone notice sits among the lead-time notices, at the plan's date for it (the
    # press release 2 working days before Wednesday 20 January); the rule column fits its id.
    assert out.splitlines() == [
        "4 notices from Tue 12 Jan 2027 for 9 days (fire times in Asia/Karachi):",
        "  Wed 13 Jan 2027 09:00  confirm-7               -> outbox           37th anniversary "
        "of the January 20 Tragedy (Wed 20 Jan 2027, 7 days before)",
        "                          id remembrance:january-20:2027:confirm-7",
        "  Mon 18 Jan 2027 09:00  milestone:press-release -> outbox           37th anniversary "
        "of the January 20 Tragedy (Wed 20 Jan 2027, Send the press release; 2 days before)",
        "                          id remembrance:january-20:2027:milestone:press-release",
        "  Tue 19 Jan 2027 10:00  press-1                 -> outbox           37th anniversary "
        "of the January 20 Tragedy (Wed 20 Jan 2027, 1 day before)",
        "                          id remembrance:january-20:2027:press-1",
        "  Wed 20 Jan 2027 08:00  day-of                  -> outbox           37th anniversary "
        "of the January 20 Tragedy (Wed 20 Jan 2027, on the day)",
        "                          id remembrance:january-20:2027:day-of",
    ]


def test_notices_moves_a_weekend_send_day_back_to_friday(cli: Cli) -> None:
    # 27 September 2027 is a Monday: its press note (1 day before, a Sunday) goes out on the
    # Friday before, as the bundled rule says (weekend = "previous-working-day").
    _, out, _ = cli("--config", CONFIG, "notices", "--from", "2027-09-20", "--days", "8")
    assert "  Fri 24 Sep 2027 10:00  press-1 " in out
    assert "(Mon 27 Sep 2027, 3 days before)" in out


def test_notices_rejects_a_window_outside_the_accepted_years(cli: Cli) -> None:
    code, _, err = cli("--config", CONFIG, "notices", "--from", "2200-12-01", "--days", "60")
    assert code == 2
    assert "expected dates from 1900-01-01 to 2200-12-31" in err


@pytest.fixture
def with_ledger(tmp_path: Path) -> tuple[str, Ledger]:
    config = tmp_path / "config.toml"
    config.write_text(
        (ROOT / "config.toml")
        .read_text("utf-8")
        .replace('url = "sqlite:///var/ledger.sqlite3"', 'url = "sqlite:///ledger.sqlite3"'),
        "utf-8",
    )
    ledger = Ledger(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    ledger.create_schema()
    return str(config), ledger


def test_status_shows_counts_heartbeat_next_recent_and_problems(
    cli: Cli, with_ledger: tuple[str, Ledger]
) -> None:
    config, ledger = with_ledger
    now = datetime.now(UTC)
    fire = now - timedelta(hours=1)
    sent = ledger.claim("remembrance:january-20:2027:plan-30", "outbox", fire, now, timedelta(1))
    assert sent is not None
    ledger.mark_sent(sent, now)
    failing = ledger.claim("remembrance:january-20:2027:day-of", "outbox", fire, now, timedelta(1))
    assert failing is not None
    ledger.mark_failed(failing, now, "disk full", None)
    ledger.mark_missed("remembrance:january-20:2027:press-1", "outbox", fire, now, "was down")
    ledger.set_meta("heartbeat", (now - timedelta(seconds=5)).isoformat())
    ledger.close()

    code, out, err = cli("--config", config, "status")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("Ledger: sqlite:///")
    assert lines[0].endswith("(claimed 0, sent 1, failed 1, missed 1)")
    assert lines[1].startswith("Daemon: last seen ")
    assert lines[1].endswith("; running)")
    assert "Next notices:" in lines
    recent = lines[lines.index("Recent deliveries:") + 1 :]
    by = f"by {socket.gethostname()}:{os.getpid()})"  # the claim's replica (host:pid)
    assert any(
        "sent     remembrance:january-20:2027:plan-30 -> outbox (attempts 1, " + by in x
        for x in recent
    )
    problems = lines[lines.index("Failures and misses (last 30 days):") + 1 :]
    assert any("failed   remembrance:january-20:2027:day-of -> outbox" in x for x in problems)
    assert "      disk full" in problems
    assert any(
        x.endswith("missed   remembrance:january-20:2027:press-1 -> outbox (attempts 0)")
        for x in problems
    )  # never claimed: no replica named
    assert "      was down" in problems


def test_status_of_a_ledger_the_daemon_never_used(
    cli: Cli, with_ledger: tuple[str, Ledger]
) -> None:
    config, ledger = with_ledger
    ledger.close()
    code, out, _ = cli("--config", config, "status")
    assert code == 0
    assert "Daemon: has never run with this ledger (start it with `reminders run`)" in out
    assert "Recent deliveries: none yet" in out
    assert "Failures and misses (last 30 days): none" in out


def test_status_escapes_control_characters_of_what_the_ledger_holds(
    cli: Cli, with_ledger: tuple[str, Ledger]
) -> None:
    # A server's error reply is stored as it came: status must not let its ESC drive the
    # terminal, its CR rewrite the line, nor its line feed forge a delivery line.
    config, ledger = with_ledger
    now = datetime.now(UTC)
    notice = "remembrance:january-20:2027:day-of"
    failing = ledger.claim(notice, "out\x1b[2Jbox", now - timedelta(hours=1), now, timedelta(1))
    assert failing is not None
    reply = "550 no\x1b]0;owned\x07 such\ruser\n2027-01-20 08:00  sent     forged -> outbox"
    ledger.mark_failed(failing, now, reply, None)
    ledger.close()

    code, out, err = cli("--config", config, "status")
    assert (code, err) == (0, "")
    assert not set(out) & {"\x1b", "\r", "\x07"}
    lines = out.splitlines()
    problems = lines[lines.index("Failures and misses (last 30 days):") + 1 :]
    assert any(f"failed   {notice} -> out\\x1b[2Jbox (attempts 1" in x for x in problems)
    assert (
        "      550 no\\x1b]0;owned\\x07 such\\ruser\\n2027-01-20 08:00  sent     forged -> outbox"
        in problems
    )
    assert not any(x.startswith("2027-01-20") for x in lines)
