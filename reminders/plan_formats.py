"""The yearly plan as text: a terminal table, Markdown, CSV and JSON (``reminders plan``).

Each formatter takes a :class:`~reminders.plan.Plan` and returns the whole document; nothing here
reads the clock or a file, so one plan always gives the same bytes.  The CSV columns and the JSON
shape are an interface for other programs: docs/plan.md documents both, and they change only
with it.  The HTML page and the ICS file are in plan_html.py and plan_ics.py.
"""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable, Iterator
from datetime import date, timedelta

from .dates import ordinal
from .hostcal import holiday_names
from .model import WEEKDAYS
from .plan import Conflict, Entry, Milestone, Plan
from .textout import both_zones, minutes, plural

WIDTH = 100  # the table fits a terminal of 100 columns
INDENT = " " * 17  # under "Wed 20 Jan 2027  "
LABELS = {
    "weekend": "weekend",
    "holiday": "public holiday",
    "ramadan": "Ramadan",
    "eid": "Eid",
    "observance": "another observance",
}
CSV_COLUMNS = (
    "row", "id", "calendar", "observance", "date", "weekday", "title", "number", "ordinal",
    "jubilee", "next_jubilee", "next_jubilee_year", "moments", "venue", "conflict_kinds",
    "conflicts", "event_date", "event_weekday", "moved", "suggestion", "milestone_id",
    "milestone", "working_days", "when",
)  # fmt: skip


def day(when: date) -> str:
    """'Wed 20 Jan 2027', as every terminal command writes a date."""
    return f"{when:%a %d %b %Y}"


def title(entry: Entry) -> str:
    """The title as people read it: a sample event says so; an observance whose title pattern
    leaves out the anniversary gets it added."""
    item = entry.occurrence
    if item.event is not None:
        return f"Example: {item.title}" if item.event.example else item.title
    if item.ordinal and item.ordinal not in item.title:
        return f"{item.title} ({item.ordinal} anniversary)"
    return item.title


def when(milestone: Milestone) -> str:
    """'30 working days before', '1 working day after', 'on the event day'."""
    if milestone.working_days == 0:
        return "on the event day"
    return f"{plural(milestone.working_days, 'working day')} {milestone.when}"


def conflict(found: Conflict) -> str:
    return f"conflict{' (estimate)' if found.estimate else ''}: {found.reason}"


def conflict_kinds(entry: Entry) -> str:
    """'Ramadan (estimate), weekend', or 'none'."""
    kinds = [f"{LABELS[c.kind]}{' (estimate)' if c.estimate else ''}" for c in entry.conflicts]
    return ", ".join(dict.fromkeys(kinds)) or "none"


def jubilee(entry: Entry) -> str:
    """'jubilee', 'next jubilee: 40th in 2030' or ''."""
    if entry.jubilee:
        return "jubilee"
    if entry.next_jubilee is not None:
        number, year = entry.next_jubilee
        return f"next jubilee: {ordinal(number)} in {year}"
    return ""


def timing(entry: Entry, home: str) -> list[str]:
    """The timed moments, and an event's own time, in the origin's zone and the organisation's."""
    lines = [
        f"{m.name} ({minutes(timedelta(minutes=m.minutes))}): "
        f"{both_zones(m.origin, m.origin + timedelta(minutes=m.minutes), home)}"
        for m in entry.moments
    ]
    event = entry.occurrence.event
    if event is not None and event.start is not None and event.end is not None:
        lines.append(both_zones(event.start, event.end, home))
    return lines


def about(entry: Entry) -> list[str]:
    """An event's venue and the anniversary it is held for, as ``reminders upcoming`` shows."""
    item = entry.occurrence
    lines = [f"at {item.event.venue}"] if item.event is not None and item.event.venue else []
    if item.event is not None and item.observance is not None and item.ordinal:
        lines.append(f"for the {item.ordinal} anniversary ({item.observance.id})")
    return lines


def suggestion(entry: Entry) -> str:
    moved = " (moved)" if entry.moved else ""
    return f"suggested event date: {day(entry.event_date)}{moved}: {entry.suggestion}"


def header(plan: Plan) -> list[str]:
    """The year's facts about the host country, as sentences."""
    estimated = sum(all(e for _, e in holiday_names(name)) for _, name in plan.holidays)
    weekend = " and ".join(plan.weekend) if plan.weekend else "none"
    lines = [
        f"Host country: {plan.country}; weekend: {weekend}; public holidays: "
        f"{plural(len(plan.holidays), 'day')}"
        + (f", {estimated} of them estimates" if estimated else ""),
    ]
    lines += [
        f"{p.name}: {day(p.first)} to {day(p.last)} (an estimate, by the Umm al-Qura tables)"
        for p in plan.ramadan
    ]
    lines += [
        f"{p.name}: {day(p.first)} (an estimate, by the Umm al-Qura tables)" for p in plan.eids
    ]
    lines.append(
        f"Times in the origin's zone and in {plan.timezone}; milestones in working days of "
        f"{plan.country}"
    )
    return lines


