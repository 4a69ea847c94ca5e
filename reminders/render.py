"""Notices rendered from Jinja2 templates, and the check that renders every template in advance.

One environment per templates folder, sandboxed (Jinja2's ``ImmutableSandboxedEnvironment``: the
templates are written by each organisation's staff, and a template reaches only the values it is
given, never Python's internals such as ``cycler.__init__.__globals__``, and changes none of
them), with ``StrictUndefined`` (a misspelt variable is an error, never an empty string), HTML
autoescaped and text not.  The page and the plan render in the same kind of environment.  A
rule's ``template = "NAME"`` names three files under ``notices/``: ``NAME.subject.txt`` (one
line), ``NAME.txt`` and ``NAME.html``; the bodies extend ``notices/layout.txt`` and
``notices/layout.html``.  The variables a template sees are built here, in
:func:`notice_context`, and listed in templates/README.md; templates only loop and test.

``check_templates`` renders every rule's templates with sample data, so that a template error is
found by ``reminders check`` and at daemon start, not at 09:00 on the day (template_check.py).
"""

from __future__ import annotations

import os
import re
import string
import textwrap
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

import jinja2
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import dates
from .channels.base import Message
from .model import WEEKDAYS, Occurrence, TimedMoment
from .notices import Notice
from .settings import Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .errors import Problem
    from .model import Calendar

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


class Rendered(NamedTuple):
    subject: str  # one line
    text: str
    html: str
    language: str = "en"  # the organisation's language tag: Content-Language of an e-mail


def template_names(template: str) -> dict[str, str]:
    """The three template files of a rule's ``template``, by part, relative to the folder."""
    return {
        "subject": f"notices/{template}.subject.txt",
        "text": f"notices/{template}.txt",
        "html": f"notices/{template}.html",
    }


# --- Filters registered on the environment ----------------------------------------------------


def long_date(value: date) -> str:
    """'Wednesday, 20 January 2027' (English names whatever the machine's locale)."""
    return f"{WEEKDAYS[value.weekday()]}, {value.day} {MONTHS[value.month - 1]} {value.year}"


def clock(value: datetime) -> str:
    """'13:00'."""
    return f"{value:%H:%M}"


def wrap(value: str, width: int = 76, first: str = "", rest: str = "") -> str:
    """Plain text wrapped at ``width``; ``first``/``rest`` start the first and later lines."""
    return textwrap.fill(
        " ".join(str(value).split()),
        width=width,
        initial_indent=first,
        subsequent_indent=rest,
        break_long_words=False,
        break_on_hyphens=False,  # "44-day war" stays on one line
    )


# --- Bounds on what a template can make ----------------------------------------------------
#
# The sandbox keeps a template away from Python's internals but not from the CPU and memory:
# ``{{ 10**10**10 }}`` computes a number of ten billion digits and ``{{ 'x' * 10**9 }}`` a string
# of a gigabyte, and either hangs ``check``.  The operators and formats that make a value much
# larger than their operands are bounded here; a notice, the page and a plan stay far below.
# (Intercepted operators are also never folded into constants while a template is compiled.)

MAX_INT_BITS = 16_384  # about 4,900 digits: past what Python turns into text (4,300 by default)
MAX_LENGTH = 1_000_000  # characters of a string, items of a list made by ``*``
MAX_WIDTH = 10_000  # a width or precision in a format (``%5d``, ``{:>5}``), a filter's width


class TemplateLimit(SecurityError):
    """A template asked for a value past the bounds above (render.py): refused, not computed."""


def bounded_power(left: Any, right: Any) -> Any:
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
        raise TemplateLimit(f"{left} ** {right} makes a number of more than {MAX_INT_BITS} bits")
    return left**right


def bounded_times(left: Any, right: Any) -> Any:
    ints = isinstance(left, int) and isinstance(right, int)
    if ints and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise TemplateLimit(f"a product of more than {MAX_INT_BITS} bits")
    for seq, count in ((left, right), (right, left)):
        sequence = isinstance(seq, str | list | tuple) and isinstance(count, int)
        if sequence and len(seq) * count > MAX_LENGTH:
            raise TemplateLimit(
                f"repeating {type(seq).__name__} of length {len(seq)} {count} times makes "
                f"more than {MAX_LENGTH} items"
            )
    return left * right


