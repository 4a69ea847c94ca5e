"""The overview plan of a deployment: per observance, every organisation's event.

``reminders plan YEAR --overview`` is for the centre (a ministry, an institute): for each
observance of the shared calendars in the year, and each organisation (config/organisations.py),
the organisation's event date, or "nothing planned", with the conflicts of that date in the
organisation's host country, its next milestone and whether its date was moved off the day.

The states, which the picture colours:

* ``planned``: the organisation has an event of its own linked to the observance (not a sample);
* ``conflict``: planned, on a day with a conflict (a weekend, a holiday, Ramadan, ...);
* ``nothing``: nothing planned yet (the plan's suggested date is shown);
* ``broken``: the organisation's file has problems (its last problems are listed).

Operator text: English, as the centre's command is; each organisation's own plan speaks its
language.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import NamedTuple

from ..core import words
from ..core.errors import UsageError
from ..core.model import Calendar
from ..core.settings import Settings
from .plan import Entry, Plan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config.organisations import Loading

STATES = ("planned", "conflict", "nothing", "broken")
STATE_WORDS = {
    "planned": "planned",
    "conflict": "planned, with a conflict",
    "nothing": "nothing planned",
    "broken": "not loaded",
}


class Cell(NamedTuple):
    """One organisation's part in one observance."""

    state: str  # one of STATES
    event_date: date | None  # the planned event's date, or the suggested one
    title: str  # the planned event's title ("" when nothing is planned)
    conflicts: tuple[str, ...]  # the reasons, of the event date
    moved: bool  # the event is not on the observance's day
    next_milestone: tuple[str, date] | None  # (name, date) of the first one from today on


class Row(NamedTuple):
    """An observance of the year: its calendar and id, title, date and every organisation's."""

    key: str  # calendar:observance
    title: str
    date: date
    cells: tuple[Cell, ...]  # in the order of Overview.organisations


class Overview(NamedTuple):
    year: int
    organisations: tuple[tuple[str, str], ...]  # (id, name), by id
    rows: tuple[Row, ...]  # by date
    problems: tuple[tuple[str, tuple[str, ...]], ...]  # (id, problems) of broken organisations


def build_overview(config_path: str, year: int, today: date) -> Overview:
    """The overview of ``year`` for the deployment of ``config_path``."""
    from ..config.organisations import load_each

    deployment = load_each(config_path, today)
    if deployment is None:
        raise UsageError("--overview: the config names no organisations ([paths] organisations)")
    base, shared, each, _ = deployment
    return overview_of(base, shared, each, year, today)


def overview_of(
    base: Settings, shared: tuple[Calendar, ...], each: Sequence[Loading], year: int, today: date
) -> Overview:
    """The overview of ``year`` for a deployment already loaded (the feed server's, which
    keeps each organisation's last good version)."""
    from .output import make_plan

    plans = [make_plan(one.loaded, year, words.ENGLISH) if one.loaded else None for one in each]
    problems = [(one.org.id, tuple(str(p) for p in one.problems))
                for one in each if one.loaded is None]  # fmt: skip
    orgs = [one.org for one in each]
    rows = []
    for key, title, day in _observances(shared, year, base.feed.include_examples):
        rows.append(Row(key, title, day, tuple(_cell(plan, key, today) for plan in plans)))
    return Overview(
        year,
        tuple((o.id, o.settings.organisation.name if o.settings else o.id) for o in orgs),
        tuple(rows),
        tuple(problems),
    )


def _observances(
    calendars: tuple[Calendar, ...], year: int, examples: bool
) -> Iterator[tuple[str, str, date]]:
    from ..core.occurrences import occurrences

    for item in occurrences(calendars, date(year, 1, 1), date(year + 1, 1, 1), examples=examples):
        if item.observance is not None and item.event is None:
            yield f"{item.calendar.id}:{item.observance.id}", item.title, item.date


