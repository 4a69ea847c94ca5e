"""The README's console examples are what the commands print, so the README cannot drift.

Each ```console block in README.md is a series of ``$ reminders ...`` commands, each followed by
the output the README shows.  The test runs every command on a copy of the bundled config.toml (in
a fresh folder, so the ledger and outbox are new) and compares.  The README may leave things out:
a line that is only ``...`` stands for any number of lines (so the shown lines must appear in
order, each run of them contiguous), and ``...`` inside a line stands for any text on that line.
Without a closing ``...`` the output must end where the README's does.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

ELISION = "..."


def console_examples(readme: str) -> list[tuple[int, str, list[str]]]:
    """(line number, command, expected output lines) for every ``$`` line of a console block."""
    found: list[tuple[int, str, list[str]]] = []
    inside = False
    for number, line in enumerate(readme.splitlines(), start=1):
        if not inside:
            inside = line.strip() == "```console"
            continue
        if line.strip() == "```":
            inside = False
        elif line.startswith("$ "):
            found.append((number, line[2:].strip(), []))
        elif found:
            found[-1][2].append(line.rstrip())
    return found


def _line_pattern(expected: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected.split(ELISION)) + r"\Z")


def mismatch(expected: list[str], actual: list[str]) -> str | None:
    """None if ``actual`` shows what ``expected`` shows (elisions and all), else the difference."""
    segments: list[list[str]] = [[]]
    for line in expected:
        if line.strip() == ELISION:
            segments.append([])
        else:
            segments[-1].append(line)
    open_start, open_end = not segments[0], not segments[-1]
    segments = [s for s in segments if s]
    at = 0
    for index, segment in enumerate(segments):
        patterns = [_line_pattern(line) for line in segment]
        anchored = index == 0 and not open_start
        starts = [at] if anchored else range(at, len(actual) - len(segment) + 1)
        for start in starts:
            window = actual[start : start + len(segment)]
            if len(window) == len(segment) and all(
                p.match(a) for p, a in zip(patterns, window, strict=True)
            ):
                at = start + len(segment)
                break
        else:
            near = actual[at : at + len(segment)] if anchored else actual[at:]
            return f"not found in order: {segment!r}\noutput from there: {near!r}"
    if not open_end and at != len(actual):
        return f"output goes on after the README's last line: {actual[at:]!r}"
    return None


EXAMPLES = console_examples((ROOT / "README.md").read_text("utf-8"))


def test_the_readme_has_console_examples() -> None:
    commands = [command.split()[:2] for _, command, _ in EXAMPLES]
    assert ["reminders", "upcoming"] in commands
    assert ["reminders", "plan"] in commands


@pytest.mark.parametrize(
    ("command", "expected"),
    [pytest.param(c, e, id=f"README.md:{n}") for n, c, e in EXAMPLES],
)
def test_readme_console_example(
    command: str, expected: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = shlex.split(command)
    assert words[0] == "reminders"
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")  # ./config.toml is found first
    monkeypatch.delenv("REMINDERS_CONFIG", raising=False)
    monkeypatch.setenv("COLUMNS", "100")
    result = subprocess.run(
        [sys.executable, "-m", "reminders", *words[1:]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    actual = [line.rstrip() for line in result.stdout.splitlines()]
    problem = mismatch(expected, actual)
    assert problem is None, f"$ {command}\n{problem}"


@pytest.mark.parametrize(
    ("expected", "actual", "matches"),
    [
        (["a", "b"], ["a", "b"], True),
        (["a", "b"], ["a", "b", "c"], False),
        (["a", "..."], ["a", "b", "c"], True),
        (["a", "...", "c"], ["a", "b", "c"], True),
        (["a", "...", "c", "d"], ["a", "b", "c", "x", "c", "d"], True),
        (["a", "...", "d", "c"], ["a", "b", "c", "d"], False),
        (["b", "..."], ["a", "b"], False),
        (["x: ... ok", "..."], ["x: 12 s ok", "y"], True),
        (["x: ... ok"], ["x: 12 s bad"], False),
        (["Mon 02 Mar 2027"], ["Tue 02 Mar 2027"], False),
    ],
)
def test_elisions(expected: list[str], actual: list[str], matches: bool) -> None:
    assert (mismatch(expected, actual) is None) == matches
