"""The yearly plan as text: a terminal table, Markdown and CSV (``reminders plan``).

Each formatter takes a :class:`~reminders.plan.plan.Plan` and returns the whole document; nothing
here reads the clock or a file, so one plan always gives the same bytes.  The CSV columns and the
JSON shape are an interface for other programs: docs/plan.md documents both, and they change only
with it.  The JSON writer is in json.py, the HTML page and the ICS file in html.py and ics.py, and
the choice of format in output.py.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from ..core import words
from ..core.i18n import nt, t
from ..core.translate import text_language
from .hostcal import eid_note, holiday_names
from .plan import Conflict, Entry, Milestone, Plan, holiday_note, holidays, joined, period_name

WIDTH = 100  # the table fits a terminal of 100 columns
INDENT = " " * 17  # under "Wed 20 Jan 2027  "


def label(kind: str, language: str) -> str:
    """A kind of conflict as the Markdown summary names it: 'weekend', 'public holiday'."""
    found = {
        "weekend": t(language, "weekend"),
        "holiday": t(language, "public holiday"),
        "closure": t(language, "own closure"),
        "ramadan": t(language, "Ramadan"),
        "eid": t(language, "Eid"),
        "observance": t(language, "another observance"),
    }
    return found[kind]


# The CSV's and the JSON's fields are an interface for programs (docs/plan.md): their names, their
# tokens (kinds, "true", "before") and their weekday and ordinal stay English whatever the plan's
# language; their prose (titles, moments, conflicts, reasons) is in it.
INTERFACE = words.ENGLISH
CSV_COLUMNS = (
    "row", "id", "calendar", "observance", "date", "weekday", "title", "number", "ordinal",
    "jubilee", "next_jubilee", "next_jubilee_year", "moments", "venue", "conflict_kinds",
    "conflicts", "event_date", "event_weekday", "moved", "suggestion", "milestone_id",
    "milestone", "working_days", "when",
)  # fmt: skip


def day(when: date, language: str) -> str:
    """'Wed 20 Jan 2027', as every terminal command writes a date."""
    return words.format_date(when, words.TABLE, language)


def title(entry: Entry, language: str) -> str:
    """The title as people read it: a sample event says so; an observance whose title pattern
    leaves out the anniversary gets it added."""
    item = entry.occurrence
    if item.event is not None:
        if item.event.example:
            return t(language, "Example: %(title)s") % {"title": item.title}
        return item.title
    if item.number <= 0 or item.observance is None:
        return item.title
    # The title's own language writes its ordinal (an untranslated title: the calendar's; a
    # calendar not put into another language has no translated text to look up).
    calendar = item.calendar
    written = (
        text_language(calendar, item.observance, "title") if calendar.shown else calendar.language
    )
    if words.ordinal(item.number, written) in item.title:
        return item.title
    return t(language, "%(title)s (%(ordinal)s anniversary)") % {
        "title": item.title,
        "ordinal": words.ordinal(item.number, language),
    }


def when(milestone: Milestone, language: str) -> str:
    """'30 working days before', '1 working day after', 'on the event day'."""
    if milestone.working_days == 0:
        return t(language, "on the event day")
    days = words.plural(milestone.working_days, "working day", language)
    if milestone.when == "before":
        return t(language, "%(days)s before") % {"days": days}
    return t(language, "%(days)s after") % {"days": days}


def conflict(found: Conflict, language: str) -> str:
    if found.estimate:
        return t(language, "conflict (estimate): %(reason)s") % {"reason": found.reason}
    return t(language, "conflict: %(reason)s") % {"reason": found.reason}


def conflict_kinds(entry: Entry, language: str) -> str:
    """'Ramadan (estimate), weekend', or 'none'."""
    estimated = t(language, "%(kind)s (estimate)")
    kinds = [
        estimated % {"kind": label(c.kind, language)} if c.estimate else label(c.kind, language)
        for c in entry.conflicts
    ]
    return ", ".join(dict.fromkeys(kinds)) or t(language, "none")


def jubilee(entry: Entry, language: str) -> str:
    """'jubilee', 'next jubilee: 40th in 2030' or ''."""
    if entry.jubilee:
        return t(language, "jubilee")
    if entry.next_jubilee is not None:
        number, year = entry.next_jubilee
        return t(language, "next jubilee: %(ordinal)s in %(year)s") % {
            "ordinal": words.ordinal(number, language),
            "year": year,
        }
    return ""


def timing(entry: Entry, home: str, language: str) -> list[str]:
    """The timed moments, and an event's own time, in the origin's zone and the organisation's."""
    lines = [
        f"{m.name} ({words.minutes(timedelta(minutes=m.minutes), language)}): "
        f"{words.both_zones(m.origin, m.origin + timedelta(minutes=m.minutes), home, language)}"
        for m in entry.moments
    ]
    event = entry.occurrence.event
    if event is not None and event.start is not None and event.end is not None:
        lines.append(words.both_zones(event.start, event.end, home, language))
    return lines


