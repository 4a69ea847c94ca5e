"""Notices rendered from Jinja2 templates.

They render in one environment per templates folder (config/templates.py), sandboxed (Jinja2's
``ImmutableSandboxedEnvironment``: the templates are written by each organisation's staff, and a
template reaches only the values it is given, never Python's internals such as
``cycler.__init__.__globals__``, and changes none of them), with ``StrictUndefined`` (a misspelt
variable is an error, never an empty string), HTML autoescaped and text not.  The page and the
plan render in the same kind of environment.  A rule's ``template = "NAME"`` names three files
under ``notices/``: ``NAME.subject.txt`` (one line), ``NAME.txt`` and ``NAME.html``; the bodies
extend ``notices/layout.txt`` and ``notices/layout.html``.  The variables a template sees are
built here, in :func:`notice_context`, and listed in templates/README.md; templates only loop and
test.

template_check.py renders every rule's templates with sample data, so that a template error is
found by ``reminders check`` and at daemon start, not at 09:00 on the day.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

import jinja2

from ..core import dates, words
from ..core.i18n import t
from ..core.model import Calendar, Occurrence, TimedMoment
from ..core.notices import Notice, notice_in
from ..core.settings import MILESTONE_PREFIX, Settings
from ..core.translate import config_text, same_language, text_language
from .channels.base import Message
from .plan_context import milestone_of, plan_context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..plan.yearplans import NoticePlan


class Rendered(NamedTuple):
    subject: str  # one line
    text: str
    html: str
    language: str = "en"  # the language it is written in: Content-Language of an e-mail


def template_names(template: str) -> dict[str, str]:
    """The three template files of a rule's ``template``, by part, relative to the folder."""
    return {
        "subject": f"notices/{template}.subject.txt",
        "text": f"notices/{template}.txt",
        "html": f"notices/{template}.html",
    }


def notice_language(settings: Settings, notice: Notice, channel_id: str = "") -> str:
    """The language a notice is written in for one channel: the channel's, else its rule's,
    else the organisation's default (``Organisation.language_for``), as
    ``words.output_language`` has it (English for a language with no catalog)."""
    channel = settings.channel(channel_id) if channel_id else None
    chosen = settings.organisation.language_for(
        channel.language if channel is not None else "", notice.rule.language
    )
    return words.output_language(chosen)


def for_channel(
    notice: Notice, settings: Settings, channel_id: str, calendars: Sequence[Calendar] = ()
) -> tuple[Notice, str]:
    """The notice as one channel receives it: its language (:func:`notice_language`) and the
    notice with its calendar's texts in that language (``core.notices.notice_in``; the
    ``calendars`` as their files write them)."""
    language = notice_language(settings, notice, channel_id)
    return notice_in(notice, language, calendars), language


def _other(calendar: Calendar, item: Any, key: str, language: str) -> str:
    """The language of one calendar text where it is not the notice's (a text with no
    translation, left in its calendar's language: the HTML marks it with ``lang``), else ""."""
    found = text_language(calendar, item, key)
    return "" if same_language(found, language) else found


# --- The context --------------------------------------------------------------------------


def zone_shown(tz_name: str, language: str) -> str:
    """A time zone as a notice names it: its IANA id in English (as ever), its city in the
    language otherwise (``Asia/Karachi`` is ``کراچی`` in Urdu), not an English identifier."""
    return tz_name if words.is_english(language) else words.place(tz_name, language)


