"""The yearly plan's year-at-a-glance picture: every day cell, mark, label and legend swatch of
the inline SVGs (one per month), with its coordinates, computed here so that
``templates/plan/year.html`` only loops.

The picture holds no link (an ``<svg role="img">`` must not contain focusable elements): the
remembrance days named under each month link to their entries, and every marked day is also
told in words in a list that opens by tap or keyboard, for phones and screen readers, where
the cells' hover tooltips do not reach.

Also the few labels the page (html.py) and the picture share.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from ..core import words
from ..core.i18n import nt, t
from .hostcal import holiday_names
from .plan import Entry, Plan, joined, period_name

# The picture: one small SVG per month, laid out by the page's style sheet (four to a row on a
# wide screen and on paper, fewer on a phone), in SVG user units.
CELL = 30  # one day
BLOCK = 7 * CELL  # a month's width
HEAD = 42  # a month's name and weekday letters
MAX_LABELS = 3  # remembrance days named under a month; further ones are counted instead
TOOLTIP_LINES = 6  # per kind of mark on one day


def legend(language: str) -> tuple[tuple[str, str, str], ...]:
    """(sample cell's fill, its mark, the text), in reading order, five to a row."""
    return (
        ("workday", "", t(language, "Working day")),
        ("weekend", "", t(language, "Weekend")),
        ("holiday", "", t(language, "Public holiday")),
        ("holiday-estimate", "", t(language, "Holiday, estimated date")),
        ("workday", "ramadan estimate", t(language, "Ramadan (estimate)")),
        ("observance", "", t(language, "Remembrance day")),
        ("observance", "conflict", t(language, "… with a conflict")),
        ("workday", "event", t(language, "Event planned or moved")),
        ("workday", "milestone", t(language, "Milestone")),
        ("workday", "eid", t(language, "Eid (estimate)")),
    )


_ORDINAL = re.compile(r"\b\d+(?:st|nd|rd|th) anniversary of (?:the )?")


def entry_id(entry: Entry) -> str:
    """The page anchor of an entry (ids are ``[a-z0-9-]``)."""
    item = entry.occurrence
    if item.event is not None:
        return f"entry-{item.calendar.id}-event-{item.event.id}"
    assert item.observance is not None
    return f"entry-{item.calendar.id}-{item.observance.id}-{item.date.year}"


def display_title(entry: Entry, language: str) -> str:
    """The title as shown: a sample event says that it is one."""
    event = entry.occurrence.event
    if event is not None and event.example:
        return t(language, "Example: %(title)s") % {"title": event.title}
    return entry.occurrence.title


def count_text(working_days: int, when: str, language: str) -> str:
    """'on the event date', '1 working day before the event date'."""
    if working_days == 0:
        return t(language, "on the event date")
    days = words.plural(working_days, "working day", language)
    if when == "before":
        return t(language, "%(days)s before the event date") % {"days": days}
    return t(language, "%(days)s after the event date") % {"days": days}


def holiday_name(name: str, language: str) -> dict[str, Any]:
    """A python-holidays name as shown: two holidays on one day joined by "and"; ``estimate``
    when every one of them is an estimated date, else the estimated one says so."""
    parts = holiday_names(name)
    estimate = all(guessed for _, guessed in parts)
    dated = t(language, "%(name)s (estimated date)")
    shown = [
        dated % {"name": part} if guessed and not estimate else part for part, guessed in parts
    ]
    return {"name": joined(shown, language), "estimate": estimate}


# --- The picture --------------------------------------------------------------------------


def picture(plan: Plan, ramadan: bool) -> dict[str, Any]:
    """The year at a glance: twelve month pictures (day cells with their marks, the remembrance
    days named under each and every marked day told in words, for a tap or a screen reader)
    and a legend of sample cells."""
    notes = day_notes(plan, ramadan)
    language = plan.language
    keys = []
    for fill, mark, text in legend(language):
        sample = day_cell(
            0, 0, None, {mark: [text]} if mark else {}, fill == "weekend", language, fill
        )
        sample["title"] = ""  # the text beside it says it
        sample["marks"] = [{**mark, "title": ""} for mark in sample["marks"]]
        keys.append({"cell": sample, "text": text})
    if ramadan:
        description = t(
            language,
            "Twelve months of %(year)s: weekends, public holidays in %(country)s, Ramadan and "
            "the Eids, the remembrance days, moved event dates and milestones.",
        )
    else:
        description = t(
            language,
            "Twelve months of %(year)s: weekends, public holidays in %(country)s, the "
            "remembrance days, moved event dates and milestones.",
        )
    return {
        "title": t(language, "%(year)s at a glance") % {"year": plan.year},
        "description": description % {"year": plan.year, "country": plan.country},
        "cell": CELL,
        "months": [month_block(plan, month, notes) for month in range(1, 13)],
        "legend": keys,
    }


def month_block(plan: Plan, month: int, notes: dict[date, dict[str, list[str]]]) -> dict[str, Any]:
    """One month: its picture (name, weekday letters, day cells, Monday first), the remembrance
    days to name under it, and each marked day in words."""
    language = plan.language
    offset = date(plan.year, month, 1).weekday()
    length = calendar.monthrange(plan.year, month)[1]
    cells = []
    days = []
    only_weekend = [t(language, "Weekend")]  # a day that says nothing more than that
    for number in range(1, length + 1):
        day = date(plan.year, month, number)
        week, column = divmod(offset + number - 1, 7)
        weekend = plan.host.is_weekend(day)
        cell = day_cell(
            column * CELL, HEAD + week * CELL, day, notes.get(day, {}), weekend, language
        )
        cells.append(cell)
        told = cell["title"].split("\n")[1:]
        if told and told != only_weekend:
            days.append({"iso": cell["iso"], "date_text": told_date(day, language), "lines": told})
    return {
        "id": f"month-{month}",
        "name": words.month(month, language),
        "title": words.format_date(date(plan.year, month, 1), words.MONTH_YEAR, language),
        "width": BLOCK,
        "height": HEAD + (offset + length + 6) // 7 * CELL,
        "x": 2,
        "y": 18,
        "weekdays": [
            {
                "text": words.weekday(date(2024, 1, 1 + i), language, "narrow"),  # a Monday
                "x": i * CELL + CELL // 2,
                "y": HEAD - 8,
                "weekend": i in plan.host.weekend,
            }
            for i in range(7)
        ],
        "cells": cells,
        "labels": month_labels(plan, month),
        "days": days,
    }


def told_date(day: date, language: str) -> str:
    """'Tue 20': a day of a month, as its list of marked days names it."""
    return words.format_date(day, words.WEEKDAY_DAY, language)


def short_label(entry: Entry, language: str) -> str:
    """'January 20 Tragedy (37th)': the title without its 'Nth anniversary of the'."""
    title = entry.occurrence.title
    shorter = _ORDINAL.sub("", title, count=1)
    if shorter == title or not shorter:
        return title
    shorter = shorter[0].upper() + shorter[1:]
    number = entry.occurrence.number
    return f"{shorter} ({words.ordinal(number, language)})" if number > 0 else shorter


def month_labels(plan: Plan, month: int) -> list[dict[str, Any]]:
    """The remembrance days named under a month: date and short label, linked to the entry;
    past MAX_LABELS, one '+ N more' line instead of the rest."""
    days = [e for e in plan.entries if e.kind == "observance" and e.date.month == month]
    shown = days if len(days) <= MAX_LABELS else days[: MAX_LABELS - 1]
    labels: list[dict[str, Any]] = [
        {
            "text": f"{e.date.day} · {short_label(e, plan.language)}",
            "link": entry_id(e),
            "more": False,
        }
        for e in shown
    ]
    if len(shown) < len(days):
        more = len(days) - len(shown)
        text = nt(plan.language, "+ %(n)s more (see the list)", "+ %(n)s more (see the list)", more)
        labels.append({"text": text % {"n": more}, "link": "", "more": True})
    return labels


def day_notes(plan: Plan, ramadan: bool) -> dict[date, dict[str, list[str]]]:
    """What the picture marks on each day of the year, by mark, with the tooltip lines."""
    notes: dict[date, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    first, last = date(plan.year, 1, 1), date(plan.year, 12, 31)
    language = plan.language
    for day, name in plan.holidays:
        shown = holiday_name(name, language)
        key = "holiday-estimate" if shown["estimate"] else "holiday"
        if shown["estimate"]:
            text = t(language, "Public holiday in %(country)s: %(name)s (an estimated date)")
        else:
            text = t(language, "Public holiday in %(country)s: %(name)s")
        notes[day][key].append(text % {"country": plan.country, "name": shown["name"]})
    for day, name in plan.closures:
        notes[day]["holiday"].append(t(language, "Own closure: %(name)s") % {"name": name})
    if ramadan:
        for period in plan.ramadan:
            kind = "ramadan estimate" if period.estimate else "ramadan"
            if period.estimate:
                said = t(language, "%(name)s: %(first)s to %(last)s (an estimate)")
            else:
                said = t(language, "%(name)s: %(first)s to %(last)s")
            text = said % {
                "name": period_name(period.name, language),
                "first": words.long_date(period.first, language),
                "last": words.long_date(period.last, language),
            }
            day = max(period.first, first)
            while day <= min(period.last, last):
                notes[day][kind].append(text)
                day += timedelta(days=1)
        # An Eid that is a public holiday is marked as one, on the host's date, above.
        for period in (p for p in plan.eids if not p.public_holiday):
            name = period_name(period.name, language)
            if period.estimate:
                name = t(language, "%(name)s (an estimate by the Umm al-Qura tables)") % {
                    "name": name
                }
            notes[period.first]["eid"].append(name)
    for entry in plan.entries:
        if entry.kind == "observance":
            notes[entry.date]["observance"].append(entry.occurrence.title)
            for conflict in entry.conflicts:
                notes[entry.date]["conflict"].append(
                    t(language, "Conflict: %(reason)s") % {"reason": conflict.reason}
                )
            if entry.moved:
                notes[entry.event_date]["event"].append(
                    t(language, "Suggested event date for the %(title)s: %(why)s")
                    % {"title": entry.occurrence.title, "why": entry.suggestion}
                )
        else:
            notes[entry.date]["event"].append(
                t(language, "Planned event: %(title)s") % {"title": display_title(entry, language)}
            )
        for milestone in entry.milestones:
            notes[milestone.date]["milestone"].append(
                t(language, "%(name)s (%(counted)s): %(title)s")
                % {
                    "name": milestone.name,
                    "counted": count_text(milestone.working_days, milestone.when, language),
                    "title": entry.occurrence.title,
                }
            )
    return notes


# What a day's cell marks, in this order (its tooltip's lines too).
NOTED = ("holiday", "holiday-estimate", "observance", "ramadan", "ramadan estimate", "eid",
         "conflict", "event", "milestone")  # fmt: skip


def day_cell(
    x: int,
    y: int,
    day: date | None,
    notes: dict[str, list[str]],
    weekend: bool,
    language: str,
    fill: str = "",
) -> dict[str, Any]:
    """One day of the picture: its square, number, tooltip and marks (``day`` None: a legend
    sample, whose ``fill`` is given)."""
    if not fill:
        fill = "workday"
        if notes.get("observance"):
            fill = "observance"
        elif notes.get("holiday"):
            fill = "holiday"
        elif notes.get("holiday-estimate"):
            fill = "holiday-estimate"
        elif weekend:
            fill = "weekend"
    lines = [] if day is None else [words.long_date(day, language)]
    if weekend and day is not None:
        lines.append(t(language, "Weekend"))
    marks = []
    for kind in NOTED if notes else ():  # (most days are noted for nothing)
        texts = notes.get(kind, [])
        if len(texts) > TOOLTIP_LINES:  # a crowded day: the list below the picture has them all
            more = len(texts) - TOOLTIP_LINES + 1
            texts = [
                *texts[: TOOLTIP_LINES - 1],
                nt(language, "... and %(n)s more", "... and %(n)s more", more) % {"n": more},
            ]
        lines += texts
        path = MARKS.get(kind.split()[0])
        if texts and path is not None:
            inner = _exclamation(x, y) if kind == "conflict" else ""
            marks.append({"kind": kind, "d": path(x, y), "inner": inner, "title": "\n".join(texts)})
    return {
        "x": x + 1,
        "y": y + 1,
        "size": CELL - 2,
        "iso": "" if day is None else day.isoformat(),
        "number": "" if day is None else day.day,
        "number_x": x + CELL // 2,
        "number_y": y + CELL // 2 + 4,
        "fill": fill,
        "title": "\n".join(lines),
        "marks": marks,
    }


def _band(x: int, y: int) -> str:
    """Ramadan: a band along the foot of each day, so the month reads as one stripe."""
    return f"M{x} {y + CELL - 8}h{CELL}v6h{-CELL}z"


def _crescent(x: int, y: int) -> str:
    """An Eid: a crescent in the top left corner."""
    cx, top, bottom, r, inner = x + 8, y + 3, y + 14, 5.5, 7.15
    return f"M{cx} {top}A{r} {r} 0 0 0 {cx} {bottom}A{inner} {inner} 0 0 1 {cx} {top}z"


def _badge(x: int, y: int) -> str:
    """A conflict on a remembrance day: a disc on the cell's top right corner, like a badge."""
    cx, cy, r = x + CELL - 3, y + 4, 6
    return f"M{cx - r} {cy}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0z"


def _exclamation(x: int, y: int) -> str:
    """The exclamation mark on the conflict badge."""
    cx, cy = x + CELL - 3, y + 4
    return f"M{cx - 1} {cy - 4}h2v4.4h-2zM{cx - 1} {cy + 1.8:g}h2v2h-2z"


def _ring(x: int, y: int) -> str:
    """The organisation's event: a planned event's day, or the event date moved off the
    remembrance day; a ring round the number, as one circles a date on a wall calendar."""
    cx, cy, r = x + CELL // 2, y + CELL // 2, 10
    return f"M{cx - r} {cy}a{r} {r} 0 1 0 {2 * r} 0a{r} {r} 0 1 0 {-2 * r} 0z"


def _triangle(x: int, y: int) -> str:
    """A milestone: a small triangle in the bottom right corner."""
    return f"M{x + CELL - 13} {y + CELL - 3}l5-9 5 9z"


MARKS = {"ramadan": _band, "eid": _crescent, "conflict": _badge, "event": _ring,
         "milestone": _triangle}  # fmt: skip
