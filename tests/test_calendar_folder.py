"""Entries of the calendars folder that are not calendar files: a clear problem naming the path.

A dangling link, a link loop, a FIFO, a device or a folder named ``x.toml`` used to be skipped
without a word (the calendar vanished from the feed) or to end in a traceback; a folder that
cannot be listed too.  Each is now a problem that ``check`` lists and every command reports.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from reminders.config.calendars import load_calendars
from reminders.core.errors import CalendarError

from .conftest import TODAY

Cli = Callable[..., tuple[int, str, str]]

CALENDAR = """\
[calendar]
id = "{id}"
name = "A calendar"
timezone = "Asia/Baku"

[[observance]]
id = "january-20"
title = "{{ordinal}} anniversary"
date = "01-20"
since = 1990
description = "A day."
"""


def make_entry(kind: str, path: Path) -> None:
    if kind == "dangling link":
        path.symlink_to("nowhere.toml")
    elif kind == "link loop":
        path.symlink_to(path.name)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/null")
    elif kind == "folder":
        path.mkdir()


EXPECTED = {
    "dangling link": "a calendar file (this symbolic link points to 'nowhere.toml', which "
    "does not exist)",
    "link loop": "a calendar file (this is a loop of symbolic links, via 'other.toml')",
    "fifo": "a regular calendar file (this is a FIFO)",
    "device": "a regular calendar file (this is a character device)",
    "folder": "a regular calendar file (this is a folder)",
}


@pytest.mark.parametrize("kind", sorted(EXPECTED))
@pytest.mark.parametrize("command", ["check", "export", "upcoming", "plan 2027", "notices"])
def test_an_entry_that_is_not_a_calendar_file_is_named_by_every_command(
    project: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch, kind: str,
    command: str,
) -> None:  # fmt: skip
    config = project({"good.toml": CALENDAR.format(id="good")})
    monkeypatch.chdir(config.parent)
    make_entry(kind, config.parent / "calendars" / "other.toml")
    code, out, err = cli("--config", str(config), *command.split())
    assert code == 1
    assert f"calendars/other.toml: {EXPECTED[kind]}" in err
    assert "Traceback" not in err
    assert out == ""


def test_a_calendar_folder_that_cannot_be_listed_is_a_problem(
    project: Callable[..., Path], cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = project({"good.toml": CALENDAR.format(id="good")})
    monkeypatch.chdir(config.parent)
    folder = str(config.parent / "calendars")
    if os.geteuid() == 0:  # root lists any folder: make the listing fail as for another user
        real = os.scandir

        def refused(path: object = ".") -> object:
            if os.fspath(path) == folder:  # type: ignore[arg-type]
                raise PermissionError(errno.EACCES, "Permission denied", folder)
            return real(path)  # type: ignore[arg-type]

        monkeypatch.setattr(os, "scandir", refused)
    else:
        os.chmod(folder, 0)
    try:
        code, _, err = cli("--config", str(config), "check")
    finally:
        os.chmod(folder, 0o755)
    assert code == 1
    expected = "calendars: a folder of calendar files (*.toml) that can be listed"
    assert f"{expected} (Permission denied)" in err
    assert "Traceback" not in err


def test_a_calendar_folder_that_is_a_link_loop_is_a_problem(tmp_path: Path) -> None:
    loop = tmp_path / "calendars"
    loop.symlink_to("calendars")
    with pytest.raises(CalendarError) as caught:
        load_calendars(loop, TODAY)
    assert [str(p) for p in caught.value.problems] == [
        f"{loop}: a folder of calendar files (*.toml) that can be listed (a loop of symbolic links)"
    ]


def test_an_editor_lock_link_is_passed_over(tmp_path: Path) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    (folder / "good.toml").write_text(CALENDAR.format(id="good"), "utf-8")
    (folder / ".#good.toml").symlink_to("user@host.4711:1700000000")
    assert [c.id for c in load_calendars(folder, TODAY)] == ["good"]


def test_every_bad_entry_is_listed_beside_the_problems_of_the_good_files(tmp_path: Path) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    (folder / "good.toml").write_text(CALENDAR.format(id="good"), "utf-8")
    (folder / "bad.toml").write_text(CALENDAR.format(id="Bad"), "utf-8")
    make_entry("fifo", folder / "pipe.toml")
    with pytest.raises(CalendarError) as caught:
        load_calendars(folder, TODAY)
    files = [Path(p.file).name for p in caught.value.problems]
    assert files == ["pipe.toml", "bad.toml"]