def _cell(plan: Plan | None, key: str, today: date) -> Cell:
    if plan is None:
        return Cell("broken", None, "", (), False, None)
    observance: Entry | None = None
    planned: list[Entry] = []
    for entry in plan.entries:
        item = entry.occurrence
        if item.observance is None or f"{item.calendar.id}:{item.observance.id}" != key:
            continue
        if item.event is None:
            observance = entry
        elif not item.event.example:
            planned.append(entry)
    if observance is None:  # the observance is not in this organisation's plan
        return Cell("nothing", None, "", (), False, None)
    milestone = next(
        ((m.name, m.date) for m in sorted(observance.milestones, key=lambda m: m.date)
         if m.date >= today),
        None,
    )  # fmt: skip
    if planned:
        event = planned[0]
        reasons = tuple(c.reason for c in event.conflicts)
        return Cell(
            "conflict" if reasons else "planned",
            event.date,
            event.occurrence.title,
            reasons,
            event.date != observance.date,
            milestone,
        )
    return Cell(
        "nothing",
        observance.event_date,
        "",
        tuple(c.reason for c in observance.conflicts),
        observance.moved,
        milestone,
    )


# --- Formats ----------------------------------------------------------------------------------

OVERVIEW_FORMATS = ("table", "md", "csv", "json", "html")


def _day(day: date | None) -> str:
    return words.format_date(day, words.MEDIUM, words.ENGLISH) if day else ""


def _summary(cell: Cell) -> str:
    if cell.state == "broken":
        return "not loaded (its file has problems)"
    if cell.state == "nothing":
        text = "nothing planned"
        if cell.event_date is not None:
            text += f"; suggested {_day(cell.event_date)}"
    else:
        text = f"{cell.title}, {_day(cell.event_date)}"
    if cell.moved:
        text += " (moved off the day)"
    return text


def table(overview: Overview) -> str:
    lines = [
        f"Overview {overview.year}: {len(overview.organisations)} organisation(s), "
        f"{len(overview.rows)} observance(s)"
    ]
    for row in overview.rows:
        lines += ["", f"{_day(row.date)}  {row.title}"]
        planned = sum(c.state in ("planned", "conflict") for c in row.cells)
        lines.append(f"  {planned} of {len(row.cells)} organisation(s) have planned an event")
        for (oid, _), cell in zip(overview.organisations, row.cells, strict=True):
            lines.append(f"  {oid}: {_summary(cell)}")
            for reason in cell.conflicts:
                lines.append(f"      conflict: {reason}")
            if cell.next_milestone:
                name, day = cell.next_milestone
                lines.append(f"      next milestone: {name}, {_day(day)}")
    for oid, found in overview.problems:
        lines += ["", f"{oid}: not loaded:"] + [f"  {p}" for p in found]
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def markdown(overview: Overview) -> str:
    out = [f"# Overview {overview.year}", ""]
    for row in overview.rows:
        out += [f"## {_md(row.title)}, {_day(row.date)}", ""]
        out += ["| Organisation | State | Event | Conflicts | Next milestone |"]
        out += ["| --- | --- | --- | --- | --- |"]
        for (oid, name), cell in zip(overview.organisations, row.cells, strict=True):
            milestone = (
                f"{cell.next_milestone[0]}, {_day(cell.next_milestone[1])}"
                if cell.next_milestone
                else ""
            )
            out.append(
                f"| {_md(name)} ({oid}) | {STATE_WORDS[cell.state]} | {_md(_summary(cell))} | "
                f"{_md('; '.join(cell.conflicts))} | {_md(milestone)} |"
            )
        out.append("")
    for oid, found in overview.problems:
        out += [f"**{oid}** not loaded:", ""] + [f"- {_md(p)}" for p in found] + [""]
    return "\n".join(out)


CSV_COLUMNS = (
    "observance", "title", "date", "organisation", "state", "event_date", "event", "moved",
    "conflicts", "next_milestone", "next_milestone_date",
)  # fmt: skip


