"""Loading and validating calendar sources (``calendars/*.toml``).

The file format is documented in docs/calendar-format.md.  ``load_calendars`` reads every file in a
folder and raises one :class:`CalendarError` listing every problem of every file; nothing is
returned from an invalid folder.
"""

from __future__ import annotations

import os
import string
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..core import dates
from ..core.errors import MISSING, CalendarError, Problem
from ..core.model import (
    Calendar,
    Event,
    Fact,
    FixedDate,
    Moment,
    Observance,
    Translation,
    YearlyRule,
)
from ..core.translate import same_language
from .language_tag import LANGUAGE_EXPECTED, language_tag, translation_tag
from .resources import shown_path
from .schema import (
    Checker,
    Field,
    Invalid,
    boolean,
    calendar_date,
    duration_within,
    ident,
    index_lines,
    integer,
    key_name,
    list_of,
    local_datetime,
    local_time,
    month_day,
    one_of,
    optional_paragraphs,
    optional_text,
    paragraphs,
    read_toml,
    text,
    timezone_name,
    utc_datetime,
)
from .sources import calendar_files

TITLE_FIELDS = ("ordinal", "number", "year", "since")


def _raw(value: Any) -> Any:
    return value


_TITLE_EXPECTED = "a title whose only placeholders are " + ", ".join(
    "{" + name + "}" for name in TITLE_FIELDS
)
_TITLE_PARTS = string.Formatter().parse


def title_pattern(value: Any) -> str:
    """A title with optional {ordinal}, {number}, {year} and {since} placeholders."""
    result = text(value)
    try:
        fields = [(n, s, c) for _, n, s, c in _TITLE_PARTS(result) if n is not None]
    except ValueError:
        raise Invalid(_TITLE_EXPECTED + " (use {{ and }} for literal braces)") from None
    if any(name not in TITLE_FIELDS or spec or conv for name, spec, conv in fields):
        raise Invalid(_TITLE_EXPECTED)
    return result


CALENDAR_FIELDS = (
    Field("id", ident, help="an id such as 'remembrance' (used in UIDs and feed URLs)"),
    Field("name", text, help="the calendar's name as subscribers see it"),
    # One line: clients show it beside the calendar's name (X-WR-CALDESC), not as a text body.
    Field("description", optional_text, ""),
    Field("timezone", timezone_name, help="the IANA time zone where the events happened"),
    Field("public", boolean, True),
    Field("revised", utc_datetime, None),
    Field("language", language_tag, "en"),
    Field("translations", _raw, None),
)
OBSERVANCE_FIELDS = (
    Field("id", ident, help="an id such as 'january-20'"),
    Field("title", title_pattern, help="a title such as '{ordinal} anniversary of ...'"),
    Field("date", month_day, None),
    Field("rrule", text, None),
    Field("leap_day", one_of(*dates.LEAP_DAY_POLICIES), None),
    Field("since", integer(1, 9999), help="the year of the commemorated event, such as 1990"),
    Field("description", paragraphs, help="a short description in the calendar's own words"),
    Field("tags", list_of(ident, "ids"), ()),
    Field("fact", _raw, None),
    Field("moment", _raw, None),
    Field("translations", _raw, None),
)
FACT_FIELDS = (
    Field("text", paragraphs, help="the fact, in the calendar's own words"),
    Field("source", text, help="where the fact comes from (publication, date, speaker)"),
    Field("published", calendar_date, None),
    Field("translations", _raw, None),
)
MOMENT_FIELDS = (
    Field("id", ident, help="an id such as 'minute-of-silence'"),
    Field("name", text, help="what happens, such as 'Minute of silence'"),
    Field("time", local_time, help="a local time written HH:MM, such as '12:00'"),
    Field(
        "duration",
        duration_within(timedelta(days=1), "PT1M"),
        help="an ISO 8601 duration such as 'PT1M'",
    ),
    Field("timezone", timezone_name, None),
    Field("description", optional_paragraphs, ""),
    Field("translations", _raw, None),
)
EVENT_FIELDS = (
    Field("id", ident, help="an id such as 'roundtable-2027'"),
    Field("title", text, help="the event's title"),
    Field("start", local_datetime, None),
    Field("duration", duration_within(timedelta(days=366), "PT2H"), None),
    Field("date", calendar_date, None),
    Field("timezone", timezone_name, None),
    Field("venue", optional_text, ""),
    Field("description", optional_paragraphs, ""),
    Field("observance", ident, None),
    Field("example", boolean, False),
    Field("tags", list_of(ident, "ids"), ()),
    Field("translations", _raw, None),
)
# A translation table (``[observance.translations.az]``): the item's texts in that language, who
# translated them and whether a native speaker has reviewed them (docs/calendar-format.md).
_WHO = (
    Field(
        "translator", text, help="who translated it, such as 'A. Aliyev' or 'draft, not reviewed'"
    ),
    Field("reviewed", boolean, False),
)
TRANSLATION_FIELDS = {
    "calendar": (Field("name", text, None), Field("description", optional_text, None), *_WHO),
    "observance": (
        Field("title", title_pattern, None),
        Field("description", paragraphs, None),
        *_WHO,
    ),
    "fact": (Field("text", paragraphs, None), *_WHO),
    # The configuration's own texts (config/config_file.py).
    "milestone": (Field("name", text, None), *_WHO),
    "organisation": (Field("name", text, None), *_WHO),
    "feed": (Field("name", text, None), Field("description", optional_text, None), *_WHO),
    "moment": (Field("name", text, None), Field("description", optional_paragraphs, None), *_WHO),
    "event": (
        Field("title", text, None),
        Field("venue", optional_text, None),
        Field("description", optional_paragraphs, None),
        *_WHO,
    ),
}
# Placeholders that stand for the same thing: a translation may write the anniversary as
# {ordinal} or {number} whichever its grammar wants (Russian: "{number}-я годовщина").
_SAME_PLACEHOLDER = {"ordinal": "number", "number": "number", "year": "year", "since": "since"}