def about(entry: Entry, language: str) -> list[str]:
    """An event's venue and the anniversary it is held for, as ``reminders upcoming`` shows."""
    item = entry.occurrence
    lines = []
    if item.event is not None and item.event.venue:
        lines.append(t(language, "at %(venue)s") % {"venue": item.event.venue})
    if item.event is not None and item.observance is not None and item.number > 0:
        lines.append(
            t(language, "for the %(ordinal)s anniversary (%(id)s)")
            % {"ordinal": words.ordinal(item.number, language), "id": item.observance.id}
        )
    return lines


def suggestion(entry: Entry, language: str) -> str:
    if entry.moved:
        text = t(language, "suggested event date: %(date)s (moved): %(why)s")
    else:
        text = t(language, "suggested event date: %(date)s: %(why)s")
    return text % {"date": day(entry.event_date, language), "why": entry.suggestion}


def weekend_text(plan: Plan) -> str:
    """The host country's weekend days, named in the plan's language: 'Saturday and Sunday'."""
    from ..core.model import WEEKDAYS

    names = [
        words.weekday(date(2024, 1, 1 + WEEKDAYS.index(name)), plan.language)  # 2024-01-01: Monday
        for name in plan.weekend
    ]
    return joined(names, plan.language) if names else t(plan.language, "none")


def header(plan: Plan) -> list[str]:
    """The year's facts about the host country, as sentences."""
    language = plan.language
    estimated = sum(all(e for _, e in holiday_names(name)) for _, name in plan.holidays)
    values = {
        "country": plan.country,
        "weekend": weekend_text(plan),
        "days": words.plural(len(plan.holidays), "day", language),
        "n": words.number(estimated, language),
        "closed": words.plural(len(plan.closures), "day", language),
    }
    first = t(
        language, "Host country: %(country)s; weekend: %(weekend)s; public holidays: %(days)s"
    )
    if estimated:
        first += nt(language, ", %(n)s of them an estimate", ", %(n)s of them estimates", estimated)
    if plan.closures:
        first += t(language, "; own closures: %(closed)s")
    lines = [first % values]
    lines += [
        t(language, "%(name)s: %(first)s to %(last)s (an estimate, by the Umm al-Qura tables)")
        % {
            "name": period_name(p.name, language),
            "first": day(p.first, language),
            "last": day(p.last, language),
        }
        for p in plan.ramadan
    ]
    lines += [
        t(language, "%(name)s: %(date)s (%(note)s)")
        % {
            "name": period_name(p.name, language),
            "date": day(p.first, language),
            "note": eid_note(p, plan.country, language),
        }
        for p in plan.eids
    ]
    lines.append(
        t(
            language,
            "Times in the origin's zone and in %(zone)s; milestones in working days of %(country)s",
        )
        % {"zone": plan.timezone, "country": plan.country}
    )
    note = holiday_note(plan)
    if note:
        lines.append(note)
    return lines


# The no-break spaces CLDR puts inside a date or a number ("2027\u202fг.", "10\xa0000"): textwrap
# keeps them inside their words, as wrap() does, unless a word is made of them alone.
_GLUED = str.maketrans("\xa0\u202f", "xx")
_GLUE_ALONE = re.compile("(?:^| )[\xa0\u202f]+(?: |$)")


def _plain(text: str) -> bool:
    """Words between single spaces and nothing else: what :func:`wrap` fills by itself."""
    if text[:1] == " " or text[-1:] == " " or "  " in text:
        return False
    if text.isprintable():
        return True
    return text.translate(_GLUED).isprintable() and _GLUE_ALONE.search(text) is None