def _moment(placed: TimedMoment, calendar: Calendar, home: str, language: str) -> dict[str, Any]:
    start, zone_name = placed.start, placed.moment.timezone
    local = start.astimezone(dates.zone(home))
    home_shown, zone_text = zone_shown(home, language), zone_shown(zone_name, language)
    return {
        "name": placed.moment.name,
        "name_lang": _other(calendar, placed.moment, "name", language),
        "description": placed.moment.description,
        "description_lang": _other(calendar, placed.moment, "description", language),
        "origin_time": f"{words.clock(start, language)} {zone_text}",
        "origin_clock": words.clock(start, language),
        "origin_zone": zone_name,
        "origin_place": words.place(zone_name, language),
        "local_time": f"{words.clock(local, language)} {home_shown}",
        "local_clock": words.clock(local, language),
        "local_zone": home_shown,
        "local_date": local.date(),
        "other_day": local.date() != start.date(),
        "same_zone": zone_name == home,
        "duration_minutes": int((placed.end - start).total_seconds() // 60),
        "duration_text": words.duration_text(placed.end - start, language),
        "start": start,
        "end": placed.end,
    }


def _event(item: Occurrence, home: str, language: str) -> dict[str, Any]:
    event = item.event
    assert event is not None
    start_local = start_there = time_local = ""
    home_shown = zone_shown(home, language)
    if event.start is not None and event.end is not None:
        local = event.start.astimezone(dates.zone(home))
        local_end = event.end.astimezone(dates.zone(home))
        clocks = f"{words.clock(local, language)}-{words.clock(local_end, language)}"
        time_local = f"{clocks} {home_shown}"
        start_local = (
            f"{words.long_date(local.date(), language)}, {words.clock(local, language)} "
            f"{home_shown}"
        )
        if event.timezone != home:
            there = zone_shown(event.timezone, language)
            start_there = f"{words.clock(event.start, language)} {there}"
        day = local.date()
    else:
        day = item.date
        start_local = t(language, "%(date)s (all day)") % {"date": words.long_date(day, language)}
    return {
        "id": event.id,
        "title": (
            t(language, "Example: %(title)s") % {"title": event.title}
            if event.example
            else event.title
        ),
        "title_lang": _other(item.calendar, event, "title", language),
        "venue_lang": _other(item.calendar, event, "venue", language),
        "description_lang": _other(item.calendar, event, "description", language),
        "example": event.example,
        "date": day,
        "date_text": words.long_date(day, language),
        "all_day": event.start is None,
        "start": event.start,
        "end": event.end,
        "start_local": start_local,
        "start_there": start_there,
        "time_local": time_local,
        "venue": event.venue,
        "description": event.description,
    }


def notice_context(
    notice: Notice,
    settings: Settings,
    now: datetime,
    late: bool,
    plan: NoticePlan | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """Every variable a notice template sees (templates/README.md lists them), in ``language``
    (None: the rule's, else the organisation's default; see :func:`notice_language`); the
    notice's calendar texts are as given (:func:`for_channel` puts them in the language).

    ``days_to_go`` counts from the day the notice is sent (``now`` in the organisation's zone):
    a notice sent late says how many days are really left.  ``plan`` is the occurrence's entry
    in the yearly plan (plan/yearplans.py); without one, ``plan.known`` is false.
    """
    org = settings.organisation
    home = dates.zone(org.timezone)
    item, rule = notice.occurrence, notice.rule
    observance = item.observance
    assert observance is not None
    days = (item.date - now.astimezone(home).date()).days
    fire_at = notice.fire_at.astimezone(home)
    if language is None:
        language = notice_language(settings, notice)
    today = now.astimezone(home).date()
    planned = plan_context(plan, today, language)
    milestone_id = (
        rule.id[len(MILESTONE_PREFIX) :] if rule.id.startswith(MILESTONE_PREFIX) else None
    )
    milestone_rule = settings.milestone(milestone_id) if milestone_id is not None else None
    return {
        "plan": planned,
        "milestone": milestone_of(
            planned, milestone_id, milestone_rule.notice_before if milestone_rule else 0
        ),
        "organisation": {
            # Its name in the notice's language where the configuration gives one.
            "name": config_text(org, "name", language, org.language)[0],
            "timezone": org.timezone,
            "zone_shown": zone_shown(org.timezone, language),  # the id in English, else the city
            "language": language,  # its lang: the language it is written in
            "direction": words.direction(language),  # its dir: "rtl" for Urdu
            "country": org.country,
        },
        "rule": {
            "id": rule.id,
            "description": rule.description,
            "days_before": rule.days_before,
            "at": words.clock(rule.at, language),
        },
        "calendar": {"id": item.calendar.id, "name": item.calendar.name},
        "observance": {
            "id": observance.id,
            "title": observance.title,
            "description": observance.description,
            "description_lang": _other(item.calendar, observance, "description", language),
            "tags": list(observance.tags),
            "since": observance.since,
        },
        "occurrence": {
            "title": item.title,
            "title_lang": _other(item.calendar, observance, "title", language),
            "date": item.date,
            "date_text": words.long_date(item.date, language),
            "weekday": words.weekday(item.date, language),
            "number": item.number,
            "ordinal": words.ordinal(item.number, language) if item.number > 0 else "",
            "jubilee": item.jubilee,
            "year": item.date.year,
            "days_to_go": days,
            "when": words.when(days, language),
            "is_today": days == 0,
        },
        "moments": [
            _moment(placed, item.calendar, org.timezone, language) for placed in item.moments
        ],
        "facts": [
            {
                "text": fact.text,
                "text_lang": _other(item.calendar, fact, "text", language),
                "source": fact.source,
                "published": fact.published,
            }
            for fact in observance.facts
        ],
        "events": [_event(event, org.timezone, language) for event in notice.events],
        "late": late,
        "fire_at": fire_at,
        "fire_at_text": (
            f"{words.long_date(fire_at.date(), language)}, {words.clock(fire_at, language)} "
            f"{zone_shown(org.timezone, language)}"
        ),
        "now": now.astimezone(home),
    }


def render_notice(
    env: jinja2.Environment,
    notice: Notice,
    settings: Settings,
    now: datetime,
    late: bool = False,
    plan: NoticePlan | None = None,
    language: str | None = None,
) -> Rendered:
    """The subject, text and HTML of a notice as it is sent at ``now``, in ``language`` (None:
    the rule's, else the organisation's default). ``plan`` is the plan in that language."""
    if language is None:
        language = notice_language(settings, notice)
        notice = notice_in(notice, language)
    context = notice_context(notice, settings, now, late, plan, language)
    names = template_names(notice.rule.template)
    subject = env.get_template(names["subject"]).render(context)
    return Rendered(
        " ".join(subject.split()),  # one header line, whatever the template's line breaks
        env.get_template(names["text"]).render(context),
        env.get_template(names["html"]).render(context),
        language,
    )


def notice_ics(notice: Notice, settings: Settings, language: str | None = None) -> bytes:
    """The occurrence as the ICS attachment of a notice (the feed's UIDs), in ``language``
    (None: the rule's, else the organisation's default): the notice's calendar texts as given
    (:func:`for_channel` puts them in the language), the ICS's own words in it; ``LANGUAGE=``
    on its text properties as the feeds have it (core/ics.py: an attachment in the default
    language marks a text in another, one in another language marks every text)."""
    from ..core.ics import FeedInfo, occurrence_ics

    if language is None:
        language = notice_language(settings, notice)
        notice = notice_in(notice, language)
    item = notice.occurrence
    info = FeedInfo(
        item.title,
        item.calendar.description,
        settings.organisation.uid_domain,
        settings.feed.refresh_interval,
        language,
        words.output_language(settings.organisation.language),
        text_language(item.calendar, item.observance, "title") if item.observance else "",
        text_language(item.calendar, item.calendar, "description"),
    )
    return occurrence_ics(notice.occurrence, notice.events, info)


def message_for(
    notice: Notice,
    channel_id: str,
    rendered: Rendered,
    ics: bytes,
    now: datetime,
    late: bool,
    notice_id: str = "",
) -> Message:
    """The message one channel sends for a notice; ``now`` is its creation time (Date header).
    ``notice_id``: the ledger's (with its organisation in a deployment of many), else the
    notice's own id."""
    notice_id = notice_id or notice.id
    return Message(
        delivery_id=f"{notice_id}/{channel_id}",
        notice_id=notice_id,
        channel=channel_id,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        ics=ics,
        created=now,
        fire_at=notice.fire_at,
        late=late,
        language=rendered.language,
    )