TOP_FIELDS = (
    Field("calendar", _raw, help="a [calendar] table"),
    Field("observance", _raw, None),
    Field("event", _raw, None),
)


def load_calendars(folder: str | os.PathLike[str], today: date) -> tuple[Calendar, ...]:
    """Every calendar in ``folder`` (``*.toml``, sorted by id), or CalendarError with every problem.

    ``today`` is only used to reject a ``since`` in the future.
    """
    where = shown_path(folder)
    files, problems = calendar_files(folder)
    if not files and not problems:
        raise CalendarError(
            [Problem(where, "", None, "at least one calendar file (*.toml) in this folder")]
        )
    loaded: list[Calendar] = []
    claimed: dict[str, str] = {}  # calendar id -> the file that has it
    for path in files:
        calendar, found = load_calendar_file(path, today, claimed)
        problems.extend(found)
        if calendar is not None:
            loaded.append(calendar)
    if problems:
        raise CalendarError(problems)
    return tuple(sorted(loaded, key=lambda c: c.id))


def load_calendar_file(
    path: str, today: date, claimed: dict[str, str] | None = None
) -> tuple[Calendar | None, list[Problem]]:
    """One calendar file: the Calendar, or None and the problems found.

    ``claimed`` maps the calendar ids of files loaded before to their file; this file's id is
    checked against it and added to it.
    """
    shown = shown_path(path)
    document, source, problems = read_toml(path, shown)
    if document is None:
        return None, problems
    check = Checker(shown, source)
    # An unknown or missing top-level key is reported, and the known tables are still checked:
    # a typo in one table's name must not hide the problems of the others.
    check.table(document, TOP_FIELDS, ())
    top = {field.name: document.get(field.name) for field in TOP_FIELDS}
    head = None
    if top["calendar"] is not None:
        head = check.table(top["calendar"], CALENDAR_FIELDS, ("calendar",))
    if head is not None and claimed is not None:
        if head["id"] in claimed:
            expected = f"an id not used by another calendar ({claimed[head['id']]} has it)"
            check.add(("calendar", "id"), head["id"], expected)
        else:
            claimed[head["id"]] = shown
    default_tz = head["timezone"] if head else "UTC"
    own = head["language"] if head else "en"
    head_translations = translations(
        check, head["translations"] if head else None, "calendar", ("calendar",), own
    )

    # Ids are claimed even when another key of their table is bad, so that a duplicate id or an
    # event linked to that observance is judged on the id alone.
    check.names = item_names(document)
    observances: list[Observance] = []
    ids: dict[str, tuple[str | int, ...]] = {}  # the key path that claimed each id
    for index, values, raw in check.tables(top["observance"], OBSERVANCE_FIELDS, ("observance",)):
        observance = _observance(check, index, values, raw, default_tz, today, own)
        _claim_id(check, ids, raw.get("id"), ("observance", index, "id"))
        if observance is not None:
            observances.append(observance)

    events: list[Event] = []
    observance_ids = set(ids)
    for index, values, raw in check.tables(top["event"], EVENT_FIELDS, ("event",)):
        event = _event(check, index, values, raw, default_tz, observance_ids, own)
        _claim_id(check, ids, raw.get("id"), ("event", index, "id"))
        if event is not None:
            events.append(event)

    if not observances and not events and top["observance"] is None and top["event"] is None:
        check.add((), None, "at least one [[observance]] or [[event]] table")
    if check.problems or head is None:
        return None, check.problems
    revised = head["revised"] or datetime.fromtimestamp(int(os.stat(path).st_mtime), tz=UTC)
    return (
        Calendar(
            id=head["id"],
            name=head["name"],
            description=head["description"],
            timezone=head["timezone"],
            public=head["public"],
            revised=revised,
            source=shown,
            observances=tuple(observances),
            events=tuple(events),
            language=own,
            translations=head_translations,
        ),
        [],
    )


