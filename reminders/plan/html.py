"""The yearly plan as one HTML page, printable on A4, rendered from ``templates/plan/``.

The page is self-contained: ``plan/index.html`` includes its style sheet (``plan/style.css``) and
the year at a glance (``plan/year.html``, an inline SVG per month) and has no script, so it can be
printed, mailed or served as it is under a strict Content-Security-Policy (it has no ``style``
attributes either; SVG presentation attributes are not style).  Everything the templates show is
computed here: the picture's geometry (every cell, mark, label and legend swatch with its
coordinates and path) in :func:`picture`, the rest in :func:`plan_context`.  The templates only
loop and test; templates/README.md lists what they see.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

import jinja2

from ..config.templates import layered_environment
from ..core import words
from ..core.dates import zone
from ..core.i18n import t
from ..core.occurrences import title_for
from ..core.settings import Settings
from .hostcal import Period, eid_source
from .picture import count_text, display_title, entry_id, holiday_name, picture, short_label
from .plan import Entry, Plan, holiday_note, period_name
from .text import weekend_text

INDEX = "plan/index.html"


def conflict_label(kind: str, language: str) -> str:
    """A kind of conflict as the page names it: 'Weekend', 'Public holiday'."""
    labels = {
        "weekend": t(language, "Weekend"),
        "holiday": t(language, "Public holiday"),
        "closure": t(language, "Own closure"),
        "ramadan": t(language, "Ramadan"),
        "eid": t(language, "Eid"),
        "observance": t(language, "Another remembrance day"),
    }
    return labels.get(kind, kind.capitalize())


# --- Rendering ----------------------------------------------------------------------------


def plan_environment(templates_dir: str) -> jinja2.Environment:
    """The environment the plan renders with (render.layered_environment)."""
    return layered_environment(templates_dir)


def render_html(plan: Plan, settings: Settings) -> bytes:
    """The plan as a UTF-8 HTML page; the same plan and templates give the same bytes."""
    template = plan_environment(settings.templates_dir).get_template(INDEX)
    return rendered_bytes(template, plan_context(plan, settings))


# Template output pieces joined and encoded at a time: a few hundred kB of text.
PIECES = 8192


def rendered_bytes(template: jinja2.Template, context: dict[str, Any]) -> bytes:
    """``template.render(context).encode("utf-8")``, without holding every piece at once.

    ``render`` joins the template's output pieces in one go, so all of them live together: a
    plan of 10,000 observances is millions of short strings (200 MB at the peak of a feed
    server's build, bench/RESULTS.md section 23).  Here they are joined and encoded
    :data:`PIECES` at a time, and only the encoded parts are kept until the end."""
    out = []
    pieces = template.generate(context)
    while batch := list(islice(pieces, PIECES)):
        out.append("".join(batch).encode("utf-8"))
    return b"".join(out)


# --- The page -----------------------------------------------------------------------------


def plan_context(plan: Plan, settings: Settings) -> dict[str, Any]:
    """Every variable ``plan/index.html`` sees (templates/README.md lists them)."""
    ramadan = settings.plan.ramadan
    milestones = plan.milestones
    outside: dict[int, int] = defaultdict(int)
    for milestone, _ in milestones:
        if milestone.date.year != plan.year:
            outside[milestone.date.year] += 1
    language = plan.language
    configured = settings.organisation.language
    return {
        "organisation": {
            "name": plan.organisation,
            "timezone": plan.timezone,
            "place": words.place(plan.timezone, language),
            # The lang of the HTML: the plan's language, or the organisation's as written when
            # the plan is in it (a regional English, "en-GB", stays so).
            "language": configured if words.output_language(configured) == language else language,
            "direction": words.direction(language),
        },
        "year": plan.year,
        "country": plan.country,
        "weekend_text": weekend_text(plan),
        "holiday_note": holiday_note(plan),
        "counts": {
            "observances": sum(1 for e in plan.entries if e.kind == "observance"),
            "events": sum(1 for e in plan.entries if e.kind == "event"),
            "milestones": len(milestones),
            "conflicts": sum(1 for e in plan.entries if e.conflicts),
            "moved": sum(1 for e in plan.entries if e.moved),
        },
        "entries": [entry_context(e, plan.timezone, language) for e in plan.entries],
        "several_calendars": len({e.occurrence.calendar.id for e in plan.entries}) > 1,
        "timeline": timeline(plan),
        "outside": [{"year": y, "count": n} for y, n in sorted(outside.items())],
        "holidays": [
            {
                "date_iso": d.isoformat(),
                "date_text": words.long_date(d, language),
                **holiday_name(name, language),
            }
            for d, name in plan.holidays
        ],
        "ramadan": [period_context(p, language) for p in plan.ramadan] if ramadan else [],
        "closures": [
            {"date_iso": d.isoformat(), "date_text": words.long_date(d, language), "name": name}
            for d, name in plan.closures
        ],
        "eids": [
            {**period_context(p, language), "source_text": eid_source(p, plan.country, language)}
            for p in plan.eids
        ]
        if ramadan
        else [],
        "picture": picture(plan, ramadan),
    }


def entry_context(entry: Entry, home: str, language: str) -> dict[str, Any]:
    """What the page shows of one observance or planned event."""
    item = entry.occurrence
    ahead = entry.next_jubilee
    return {
        "id": entry_id(entry),
        "kind": entry.kind,
        "title": display_title(entry, language),
        "calendar": item.calendar.name,
        "date_iso": entry.date.isoformat(),
        "date_text": words.long_date(entry.date, language),
        "ordinal": words.ordinal(item.number, language) if item.number > 0 else "",
        "jubilee": entry.jubilee,
        "next_jubilee": None
        if ahead is None
        else {
            "ordinal": words.ordinal(ahead[0], language),
            "year": ahead[1],
            "years": ahead[1] - entry.date.year,
        },
        "moments": [
            {
                "name": m.name,
                "origin": clock_text(m.origin, entry.date, language),
                "local": ""
                if str(m.origin.tzinfo) == home
                else clock_text(m.local, entry.date, language),
                "duration_text": words.duration_text(timedelta(minutes=m.minutes), language),
            }
            for m in entry.moments
        ],
        "conflicts": [
            {
                "kind": c.kind,
                "label": conflict_label(c.kind, language),
                "reason": c.reason,
                "estimate": c.estimate,
            }
            for c in entry.conflicts
        ],
        "event_date_iso": entry.event_date.isoformat(),
        "event_date_text": words.long_date(entry.event_date, language),
        "moved": entry.moved,
        "suggestion": entry.suggestion,
        "milestones": [
            {
                "name": m.name,
                "date_iso": m.date.isoformat(),
                "date_text": words.long_date(m.date, language),
                "count_text": count_text(m.working_days, m.when, language),
            }
            for m in entry.milestones
        ],
        "event": event_context(entry, home, language),
    }


def event_context(entry: Entry, home: str, language: str) -> dict[str, Any] | None:
    """A planned event's venue, time and the day it belongs to; None for an observance."""
    item = entry.occurrence
    event = item.event
    if event is None:
        return None
    time_text = t(language, "All day")
    if event.start is not None and event.end is not None:
        time_text = t(language, "%(start)s-%(end)s %(place)s time (%(zone)s)") % {
            "start": words.clock(event.start, language),
            "end": words.clock(event.end, language),
            "place": words.place(event.timezone, language),
            "zone": event.timezone,
        }
        if event.timezone != home:
            time_text += f"; {clock_text(event.start.astimezone(zone(home)), item.date, language)}"
    belongs = ""
    if item.observance is not None and item.number > 0:
        belongs = title_for(item.observance, item.date.year, item.calendar)
    return {
        "example": event.example,
        "venue": event.venue,
        "time_text": time_text,
        "observance": belongs,
    }


def clock_text(moment: datetime, day: date, language: str) -> str:
    """'13:00 Karachi time (Asia/Karachi)', with the date when it is not ``day`` there."""
    name = str(moment.tzinfo)
    values = {
        "time": words.clock(moment, language),
        "place": words.place(name, language),
        "zone": name,
        "date": words.long_date(moment.date(), language),
    }
    if moment.date() == day:
        return t(language, "%(time)s %(place)s time (%(zone)s)") % values
    return t(language, "%(time)s %(place)s time (%(zone)s), %(date)s") % values


def short_date(day: date, language: str) -> str:
    """'Wed 20 Jan 2027'."""
    return words.format_date(day, words.SHORT, language)


def period_context(period: Period, language: str) -> dict[str, Any]:
    return {
        "name": period_name(period.name, language),
        "first_text": words.long_date(period.first, language),
        "last_text": words.long_date(period.last, language),
        "one_day": period.first == period.last,
        "estimate": period.estimate,
    }


def timeline(plan: Plan) -> list[dict[str, Any]]:
    """Every milestone by date, grouped by month (some fall in the year before or after)."""
    groups: list[dict[str, Any]] = []
    language = plan.language
    for milestone, entry in plan.milestones:
        day = milestone.date
        name = words.format_date(day, words.MONTH_YEAR, language)
        if not groups or groups[-1]["name"] != name:
            groups.append({"name": name, "outside": day.year != plan.year, "milestones": []})
        groups[-1]["milestones"].append(
            {
                "date_iso": day.isoformat(),
                "date_text": words.long_date(day, language),
                "day": day.day,
                "weekday": words.weekday(day, language, "abbreviated"),
                "name": milestone.name,
                "for": short_label(entry, language),
                "for_title": display_title(entry, language),
                "entry_id": entry_id(entry),
                "count_text": count_text(milestone.working_days, milestone.when, language),
                "event_date_text": short_date(entry.event_date, language),
            }
        )
    return groups
