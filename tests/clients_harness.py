"""Real calendar clients, driven as their users drive them, for tests/test_clients.py.

Each client reads an ICS file (or syncs a URL) and reports what it shows: for every event its
start (``YYYY-MM-DD`` for an all-day event, ``YYYY-MM-DDTHH:MM:SSZ`` in UTC for a timed one) and
its title, and, for the parsers, the calendar's own NAME, X-WR-CALNAME, X-WR-CALDESC and
DESCRIPTION as the program hands them to its user interface.

Where the clients come from (``bash .ci/clients``, which .ci/run calls):

* calcurse, and libical's GObject bindings for Debian's ``/usr/bin/python3``: Debian packages;
* khal, vdirsyncer and vobject: pip, in a venv of their own (``.clients/venv``), so their pins
  never move the project's;
* ical.js: npm (``.clients/node``), run by the machine's ``node``.

A client that is not installed makes its test skip with the reason and the command that installs
it; nothing here downloads anything.
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any, NamedTuple

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
READERS = HERE / "clients"
CLIENTS = Path(os.environ.get("REMINDERS_TEST_CLIENTS", str(ROOT / ".clients")))
INSTALL = "run `bash .ci/clients` (as .ci/run does) to install it"
SYSTEM_PYTHON = "/usr/bin/python3"
# What the clients compute in: UTC, so a timed event's start reads as UTC whatever the machine.
UTC_ENV = {**os.environ, "TZ": "UTC", "LC_ALL": "C.UTF-8"}
# khal and calcurse list a range of days; wide enough for every window the tests export.
FIRST_DAY, LAST_DAY = "2020-01-01", "2040-12-31"


class Shown(NamedTuple):
    """An event as a client shows it: when it starts, and its title."""

    start: str
    summary: str


def run(args: list[str], **kwargs: Any) -> str:
    """Run a client; its output, or an AssertionError with everything it said."""
    done = subprocess.run(
        args, capture_output=True, text=True, env=UTC_ENV, timeout=120, check=False, **kwargs
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


# ---- which clients are here -------------------------------------------------------------


@functools.cache
def _libical_missing() -> str:
    if not os.access(SYSTEM_PYTHON, os.X_OK):
        return f"libical: no {SYSTEM_PYTHON} (Debian's python3-gi lives there)"
    probe = subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('ICalGLib', '3.0')"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        return (
            "libical: Debian's gir1.2-ical-3.0 and python3-gi are not installed "
            f"({probe.stderr.strip().splitlines()[-1:]}); {INSTALL}"
        )
    return ""


def need(client: str) -> None:
    """Skip the calling test, with the reason, unless ``client`` is installed."""
    missing = ""
    if client == "libical":
        missing = _libical_missing()
    elif client == "calcurse":
        if shutil.which("calcurse") is None:
            missing = f"calcurse: Debian's calcurse is not installed; {INSTALL}"
    elif client == "ical.js":
        if shutil.which("node") is None:
            missing = "ical.js: no node on this machine"
        elif not ICALJS.is_file():
            missing = f"ical.js: not in {ICALJS.parent.parent}; {INSTALL}"
    elif client in ("khal", "vdirsyncer"):
        if not (VENV / "bin" / client).exists():
            missing = f"{client}: not installed in {VENV}; {INSTALL}"
    elif client == "vobject":
        if not any(VENV.glob("lib/python*/site-packages/vobject/__init__.py")):
            missing = f"vobject: not installed in {VENV}; {INSTALL}"
    else:
        raise ValueError(client)
    if missing:
        pytest.skip(missing)


VENV = CLIENTS / "venv"
ICALJS = CLIENTS / "node" / "node_modules" / "ical.js" / "dist" / "ical.js"


# ---- the parsers: what a program built on them shows ------------------------------------


def read_libical(path: Path) -> dict[str, Any]:
    """libical (Evolution, GNOME Calendar, and Thunderbird until 2019), through ICalGLib."""
    need("libical")
    report: dict[str, Any] = json.loads(
        run([SYSTEM_PYTHON, str(READERS / "read_libical.py"), str(path)])
    )
    return report


def read_icaljs(path: Path) -> dict[str, Any]:
    """ical.js (Thunderbird, Nextcloud's calendar app)."""
    need("ical.js")
    report: dict[str, Any] = json.loads(
        run(["node", str(READERS / "read_icaljs.mjs"), str(ICALJS), str(path)])
    )
    return report


def read_vobject(path: Path) -> dict[str, Any]:
    """vobject (Radicale, and so every client that syncs with it)."""
    need("vobject")
    report: dict[str, Any] = json.loads(
        run([str(VENV / "bin" / "python"), str(READERS / "read_vobject.py"), str(path)])
    )
    return report


def read_icalendar(path: Path) -> dict[str, Any]:
    """icalendar (the project's own library, and khal's): the calendar's properties as str."""
    import icalendar

    calendar = icalendar.Calendar.from_ical(path.read_bytes())
    props = {}
    for name in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION"):
        value = calendar.get(name)
        if value is not None:
            props[name] = str(value[0] if isinstance(value, list) else value)
    return {"props": props}


PARSERS = {
    "icalendar": read_icalendar,
    "vobject": read_vobject,
    "libical": read_libical,
    "ical.js": read_icaljs,
}


def events_of(report: dict[str, Any]) -> list[Shown]:
    return [Shown(event["start"], event["summary"]) for event in report["events"]]


# ---- the programs a person uses ---------------------------------------------------------

_CALCURSE_DAY = re.compile(r"^(\d{4}-\d{2}-\d{2}):$")


def calcurse_shows(path: Path, folder: Path) -> list[Shown]:
    """``calcurse -i FILE`` into an empty calcurse folder, then what its query lists."""
    need("calcurse")
    folder.mkdir()
    report = run(["calcurse", "-D", str(folder), "-i", str(path)])
    assert "0 skipped" in report, report
    listing = run(
        [
            "calcurse", "-D", str(folder), "-Q", "--input-datefmt", "4",
            "--output-datefmt", "%Y-%m-%d", "--from", FIRST_DAY, "--days", "7671",
            "--format-apt", "A %(start:%Y-%m-%dT%H:%M:%SZ) %m\\n",
            "--format-event", "E %m\\n",
        ]
    )  # fmt: skip
    shown: list[Shown] = []
    day = ""
    for line in listing.splitlines():
        if match := _CALCURSE_DAY.match(line):
            day = match.group(1)
        elif line.startswith("E "):
            shown.append(Shown(day, line[2:]))
        elif line.startswith("A "):
            start, summary = line[2:].split(" ", 1)
            if start.startswith(day):  # an appointment is listed on each day it spans
                shown.append(Shown(start, summary))
    return shown


def khal_config(folder: Path, vdir: Path) -> Path:
    """A khal configuration of one calendar (``vdir``), in UTC, with ISO dates.

    One calendar per configuration and database: khal keeps one event per UID across all its
    calendars, and the export, the feed and the plan share UIDs on purpose.
    """
    lines = [
        "[calendars]",
        "[[calendar]]",
        f"path = {vdir}",
        "type = calendar",
        "[locale]",
        "timeformat = %H:%M:%S",
        "dateformat = %Y-%m-%d",
        "longdateformat = %Y-%m-%d",
        "datetimeformat = %Y-%m-%dT%H:%M:%S",
        "longdatetimeformat = %Y-%m-%dT%H:%M:%S",
        "local_timezone = UTC",
        "default_timezone = UTC",
        "[sqlite]",
        f"path = {folder / 'khal.db'}",
    ]
    config = folder / "khal.conf"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def khal_lists(config: Path) -> list[Shown]:
    """``khal list`` over the calendar of ``config``: the events it shows, once each."""
    need("khal")
    listing = run(
        [
            str(VENV / "bin" / "khal"), "-c", str(config), "list", "--once",
            "--day-format", "", "--format", "{start-long}|{title}", FIRST_DAY, LAST_DAY,
        ]
    )  # fmt: skip
    shown = []
    for line in listing.splitlines():
        if line.strip():
            start, title = line.split("|", 1)
            shown.append(Shown(start if len(start) == 10 else start + "Z", title))
    return shown


def khal_imports(path: Path, folder: Path) -> list[Shown]:
    """``khal import --batch`` of the file into an empty calendar, then ``khal list``."""
    need("khal")
    vdir = folder / "calendar"
    vdir.mkdir(parents=True)
    config = khal_config(folder, vdir)
    run([str(VENV / "bin" / "khal"), "-c", str(config), "import", "--batch", str(path)])
    return khal_lists(config)


class Synced(NamedTuple):
    items: dict[str, dict[str, bytes]]  # pair name -> file name -> bytes, after the first sync
    again: dict[str, dict[str, bytes]]  # the same after a second sync
    second_report: str  # what the second sync said
    shown: dict[str, list[Shown]]  # what khal lists from each synced folder (of ``listed``)


def vdirsyncer_syncs(urls: dict[str, str], folder: Path, listed: tuple[str, ...]) -> Synced:
    """Subscribe to each URL as a khal user does: vdirsyncer's ``http`` storage synced into a
    ``filesystem`` one (discover, sync, and a second sync), then ``khal list`` of the ``listed``
    ones."""
    need("vdirsyncer")
    need("khal")
    lines = ["[general]", f'status_path = "{folder / "status"}/"']
    vdirs = {}
    for name, url in urls.items():
        vdir = vdirs[name] = folder / "items" / name
        vdir.mkdir(parents=True)
        lines += [
            f"[pair {name}]", f'a = "{name}_remote"', f'b = "{name}_local"',
            "collections = null", 'conflict_resolution = "a wins"',
            f"[storage {name}_remote]", 'type = "http"', f'url = "{url}"',
            f"[storage {name}_local]", 'type = "filesystem"', f'path = "{vdir}/"',
            'fileext = ".ics"',
        ]  # fmt: skip
    config = folder / "vdirsyncer.conf"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    vdirsyncer = [str(VENV / "bin" / "vdirsyncer"), "-c", str(config)]
    run([*vdirsyncer, "discover"])
    run([*vdirsyncer, "sync"])
    items = {name: _files(vdir) for name, vdir in vdirs.items()}
    done = subprocess.run(
        [*vdirsyncer, "sync"], capture_output=True, text=True, env=UTC_ENV, timeout=120, check=True
    )
    again = {name: _files(vdir) for name, vdir in vdirs.items()}
    shown = {}
    for name in listed:
        (folder / "khal" / name).mkdir(parents=True)
        shown[name] = khal_lists(khal_config(folder / "khal" / name, vdirs[name]))
    return Synced(items, again, done.stdout + done.stderr, shown)


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}
