"""The yearly plan as one JSON document (``reminders plan --format json``).

The shape is an interface for other programs: docs/plan.md documents it, and it changes only with
it.  :func:`document` gives it as JSON values; :func:`json_bytes` writes them with orjson, two
spaces deep, non-ASCII as UTF-8 and a line break at the end: the bytes of
``json.dumps(document(plan), indent=2, ensure_ascii=False) + "\\n"`` (tests/test_plan_fastpaths.py
compares the two).  json.dumps with ``indent`` runs its pure-Python encoder, about ten times
slower on a plan of 10,000 observances.

orjson replaced a 210-line writer of the same bytes (bench/RESULTS.md, section 8): the plan's
speed target (a warm plan of 10,000 observances at least 10x faster than ``remind -s12``) is met
with less margin: 10.0x with orjson against the writer's 12.9x in one run of bench/plan.py
(0.31 s against 0.24 s; orjson's import is 20 ms of it), and the 42 MB are written whole (about
45 MB more at the peak).  The trade was made for one library instead of a second copy of one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import TypeVar

import orjson

from ..core import words
from ..core.model import Event
from .plan import Conflict, Entry, Milestone, Plan, holidays, period_name

T = TypeVar("T")

INTERFACE = (
    words.ENGLISH
)  # the shape is an interface for programs: weekdays and ordinals in English


def milestone_json(m: Milestone) -> dict[str, object]:
    return {
        "id": m.id,
        "name": m.name,
        "date": m.date.isoformat(),
        "weekday": words.weekday(m.date, INTERFACE),
        "working_days": m.working_days,
        "when": m.when,
    }


def conflict_json(c: Conflict) -> dict[str, object]:
    return {"kind": c.kind, "reason": c.reason, "estimate": c.estimate}


def moments_json(entry: Entry) -> list[dict[str, object]]:
    return [
        {
            "name": m.name,
            "origin": m.origin.isoformat(),
            "origin_timezone": str(m.origin.tzinfo),
            "local": m.local.isoformat(),
            "local_timezone": str(m.local.tzinfo),
            "minutes": m.minutes,
        }
        for m in entry.moments
    ]


def event_json(event: Event) -> dict[str, object]:
    return {
        "id": event.id,
        "start": event.start.isoformat() if event.start is not None else None,
        "end": event.end.isoformat() if event.end is not None else None,
        "timezone": event.timezone,
        "venue": event.venue,
        "example": event.example,
    }


class _Shared:
    """The lists of conflicts and milestones that entries share, as JSON values, made once per
    tuple.  build_plan gives the entries of a day one tuple of conflicts and those of an event
    date one tuple of milestones; the plan keeps the tuples alive while it is written, so they
    are looked up by identity.  For 10,000 observances this makes the document about four times
    as fast (0.27 s to 0.07 s), and orjson writes a shared list as often as it is referred to."""

    def __init__(self) -> None:
        self.lists: dict[int, list[dict[str, object]]] = {}
        self.days: dict[date, tuple[str, str]] = {}  # a day's ISO date and weekday, once

    def day(self, value: date) -> tuple[str, str]:
        """``value`` as the document writes it, and its weekday (a year's entries share 365)."""
        found = self.days.get(value)
        if found is None:
            found = self.days[value] = (value.isoformat(), words.weekday(value, INTERFACE))
        return found

    def of(self, found: Sequence[T], item: Callable[[T], dict[str, object]]) -> object:
        value = self.lists.get(id(found))
        if value is None:
            value = self.lists[id(found)] = [item(x) for x in found]
        return value


def entry_json(entry: Entry, shared: _Shared) -> dict[str, object]:
    item, event = entry.occurrence, entry.occurrence.event
    ahead = entry.next_jubilee
    iso, weekday = shared.day(entry.date)
    return {
        "kind": entry.kind,
        "id": item.id,
        "calendar": item.calendar.id,
        "observance": item.observance.id if item.observance is not None else None,
        "date": iso,
        "weekday": weekday,
        "title": item.title,
        "number": item.number,
        "ordinal": words.ordinal(item.number, INTERFACE) if item.number > 0 else "",
        "jubilee": entry.jubilee,
        "next_jubilee": {"number": ahead[0], "year": ahead[1]} if ahead else None,
        "moments": moments_json(entry),
        "event": None if event is None else event_json(event),
        "conflicts": shared.of(entry.conflicts, conflict_json),
        "event_date": shared.day(entry.event_date)[0],
        "moved": entry.moved,
        "suggestion": entry.suggestion,
        "milestones": shared.of(entry.milestones, milestone_json),
    }


def document(plan: Plan) -> dict[str, object]:
    """The plan as JSON values, keys in a fixed order (docs/plan.md has the shape)."""
    shared = _Shared()
    entries = [entry_json(entry, shared) for entry in plan.entries]
    # Every milestone with its entry, by date: plan.milestone_runs gives them as runs of
    # entries that share the milestone (about 1,800 runs for 50,000 milestones).
    by_date = []
    for m, first, count in plan.milestone_runs():
        head = milestone_json(m)
        by_date += [
            {**head, "entry": e["id"], "event_date": e["event_date"]}
            for e in entries[first : first + count]
        ]
    return {
        "year": plan.year,
        "organisation": {"name": plan.organisation, "timezone": plan.timezone},
        "host": host_json(plan),
        "entries": entries,
        "milestones": by_date,
    }


def host_json(plan: Plan) -> dict[str, object]:
    return {
        "country": plan.country,
        "weekend": list(plan.weekend),
        "holidays": [
            {"date": d.isoformat(), "name": name, "estimate": estimate}
            for d, name, estimate in holidays(plan)
        ],
        "closures": [{"date": d.isoformat(), "name": name} for d, name in plan.closures],
        "ramadan": [
            {
                "name": period_name(p.name, plan.language),
                "first": p.first.isoformat(),
                "last": p.last.isoformat(),
                "estimate": p.estimate,
            }
            for p in plan.ramadan
        ],
        "eids": [
            {
                "name": period_name(p.name, plan.language),
                "date": p.first.isoformat(),
                "estimate": p.estimate,
                "source": p.source,
                "public_holiday": p.public_holiday,
            }
            for p in plan.eids
        ],
    }


def json_bytes(plan: Plan) -> bytes:
    """The plan's JSON document as UTF-8 bytes, with a line break at the end."""
    return orjson.dumps(document(plan), option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)


def json_text(plan: Plan) -> str:
    """``json.dumps(document(plan), indent=2, ensure_ascii=False)`` and a line break."""
    return json_bytes(plan).decode("utf-8")
