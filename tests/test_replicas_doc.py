"""docs/replicas.md: its systemd units are valid, and it names what /healthz reports."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

DOC = (ROOT / "docs" / "replicas.md").read_text("utf-8")


def units() -> list[tuple[str, str]]:
    """(file name, text) of every ```ini block, with the list indentation removed."""
    found = []
    for block in re.findall(r"```ini\n(.*?)```", DOC, flags=re.DOTALL):
        lines = [line[3:] if line.startswith("   ") else line for line in block.splitlines()]
        text = "\n".join(lines) + "\n"
        named = re.search(r"/etc/systemd/system/(\S+\.service)", text)
        found.append((named.group(1) if named else "reminders.service", text))
    return found


def test_the_doc_has_the_three_units() -> None:
    assert [name for name, _ in units()] == [
        "reminders.service",
        "reminders@.service",
        "reminders-feed.service",
    ]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze not found")
@pytest.mark.parametrize(("name", "text"), units())
def test_each_unit_passes_systemd_analyze_verify(tmp_path: Path, name: str, text: str) -> None:
    # The units name /srv/reminders; verify checks that ExecStart is an executable file, so point
    # it at this checkout's own command.
    command = Path(sys.executable).parent / "reminders"
    assert "ExecStart=/srv/reminders/.venv/bin/reminders " in text
    unit = tmp_path / name
    unit.write_text(text.replace("/srv/reminders/.venv/bin/reminders", str(command)), "utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr.strip(), done.stdout.strip()) == (0, "", "")


def test_the_doc_names_every_field_the_daemon_adds_to_healthz() -> None:
    from reminders.notify.daemon import Daemon

    source = (ROOT / "reminders" / "notify" / "daemon.py").read_text("utf-8")
    body = source.split("def health(self)", 1)[1].split("\n    # ---", 1)[0]
    fields = re.findall(r'^\s+"([a-z_]+)":', body, flags=re.MULTILINE)
    assert fields == [
        "scheduler",
        "next_fire",
        "next_notice",
        "planned",
        "ledger",
        "ledger_down_since",
        "waiting_for_ledger",
        "reload",
    ]
    assert Daemon.health.__doc__
    for field in fields:
        assert f"`{field}`" in DOC, field
