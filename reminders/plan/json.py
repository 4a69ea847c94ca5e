"""The yearly plan as one JSON document (``reminders plan --format json``).

The shape is an interface for other programs: docs/plan.md documents it, and it changes only with
it.  :func:`document` gives it as JSON values; :func:`json_text` writes exactly what
``json.dumps(document(plan), indent=2, ensure_ascii=False)`` writes, and a line break, several
times faster: given ``indent``, json runs its pure-Python encoder.  tests/test_plan_fastpaths.py
checks the two against each other.

Why it is written by hand (bench/RESULTS.md, section 8): orjson with ``OPT_INDENT_2`` gives the
same bytes, but missed the target (a warm plan of 10,000 observances at least 10x faster than
``remind -s12``): 0.34 s of CPU against this writer's 0.25-0.26 s in two runs of bench/plan.py,
9.5x remind's CPU time against 12.5x, and 8.4x against 13.5x by the wall clock in the loaded
run: importing orjson costs about 20 ms (it imports dataclasses, uuid and inspect), the
document as Python values 0.09 s, and its 42 MB written whole 46 MB more memory at the peak.
"""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from itertools import chain, repeat

from ..core import words
from ..core.dates import is_jubilee
from ..core.model import Event
from .plan import Conflict, Entry, Milestone, Plan, holidays

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


def entry_json(entry: Entry) -> dict[str, object]:
    item, event = entry.occurrence, entry.occurrence.event
    ahead = entry.next_jubilee
    return {
        "kind": entry.kind,
        "id": item.id,
        "calendar": item.calendar.id,
        "observance": item.observance.id if item.observance is not None else None,
        "date": entry.date.isoformat(),
        "weekday": words.weekday(entry.date, INTERFACE),
        "title": item.title,
        "number": item.number,
        "ordinal": words.ordinal(item.number, INTERFACE) if item.number > 0 else "",
        "jubilee": entry.jubilee,
        "next_jubilee": {"number": ahead[0], "year": ahead[1]} if ahead else None,
        "moments": moments_json(entry),
        "event": None if event is None else event_json(event),
        "conflicts": [
            {"kind": c.kind, "reason": c.reason, "estimate": c.estimate} for c in entry.conflicts
        ],
        "event_date": entry.event_date.isoformat(),
        "moved": entry.moved,
        "suggestion": entry.suggestion,
        "milestones": [milestone_json(m) for m in entry.milestones],
    }


def document(plan: Plan) -> dict[str, object]:
    """The plan as JSON values, keys in a fixed order (docs/plan.md has the shape)."""
    return {
        "year": plan.year,
        "organisation": {"name": plan.organisation, "timezone": plan.timezone},
        "host": host_json(plan),
        "entries": [entry_json(entry) for entry in plan.entries],
        "milestones": [
            {
                **milestone_json(m),
                "entry": entry.occurrence.id,
                "event_date": entry.event_date.isoformat(),
            }
            for m, entry in plan.milestones
        ],
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
                "name": p.name,
                "first": p.first.isoformat(),
                "last": p.last.isoformat(),
                "estimate": p.estimate,
            }
            for p in plan.ramadan
        ],
        "eids": [
            {
                "name": p.name,
                "date": p.first.isoformat(),
                "estimate": p.estimate,
                "source": p.source,
                "public_holiday": p.public_holiday,
            }
            for p in plan.eids
        ],
    }


def json_text(plan: Plan) -> str:
    """``json.dumps(document(plan), indent=2, ensure_ascii=False)`` and a line break."""
    return "".join(json_pieces(plan))