_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def check_printf(template: str) -> None:
    """Refuse a ``%`` format whose width or precision is past MAX_WIDTH, or taken from the
    values (``*``)."""
    for width, precision in _PRINTF.findall(template):
        for part in (width, precision):
            if part == "*" or (part and int(part) > MAX_WIDTH):
                raise TemplateLimit(
                    f"a width or precision of {part!r} in a format; expected a number up to "
                    f"{MAX_WIDTH}"
                )


def check_width(width: Any, what: str) -> None:
    if isinstance(width, int) and width > MAX_WIDTH:
        raise TemplateLimit(f"{what} of {width}; expected up to {MAX_WIDTH}")


def bounded_modulo(left: Any, right: Any) -> Any:
    if isinstance(left, str):
        check_printf(left)
    return left % right


_BINOPS = {"**": bounded_power, "*": bounded_times, "%": bounded_modulo}


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's immutable sandbox, with the operators and formats that can explode bounded."""

    intercepted_binops = frozenset(_BINOPS)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        bounded = _BINOPS.get(operator)
        if bounded is None:
            return super().call_binop(context, operator, left, right)
        return bounded(left, right)

    def wrap_str_format(self, value: Any) -> Any:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        text = value.__self__

        def bounded(*args: Any, **kwargs: Any) -> str:
            for _, _, spec, _ in string.Formatter().parse(text):
                if spec and ("{" in spec or any(int(n) > MAX_WIDTH for n in _DIGITS.findall(spec))):
                    raise TemplateLimit(
                        f"the format {spec!r}; expected a width and precision up to {MAX_WIDTH}, "
                        "written in the template"
                    )
            return str(wrapped(*args, **kwargs))

        return bounded


_DIGITS = re.compile(r"\d+")


def _format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    check_printf(str(value))
    return str(jinja_filters.do_format(value, *args, **kwargs))


def _center_filter(value: Any, width: int = 80) -> str:
    check_width(width, "a center width")
    return str(jinja_filters.do_center(value, width))


def _indent_filter(value: Any, width: Any = 4, *args: Any, **kwargs: Any) -> Any:
    check_width(width, "an indent width")
    return jinja_filters.do_indent(value, width, *args, **kwargs)


SANDBOXED_BYTECODE = "__jinja2_sandboxed_%s.cache"  # not Jinja2's default "__jinja2_%s.cache"


class SnapshotLoader(jinja2.BaseLoader):
    """The files of a templates folder as they were when the loader was made.

    The daemon renders from such a snapshot, taken when its configuration was loaded and checked:
    a template edited afterwards is used only once a reload has checked it with everything else,
    never half-way (a FileSystemLoader would read the edited file at the next send).  Each
    template keeps its file's path, so that errors and tracebacks name the file and line.
    """

    def __init__(self, folder: str) -> None:
        self.folder = os.path.abspath(folder)
        self.files: dict[str, tuple[bytes, str]] = {}  # name -> (raw bytes, path)
        for top, subfolders, names in os.walk(self.folder):
            subfolders.sort()
            for name in sorted(names):
                path = os.path.join(top, name)
                relative = os.path.relpath(path, self.folder).replace(os.sep, "/")
                try:
                    with open(path, "rb") as handle:
                        self.files[relative] = (handle.read(), path)
                except OSError:
                    continue  # as if it were absent: rendering names the missing template

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        found = self.files.get(template)
        if found is None:
            raise jinja2.TemplateNotFound(template)
        raw, path = found
        return raw.decode("utf-8"), path, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.files)