def wrap(text: str, first: str = "", rest: str = INDENT) -> list[str]:
    """``text`` in lines of at most WIDTH columns, the first starting with ``first``, the others
    with ``rest``: the lines of ``textwrap.wrap`` (hyphens stay inside words, "44-day"; only a
    word longer than a line is broken).

    Plain text is filled greedily, each line the longest run of whole words that fits, which is
    what textwrap does with it, at a fraction of the cost (a plan of 10,000 observances has
    190,000 lines).  Plain: words between single spaces, no word longer than a line, and no
    other white space (textwrap splits at tabs and line breaks, and drops a "word" of other white
    space, such as a no-break space, at the end of a line; ``isprintable`` is false for all of
    them).  Anything else goes to textwrap.
    """
    if text and _plain(text):
        if len(first) + len(text) <= WIDTH:
            return [first + text]
        if max(map(len, text.split(" "))) <= WIDTH - max(len(first), len(rest)):
            # Each line is the longest run of whole words that fits: up to the last space
            # within its width (every word fits a line, so there is one).
            lines = []
            indent, start = first, 0
            while len(text) - start > WIDTH - len(indent):
                cut = text.rfind(" ", start, start + WIDTH - len(indent) + 1)
                lines.append(indent + text[start:cut])
                indent, start = rest, cut + 1
            lines.append(indent + text[start:])
            return lines
    import textwrap

    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


def table(plan: Plan) -> str:
    """The plan for a terminal of 100 columns, in the style of ``reminders upcoming``."""
    return "\n".join(table_lines(plan))


def table_lines(plan: Plan) -> list[str]:
    """The lines of :func:`table` (some hold several, joined by line breaks), to be joined with
    line breaks; the last is "", for the line break at the end."""
    language = plan.language
    lines = [
        t(language, "%(organisation)s: event plan for %(year)s")
        % {"organisation": plan.organisation, "year": plan.year}
    ]
    for line in header(plan):
        lines += wrap(line, rest="  ")
    if not plan.entries:
        lines += ["", t(language, "No observances or events in %(year)s.") % {"year": plan.year}]
    shared = _Shared(language)
    tail, append = shared.tail, lines.append
    jubilee_heading = t(language, "%(title)s (jubilee)")
    for entry in plan.entries:
        item = entry.occurrence
        heading = title(entry, language)
        if entry.jubilee:
            heading = jubilee_heading % {"title": heading}
        on = day(item.date, language)
        if len(on) + 2 + len(heading) <= WIDTH and _plain(heading):
            append(f"\n{on}  {heading}")  # after an empty line; wrap() would keep it whole
        else:
            append("")
            lines += wrap(heading, f"{on}  ")
        if entry.next_jubilee is not None:
            append(shared.jubilee(entry))
        if entry.moments or item.event is not None:
            for text in timing(entry, plan.timezone, language) + about(entry, language):
                lines += wrap(text, INDENT, INDENT + "  ")
        append(tail(entry))
    runs = plan.milestone_runs()
    total = sum(count for _, _, count in runs)
    lines += [
        "",
        t(language, "Milestones by date (%(n)s)") % {"n": total}
        if total
        else t(language, "No milestones."),
    ]
    done: dict[tuple[Milestone, date], str] = {}
    entries = plan.entries
    for m, first, count in runs:
        event_date = entries[first].event_date  # the same for every entry of the run
        written = done.get((m, event_date))
        if written is None:
            written = "\n".join(
                wrap(
                    t(language, "%(name)s (%(when)s %(date)s)")
                    % {
                        "name": m.name,
                        "when": when(m, language),
                        "date": day(event_date, language),
                    },
                    f"{day(m.date, language)}  ",
                )
            )
            done[(m, event_date)] = written
        lines += [written] * count
    lines.append("")  # the line break at the end, without copying the text once more
    return lines


