"""Words a person reads: dates, times, durations and plurals, in English.

One place for them, shared by the terminal, the notices, the page and the plan (the languages to
come will be a parameter here).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from .dates import zone
from .model import WEEKDAYS


def plural(count: int, word: str) -> str:
    """'1 event', '2 events'."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


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


MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip


def long_date(value: date) -> str:
    """'Wednesday, 20 January 2027' (English names whatever the machine's locale)."""
    return f"{WEEKDAYS[value.weekday()]}, {value.day} {MONTHS[value.month - 1]} {value.year}"


def clock(value: datetime) -> str:
    """'13:00'."""
    return f"{value:%H:%M}"


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
