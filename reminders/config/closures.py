"""``[[holiday]]`` in config.toml: the organisation's own closures, validated.

An embassy closes on its own country's national days and on days python-holidays does not
know (a staff retreat, a week off at New Year).  Each closure has a single-line ``name`` and one
of:

* ``date = "YYYY-MM-DD"``: once, optionally for a span (``until``, the last day, or ``days``);
* ``month`` and ``day``: every year on that day (February 29: leap years only);
* ``rrule``: every year by an RFC 5545 rule, checked and expanded as a calendar's observance
  rule is (dates.py);

and a yearly closure may last ``days`` days.  The plan (hostcal.with_closures) counts them as
days off.  Every problem names the file, the key and the line, the value and what was expected.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..core import dates
from ..core.errors import MISSING
from ..core.model import FixedDate, YearlyRule
from ..core.settings import Closure
from .schema import Checker, Field, calendar_date, integer, text

# DTSTART of a closure's RRULE: January 1 of the first year a plan covers (hostcal.FIRST_YEAR),
# so a closure applies to every plan; UNTIL ends it, COUNT would count from that year.
RULE_SINCE = 1925
LONGEST = 366  # days in one closure


HOLIDAY_FIELDS = (
    Field("name", text, help="the closure's name on one line, such as 'Novruz'"),
    Field("date", calendar_date, None, "one date, such as 2027-03-22"),
    Field("month", integer(1, 12), None, "every year: the month, 1 to 12"),
    Field("day", integer(1, 31), None, "every year: the day of the month"),
    Field("rrule", text, None, "every year by a rule such as 'FREQ=YEARLY;BYMONTH=3;BYDAY=3FR'"),
    Field("until", calendar_date, None, "with date: the last day closed, such as 2027-03-26"),
    Field("days", integer(1, LONGEST), None, f"days closed from the first, 1 to {LONGEST}"),
)
ONE_OF = "one of date = 'YYYY-MM-DD', month and day (every year), or rrule = 'FREQ=YEARLY;...'"


def load_closures(check: Checker, raw: Any) -> tuple[Closure, ...]:
    """The ``[[holiday]]`` tables of a config document; problems go to ``check``."""
    out: list[Closure] = []
    for index, values, table in check.tables(raw, HOLIDAY_FIELDS, ("holiday",)):
        if values is not None:
            found = _closure(check, ("holiday", index), values, table)
            if found is not None:
                out.append(found)
    return tuple(out)


def _closure(
    check: Checker, path: tuple[str | int, ...], values: dict[str, Any], table: Any
) -> Closure | None:
    before = len(check.problems)
    given = [key for key in ("date", "month", "day", "rrule") if values[key] is not None]
    kinds = {"day": "month"}
    chosen = list(dict.fromkeys(kinds.get(key, key) for key in given))
    if not chosen:
        check.add((*path, "date"), MISSING, ONE_OF)
        return None
    if len(chosen) > 1:
        second = next(key for key in given if kinds.get(key, key) == chosen[1])
        check.add((*path, second), table[second], f"{ONE_OF}, not more than one")
        return None
    if values["until"] is not None and values["days"] is not None:
        check.add((*path, "until"), table["until"], "either until or days, not both")
    rule: FixedDate | YearlyRule | None = None
    days = values["days"] or 1
    if chosen == ["date"]:
        first, until = values["date"], values["until"]
        if until is not None:
            span = (until - first).days + 1
            if not 1 <= span <= LONGEST:
                check.add(
                    (*path, "until"),
                    until,
                    f"a date from {first.isoformat()} (the closure's date) to "
                    f"{(first + timedelta(days=LONGEST - 1)).isoformat()}",
                )
            days = span
    else:
        if values["until"] is not None:
            check.add(
                (*path, "until"),
                table["until"],
                "until only with date = 'YYYY-MM-DD' (a yearly closure lasts days = N)",
            )
        if chosen == ["month"]:
            rule = _month_day(check, path, values)
        else:
            rule = _rule(check, path, values["rrule"])
    if len(check.problems) > before or (chosen != ["date"] and rule is None):
        return None
    return Closure(values["name"], rule, values["date"], days)


def _month_day(
    check: Checker, path: tuple[str | int, ...], values: dict[str, Any]
) -> FixedDate | None:
    month, day = values["month"], values["day"]
    if month is None or day is None:
        missing = "day" if day is None else "month"
        what = "a day of the month, 1 to 31" if day is None else "a month, 1 to 12"
        check.add((*path, missing), MISSING, f"{what}, beside {'month' if day is None else 'day'}")
        return None
    try:
        date(2000, month, day)  # a leap year: February 29 is a day
    except ValueError:
        last = (date(2000 + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
        check.add((*path, "day"), day, f"a day that month {month} has, 1 to {last}")
        return None
    # February 29 is closed in leap years only: there is no day of that name otherwise.
    return FixedDate(month, day, "skip")


def _rule(check: Checker, path: tuple[str | int, ...], value: str) -> YearlyRule | None:
    body = dates.normalise_rrule(value)
    if "COUNT=" in body.upper():
        problem: str | None = (
            "an RRULE without COUNT (a closure's rule starts in 1925; end it with UNTIL=YYYYMMDD)"
        )
    else:
        problem = dates.rrule_check(body, RULE_SINCE)
        if problem is not None:  # worded for observances, the rule's other use
            problem = problem.replace("an observance happens", "a yearly closure begins")
    if problem is not None:
        check.add((*path, "rrule"), value, problem)
        return None
    return YearlyRule(body, RULE_SINCE)