class _Shared:
    """The parts of the table that entries share, each wrapped once and kept as one string of
    lines: a calendar of thousands of observances has a few thousand of them (the conflicts,
    suggestion and milestones of a day; the other observances near it), not one per entry."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.details: dict[str, str] = {}
        self.jubilees: dict[tuple[int, int], str] = {}
        self.conflicts: dict[Conflict, str] = {}
        self.milestones: dict[tuple[Milestone, ...], str] = {}
        self.tails: dict[tuple[object, ...], str] = {}  # by the ids of shared tuples

    def jubilee(self, entry: Entry) -> str:
        """'next jubilee: 40th in 2030' (wrapped)."""
        assert entry.next_jubilee is not None
        found = self.jubilees.get(entry.next_jubilee)
        if found is None:
            found = self.jubilees[entry.next_jubilee] = self.detail(jubilee(entry, self.language))
        return found

    def detail(self, text: str) -> str:
        """A line of details under the entry's title (wrapped)."""
        found = self.details.get(text)
        if found is None:
            found = self.details[text] = "\n".join(wrap(text, INDENT, INDENT + "  "))
        return found

    def tail(self, entry: Entry) -> str:
        """The entry's conflicts, suggested event date and milestones."""
        observance = entry.occurrence.event is None
        # The conflicts and milestones by identity: build_plan shares the tuples among the
        # entries that have them (hashing them again for each entry would cost more than the
        # rest of the table's line), and the plan keeps them alive while the table is written.
        key = (
            id(entry.conflicts),
            observance,
            entry.event_date,
            entry.occurrence.date,
            entry.suggestion,
            id(entry.milestones),
        )
        found = self.tails.get(key)
        if found is not None:
            return found
        parts = []
        for one in entry.conflicts:
            text = self.conflicts.get(one)
            if text is None:
                text = self.conflicts[one] = self.detail(conflict(one, self.language))
            parts.append(text)
        if not entry.conflicts:
            parts.append(INDENT + t(self.language, "no conflicts"))
        if observance:
            parts.append(self.detail(suggestion(entry, self.language)))
        if entry.milestones:
            text = self.milestones.get(entry.milestones)
            if text is None:
                lines = [INDENT + t(self.language, "milestones:")]
                for m in entry.milestones:
                    lines += wrap(
                        t(self.language, "%(name)s (%(when)s)")
                        % {"name": m.name, "when": when(m, self.language)},
                        f"{INDENT}  {day(m.date, self.language)}  ",
                        INDENT + " " * 19,
                    )
                text = self.milestones[entry.milestones] = "\n".join(lines)
            parts.append(text)
        found = self.tails[key] = "\n".join(parts)
        return found


def esc(text: str) -> str:
    """Text safe in Markdown prose and table cells: GitHub shows it as written."""
    for char in "\\`*_[]<>|#":
        text = text.replace(char, f"\\{char}")
    return text


