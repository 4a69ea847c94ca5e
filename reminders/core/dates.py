"""Date rules: fixed month-days with a leap-day policy, yearly RRULEs, ordinals, round numbers.

Pure functions of their arguments; nothing here reads the clock.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up time
if TYPE_CHECKING:
    from dateutil.rrule import rrule

LEAP_DAY_POLICIES = ("feb28", "mar1", "skip")
MAX_INTERVAL = 100  # years between two dates of a yearly RRULE


def round_step(number: int) -> int:
    """The largest of 100, 50, 25, 10, 5 dividing ``number`` (a positive anniversary), else 0."""
    if number <= 0:
        return 0
    for step in (100, 50, 25, 10, 5):
        if number % step == 0:
            return step
    return 0


def is_jubilee(number: int) -> bool:
    """A jubilee anniversary: every multiple of 10 and of 25 (10th, 20th, 25th, 30th, 40th, 50th,
    60th, 70th, 75th ...).  Those are the years organisations budget a larger commemoration for;
    the yearly plan also names the next one when it is at most five years away."""
    return number > 0 and (number % 10 == 0 or number % 25 == 0)


def next_jubilee(number: int) -> int:
    """The first jubilee anniversary after ``number``."""
    following = number + 1
    while not is_jubilee(following):
        following += 1
    return following


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def fixed_date_in(year: int, month: int, day: int, leap_day: str = "feb28") -> date | None:
    """The date of month/day in ``year``; February 29 in a common year follows ``leap_day``."""
    if month == 2 and day == 29 and not is_leap(year):
        if leap_day == "skip":
            return None
        return date(year, 3, 1) if leap_day == "mar1" else date(year, 2, 28)
    return date(year, month, day)


@lru_cache(maxsize=1024)
def _compiled(text: str, since: int) -> rrule:
    from dateutil.rrule import rrulestr

    # DTSTART is January 1 of the origin year: expansion never depends on the clock, and COUNT or
    # UNTIL in a rule count from the commemorated event.
    return rrulestr(text, dtstart=datetime(since, 1, 1))  # type: ignore[return-value]


def rrule_check(text: str, since: int) -> str | None:
    """None if ``text`` is a usable yearly RRULE, else what is wrong (completes "expected ...")."""
    body = text.strip()
    if body.upper().startswith("RRULE:"):
        body = body[6:]
    if "\n" in body or "DTSTART" in body.upper():
        return "a single RRULE line without DTSTART, such as 'FREQ=YEARLY;BYMONTH=5;BYDAY=2SU'"
    parts = dict(p.split("=", 1) for p in body.upper().split(";") if "=" in p)
    if parts.get("FREQ") != "YEARLY":
        return "an RRULE with FREQ=YEARLY (an observance happens once a year)"
    if parts.get("UNTIL", "").endswith("Z"):
        # DTSTART is a local date (January 1 of `since`); dateutil cannot mix it with UTC.
        return "an RRULE whose UNTIL is a local date such as 'UNTIL=20301231' (no Z)"
    interval = parts.get("INTERVAL", "1")
    # python-dateutil loops forever on INTERVAL=0 and fails late on a negative one; a rule of
    # every 101 years or more gives no date in the years a feed or plan shows after its first.
    if not (
        interval.isascii()
        and interval.isdigit()
        and len(interval) <= 4
        and 1 <= int(interval) <= MAX_INTERVAL
    ):
        return (
            f"an RRULE whose INTERVAL is a whole number from 1 to {MAX_INTERVAL}, "
            "such as 'INTERVAL=1'"
        )
    # An observance has one date a year; a rule yielding several would give two "37th"s.
    seen: dict[int, date] = {}
    try:
        rule = _compiled(body, since)
        # Expanding can fail too (BYEASTER out of range), so it is inside the same guard.
        for moment in rule.between(datetime(since, 1, 1), datetime(since + 150, 1, 1), inc=True):
            if moment.year in seen:
                return (
                    f"an RRULE with at most one date a year (it gives {seen[moment.year]} "
                    f"and {moment.date()} in {moment.year})"
                )
            seen[moment.year] = moment.date()
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        reason = str(exc)  # it quotes the bad part whole, however long: shortened here
        reason = reason if len(reason) <= 80 else reason[:77] + "..."
        return f"an RRULE that python-dateutil can parse ({reason})"
    if not seen:  # BYMONTH=13, BYMONTHDAY=30 in February: the observance would never happen
        return f"an RRULE that gives a date (it gives none from {since} to {since + 149})"
    return None


def normalise_rrule(text: str) -> str:
    body = text.strip()
    return body[6:] if body.upper().startswith("RRULE:") else body


def rrule_dates(text: str, since: int, first_year: int, last_year: int) -> dict[int, date]:
    """The date in each year of ``first_year..last_year`` (inclusive) that the rule gives."""
    rule = _compiled(text, since)
    last_moment = datetime.combine(date(last_year, 12, 31), time.max)
    found = rule.between(datetime(first_year, 1, 1), last_moment, inc=True)
    return {moment.year: moment.date() for moment in found}


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_date(now: datetime, tz_name: str) -> date:
    """The date it is at ``now`` (aware) in the time zone ``tz_name``."""
    return now.astimezone(zone(tz_name)).date()


def wall_time(day: date, at: time, tz_name: str) -> datetime:
    """``day`` at wall-clock ``at`` in ``tz_name`` as an aware datetime.

    A wall time inside a daylight-saving gap (it never happens on the clock) is moved forward by the
    length of the gap, as the clocks are: 02:30 on a spring-forward night becomes 03:30.
    """
    # Inside a gap, fold=0 takes the offset from before the change; the UTC round trip gives the
    # wall time after it, which is the one a clock shows. Elsewhere the round trip changes nothing.
    return _through_utc(datetime.combine(day, at), tz_name)


def exists_on_clock(naive: datetime, tz_name: str) -> bool:
    """False if ``naive`` falls in a daylight-saving gap of ``tz_name``."""
    return _through_utc(naive, tz_name).replace(tzinfo=None) == naive


def _through_utc(naive: datetime, tz_name: str) -> datetime:
    tz = zone(tz_name)
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz)
