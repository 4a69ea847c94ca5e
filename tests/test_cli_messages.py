"""What the command line says: times with their zone, --config in either place, bad arguments."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