def markdown(plan: Plan) -> str:
    """The plan as GitHub-flavoured Markdown: the facts, a summary table, a section per entry,
    the milestones by date and the public holidays."""
    language = plan.language

    def row(*cells: str) -> str:
        return "| " + " | ".join(cells) + " |"

    def rule(count: int) -> str:
        return "| " + " | ".join(["---"] * count) + " |"

    moved_mark = t(language, " (moved)")
    out = [
        t(language, "# Event plan %(year)s: %(organisation)s")
        % {"year": plan.year, "organisation": esc(plan.organisation)},
        "",
    ]
    out += [f"- {esc(line)}" for line in header(plan)]
    out += ["", t(language, "## The year at a glance"), ""]
    if plan.entries:
        out.append(
            row(
                t(language, "Date"),
                t(language, "Observance or event"),
                t(language, "Jubilee"),
                t(language, "Conflicts"),
                t(language, "Event date"),
            )
        )
        out.append(rule(5))
    else:
        out.append(t(language, "No observances or events in %(year)s.") % {"year": plan.year})
    for entry in plan.entries:
        event_date = day(entry.event_date, language) + (moved_mark if entry.moved else "")
        out.append(
            f"| {day(entry.date, language)} | {esc(title(entry, language))} | "
            f"{esc(jubilee(entry, language)) or ' '} | "
            f"{esc(conflict_kinds(entry, language))} | {event_date} |"
        )
    for entry in plan.entries:
        out += ["", f"## {day(entry.date, language)}: {esc(title(entry, language))}", ""]
        if entry.jubilee:
            nth = words.ordinal(entry.occurrence.number, language)
            out.append(
                "- " + t(language, "**Jubilee:** the %(ordinal)s anniversary") % {"ordinal": nth}
            )
        if entry.next_jubilee is not None:
            number, year = entry.next_jubilee
            out.append(
                "- "
                + t(language, "Next jubilee: the %(ordinal)s anniversary, in %(year)s")
                % {"ordinal": words.ordinal(number, language), "year": year}
            )
        details = timing(entry, plan.timezone, language) + about(entry, language)
        out += [f"- {esc(line[:1].upper() + line[1:])}" for line in details]
        for found in entry.conflicts:
            if found.estimate:
                text = t(language, "**Conflict (estimate):** %(reason)s")
            else:
                text = t(language, "**Conflict:** %(reason)s")
            out.append("- " + text % {"reason": esc(found.reason)})
        out += [] if entry.conflicts else ["- " + t(language, "No conflicts")]
        if entry.kind == "observance":
            moved = moved_mark if entry.moved else ""
            out.append(
                "- "
                + t(language, "**Suggested event date:** %(date)s: %(why)s")
                % {"date": day(entry.event_date, language) + moved, "why": esc(entry.suggestion)}
            )
        if entry.milestones:
            out += [
                "",
                row(t(language, "Milestone"), t(language, "Date"), t(language, "Working days")),
                rule(3),
            ]
            out += [
                f"| {esc(m.name)} | {day(m.date, language)} | {when(m, language)} |"
                for m in entry.milestones
            ]
    out += ["", t(language, "## Milestones by date"), ""]
    if plan.milestones:
        out += [
            row(
                t(language, "Date"),
                t(language, "Milestone"),
                t(language, "Working days"),
                t(language, "Event date"),
                t(language, "For"),
            ),
            rule(5),
        ]
    else:
        out.append(t(language, "No milestones."))
    for m, entry in plan.milestones:
        out.append(
            f"| {day(m.date, language)} | {esc(m.name)} | {when(m, language)} | "
            f"{day(entry.event_date, language)} | {esc(title(entry, language))} |"
        )
    out += [
        "",
        t(language, "## Public holidays in %(country)s, %(year)s")
        % {"country": esc(plan.country), "year": plan.year},
        "",
    ]
    listed = list(holidays(plan))
    if listed:
        out += [row(t(language, "Date"), t(language, "Holiday"), t(language, "Estimate")), rule(3)]
    else:
        out.append(t(language, "None."))
    estimate = t(language, "estimate")
    for holiday, name, guessed in listed:
        out.append(f"| {day(holiday, language)} | {esc(name)} | {estimate if guessed else ' '} |")
    if plan.closures:
        out += [
            "",
            t(language, "## Own closures, %(year)s") % {"year": plan.year},
            "",
            row(t(language, "Date"), t(language, "Closed for")),
            rule(2),
        ]
        out += [f"| {day(closed, language)} | {esc(name)} |" for closed, name in plan.closures]
    return "\n".join(out) + "\n"


def csv_text(plan: Plan) -> str:
    """One row per entry, each followed by a row per milestone (columns: CSV_COLUMNS)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, restval="")  # RFC 4180: CRLF, quotes doubled
    writer.writeheader()
    language = plan.language
    estimated = t(language, " (estimate)")
    for entry in plan.entries:
        item = entry.occurrence
        base = {
            "id": item.id,
            "calendar": item.calendar.id,
            "observance": item.observance.id if item.observance is not None else "",
            "title": title(entry, language),
            "event_date": entry.event_date.isoformat(),
            "event_weekday": words.weekday(entry.event_date, INTERFACE),
        }
        ahead = entry.next_jubilee
        writer.writerow(
            {
                **base,
                "row": entry.kind,
                "date": entry.date.isoformat(),
                "weekday": words.weekday(entry.date, INTERFACE),
                "number": item.number or "",
                "ordinal": words.ordinal(item.number, INTERFACE) if item.number > 0 else "",
                "jubilee": str(entry.jubilee).lower(),
                "next_jubilee": ahead[0] if ahead else "",
                "next_jubilee_year": ahead[1] if ahead else "",
                "moments": " | ".join(timing(entry, plan.timezone, language)),
                "venue": item.event.venue if item.event is not None else "",
                "conflict_kinds": " ".join(dict.fromkeys(c.kind for c in entry.conflicts)),
                "conflicts": " | ".join(
                    f"{c.kind}{estimated if c.estimate else ''}: {c.reason}"
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
                    "weekday": words.weekday(m.date, INTERFACE),
                    "milestone_id": m.id,
                    "milestone": m.name,
                    "working_days": m.working_days,
                    "when": m.when,
                }
            )
    return buffer.getvalue()
