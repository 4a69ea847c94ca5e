"""Which entries of the calendars folder are calendar files, and what is wrong with the others.

Every entry whose name ends in ``.toml`` is meant to be a calendar.  One that cannot be read as a
file (a dangling symbolic link, a link loop, a FIFO, a device, a socket, a folder named
``x.toml``) is a problem naming its path, never skipped without a word: a calendar would vanish
from the feed.  A folder that cannot be listed is a problem too.  The only names passed over are
editors' lock links (``.#name.toml``, which Emacs makes as dangling links while a file is edited).

Plain ``os`` and ``stat``: the start-up cache (cache.py) lists the folder through this module.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

from ..core.errors import Problem
from .cache import file_stats, tree_stats
from .resources import shown_path

SUFFIX = ".toml"

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _not_a_file(path: str) -> str | None:
    """Why ``path`` cannot be read as a calendar file, or None when it is a regular file."""
    try:
        info = os.stat(path)
    except OSError as exc:
        if os.path.islink(path):
            try:
                target = os.readlink(path)
            except OSError:
                target = "?"
            if exc.errno == errno.ELOOP:
                return f"a calendar file (this is a loop of symbolic links, via {target!r})"
            why = (
                "does not exist" if exc.errno == errno.ENOENT else f"cannot be read: {exc.strerror}"
            )
            return f"a calendar file (this symbolic link points to {target!r}, which {why})"
        return f"a readable calendar file ({exc.strerror or exc})"
    for test, kind in _KINDS:
        if test(info.st_mode):
            return f"a regular calendar file (this is {kind})"
    if not stat.S_ISREG(info.st_mode):
        return "a regular calendar file"
    return None


def calendar_files(folder: str | os.PathLike[str]) -> tuple[list[str], list[Problem]]:
    """The calendar files of ``folder`` (sorted paths), and the problems of the other entries.

    A folder that does not exist or cannot be listed gives no files and one problem.
    """
    where = shown_path(folder)
    try:
        with os.scandir(folder) as listing:
            entries = sorted(
                (entry for entry in listing if entry.name.endswith(SUFFIX)),
                key=lambda entry: entry.name,
            )
    except FileNotFoundError:
        return [], [Problem(where, "", None, "a folder of calendar files (*.toml)")]
    except NotADirectoryError:
        return [], [Problem(where, "", None, "a folder of calendar files (*.toml), not a file")]
    except OSError as exc:
        loop = exc.errno == errno.ELOOP  # the folder's path is a loop of symbolic links
        why = "a loop of symbolic links" if loop else exc.strerror or str(exc)
        expected = f"a folder of calendar files (*.toml) that can be listed ({why})"
        return [], [Problem(where, "", None, expected)]
    files: list[str] = []
    problems: list[Problem] = []
    for entry in entries:
        if entry.name.startswith(".#") and entry.is_symlink():
            continue  # an editor's lock, not a calendar
        wrong = _not_a_file(entry.path)
        if wrong is None:
            files.append(entry.path)
        else:
            problems.append(Problem(shown_path(entry.path), "", None, wrong))
    return files, problems


def listed_files(folder: str | os.PathLike[str]) -> list[str]:
    """The paths of every ``*.toml`` entry of ``folder``, readable or not (for change stamps);
    empty when the folder cannot be listed."""
    try:
        with os.scandir(folder) as listing:
            return sorted(entry.path for entry in listing if entry.name.endswith(SUFFIX))
    except OSError:
        return []


Stat = tuple[str, tuple[int, int, int, int]]


def fingerprint(config_path: str, calendars_dir: str, templates_dir: str) -> tuple[Stat, ...]:
    """Path and stat data (size, times, inode) of every input file: any edit changes it."""
    # Every *.toml entry, a dangling link or a FIFO too: fixing one is a change to reload on.
    paths = [os.path.abspath(config_path), *listed_files(calendars_dir)]
    return file_stats(paths) + tree_stats(templates_dir)


def inputs_time(config_path: str, calendars_dir: str) -> int:
    """The newest modification time (Unix seconds) of the config, the calendar files and their
    folder (a deleted calendar changes the folder's time): what the feeds are built from."""
    paths = [os.path.abspath(config_path), calendars_dir, *listed_files(calendars_dir)]
    newest = 0
    for path in paths:
        with contextlib.suppress(OSError):
            newest = max(newest, int(os.stat(path).st_mtime))
    return newest
