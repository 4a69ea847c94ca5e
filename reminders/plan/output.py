"""The plan of a year in each output format, as the commands, the page and the site ask for it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..core.errors import ConfigError
from ..core.settings import Loaded
from .hostcal import country_problems
from .plan import Plan
from .text import csv_text, markdown, table, table_lines

PLAN_FORMATS = ("table", "md", "html", "csv", "json", "ics")


def make_plan(loaded: Loaded, year: int, language: str | None = None) -> Plan:
    """The plan of ``year`` in ``language`` (one of the organisation's languages; None: its
    default): the host country's calendar read, its holidays named in that language where
    python-holidays has them (kept in the start-up cache folder, as python-holidays is slow to
    import), then plan.build_plan."""
    from ..core import words
    from .hostcache import host_calendar
    from .plan import build_plan

    org = loaded.settings.organisation
    written = words.output_language(org.language if language is None else language)
    try:
        host = host_calendar(org.country, org.weekend, year, loaded.settings.source, written)
    except ConfigError as exc:  # an unknown country: said as check says it, with its line
        raise ConfigError(country_problems(loaded.settings) or exc.problems) from None
    return build_plan(loaded, year, host, written)


def public_plan_html(loaded: Loaded, year: int, language: str | None = None) -> bytes:
    """The HTML plan of ``year`` for the web page and ``export --site``: public calendars only,
    in ``language`` (None: the organisation's default)."""
    from .html import render_html

    public = Loaded(loaded.settings, tuple(c for c in loaded.calendars if c.public))
    return render_html(make_plan(public, year, language), loaded.settings)


def plan_output(loaded: Loaded, year: int, fmt: str, language: str | None = None) -> bytes:
    """The plan of ``year`` in one of PLAN_FORMATS, as bytes (UTF-8 text, or ICS)."""
    return b"".join(plan_parts(loaded, year, fmt, language))


def plan_parts(loaded: Loaded, year: int, fmt: str, language: str | None = None) -> Iterator[bytes]:
    """:func:`plan_output` in consecutive parts (a megabyte or so each for a large plan in the
    table or JSON format; one part for the others).  The plan is built, and any error raised,
    before the first part.  A large plan makes many objects that all live to the end: the
    ``plan`` command runs this with the garbage collector paused (cli/gcpause.py)."""
    plan = make_plan(loaded, year, language)
    if fmt == "html":
        from .html import render_html

        yield render_html(plan, loaded.settings)
    elif fmt == "ics":
        from .ics import plan_ics

        yield plan_ics(plan, loaded.settings)
    elif fmt == "json":
        from .json import json_bytes

        yield json_bytes(plan)
    else:
        for text in pieces(plan, fmt):
            yield text.encode("utf-8")


def json_text(plan: Plan) -> str:
    """The plan as one JSON document (json.py; json is imported only for it)."""
    from .json import json_text as written

    return written(plan)


FORMATTERS: dict[str, Callable[[Plan], str]] = {
    "table": table,
    "md": markdown,
    "csv": csv_text,
    "json": json_text,
}


# The formats whose text is made of many pieces (tens of megabytes for 10,000 observances):
# the pieces and what joins them.  pieces(format) joins them a few thousand at a time.
PIECES: dict[str, tuple[Callable[[Plan], list[str]], str]] = {
    "table": (table_lines, "\n"),
}


def pieces(plan: Plan, fmt: str, size: int = 8192) -> Iterator[str]:
    """The text of ``FORMATTERS[fmt](plan)`` in consecutive parts: for the formats in
    :data:`PIECES`, their pieces joined ``size`` at a time, so that a large plan's table is
    encoded and written without its whole text and a copy of it in memory at once (the JSON is
    one document of orjson's, written whole: json.py)."""
    if fmt not in PIECES:
        yield FORMATTERS[fmt](plan)
        return
    make, separator = PIECES[fmt]
    parts = make(plan)
    for start in range(0, len(parts), size):
        yield separator.join(parts[start : start + size])
        if start + size < len(parts):
            yield separator
