"""What the command line says: times with their zone, --config in either place, bad arguments."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from reminders.ledger import Ledger

from .conftest import ROOT

Cli = Callable[..., tuple[int, str, str]]


def _config_with_ledger(tmp_path: Path) -> tuple[str, Ledger]:
    config = tmp_path / "config.toml"
    config.write_text((ROOT / "config.toml").read_text("utf-8"), "utf-8")
    (tmp_path / "var").mkdir()
    ledger = Ledger(f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}")
    ledger.create_schema()
    return str(config), ledger


def test_status_names_the_zone_of_every_time(cli: Cli, tmp_path: Path) -> None:
    config, ledger = _config_with_ledger(tmp_path)
    now = datetime.now(UTC)
    fire = now - timedelta(hours=1)
    claim = ledger.claim("remembrance:january-20:2027:plan-30", "outbox", fire, now, timedelta(1))
    assert claim is not None
    ledger.mark_failed(claim, now, "disk full", None)
    ledger.set_meta("heartbeat", now.isoformat())
    ledger.close()

    code, out, err = cli("--config", config, "status")
    assert (code, err) == (0, "")
    stamps = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?(?: \S+)?", out)
    assert len(stamps) >= 3  # the heartbeat, a recent delivery, its failure (and next notices)
    for stamp in stamps:
        assert stamp.endswith(" Asia/Karachi"), out
    karachi = now + timedelta(hours=5)  # Asia/Karachi keeps UTC+5 all year
    assert f"Daemon: last seen {karachi:%Y-%m-%d %H:%M:%S} Asia/Karachi (" in out


def test_config_is_accepted_before_and_after_the_command(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(
        (ROOT / "config.toml").read_text("utf-8").replace("Sample Embassy", "Other Embassy"),
        "utf-8",
    )
    before = cli("--config", str(config), "upcoming", "--from", "2027-01-01", "--days", "30")
    after = cli("upcoming", "--from", "2027-01-01", "--config", str(config), "--days", "30")
    assert before == after
    assert before[0] == 0
    assert before[1].startswith("Other Embassy, Islamabad: Fri 01 Jan 2027 to Sat 30 Jan 2027")
    # Given in both places, the one after the command wins (it is the later word).
    code, out, _ = cli("--config", "missing.toml", "check", "--config", str(config))
    assert code == 0
    assert out.startswith(f"config {config}: ok")


def test_every_command_takes_config_after_it(cli: Cli) -> None:
    from reminders.cli import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in commands.choices.items():
        assert "--config" in sub.format_usage(), name


def test_config_on_a_folder_says_it_is_a_folder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("--config", ".", "check")
    assert (code, out) == (1, "")
    assert err.splitlines()[1] == f"  {tmp_path}: is a folder; expected a config file (TOML)"
    (tmp_path / "config.toml").write_text((ROOT / "config.toml").read_text("utf-8"), "utf-8")
    code, _, err = cli("upcoming", "--config", str(tmp_path))
    assert code == 1
    assert err.splitlines()[1] == (
        f"  {tmp_path}: is a folder; expected a config file, such as {tmp_path}/config.toml"
    )
    assert "does not exist" not in err