def translations(
    check: Checker,
    raw: Any,
    kind: str,
    path: tuple[str | int, ...],
    own: str,
    title: str | None = None,
) -> tuple[Translation, ...]:
    """The ``translations`` table of one item: a table per language tag (``az``, ``ur-PK``), each
    with some of the item's texts (TRANSLATION_FIELDS[kind]), ``translator`` and ``reviewed``.

    ``own`` is the calendar's language (a translation into it is refused; "": none is);
    ``title`` the item's
    title pattern, whose placeholders a translated title must keep."""
    if raw is None:
        return ()
    here = (*path, "translations")
    if not isinstance(raw, dict):
        check.add(here, raw, "a table of translations by language, such as [...translations.az]")
        return ()
    fields = TRANSLATION_FIELDS[kind]
    text_keys = [f.name for f in fields if f.name not in ("translator", "reviewed")]
    out = []
    for tag, table in raw.items():
        at = (*here, tag)
        try:
            translation_tag(tag)
        except Invalid:
            check.add(at, tag, f"{LANGUAGE_EXPECTED}, naming a table of translated texts")
            continue
        if same_language(tag, own):
            check.add(at, tag, f"a language other than the calendar's own ({own})")
            continue
        values = check.table(table, fields, at)
        if values is None:
            continue
        given = tuple((key, values[key]) for key in text_keys if values[key] is not None)
        if not given:
            check.add(at, MISSING, "at least one of " + ", ".join(text_keys))
            continue
        if title is not None and values.get("title") is not None:
            problem = _placeholders(values["title"], title)
            if problem:
                check.add((*at, "title"), values["title"], problem)
                continue
        out.append(Translation(tag, given, values["translator"], values["reviewed"]))
    return tuple(sorted(out))