def json_pieces(plan: Plan) -> list[str]:
    """The pieces of :func:`json_text`, to be joined with "".

    The entries and the milestones, nearly all of a large plan, are written from templates,
    strings by json's own C encoder, and what entries share (a day's conflicts, an event date's
    milestones) once.  The rest (the organisation and the host's calendar) is small and goes
    through ``json.dumps``.  The text of a large plan is tens of megabytes: its pieces (shared
    ones many times over) are joined by the caller, at once or a part at a time
    (``reminders plan`` writes it without ever holding all of it).
    """
    writer = _JsonWriter()
    out = [
        f'{{\n  "year": {plan.year},\n  "organisation": ',
        _indented({"name": plan.organisation, "timezone": plan.timezone}),
        ',\n  "host": ',
        _indented(host_json(plan)),
        ',\n  "entries": ',
    ]
    if plan.entries:
        out.append("[\n")
        for entry in plan.entries:
            writer.entry(entry, out)  # and its tail, at the entry's index
            out.append(",\n")
        out[-1] = "\n  ]"
    else:
        out.append("[]")
    out.append(',\n  "milestones": ')
    runs = plan.milestone_runs()
    if runs:
        out.append("[\n")
        heads, tails = writer.heads, writer.tails  # a tail ends with ",\n"
        for m, first, count in runs:
            # head, tail, head, tail ... for the entries of the run, without a loop in Python
            run = tails[first : first + count]
            out += chain.from_iterable(zip(repeat(heads[m], count), run, strict=True))
        out[-1] = out[-1][:-2]  # the last tail without its ",\n"
        out.append("\n  ]")
    else:
        out.append("[]")
    out.append("\n}\n")
    return out


NL = "\n"
_string = json.encoder.encode_basestring  # json.dumps's own, with ensure_ascii=False (C)


def _indented(value: object, prefix: str = "  ") -> str:
    """``value`` as json.dumps(indent=2) writes it ``prefix`` deep: the lines after the first
    indented by ``prefix`` (JSON strings hold no line breaks, only ``\\n``)."""
    return json.dumps(value, indent=2, ensure_ascii=False).replace("\n", "\n" + prefix)


@cache
def _iso(day: date) -> str:
    return day.isoformat()


@cache
def _json_day(day: date) -> str:
    """'"2027-01-20",\n      "weekday": "Wednesday"': an entry's date and weekday."""
    return f'"{day.isoformat()}",\n      "weekday": {_string(words.weekday(day, INTERFACE))}'


