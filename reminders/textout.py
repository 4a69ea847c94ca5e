"""Plain-text output for the terminal (``reminders upcoming``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta

from .dates import zone
from .model import Occurrence
from .settings import Settings


def plural(count: int, word: str) -> str:
    """'1 event', '2 events'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def days_to_go(start: date, day: date) -> str:
    delta = (day - start).days
    if delta == 0:
        return "today"
    if delta == 1:
        return "tomorrow"
    return f"in {delta} days"


def minutes(span: timedelta) -> str:
    total = int(span.total_seconds() // 60)
    if total < 60:
        return f"{total} min"
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def both_zones(start: datetime, end: datetime, home: str) -> str:
    """'12:00 Asia/Baku (13:00 Asia/Karachi)', or one zone when they are the same."""
    origin = str(start.tzinfo)
    text = (
        f"{start:%H:%M}-{end:%H:%M} {origin}"
        if end - start >= timedelta(minutes=10)
        else (f"{start:%H:%M} {origin}")
    )
    if origin == home:
        return text
    local = start.astimezone(zone(home))
    day = "" if local.date() == start.date() else f" on {local:%a %d %b}"
    return f"{text} = {local:%H:%M} {home}{day}"


def upcoming_lines(
    items: tuple[Occurrence, ...], settings: Settings, start: date, days: int
) -> Iterator[str]:
    home = settings.organisation.timezone
    end = start + timedelta(days=days - 1)
    yield (
        f"{settings.organisation.name}: {start:%a %d %b %Y} to {end:%a %d %b %Y} "
        f"({days} days; times in the origin's zone and in {home})"
    )
    if not items:
        yield "Nothing in this window."
        return
    indent = " " * 31
    for item in items:
        mark = " (jubilee)" if item.jubilee and item.event is None else ""
        title = item.title
        if item.event is not None and item.event.example:
            title = f"Example: {title}"
        yield ""
        yield f"{item.date:%a %d %b %Y}  {days_to_go(start, item.date):<13} {title}{mark}"
        for placed in item.moments:
            yield (
                f"{indent}{placed.moment.name} ({minutes(placed.end - placed.start)}): "
                f"{both_zones(placed.start, placed.end, home)}"
            )
        event = item.event
        if event is not None:
            if event.start is not None and event.end is not None:
                yield f"{indent}{both_zones(event.start, event.end, home)}"
            if event.venue:
                yield f"{indent}at {event.venue}"
            if item.observance is not None:
                yield f"{indent}for the {item.ordinal} anniversary ({item.observance.id})"