def csv_text(overview: Overview) -> str:
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for row in overview.rows:
        for (oid, _), cell in zip(overview.organisations, row.cells, strict=True):
            writer.writerow(
                (
                    row.key, row.title, row.date.isoformat(), oid, cell.state,
                    cell.event_date.isoformat() if cell.event_date else "", cell.title,
                    "yes" if cell.moved else "no", "; ".join(cell.conflicts),
                    cell.next_milestone[0] if cell.next_milestone else "",
                    cell.next_milestone[1].isoformat() if cell.next_milestone else "",
                )
            )  # fmt: skip
    return buffer.getvalue()


def json_text(overview: Overview) -> str:
    import json

    document = {
        "year": overview.year,
        "organisations": [{"id": i, "name": n} for i, n in overview.organisations],
        "observances": [
            {
                "id": row.key,
                "title": row.title,
                "date": row.date.isoformat(),
                "organisations": {
                    oid: {
                        "state": cell.state,
                        "event_date": cell.event_date.isoformat() if cell.event_date else None,
                        "event": cell.title or None,
                        "moved": cell.moved,
                        "conflicts": list(cell.conflicts),
                        "next_milestone": (
                            {"name": cell.next_milestone[0],
                             "date": cell.next_milestone[1].isoformat()}
                            if cell.next_milestone
                            else None
                        ),
                    }
                    for (oid, _), cell in zip(overview.organisations, row.cells, strict=True)
                },
            }
            for row in overview.rows
        ],
        "problems": {oid: list(found) for oid, found in overview.problems},
    }  # fmt: skip
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False) + "\n"


def html(overview: Overview) -> str:
    """A page with the picture (organisations by observance, a cell per pair, coloured by
    state, the state also written in it) and the table per observance."""
    from markupsafe import escape

    head = "".join(f'<th scope="col">{escape(row.title)}<br><small>{escape(_day(row.date))}'
                   "</small></th>" for row in overview.rows)  # fmt: skip
    body = []
    for index, (oid, name) in enumerate(overview.organisations):
        cells = []
        for row in overview.rows:
            cell = row.cells[index]
            title = escape(
                _summary(cell) + ("; " + "; ".join(cell.conflicts) if cell.conflicts else "")
            )
            cells.append(
                f'<td class="{cell.state}" title="{title}">{escape(STATE_WORDS[cell.state])}</td>'
            )
        body.append(f'<tr><th scope="row">{escape(name)} <small>({escape(oid)})</small></th>'
                    + "".join(cells) + "</tr>")  # fmt: skip
    legend = "".join(f'<li><span class="{s}">{escape(STATE_WORDS[s])}</span></li>' for s in STATES)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>Overview {overview.year}</title>\n'
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}"
        "table{border-collapse:collapse}th,td{border:1px solid #999;padding:.3rem .5rem}"
        "td{text-align:center}.planned{background:#b7e1b5}.conflict{background:#f6d58e}"
        ".nothing{background:#f3b3b3}.broken{background:#ccc}"
        "ul.legend{list-style:none;padding:0;display:flex;gap:1rem}"
        "ul.legend span{padding:.1rem .4rem}</style></head>\n"
        f"<body><h1>Overview {overview.year}</h1>\n"
        f'<ul class="legend">{legend}</ul>\n'
        f"<table><caption>Organisations by observance</caption><thead><tr><th></th>{head}"
        f"</tr></thead>\n<tbody>{''.join(body)}</tbody></table>\n"
        "</body></html>\n"
    )


FORMATTERS = {"table": table, "md": markdown, "csv": csv_text, "json": json_text, "html": html}


def overview_output(config_path: str, year: int, fmt: str, today: date) -> bytes:
    return FORMATTERS[fmt](build_overview(config_path, year, today)).encode("utf-8")