def _placeholders(translated: str, original: str) -> str:
    """What is wrong with a translated title's placeholders, or ''."""

    def kinds(pattern: str) -> set[str]:
        return {_SAME_PLACEHOLDER[n] for _, n, _, _ in _TITLE_PARTS(pattern) if n is not None}

    want, got = kinds(original), kinds(translated)
    if want == got:
        return ""
    shown = ", ".join(
        "{" + n + "}" for n in sorted(n for _, n, _, _ in _TITLE_PARTS(original) if n)
    )
    return (
        f"a title with the placeholders of the original ({shown or 'none'}; "
        "{ordinal} and {number} may stand for each other)"
    )


def text_lines(calendar: Calendar) -> dict[tuple[str | int, ...], int]:
    """The line of every key of ``calendar``'s file by its key path (``("observance", 0,
    "title")``, indexes from 0), read again from the file ({} if it cannot be)."""
    try:
        with open(calendar.source, encoding="utf-8") as handle:
            return index_lines(handle.read())
    except (OSError, UnicodeDecodeError):
        return {}


def text_name(calendar: Calendar, path: tuple[str | int, ...]) -> str:
    """How messages name a key of a valid calendar: ``observance 'january-20'.fact[2].text``."""
    names: dict[tuple[str | int, ...], str] = {}
    for index, observance in enumerate(calendar.observances):
        names[("observance", index)] = f"observance {observance.id!r}"
    for index, event in enumerate(calendar.events):
        names[("event", index)] = f"event {event.id!r}"
    return key_name(path, names)


def item_names(document: Mapping[str, Any]) -> dict[tuple[str | int, ...], str]:
    """How messages name a calendar's observances and events: by id, ``observance 'january-20'``.

    Only an id that is valid and used once in the file names its item; the others (no id, a bad
    one, one used twice) keep their index (``observance[2]``), which is never ambiguous.
    """
    found: dict[str, list[tuple[str, int]]] = {}
    for kind in ("observance", "event"):
        items = document.get(kind)
        for index, item in enumerate(items if isinstance(items, list) else ()):
            item_id = item.get("id") if isinstance(item, dict) else None
            if isinstance(item_id, str) and _is_ident(item_id):
                found.setdefault(item_id, []).append((kind, index))
    return {
        where[0]: f"{where[0][0]} {item_id!r}"
        for item_id, where in found.items()
        if len(where) == 1
    }


def _claim_id(
    check: Checker,
    ids: dict[str, tuple[str | int, ...]],
    item_id: object,
    path: tuple[str | int, ...],
) -> None:
    if not isinstance(item_id, str) or not _is_ident(item_id):
        return  # a bad or missing id is reported by the table's own check
    if item_id in ids:
        holder = key_name(ids[item_id][:2])
        expected = f"an id not used by another observance or event here ({holder} has it)"
        check.add(path, item_id, expected)
    else:
        ids[item_id] = path


def _is_ident(value: str) -> bool:
    try:
        ident(value)
    except Invalid:
        return False
    return True