def wrap(text: str, first: str = "", rest: str = INDENT) -> list[str]:
    # Hyphens stay inside words ("44-day"); only a word longer than a line is broken.
    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


def table(plan: Plan) -> str:
    """The plan for a terminal of 100 columns, in the style of ``reminders upcoming``."""
    lines = [f"{plan.organisation}: event plan for {plan.year}"]
    for line in header(plan):
        lines += wrap(line, rest="  ")
    if not plan.entries:
        lines += ["", f"No observances or events in {plan.year}."]
    for entry in plan.entries:
        mark = " (jubilee)" if entry.jubilee else ""
        lines.append("")
        lines += wrap(f"{title(entry)}{mark}", f"{day(entry.date)}  ")
        details = timing(entry, plan.timezone) + about(entry)
        if entry.next_jubilee is not None:
            details.insert(0, jubilee(entry))
        details += [conflict(c) for c in entry.conflicts] or ["no conflicts"]
        if entry.kind == "observance":
            details.append(suggestion(entry))
        for text in details:
            lines += wrap(text, INDENT, INDENT + "  ")
        if entry.milestones:
            lines.append(f"{INDENT}milestones:")
        for m in entry.milestones:
            lines += wrap(f"{m.name} ({when(m)})", f"{INDENT}  {day(m.date)}  ", INDENT + " " * 19)
    milestones = plan.milestones
    lines += ["", f"Milestones by date ({len(milestones)})" if milestones else "No milestones."]
    for m, entry in milestones:
        lines += wrap(f"{m.name} ({when(m)} {day(entry.event_date)})", f"{day(m.date)}  ")
    return "\n".join(lines) + "\n"


def esc(text: str) -> str:
    """Text safe in Markdown prose and table cells: GitHub shows it as written."""
    for char in "\\`*_[]<>|#":
        text = text.replace(char, f"\\{char}")
    return text


def markdown(plan: Plan) -> str:
    """The plan as GitHub-flavoured Markdown: the facts, a summary table, a section per entry,
    the milestones by date and the public holidays."""
    out = [f"# Event plan {plan.year}: {esc(plan.organisation)}", ""]
    out += [f"- {esc(line)}" for line in header(plan)]
    out += ["", "## The year at a glance", ""]
    if plan.entries:
        out += ["| Date | Observance or event | Jubilee | Conflicts | Event date |"]
        out += ["| --- | --- | --- | --- | --- |"]
    else:
        out.append(f"No observances or events in {plan.year}.")
    for entry in plan.entries:
        event_date = day(entry.event_date) + (" (moved)" if entry.moved else "")
        out.append(
            f"| {day(entry.date)} | {esc(title(entry))} | {esc(jubilee(entry)) or ' '} | "
            f"{esc(conflict_kinds(entry))} | {event_date} |"
        )
    for entry in plan.entries:
        out += ["", f"## {day(entry.date)}: {esc(title(entry))}", ""]
        if entry.jubilee:
            out.append(f"- **Jubilee:** the {entry.occurrence.ordinal} anniversary")
        if entry.next_jubilee is not None:
            number, year = entry.next_jubilee
            out.append(f"- Next jubilee: the {ordinal(number)} anniversary, in {year}")
        details = timing(entry, plan.timezone) + about(entry)
        out += [f"- {esc(line[:1].upper() + line[1:])}" for line in details]
        for found in entry.conflicts:
            estimate = " (estimate)" if found.estimate else ""
            out.append(f"- **Conflict{estimate}:** {esc(found.reason)}")
        out += [] if entry.conflicts else ["- No conflicts"]
        if entry.kind == "observance":
            moved = " (moved)" if entry.moved else ""
            out.append(
                f"- **Suggested event date:** {day(entry.event_date)}{moved}: "
                f"{esc(entry.suggestion)}"
            )
        if entry.milestones:
            out += ["", "| Milestone | Date | Working days |", "| --- | --- | --- |"]
            out += [f"| {esc(m.name)} | {day(m.date)} | {when(m)} |" for m in entry.milestones]
    out += ["", "## Milestones by date", ""]
    if plan.milestones:
        out += [
            "| Date | Milestone | Working days | Event date | For |",
            "| --- | --- | --- | --- | --- |",
        ]
    else:
        out.append("No milestones.")
    for m, entry in plan.milestones:
        out.append(
            f"| {day(m.date)} | {esc(m.name)} | {when(m)} | {day(entry.event_date)} | "
            f"{esc(title(entry))} |"
        )
    out += ["", f"## Public holidays in {esc(plan.country)}, {plan.year}", ""]
    listed = list(holidays(plan))
    if listed:
        out += ["| Date | Holiday | Estimate |", "| --- | --- | --- |"]
    else:
        out.append("None.")
    for holiday, name, guessed in listed:
        out.append(f"| {day(holiday)} | {esc(name)} | {'estimate' if guessed else ' '} |")
    return "\n".join(out) + "\n"


