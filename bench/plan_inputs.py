"""The inputs of bench/plan.py: a generated calendar, its config, and the same dates for remind.

``prepare(folder, count, seed)`` writes into ``folder``:

* ``calendars/generated.toml``: ``count`` observances (month-days of a common year drawn at
  random, ``since`` years 1926 to 2025, ``{ordinal}`` titles, a timed moment on every tenth);
* ``config.toml``: the bundled one, its calendars folder pointed at the generated one (the
  bundled ``[plan]`` and ``[[milestone]]`` rules, the bundled templates);
* ``generated.rem``: the same observances as remind reminders, the ordinal computed by remind
  from the trigger date (``[ord(year(trigdate())-1957)]``), a moment as ``AT``;
* ``bundled.rem``: the bundled calendars the same way, events as one-off reminders.

Standard library only.
"""

from __future__ import annotations

import json
import random
import tomllib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import ROOT

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SUBJECTS = (
    "the founding of society number {n}",
    "the flood at station {n}",
    "the opening of library {n}",
    "the treaty of district {n}",
    "the first congress of guild {n}",
)


def generated_observances(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` observances as calendar TOML tables: varied dates, since years and titles.

    Dates are the 365 month-days of a common year (no February 29, which remind and the plan
    treat differently in a common year), drawn at random; since years 1926 to 2025.
    """
    rng = random.Random(seed)
    first = date(2027, 1, 1)
    found = []
    for number in range(1, count + 1):
        day = first + timedelta(days=rng.randrange(365))
        subject = SUBJECTS[number % len(SUBJECTS)].format(n=number)
        table: dict[str, Any] = {
            "id": f"day-{number:05d}",
            "title": f"{{ordinal}} anniversary of {subject}",
            "date": f"{day:%m-%d}",
            "since": rng.randrange(1926, 2026),
            "description": f"A generated remembrance day, number {number}, for the plan benchmark.",
        }
        if number % 10 == 0:
            table["moment"] = [
                {
                    "id": "silence",
                    "name": "Minute of silence",
                    "time": f"{rng.randrange(8, 18):02d}:00",
                    "duration": "PT1M",
                }
            ]
        found.append(table)
    return found


def calendar_toml(observances: Sequence[dict[str, Any]]) -> str:
    lines = [
        "[calendar]",
        'id = "generated"',
        'name = "Generated remembrance days"',
        'description = "A large calendar for the plan benchmark."',
        'timezone = "Asia/Baku"',
        "revised = 2026-11-23T00:00:00Z",
    ]
    for table in observances:
        lines += ["", "[[observance]]"]
        lines += [f"{key} = {json.dumps(table[key])}" for key in table if key != "moment"]
        for moment in table.get("moment", ()):
            lines += ["", "[[observance.moment]]"]
            lines += [f"{key} = {json.dumps(value)}" for key, value in moment.items()]
    return "\n".join(lines) + "\n"


def config_toml(calendars: Path) -> str:
    """The bundled config.toml, its calendars folder replaced and its templates kept."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    paths = (
        f"[paths]\ncalendars = {json.dumps(str(calendars))}\n"
        f"templates = {json.dumps(str(ROOT / 'templates'))}\n"
    )
    if text.count("[paths]\n") != 1:
        raise SystemExit("config.toml: expected one [paths] table to point at the calendars")
    return text.replace("[paths]\n", paths)


def rem_line(table: dict[str, Any]) -> str:
    """One remind line for an observance table: ``REM Jan 20 AT 12:00 MSG 37th ...``.

    The anniversary is computed by remind from the trigger date, as the plan computes it.
    """
    month, day = (int(part) for part in table["date"].split("-"))
    since = table["since"]
    title = table["title"]
    if "%" in title or "[" in title:
        raise SystemExit(f"{title!r}: % and [ are special in remind messages")
    title = (
        title.replace("{ordinal}", f"[ord(year(trigdate())-{since})]")
        .replace("{number}", f"[year(trigdate())-{since}]")
        .replace("{year}", "[year(trigdate())]")
        .replace("{since}", str(since))
    )
    moments = table.get("moment", ())
    at = f" AT {moments[0]['time']} DURATION 0:01" if moments else ""
    return f"REM {MONTHS[month - 1]} {day}{at} MSG {title}"


def event_rem_line(table: dict[str, Any]) -> str:
    """A one-off event: ``REM 26 Feb 2027 AT 15:00 DURATION 2:00 MSG Roundtable ...``."""
    if "start" in table:
        start = table["start"]
        minutes = iso_minutes(table["duration"])
        day = start.date()
        at = f" AT {start:%H:%M} DURATION {minutes // 60}:{minutes % 60:02d}"
    else:
        day, at = table["date"], ""
    return f"REM {day.day} {MONTHS[day.month - 1]} {day.year}{at} MSG {table['title']}"


def iso_minutes(duration: str) -> int:
    """``PT2H`` or ``PT1H30M`` as minutes (the bundled event's durations)."""
    body = duration.removeprefix("PT")
    hours, _, rest = body.partition("H") if "H" in body else ("0", "", body)
    return int(hours) * 60 + int(rest.removesuffix("M") or 0)


def bundled_rem() -> str:
    """The bundled calendars as a remind file: each observance, and each event."""
    lines = []
    for path in sorted((ROOT / "calendars").glob("*.toml")):
        document = tomllib.loads(path.read_text(encoding="utf-8"))
        lines += [rem_line(t) for t in document.get("observance", ()) if "date" in t]
        lines += [event_rem_line(t) for t in document.get("event", ())]
    return "\n".join(lines) + "\n"


def prepare(folder: Path, count: int, seed: int) -> tuple[Path, Path, Path]:
    """Write case 2's config, calendar and remind file, and case 1's remind file.

    Returns (bundled.rem, generated config.toml, generated.rem).
    """
    calendars = folder / "calendars"
    calendars.mkdir()
    observances = generated_observances(count, seed)
    (calendars / "generated.toml").write_text(calendar_toml(observances), encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(config_toml(calendars), encoding="utf-8")
    generated = folder / "generated.rem"
    generated.write_text("\n".join(rem_line(t) for t in observances) + "\n", encoding="utf-8")
    bundled = folder / "bundled.rem"
    bundled.write_text(bundled_rem(), encoding="utf-8")
    return bundled, config, generated