def _observance(
    check: Checker,
    index: int,
    values: dict[str, Any] | None,
    raw: Mapping[str, Any],
    default_tz: str,
    today: date,
    own: str,
) -> Observance | None:
    path: tuple[str | int, ...] = ("observance", index)
    problems_before = len(check.problems)
    facts = []
    for f_index, v, _ in check.tables(raw.get("fact"), FACT_FIELDS, (*path, "fact")):
        if v is not None:
            fact_path = (*path, "fact", f_index)
            found = translations(check, v["translations"], "fact", fact_path, own)
            facts.append(Fact(v["text"], v["source"], v["published"], found))
    moments: list[Moment] = []
    moment_ids: set[str] = set()
    for m_index, v, _ in check.tables(raw.get("moment"), MOMENT_FIELDS, (*path, "moment")):
        if v is None:
            continue
        moment_translations = translations(
            check, v["translations"], "moment", (*path, "moment", m_index), own
        )
        if v["id"] in moment_ids:
            check.add(
                (*path, "moment", m_index, "id"),
                v["id"],
                "an id not used by another moment of this observance",
            )
            continue
        moment_ids.add(v["id"])
        moments.append(
            Moment(
                v["id"],
                v["name"],
                v["time"],
                v["duration"],
                v["timezone"] or default_tz,
                v["description"],
                moment_translations,
            )
        )
    if values is None:
        return None
    found = translations(check, values["translations"], "observance", path, own, values["title"])
    ok = True
    if values["since"] > today.year:
        check.add((*path, "since"), values["since"], f"a year not after {today.year} (this year)")
        ok = False
    rule: FixedDate | YearlyRule | None = None
    if (values["date"] is None) == (values["rrule"] is None):
        got = MISSING if values["date"] is None else raw.get("rrule")
        check.add(
            (*path, "date" if values["date"] is None else "rrule"),
            got,
            "exactly one of date = 'MM-DD' or rrule = 'FREQ=YEARLY;...'",
        )
        ok = False
    elif values["date"] is not None:
        month, day = values["date"]
        if values["leap_day"] is not None and (month, day) != (2, 29):
            check.add((*path, "leap_day"), values["leap_day"], "leap_day only with date = '02-29'")
            ok = False
        rule = FixedDate(month, day, values["leap_day"] or "feb28")
    else:
        # A future `since` is reported above; the rule is still checked, from this year.
        problem = dates.rrule_check(values["rrule"], min(values["since"], today.year))
        if problem is not None:
            check.add((*path, "rrule"), values["rrule"], problem)
            ok = False
        else:
            rule = YearlyRule(dates.normalise_rrule(values["rrule"]), values["since"])
    if not ok or rule is None or len(check.problems) > problems_before:  # a bad fact or moment
        return None
    return Observance(
        id=values["id"],
        title=values["title"],
        rule=rule,
        since=values["since"],
        description=values["description"],
        facts=tuple(facts),
        moments=tuple(moments),
        tags=values["tags"],
        translations=found,
    )


def _event(
    check: Checker,
    index: int,
    values: dict[str, Any] | None,
    raw: Mapping[str, Any],
    default_tz: str,
    observance_ids: set[str],
    own: str,
) -> Event | None:
    if values is None:
        return None
    path: tuple[str | int, ...] = ("event", index)
    found = translations(check, values["translations"], "event", path, own)
    tz = values["timezone"] or default_tz
    ok = True
    if values["observance"] is not None and values["observance"] not in observance_ids:
        known = ", ".join(sorted(observance_ids)) or "none"
        check.add(
            (*path, "observance"),
            values["observance"],
            f"the id of an observance in this calendar ({known})",
        )
        ok = False
    start, end, day = values["start"], None, values["date"]
    if (start is None) == (day is None):
        check.add(
            (*path, "start"),
            MISSING if start is None else start,
            "exactly one of start = <local date-time> (with duration) or date = <date>",
        )
        return None
    if start is not None:
        if values["duration"] is None:
            check.add(
                (*path, "duration"),
                MISSING,
                "an ISO 8601 duration such as 'PT2H' for a timed event",
            )
            return None
        try:
            on_clock = dates.exists_on_clock(start, tz)
            end = start.replace(tzinfo=dates.zone(tz)) + values["duration"]
            end.astimezone(UTC)  # the feed writes it in UTC as well
        except OverflowError:  # 0001-01-01T00:00 east of UTC, or an end after 9999-12-31
            check.add(
                (*path, "start"),
                start.isoformat(),
                "a start and end within the years 1 to 9999, in UTC as well",
            )
            return None
        if not on_clock:
            check.add(
                (*path, "start"),
                start.isoformat(),
                f"a time that exists in {tz} (it falls in a daylight-saving gap)",
            )
            return None
        start = start.replace(tzinfo=dates.zone(tz))
    elif values["duration"] is not None:
        check.add(
            (*path, "duration"),
            raw["duration"],
            "no duration for an all-day event (date = ...)",
        )
        ok = False
    if not ok:
        return None
    return Event(
        id=values["id"],
        title=values["title"],
        timezone=tz,
        start=start,
        end=end,
        day=day,
        venue=values["venue"],
        description=values["description"],
        observance=values["observance"],
        example=values["example"],
        tags=values["tags"],
        translations=found,
    )