def environment(
    templates_dir: str, bytecode_dir: str | None = None, *, snapshot: bool = False
) -> jinja2.Environment:
    """The Jinja2 environment for one templates folder (hold one per folder and reuse it).

    ``bytecode_dir`` keeps compiled templates between processes (compiling is most of the time
    ``reminders check`` spends on templates); an entry is used only while its source is unchanged.
    Its files have a name of their own: Jinja2 keys them by template and source only, and code
    compiled outside the sandbox calls functions without the sandbox's checks.

    The immutable sandbox: a template that could append to a list or update a dict it was given
    could change what the next render (the page, a plan kept per build) shows; templates only
    loop and test.

    ``snapshot``: the templates as they are now, never read again (:class:`SnapshotLoader`).
    """
    loader: jinja2.BaseLoader = (
        SnapshotLoader(templates_dir) if snapshot else jinja2.FileSystemLoader(templates_dir)
    )
    cache = (
        jinja2.FileSystemBytecodeCache(bytecode_dir, SANDBOXED_BYTECODE) if bytecode_dir else None
    )
    env = BoundedSandbox(
        loader=loader,
        bytecode_cache=cache,
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(["html"]),
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["longdate"] = long_date
    env.filters["clock"] = clock
    env.filters["wrap"] = wrap
    env.filters["format"] = _format_filter
    env.filters["center"] = _center_filter
    env.filters["indent"] = _indent_filter
    return env


def sandbox_refusal(exc: SecurityError) -> str:
    """The problem ``reminders check`` reports for a template the sandbox stopped."""
    why = (exc.message or "an unsafe operation").rstrip(".")
    if isinstance(exc, TemplateLimit):
        return (
            f"refused by the template sandbox ({why}): a template may not compute values that "
            "large; expected numbers, text and widths of the size a notice or a page shows"
        )
    return (
        f"refused by the template sandbox ({why}); templates see only the variables listed in "
        "templates/README.md, not Python's internals"
    )


_layered: dict[str, jinja2.Environment] = {}


def layered_environment(templates_dir: str) -> jinja2.Environment:
    """The environment of a templates folder with the bundled templates behind it, made once per
    folder (Jinja2 then reloads edited files).

    A folder copied before the web page or the plan existed has no ``web/`` or ``plan/``: the
    bundled files stand in for those it lacks, and files present in the folder always win.
    """
    from .resources import bundled

    key = os.path.abspath(templates_dir)
    env = _layered.get(key)
    if env is None:
        env = environment(templates_dir)
        fallback = bundled("templates")
        if os.path.abspath(fallback) != key:
            assert env.loader is not None
            env.loader = jinja2.ChoiceLoader([env.loader, jinja2.FileSystemLoader(fallback)])
        _layered[key] = env
    return env


# --- The context --------------------------------------------------------------------------


def when(days: int) -> str:
    """'today', 'tomorrow', 'in 30 days', 'yesterday', '3 days ago'."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return f"in {days} days" if days > 0 else f"{-days} days ago"


def duration_text(span: timedelta) -> str:
    """'1 minute', '30 minutes', '1 hour', '1 hour 30 minutes'."""
    hours, minutes = divmod(int(span.total_seconds() // 60), 60)
    parts = [f"{hours} hour{'s' if hours != 1 else ''}"] if hours else []
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    return " ".join(parts)


def place(tz_name: str) -> str:
    """The place a zone is named after: 'Asia/Baku' -> 'Baku'."""
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def _moment(placed: TimedMoment, home: str) -> dict[str, Any]:
    start, zone_name = placed.start, placed.moment.timezone
    local = start.astimezone(dates.zone(home))
    return {
        "name": placed.moment.name,
        "description": placed.moment.description,
        "origin_time": f"{start:%H:%M} {zone_name}",
        "origin_clock": f"{start:%H:%M}",
        "origin_zone": zone_name,
        "origin_place": place(zone_name),
        "local_time": f"{local:%H:%M} {home}",
        "local_clock": f"{local:%H:%M}",
        "local_zone": home,
        "local_date": local.date(),
        "other_day": local.date() != start.date(),
        "same_zone": zone_name == home,
        "duration_minutes": int((placed.end - start).total_seconds() // 60),
        "duration_text": duration_text(placed.end - start),
        "start": start,
        "end": placed.end,
    }


def _event(item: Occurrence, home: str) -> dict[str, Any]:
    event = item.event
    assert event is not None
    start_local = start_there = time_local = ""
    if event.start is not None and event.end is not None:
        local = event.start.astimezone(dates.zone(home))
        local_end = event.end.astimezone(dates.zone(home))
        time_local = f"{local:%H:%M}-{local_end:%H:%M} {home}"
        start_local = f"{long_date(local.date())}, {local:%H:%M} {home}"
        if event.timezone != home:
            start_there = f"{event.start:%H:%M} {event.timezone}"
        day = local.date()
    else:
        day = item.date
        start_local = f"{long_date(day)} (all day)"
    return {
        "id": event.id,
        "title": f"Example: {event.title}" if event.example else event.title,
        "example": event.example,
        "date": day,
        "date_text": long_date(day),
        "all_day": event.start is None,
        "start": event.start,
        "end": event.end,
        "start_local": start_local,
        "start_there": start_there,
        "time_local": time_local,
        "venue": event.venue,
        "description": event.description,
    }


def notice_context(notice: Notice, settings: Settings, now: datetime, late: bool) -> dict[str, Any]:
    """Every variable a notice template sees (templates/README.md lists them).

    ``days_to_go`` counts from the day the notice is sent (``now`` in the organisation's zone):
    a notice sent late says how many days are really left.
    """
    org = settings.organisation
    home = dates.zone(org.timezone)
    item, rule = notice.occurrence, notice.rule
    observance = item.observance
    assert observance is not None
    days = (item.date - now.astimezone(home).date()).days
    fire_at = notice.fire_at.astimezone(home)
    return {
        "organisation": {
            "name": org.name,
            "timezone": org.timezone,
            "language": org.language or "en",
            "country": org.country,
        },
        "rule": {
            "id": rule.id,
            "description": rule.description,
            "days_before": rule.days_before,
            "at": f"{rule.at:%H:%M}",
        },
        "calendar": {"id": item.calendar.id, "name": item.calendar.name},
        "observance": {
            "id": observance.id,
            "title": observance.title,
            "description": observance.description,
            "tags": list(observance.tags),
            "since": observance.since,
        },
        "occurrence": {
            "title": item.title,
            "date": item.date,
            "date_text": long_date(item.date),
            "weekday": item.weekday,
            "number": item.number,
            "ordinal": item.ordinal,
            "jubilee": item.jubilee,
            "year": item.date.year,
            "days_to_go": days,
            "when": when(days),
            "is_today": days == 0,
        },
        "moments": [_moment(placed, org.timezone) for placed in item.moments],
        "facts": [
            {"text": fact.text, "source": fact.source, "published": fact.published}
            for fact in observance.facts
        ],
        "events": [_event(event, org.timezone) for event in notice.events],
        "late": late,
        "fire_at": fire_at,
        "fire_at_text": f"{long_date(fire_at.date())}, {fire_at:%H:%M} {org.timezone}",
        "now": now.astimezone(home),
    }


def render_notice(
    env: jinja2.Environment, notice: Notice, settings: Settings, now: datetime, late: bool = False
) -> Rendered:
    """The subject, text and HTML of a notice as it is sent at ``now``."""
    context = notice_context(notice, settings, now, late)
    names = template_names(notice.rule.template)
    subject = env.get_template(names["subject"]).render(context)
    return Rendered(
        " ".join(subject.split()),  # one header line, whatever the template's line breaks
        env.get_template(names["text"]).render(context),
        env.get_template(names["html"]).render(context),
        settings.organisation.language or "en",
    )


def notice_ics(notice: Notice, settings: Settings) -> bytes:
    """The occurrence as the ICS attachment of a notice (the feed's UIDs)."""
    from .ics import FeedInfo, occurrence_ics

    domain = settings.organisation.uid_domain
    info = FeedInfo(
        notice.occurrence.title,
        notice.occurrence.calendar.description,
        domain,
        settings.feed.refresh_interval,
    )
    return occurrence_ics(notice.occurrence, notice.events, info)


def message_for(
    notice: Notice, channel_id: str, rendered: Rendered, ics: bytes, now: datetime, late: bool
) -> Message:
    """The message one channel sends for a notice; ``now`` is its creation time (Date header)."""
    return Message(
        delivery_id=f"{notice.id}/{channel_id}",
        notice_id=notice.id,
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


def template_file(templates_dir: str, name: str) -> str:
    """The path of a template as messages show it."""
    from .resources import shown_path

    return shown_path(os.path.join(templates_dir, *name.split("/")))


def check_templates(
    settings: Settings,
    calendars: Sequence[Calendar],
    today: date,
    env: jinja2.Environment | None = None,
) -> list[Problem]:
    """Every problem of the notice rules' templates, found by rendering them with sample data
    (in ``env``, by default one reading the templates folder).

    Also a rule naming an observance that no calendar has.  See template_check.py.
    """
    from .template_check import check_templates as check

    return check(settings, calendars, today, env)