def holidays(plan: Plan) -> Iterator[tuple[date, str, bool]]:
    """Each public holiday of the year: two on one day are two holidays."""
    for holiday, joined in plan.holidays:
        for name, estimate in holiday_names(joined):
            yield holiday, name, estimate


def csv_text(plan: Plan) -> str:
    """One row per entry, each followed by a row per milestone (columns: CSV_COLUMNS)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, restval="")  # RFC 4180: CRLF, quotes doubled
    writer.writeheader()
    for entry in plan.entries:
        item = entry.occurrence
        base = {
            "id": item.id,
            "calendar": item.calendar.id,
            "observance": item.observance.id if item.observance is not None else "",
            "title": title(entry),
            "event_date": entry.event_date.isoformat(),
            "event_weekday": WEEKDAYS[entry.event_date.weekday()],
        }
        ahead = entry.next_jubilee
        writer.writerow(
            {
                **base,
                "row": entry.kind,
                "date": entry.date.isoformat(),
                "weekday": WEEKDAYS[entry.date.weekday()],
                "number": item.number or "",
                "ordinal": item.ordinal,
                "jubilee": str(entry.jubilee).lower(),
                "next_jubilee": ahead[0] if ahead else "",
                "next_jubilee_year": ahead[1] if ahead else "",
                "moments": " | ".join(timing(entry, plan.timezone)),
                "venue": item.event.venue if item.event is not None else "",
                "conflict_kinds": " ".join(dict.fromkeys(c.kind for c in entry.conflicts)),
                "conflicts": " | ".join(
                    f"{c.kind}{' (estimate)' if c.estimate else ''}: {c.reason}"
                    for c in entry.conflicts
                ),
                "moved": str(entry.moved).lower(),
                "suggestion": entry.suggestion,
            }
        )
        for m in entry.milestones:
            writer.writerow(
                {
                    **base,
                    "row": "milestone",
                    "date": m.date.isoformat(),
                    "weekday": WEEKDAYS[m.date.weekday()],
                    "milestone_id": m.id,
                    "milestone": m.name,
                    "working_days": m.working_days,
                    "when": m.when,
                }
            )
    return buffer.getvalue()


def milestone_json(m: Milestone) -> dict[str, object]:
    return {
        "id": m.id,
        "name": m.name,
        "date": m.date.isoformat(),
        "weekday": WEEKDAYS[m.date.weekday()],
        "working_days": m.working_days,
        "when": m.when,
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
        "weekday": WEEKDAYS[entry.date.weekday()],
        "title": item.title,
        "number": item.number,
        "ordinal": item.ordinal,
        "jubilee": entry.jubilee,
        "next_jubilee": {"number": ahead[0], "year": ahead[1]} if ahead else None,
        "moments": [
            {
                "name": m.name,
                "origin": m.origin.isoformat(),
                "origin_timezone": str(m.origin.tzinfo),
                "local": m.local.isoformat(),
                "local_timezone": str(m.local.tzinfo),
                "minutes": m.minutes,
            }
            for m in entry.moments
        ],
        "event": None
        if event is None
        else {
            "id": event.id,
            "start": event.start.isoformat() if event.start is not None else None,
            "end": event.end.isoformat() if event.end is not None else None,
            "timezone": event.timezone,
            "venue": event.venue,
            "example": event.example,
        },
        "conflicts": [
            {"kind": c.kind, "reason": c.reason, "estimate": c.estimate} for c in entry.conflicts
        ],
        "event_date": entry.event_date.isoformat(),
        "moved": entry.moved,
        "suggestion": entry.suggestion,
        "milestones": [milestone_json(m) for m in entry.milestones],
    }


def json_text(plan: Plan) -> str:
    """The plan as one JSON document, keys in a fixed order (docs/plan.md has the shape)."""
    document = {
        "year": plan.year,
        "organisation": {"name": plan.organisation, "timezone": plan.timezone},
        "host": {
            "country": plan.country,
            "weekend": list(plan.weekend),
            "holidays": [
                {"date": d.isoformat(), "name": name, "estimate": estimate}
                for d, name, estimate in holidays(plan)
            ],
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
                {"name": p.name, "date": p.first.isoformat(), "estimate": p.estimate}
                for p in plan.eids
            ],
        },
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
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


FORMATTERS: dict[str, Callable[[Plan], str]] = {
    "table": table,
    "md": markdown,
    "csv": csv_text,
    "json": json_text,
}
