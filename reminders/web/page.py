"""The subscribe page (``GET /``): every public feed with its subscribe links, and the next days.

The page is one self-contained HTML file rendered from ``templates/web/index.html``, which
includes ``web/style.css`` and ``web/script.js`` inline: no request ever leaves for another
host, and the Content-Security-Policy allows exactly the two inline blocks, by the SHA-256 of
their rendered text (computed here from the page itself, so an edited template never drifts from
its policy).  Everything a template shows is computed in :func:`page_context`; the templates only
loop and test, as the notice templates do (templates/README.md lists the variables).

The page is complete without JavaScript: times are given where the day is kept, in the
organisation's zone and in UTC.  The inline script rewrites the UTC times into the visitor's own
zone and recounts "in N days" from the visitor's date, since a page written by
``reminders export --site`` may be read days after it was made.

**One page per language.**  The page is written in each of ``[organisation] languages``: its
sentences from the catalogs (``_()`` in the template, :func:`~reminders.core.i18n.t` here),
dates, times and numbers by ``core/words``, and the script's words handed to it translated
(:func:`script_words`; the script writes its dates, times and counts with the browser's ``Intl``
in the page's language).  The page of a language other than the default links that language's
feeds (``/LANG/all.ics``); a switcher links the page in every other language (``/LANG/``), each
named in itself.  Urdu and every language written right to left get ``dir="rtl"``.

Rendering is deterministic: the same feeds and ``today`` give the same bytes (a golden file
holds them).  ``check_page`` renders the page with the real data so that ``reminders check``
reports a broken web template with its file and line.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import traceback
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple
from urllib.parse import quote

import jinja2
from jinja2.exceptions import SecurityError

from ..config.resources import bundled
from ..config.templates import layered_environment, sandbox_refusal, template_file
from ..core import words
from ..core.dates import zone
from ..core.errors import Problem
from ..core.i18n import t
from ..core.model import Calendar, Occurrence
from ..core.occurrences import occurrences, title_for
from ..core.settings import Loaded
from ..core.translate import calendar_in, config_text, same_language, text_language
from .feeds import ALL, FeedSet, calendar_path

INDEX = "web/index.html"
SOON = timedelta(days=60)  # everything in this span is listed ...
AT_LEAST = 8  # ... and at least this many observances, however far off
FAR = 10  # years searched for them when one year holds fewer

GOOGLE = "https://calendar.google.com/calendar/r?cid="
OUTLOOK_COM = "https://outlook.live.com/calendar/0/addfromweb"
MICROSOFT_365 = "https://outlook.office.com/calendar/0/addfromweb"

# The inline blocks the policy must allow; attributes are tolerated so an edit cannot slip a
# block past the hashing.
_BLOCK = re.compile(r"<(style|script)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)


class Rendered(NamedTuple):
    html: bytes
    csp: str  # the Content-Security-Policy header that lets exactly this page's blocks run


# --- The context --------------------------------------------------------------------------


def subscription(base_url: str, path: str, name: str, description: str) -> dict[str, str]:
    """The addresses of one feed: https, webcal, and the add-by-URL links of the web calendars."""
    https = base_url + path
    webcal = "webcal://" + https.split("://", 1)[1]
    add = f"?url={quote(https, safe='')}&name={quote(name, safe='')}"
    return {
        "path": path,
        "name": name,
        "description": description,
        "https": https,
        "webcal": webcal,
        "google": GOOGLE + quote(webcal, safe=""),
        "outlook": OUTLOOK_COM + add,
        "office": MICROSOFT_365 + add,
    }


def upcoming(calendars: Sequence[Calendar], today: date, examples: bool) -> list[Occurrence]:
    """The occurrences to list: all in the next 60 days, and on to the 8th observance.

    Events count as listed items but not towards the eight; those on the day of the last listed
    observance stay in.
    """
    found = occurrences(calendars, today, today + timedelta(days=366), examples=examples)
    if sum(1 for item in found if item.event is None) < AT_LEAST:
        found = occurrences(calendars, today, date(today.year + FAR, 1, 1), examples=examples)
    observed = [item for item in found if item.event is None]
    cutoff = today + SOON
    if len(observed) >= AT_LEAST:
        cutoff = max(cutoff, observed[AT_LEAST - 1].date + timedelta(days=1))
    return [item for item in found if item.date < cutoff]


def day_month(day: date, language: str) -> str:
    """'Tuesday 19 January' (the script writes the visitor's dates the same way)."""
    return words.format_date(day, words.DAY_MONTH, language)


def on_day(text: str, day: date, shown: date, language: str) -> str:
    """``text`` (a time), with the date when the time falls on another day than ``shown``:
    '03:00 UTC, Wednesday 20 January'."""
    if day == shown:
        return text
    return t(language, "%(time)s, %(date)s") % {"time": text, "date": day_month(day, language)}


def zoned(moment: datetime, zone_name: str, day: date, language: str) -> str:
    """'13:00 Karachi time (Asia/Karachi)', with the date when it is not ``day`` there."""
    there = moment.astimezone(zone(zone_name))
    text = t(language, "%(time)s %(place)s time (%(zone)s)") % {
        "time": words.clock(there, language),
        "place": words.place(zone_name, language),
        "zone": zone_name,
    }
    return on_day(text, there.date(), day, language)


def instant(
    start: datetime, end: datetime, origin_zone: str, home: str, day: date, language: str
) -> dict[str, str]:
    """One timed start in the origin's zone, the organisation's (when other) and UTC."""
    utc = start.astimezone(UTC)
    utc_text = t(language, "%(time)s UTC") % {"time": words.clock(utc, language)}
    return {
        "origin": zoned(start, origin_zone, day, language),
        "organisation": "" if origin_zone == home else zoned(start, home, day, language),
        "utc_iso": f"{utc:%Y-%m-%dT%H:%M:%SZ}",
        "utc_text": on_day(utc_text, utc.date(), day, language),
        "duration_text": words.duration_text(end - start, language),
    }


def other(text_language: str, page_language: str) -> str:
    """``text_language`` where it is not the page's language (the ``lang`` the text needs: a
    text with no translation, left in its calendar's language), else ""."""
    return "" if same_language(text_language, page_language) else text_language


def item_context(item: Occurrence, today: date, home: str, language: str) -> dict[str, Any]:
    """What the page shows of one occurrence or event (of a calendar put into ``language`` by
    ``translate.calendar_in``; each ``*_lang`` is the language of a text not in ``language``)."""
    days = (item.date - today).days
    calendar = item.calendar
    out: dict[str, Any] = {
        "kind": item.kind,
        "title": item.title,
        "title_lang": "",
        "calendar": calendar.name,
        "calendar_lang": other(text_language(calendar, calendar, "name"), language),
        "date_iso": item.date.isoformat(),
        "date_text": words.long_date(item.date, language),
        "weekday": words.weekday(item.date, language),
        "days": days,
        "when": words.when(days, language),
        "is_today": days == 0,
        "ordinal": words.ordinal(item.number, language) if item.number > 0 else "",
        "jubilee": item.jubilee,
        "description": "",
        "description_lang": "",
        "moments": [],
        "event": None,
    }
    event = item.event
    if event is None:
        observance = item.observance
        assert observance is not None
        out["title_lang"] = other(text_language(calendar, observance, "title"), language)
        out["description"] = observance.description
        out["description_lang"] = other(
            text_language(calendar, observance, "description"), language
        )
        out["moments"] = [
            {
                "name": placed.moment.name,
                "name_lang": other(text_language(calendar, placed.moment, "name"), language),
                "description": placed.moment.description,
                "description_lang": other(
                    text_language(calendar, placed.moment, "description"), language
                ),
                **instant(
                    placed.start, placed.end, placed.moment.timezone, home, item.date, language
                ),
            }
            for placed in item.moments
        ]
        return out
    timed = None
    if event.start is not None and event.end is not None:
        timed = instant(event.start, event.end, event.timezone, home, item.date, language)
    out["title"] = (
        t(language, "Example: %(title)s") % {"title": event.title} if event.example else event.title
    )
    out["title_lang"] = other(text_language(calendar, event, "title"), language)
    out["description"] = event.description
    out["description_lang"] = other(text_language(calendar, event, "description"), language)
    belongs = item.observance if item.number > 0 else None  # the day it belongs to
    out["event"] = {
        "title": event.title,  # without "Example: " (the page writes that around it)
        "example": event.example,
        "venue": event.venue,
        "venue_lang": other(text_language(calendar, event, "venue"), language),
        "time": timed,
        # The day it belongs to, such as "35th anniversary of the Khojaly Genocide".
        "observance": "" if belongs is None else title_for(belongs, item.date.year, calendar),
        "observance_lang": ""
        if belongs is None
        else other(text_language(calendar, belongs, "title"), language),
    }
    return out


def page_context(
    loaded: Loaded,
    today: date,
    feeds: Iterable[tuple[str, str, str]],
    plans: Sequence[tuple[int, str]] = (),
    language: str = "",
) -> dict[str, Any]:
    """Every variable ``web/index.html`` sees (templates/README.md lists them), for the page in
    ``language`` (one of ``[organisation] languages``; "" is the default).

    ``feeds`` is (URL path, name, description) of each public feed, the combined one first, as
    the default language serves them (the page of another language links its own,
    :func:`language_path`); ``plans`` is (year, URL) of each yearly plan page.
    """
    settings = loaded.settings
    org, feed = settings.organisation, settings.feed
    configured = language or org.language
    written = words.output_language(configured)
    # Each calendar's texts in the page's language where it has them (translate.py).
    public = tuple(calendar_in(c, written) for c in loaded.calendars if c.public)
    shown = upcoming(public, today, feed.include_examples)
    default = org.language  # the first of org.languages (config_file._languages)
    # The configuration's texts (the organisation's name, the feed's): their translations into
    # the page's language ([feed.translations.ur]), else as written, in the default language.
    home = words.output_language(org.language)
    org_name, org_name_lang = config_text(org, "name", written, home)
    feed_name, feed_name_lang = config_text(feed, "name", written, home)
    about, about_lang = config_text(feed, "description", written, home)
    combined = (feed_name, about, other(feed_name_lang, written), other(about_lang, written))
    return {
        "organisation": {
            "name": org_name,
            "name_lang": other(org_name_lang, written),
            "timezone": org.timezone,
            "place": words.place(org.timezone, written),
            "language": written,
            "direction": words.direction(written),
        },
        "feed": {
            "name": feed_name,
            "name_lang": combined[2],
            "description": about,
            "description_lang": combined[3],
            "refresh_text": words.duration_text(feed.refresh_interval, written),
        },
        "today_iso": today.isoformat(),
        "today_text": words.long_date(today, written),
        "subscriptions": subscriptions(
            feed.base_url,
            feeds,
            public,
            language_path("", configured, default),
            written,
            combined,
        ),
        "several_calendars": len(public) > 1,
        "upcoming": [item_context(item, today, org.timezone, written) for item in shown],
        "plans": [{"year": year, "url": url} for year, url in plans],
        "languages": switcher(feed.base_url, org.languages, configured),
        "script": script_words(written),
    }


def subscriptions(
    base_url: str,
    feeds: Iterable[tuple[str, str, str]],
    calendars: Sequence[Calendar],
    prefix: str,
    language: str,
    combined: tuple[str, str, str, str],
) -> list[dict[str, str]]:
    """Each feed's addresses (:func:`subscription`) under ``prefix`` ("" or ``/LANG``), named
    as ``calendars`` (in the page's language) name them; the combined feed as ``combined``
    says: the configuration's name and description in the page's language, and the ``lang``
    of each ("" where it is the page's)."""
    by_path = {calendar_path(c.id): c for c in calendars}
    out = []
    for path, name, about in feeds:
        found = by_path.get(path)
        names = {"name_lang": combined[2], "description_lang": combined[3]}
        if path == ALL:
            name, about = combined[0], combined[1]
        if found is not None:
            name, about = found.name, found.description
            names = {
                "name_lang": other(text_language(found, found, "name"), language),
                "description_lang": other(text_language(found, found, "description"), language),
            }
        out.append({**subscription(base_url, prefix + path, name, about), **names})
    return out


def language_path(path: str, language: str, default: str) -> str:
    """The URL path of a feed (or the page, ``/``) in ``language``: as it is for the default
    language, under ``/LANG`` for the others (``/az/all.ics``, ``/az/calendars/ID.ics``)."""
    return path if language == default else f"/{language}{path}"


def page_path(language: str) -> str:
    """The page in ``language``, named explicitly (the default's too): ``/en/``, ``/ur/``."""
    return f"/{language}/"


def switcher(base_url: str, languages: Sequence[str], current: str) -> list[dict[str, Any]]:
    """The links to the page in each configured language, each named in itself ('Azərbaycanca',
    'اردو'); empty when there is one language."""
    if len(languages) < 2:
        return []
    return [
        {
            "language": tag,
            "name": words.autonym(tag),
            "direction": words.direction(words.output_language(tag)),
            "url": base_url + page_path(tag),
            "current": tag == current,
        }
        for tag in languages
    ]


def script_words(language: str) -> dict[str, Any]:
    """What the page's script writes, in ``language`` (the script holds no words of its own):
    the copy button's words once it has copied (its label is the page's), the sentences around
    a time, and the locale its ``Intl`` calls use. That is the page's language, except that
    English is written as the server writes it, day first and on a 24-hour clock (``en-GB``):
    'Wednesday 20 January', '03:00'."""
    return {
        "locale": "en-GB" if words.is_english(language) else language,
        "copied": t(language, "Copied"),
        "press": t(language, "Press Ctrl+C"),
        "your_time": t(language, "%(time)s your time (%(zone)s)"),
        "on_day": t(language, "%(time)s, %(date)s"),
        "counted": t(language, "Days are counted from your date, %(date)s."),
    }


def public_feeds(loaded: Loaded) -> list[tuple[str, str, str]]:
    """(path, name, description) of the public feeds as ``build_feeds`` makes them."""
    feed = loaded.settings.feed
    return [(ALL, feed.name, feed.description)] + [
        (calendar_path(c.id), c.name, c.description) for c in loaded.calendars if c.public
    ]


# --- Rendering ----------------------------------------------------------------------------


def page_environment(templates_dir: str) -> jinja2.Environment:
    """The environment the web page renders with (render.layered_environment)."""
    return layered_environment(templates_dir)


def content_security_policy(html: str) -> str:
    """A strict policy allowing only the inline style and script blocks of ``html``."""
    allowed: dict[str, list[str]] = {"style": [], "script": []}
    for kind, body in _BLOCK.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in allowed[kind.lower()]:
            allowed[kind.lower()].append(source)
    parts = ["default-src 'none'"]
    for kind in ("style", "script"):
        if allowed[kind]:
            parts.append(f"{kind}-src {' '.join(allowed[kind])}")
    parts += ["img-src data:", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'"]
    return "; ".join(parts)


CHARSET = '<meta charset="utf-8">'


def render_page(templates_dir: str, context: dict[str, Any], template: str = INDEX) -> Rendered:
    """The page (``template``: web/index.html, or the list of a deployment's organisations)
    and its policy.  The policy is also in the page, as a ``<meta>`` element, so a
    static copy served by nginx (``export --site``) keeps it whatever nginx's header says;
    ``frame-ancestors`` works only in the header, so the element leaves it out."""
    html = page_environment(templates_dir).get_template(template).render(context)
    policy = content_security_policy(html)
    meta = policy.replace("; frame-ancestors 'none'", "")
    if CHARSET in html:
        element = f'<meta http-equiv="Content-Security-Policy" content="{meta}">'
        html = html.replace(CHARSET, f"{CHARSET}\n{element}", 1)
    return Rendered(html.encode("utf-8"), policy)


PLAN_YEARS = 2  # the page links the plans of this year and the next


def plan_years(today: date, future_years: int) -> list[int]:
    """The years whose plans the page links (and ``export --site`` writes): this year and the
    next, inside the feed's window (``[feed] future_years``), where the server serves plans."""
    from ..plan.hostcal import FIRST_YEAR, LAST_YEAR

    last = today.year + min(PLAN_YEARS - 1, future_years)
    return [y for y in range(today.year, last + 1) if FIRST_YEAR <= y <= LAST_YEAR]


def plan_url(base_url: str, year: int, prefix: str = "") -> str:
    """The plan of ``year``: ``/plan/YEAR``, or ``/LANG/plan/YEAR`` with the ``prefix`` of a
    language other than the default (:func:`language_path`)."""
    return f"{base_url}{prefix}/plan/{year}"


def render_index(
    feeds: FeedSet,
    today: date,
    plans: Sequence[tuple[int, str]] | None = None,
    language: str = "",
) -> Rendered:
    """The page for ``today`` (the organisation's date) in ``language`` ("" the default) and
    its Content-Security-Policy.

    ``plans`` defaults to the plans of this year and the next, at ``/plan/YEAR`` (in another
    language than the default, ``/LANG/plan/YEAR``: the plan in the page's language).
    """
    entries = [
        (path, feeds.resources[path].name, feeds.resources[path].description)
        for path in feeds.public
    ]
    if plans is None:
        settings = feeds.loaded.settings
        base, future = settings.feed.base_url, settings.feed.future_years
        prefix = language_path(
            "", language or settings.organisation.language, settings.organisation.language
        )
        plans = [(year, plan_url(base, year, prefix)) for year in plan_years(today, future)]
    context = page_context(feeds.loaded, today, entries, plans, language)
    return render_page(feeds.loaded.settings.templates_dir, context)


# --- The check ----------------------------------------------------------------------------


def check_page(loaded: Loaded, today: date, sample: bool = True) -> list[Problem]:
    """Problems of the web templates, found by rendering the page with the real data.

    It is rendered in each configured language, without and with a sample yearly plan, so the
    plans section is checked before the first plan exists (``sample`` False: without only, for
    a caller that renders the page with its plans next).  Each error names the template file
    and line (once, however many languages meet it).
    """
    settings = loaded.settings
    folder = settings.templates_dir
    feeds = public_feeds(loaded)
    with_plans = [(today.year, plan_url(settings.feed.base_url, today.year))]
    problems: list[Problem] = []
    for language in settings.organisation.languages:
        for plans in ((), with_plans) if sample else ((),):
            try:
                render_page(folder, page_context(loaded, today, feeds, plans, language))
            except Exception as exc:
                problem = page_problem(exc, folder, INDEX)
                if problem not in problems:
                    problems.append(problem)
    return problems


def page_problem(exc: Exception, folder: str, main: str) -> Problem:
    """The problem a web template's failure is reported as: its file and line, and what to
    do.  ``main``: the template rendered (``web/index.html``, ``web/icon.svg``, the plan's)."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        shown = template_file(folder, exc.name or main)
        return Problem(shown, "", None, f"template syntax error: {exc.message}", exc.lineno)
    if isinstance(exc, jinja2.TemplateNotFound):
        missing = exc.name if isinstance(exc.name, str) else main
        file, line = _where(exc, folder, main)
        main_one = "the page's main template" if main == INDEX else f"the template {main}"
        used = f"used at {file}:{line}" if line else main_one
        return Problem(template_file(folder, missing), "", None, f"missing template ({used})")
    file, line = _where(exc, folder, main)
    if isinstance(exc, jinja2.UndefinedError):
        expected = f"{exc.message}; expected only the variables listed in templates/README.md"
        return Problem(file, "", None, expected, line)
    if isinstance(exc, SecurityError):
        return Problem(file, "", None, sandbox_refusal(exc), line)
    # a filter failing on a value: reported, never a traceback
    return Problem(file, "", None, f"rendering failed: {type(exc).__name__}: {exc}", line)


def _where(exc: BaseException, folder: str, main: str = INDEX) -> tuple[str, int | None]:
    """The innermost template file and line in the traceback (Jinja rewrites the frames)."""
    roots = [os.path.abspath(f) + os.sep for f in (folder, bundled("templates"))]
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = os.path.abspath(frame.filename or "")
        for root in roots:
            if path.startswith(root):
                name = os.path.relpath(path, root).replace(os.sep, "/")
                return template_file(root, name), frame.lineno
    return template_file(folder, main), None
