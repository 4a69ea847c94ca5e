"""The yearly plan as an ICS calendar a team can subscribe to: each milestone as an all-day event.

Built the way ics.py builds the feed (its ``Shared`` values and ``new_vcalendar``: the PRODID,
names, refresh properties and no calendar-level UID), and held to the same rules (DESIGN.md "ICS:
rules that must hold"):

* one all-day VEVENT per milestone (``DTSTART;VALUE=DATE``, ``DTEND`` the next day,
  ``TRANSP:TRANSPARENT``) with the UID ``{calendar}-{observance}-{year}-{milestone}@{uid_domain}``,
  where the year is the observance's, so a milestone that falls in December for a January day
  keeps its UID whichever year's plan holds it;
* one all-day VEVENT per suggested event date that is not the day itself, with the UID
  ``{calendar}-{observance}-{year}.event-date@{uid_domain}`` (ids cannot hold a dot, so it never
  meets a milestone's UID);
* DTSTAMP and LAST-MODIFIED from the calendars' ``revised``, never the clock: the same plan gives
  the same bytes;
* in a language other than the organisation's default, ``LANGUAGE=`` on every text property
  (SUMMARY, DESCRIPTION; the calendar's NAME and DESCRIPTION), and the UIDs of the default
  language's plan: the same milestone in another language is the same event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from icalendar import Event as VEvent
from icalendar import vText

from ..core import words
from ..core.i18n import t
from ..core.ics import Shared, new_vcalendar
from ..core.icsevents import observance_uid
from ..core.settings import Settings
from ..core.translate import mark, same_language, text_language
from .plan import Entry, Milestone, Plan

ONE_DAY = timedelta(days=1)
UNREVISED = datetime(2000, 1, 1, tzinfo=UTC)  # the stamp of a plan without entries (as ics.py)


def milestone_uid(entry: Entry, milestone: Milestone, domain: str) -> str:
    item = entry.occurrence
    assert item.observance is not None
    return f"{item.calendar.id}-{item.observance.id}-{item.date.year}-{milestone.id}@{domain}"


def event_date_uid(entry: Entry, domain: str) -> str:
    item = entry.occurrence
    assert item.observance is not None
    return f"{item.calendar.id}-{item.observance.id}-{item.date.year}.event-date@{domain}"


def describe_milestone(
    entry: Entry, milestone: Milestone, country: str, language: str, closures: bool = False
) -> str:
    """The DESCRIPTION: the event date, how the day was counted, and why the event is then
    (``closures``: the organisation has closures of its own, skipped too)."""
    count = milestone.working_days
    if count == 0:
        counted = t(language, "On the event date.")
    else:
        if closures:
            skipped = t(language, "weekends, public holidays and own closures")
        else:
            skipped = t(language, "weekends and public holidays")
        days = words.plural(count, "working day", language)
        if milestone.when == "before":
            text = t(
                language,
                "%(days)s before the event date, counted in working days of %(country)s "
                "(%(skipped)s skipped).",
            )
        else:
            text = t(
                language,
                "%(days)s after the event date, counted in working days of %(country)s "
                "(%(skipped)s skipped).",
            )
        counted = text % {"days": days, "country": country, "skipped": skipped}
    return (
        t(language, "%(name)s for the %(title)s.")
        % {"name": milestone.name, "title": entry.occurrence.title}
        + "\n\n"
        + t(language, "Event date: %(date)s.")
        % {"date": words.medium_date(entry.event_date, language)}
        + "\n"
        + t(language, "Why that date: %(why)s.") % {"why": entry.suggestion}
        + "\n"
        + counted
    )


def plan_events(plan: Plan, shared: Shared, default: str = "") -> list[VEvent]:
    """The milestones and the moved event dates of the plan's observances, by date.

    A text property written in another language than ``default`` (the organisation's; "": no
    property is tagged) says its language with ``LANGUAGE=``. Every property is in the plan's
    language: a milestone's SUMMARY is its name as the plan shows it (translated, or marked
    ``[en]``: plan.milestone_names) and the observance's title, marked ``[xx]`` where the title
    has no translation (core/translate.py), as the feed marks a text (icsevents.Voice)."""
    language = plan.language

    def tag(vevent: VEvent) -> None:
        if default and not same_language(language, default):
            tag_language(vevent, language, ("SUMMARY", "DESCRIPTION"))

    # An event date taken from a real planned event is that event's date: the feed has it.
    planned = {
        (e.occurrence.calendar.id, e.occurrence.observance.id, e.date)
        for e in plan.entries
        if e.occurrence.event is not None
        and e.occurrence.observance is not None
        and not e.occurrence.event.example
    }
    found: list[tuple[tuple[date, str], VEvent]] = []
    for entry in plan.entries:
        item = entry.occurrence
        if item.observance is None or item.event is not None:
            continue
        written = text_language(item.calendar, item.observance, "title")
        title = mark(item.title, written, language)
        for milestone in entry.milestones:
            vevent = shared.vevent(
                milestone_uid(entry, milestone, shared.domain),
                milestone.date,
                milestone.date + ONE_DAY,
                f"{milestone.name}: {title}",
                describe_milestone(
                    entry, milestone, plan.country, plan.language, bool(plan.host.closures)
                ),
                ("milestone",),
            )
            vevent["TRANSP"] = shared.transparent
            vevent["RELATED-TO"] = vText(observance_uid(item, shared.domain))
            tag(vevent)
            found.append(((milestone.date, str(vevent["UID"])), vevent))
        if entry.moved and (item.calendar.id, item.observance.id, entry.event_date) not in planned:
            vevent = shared.vevent(
                event_date_uid(entry, shared.domain),
                entry.event_date,
                entry.event_date + ONE_DAY,
                t(language, "Suggested event date: %(title)s") % {"title": title},
                f"{entry.suggestion}.",
                ("event-date",),
            )
            vevent["TRANSP"] = shared.transparent
            vevent["RELATED-TO"] = vText(observance_uid(item, shared.domain))
            tag(vevent)
            found.append(((entry.event_date, str(vevent["UID"])), vevent))
    found.sort(key=lambda pair: pair[0])
    return [vevent for _, vevent in found]


def tag_language(component: Any, language: str, names: tuple[str, ...]) -> None:
    """``LANGUAGE=language`` on the text properties ``names`` of ``component`` it has (a
    VEVENT's; the VCALENDAR's are new_vcalendar's ``languages``)."""
    for name in names:
        value = component.get(name)
        if value is not None:
            value.params["LANGUAGE"] = language


def plan_ics(plan: Plan, settings: Settings) -> bytes:
    """The plan's milestones (and moved event dates) as ICS bytes; deterministic."""
    org = settings.organisation
    domain = org.uid_domain
    language = plan.language
    stamp = max((e.occurrence.calendar.revised for e in plan.entries), default=UNREVISED)
    name = t(language, "%(organisation)s: plan %(year)s") % {
        "organisation": plan.organisation,
        "year": plan.year,
    }
    description = t(
        language,
        "Preparation milestones for the remembrance days of %(year)s, counted in working days "
        "of %(country)s, and the suggested event dates.",
    ) % {"year": plan.year, "country": plan.country}
    # The default language's plan says nothing of its language (as the default feed).
    default = words.output_language(org.language)
    marked = "" if same_language(language, default) else language
    vcal = new_vcalendar(name, description, stamp, settings.feed.refresh_interval, (marked, marked))
    vcal.subcomponents.extend(plan_events(plan, Shared(stamp, domain, language), default))
    data: bytes = vcal.to_ical()
    return data