class _JsonWriter:
    """The JSON text of entries (four spaces deep in the document) and of the milestones by
    date (``heads`` per milestone, ``tails`` per entry, in the plan's order), as json.dumps writes
    them.  What entries share is written once: a day's conflicts, an event date's milestones."""

    def __init__(self) -> None:
        self.conflicts: dict[int, str] = {}  # by id(tuple of conflicts)
        self.conflict_items: dict[Conflict, str] = {}
        self.milestones: dict[int, str] = {}  # by id(tuple of milestones)
        self.heads: dict[Milestone, str] = {}
        self.tails: list[str] = []  # per entry, in the plan's order, each ending with ",\n"
        self.endings: dict[tuple[object, ...], tuple[str, ...]] = {}

    # The conflicts and milestones of entries are looked up by identity: build_plan shares each
    # tuple among the entries that have it, and the plan keeps them alive while it is written.

    def conflict_list(self, found: tuple[Conflict, ...]) -> str:
        text = self.conflicts.get(id(found))
        if text is None:
            # The tuples differ (a day's conflicts with those of the observances near each
            # entry), their conflicts much less: each is written once.
            items = []
            for c in found:
                item = self.conflict_items.get(c)
                if item is None:
                    item = self.conflict_items[c] = (
                        f'        {{\n          "kind": {_string(c.kind)},\n'
                        f'          "reason": {_string(c.reason)},\n'
                        f'          "estimate": {"true" if c.estimate else "false"}\n        }}'
                    )
                items.append(item)
            text = f"[\n{f',{NL}'.join(items)}\n      ]" if items else "[]"
            self.conflicts[id(found)] = text
        return text

    def milestone_list(self, found: tuple[Milestone, ...]) -> str:
        text = self.milestones.get(id(found))
        if text is None:
            items = []
            for m in found:
                items.append(f"        {{\n{_milestone_fields(m, ' ' * 10)}\n        }}")
                self.heads[m] = f"    {{\n{_milestone_fields(m, ' ' * 6)}"
            text = f"[\n{f',{NL}'.join(items)}\n      ]" if items else "[]"
            self.milestones[id(found)] = text
        return text

    def entry(self, entry: Entry, out: list[str]) -> None:
        """Add the entry's pieces to ``out``."""
        item = entry.occurrence
        observance, event = item.observance, item.event
        if event is not None:
            kind, ident = "event", f"{item.calendar.id}:event:{event.id}"
            jubilee = False
        else:
            assert observance is not None
            kind, ident = "observance", f"{item.calendar.id}:{observance.id}:{item.date.year}"
            jubilee = is_jubilee(item.number)
        ident = _string(ident)
        event_date = _iso(entry.event_date)
        self.tails.append(
            f',\n      "entry": {ident},\n      "event_date": "{event_date}"\n    }},\n'
        )
        ahead = entry.next_jubilee
        nth = words.ordinal(item.number, INTERFACE) if item.number > 0 else ""
        out += (
            f'    {{\n      "kind": "{kind}",\n'
            f'      "id": {ident},\n'
            f'      "calendar": {_string(item.calendar.id)},\n'
            f'      "observance": '
            f"{'null' if observance is None else _string(observance.id)},\n"
            f'      "date": {_json_day(item.date)},\n'
            f'      "title": {_string(item.title)},\n'
            f'      "number": {int.__repr__(item.number)},\n'
            f'      "ordinal": {_string(nth)},\n'
            f'      "jubilee": {"true" if jubilee else "false"},\n'
            '      "next_jubilee": ',
            "null"
            if ahead is None
            else f'{{\n        "number": {int.__repr__(ahead[0])},\n'
            f'        "year": {int.__repr__(ahead[1])}\n      }}',
            ',\n      "moments": ',
            _moments(entry) if entry.moments else "[]",
            ',\n      "event": ',
            "null" if event is None else _event(event),
            ',\n      "conflicts": ',
        )
        out += self.ending(entry)

    def ending(self, entry: Entry) -> tuple[str, ...]:
        """The entry's pieces from its conflicts to its end: the same for the entries of a day
        that share conflicts, event date, suggestion and milestones (one tuple of them)."""
        moved = entry.event_date != entry.occurrence.date
        key = (id(entry.conflicts), entry.event_date, moved, entry.suggestion, id(entry.milestones))
        found = self.endings.get(key)
        if found is None:
            found = self.endings[key] = (
                self.conflict_list(entry.conflicts),
                f',\n      "event_date": "{_iso(entry.event_date)}",\n'
                f'      "moved": {"true" if moved else "false"},\n'
                f'      "suggestion": {_string(entry.suggestion)},\n'
                '      "milestones": ',
                self.milestone_list(entry.milestones),
                "\n    }",
            )
        return found


def _moments(entry: Entry) -> str:
    """``moments_json(entry)`` as json.dumps writes it six spaces deep."""
    items = [
        f'        {{\n          "name": {_string(m.name)},\n'
        f'          "origin": {_string(m.origin.isoformat())},\n'
        f'          "origin_timezone": {_string(str(m.origin.tzinfo))},\n'
        f'          "local": {_string(m.local.isoformat())},\n'
        f'          "local_timezone": {_string(str(m.local.tzinfo))},\n'
        f'          "minutes": {int.__repr__(m.minutes)}\n        }}'
        for m in entry.moments
    ]
    return f"[\n{f',{NL}'.join(items)}\n      ]"


def _event(event: Event) -> str:
    """``event_json(event)`` as json.dumps writes it six spaces deep."""
    start = "null" if event.start is None else _string(event.start.isoformat())
    end = "null" if event.end is None else _string(event.end.isoformat())
    return (
        f'{{\n        "id": {_string(event.id)},\n'
        f'        "start": {start},\n'
        f'        "end": {end},\n'
        f'        "timezone": {_string(event.timezone)},\n'
        f'        "venue": {_string(event.venue)},\n'
        f'        "example": {"true" if event.example else "false"}\n      }}'
    )


def _milestone_fields(m: Milestone, pad: str) -> str:
    """The lines of ``milestone_json(m)`` inside its braces, each starting with ``pad``."""
    return (
        f'{pad}"id": {_string(m.id)},\n'
        f'{pad}"name": {_string(m.name)},\n'
        f'{pad}"date": "{m.date.isoformat()}",\n'
        f'{pad}"weekday": {_string(words.weekday(m.date, INTERFACE))},\n'
        f'{pad}"working_days": {int.__repr__(m.working_days)},\n'
        f'{pad}"when": {_string(m.when)}'
    )
