"""``reminders`` with proposed speed changes patched in, to measure them before anyone makes them.

Run it as the ``reminders`` command, the changes to apply first (bench/plan.py does)::

    .venv/bin/python bench/plan_proposed.py --same -- --config C plan 2027
    .venv/bin/python bench/plan_proposed.py --same --formats --hostcal --gc -- plan 2027
    .venv/bin/python bench/plan_proposed.py --stages -- plan 2027     # stage times on stderr

Every change leaves the output as it is (bench/plan.py compares the bytes).

``--same`` (reminders/plan.py):

* the other observances near an entry come from an index by (calendar, date), built once per
  plan: the nearest ``NEIGHBOURS_SHOWN`` are taken day by day outwards from the entry's date,
  and the rest are counted from the index's lists without being looked at, so an entry costs
  O(days in the window), not O(observances in the window) (27 a day in case 2 of
  bench/plan.py, about 190 in the window of +-3 days); the package's ``neighbour_conflicts``
  then words the conflicts from those few;
* ``long_date`` is remembered per date (a year has 365 or 366 and ``strftime`` is slow);
* ``milestone_dates`` is remembered per (rules, event date): milestones depend on nothing else,
  and 10,000 observances share at most 366 event dates;
* ``day_conflicts`` is remembered per day, for the same reason.

``--formats`` (reminders/plan_formats.py): plain text (words and single spaces) is wrapped by
greedy filling, which gives the lines textwrap gives, without textwrap's regular expressions
and chunk lists; ``day`` is remembered per date.

``--hostcal`` (reminders/hostcal.py): the host calendar kept in the cache folder, as the
settings are (python-holidays imports about 280 country modules to find one).

``--gc`` (reminders/controllers.py or plan.py): the cyclic garbage collector paused while the
plan is built and formatted, as ics.py does for the export.

Each change wraps the package's own function (it calls the original on a smaller input, or
remembers its result), so it keeps working while the package changes.  Standard library only.
"""

from __future__ import annotations

import time

STARTED = time.perf_counter()  # before the imports below, for --stages

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
from collections import defaultdict  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from datetime import date, timedelta  # noqa: E402
from functools import lru_cache  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
UNPLAIN = re.compile(r"[\t\n\r\x0b\x0c]|  ")  # what textwrap would treat differently


def patch_same() -> None:
    """The changes to plan.py (the output stays the same)."""
    from reminders import plan

    nearest: int | None = getattr(plan, "NEIGHBOURS_SHOWN", None)  # None: every one is named

    neighbours = plan.neighbour_conflicts
    indexes: dict[int, tuple[object, Index]] = {}

    def indexed(item: Any, observed: Sequence[Any], within: int) -> list[Any]:
        # One index per `observed` sequence (one per plan); the entry keeps that sequence alive,
        # so its id is not reused while the entry is there.
        known = indexes.get(id(observed))
        if known is None or known[0] is not observed:
            known = (observed, Index(observed))
            indexes[id(observed)] = known
        index = known[1]
        if nearest is None:
            near = [o for gap in range(-within, within + 1) for o in index.on(item, gap)]
            return neighbours(item, near, within)
        return capped(item, index, within, nearest, neighbours)

    plan.neighbour_conflicts = indexed
    plan.long_date = lru_cache(maxsize=None)(plan.long_date)
    plan.milestone_dates = _remembered(plan.milestone_dates, lambda r, d, h: (tuple(r), d, id(h)))
    days = plan.day_conflicts
    remembered_days = _remembered(days, lambda i, h, r, c: (i.date, id(h), r, c))
    # build_plan adds to the list it gets back, so each caller gets its own copy.
    plan.day_conflicts = lambda *args: list(remembered_days(*args))


class Index:
    """The observances of a plan by (calendar id, date), and the observance ids on each day."""

    def __init__(self, observed: Sequence[Any]) -> None:
        self.by_day: dict[tuple[str, date], list[Any]] = defaultdict(list)
        self.ids: dict[tuple[str, date], set[str]] = defaultdict(set)
        for other in observed:
            if other.observance is not None:
                self.by_day[(other.calendar.id, other.date)].append(other)
                self.ids[(other.calendar.id, other.date)].add(other.observance.id)

    def on(self, item: Any, gap: int) -> list[Any]:
        return self.by_day.get((item.calendar.id, item.date + timedelta(days=gap)), [])

    def count(self, item: Any, gap: int, own: str | None) -> int:
        """How many other observances of the item's calendar fall ``gap`` days from it."""
        key = (item.calendar.id, item.date + timedelta(days=gap))
        found = self.by_day.get(key)
        return 0 if not found else len(found) - (own in self.ids[key])


def capped(
    item: Any, index: Index, within: int, limit: int, neighbours: Callable[..., list[Any]]
) -> list[Any]:
    """At most ``limit`` conflicts with other observances, the nearest, then one with the count.

    Costs O(days in the window + limit) per entry, whatever the number of neighbours.  The
    wording of the count is the package's (plan.neighbour_conflicts); bench/plan.py compares
    the bytes, so a change there shows.
    """
    from reminders import plan

    own = item.observance.id if item.observance is not None else None
    kept: list[tuple[int, Any]] = []
    total = 0
    for gap in _GAPS.get(within) or _GAPS.setdefault(within, _by_distance(within)):
        total += index.count(item, gap, own)
        for other in index.on(item, gap) if len(kept) < limit else ():
            if other.observance.id != own:
                kept.append((gap, other))
                if len(kept) == limit:
                    break
    found = neighbours(item, [other for _, other in sorted(kept, key=lambda k: k[0])], within)
    more = total - len(kept)
    if more:
        found.append(
            plan.Conflict(
                "observance",
                f"and {more} more observance{'s' if more != 1 else ''} of this calendar within "
                f"{within} day{'s' if within != 1 else ''}",
            )
        )
    return found


_GAPS: dict[int, list[int]] = {}


def _by_distance(within: int) -> list[int]:
    """-within..within, nearest first, the day before ahead of the day after."""
    return sorted(range(-within, within + 1), key=lambda g: (abs(g), g))


def _remembered(function: Callable[..., Any], key: Callable[..., Any]) -> Callable[..., Any]:
    memo: dict[Any, Any] = {}

    def wrapper(*args: Any) -> Any:
        k = key(*args)
        if k not in memo:
            memo[k] = function(*args)
        return memo[k]

    return wrapper


def patch_formats() -> None:
    """plan_formats: plain text wrapped without textwrap (the same lines), ``day`` per date."""
    from reminders import plan_formats

    wrap = plan_formats.wrap
    width = plan_formats.WIDTH

    def quick(text: str, first: str = "", rest: str = plan_formats.INDENT) -> list[str]:
        # What textwrap gives, for plain text (words and single spaces, no word longer than a
        # line): greedy filling, a word going on the line while it fits.  Anything else still
        # goes to textwrap.
        if not text or text[0] == " " or text[-1] == " " or UNPLAIN.search(text):
            return wrap(text, first, rest)
        if len(first) + len(text) <= width:
            return [first + text]
        words = text.split(" ")
        if max(map(len, words)) > width - max(len(first), len(rest)):
            return wrap(text, first, rest)
        lines = []
        line = first + words[0]
        for word in words[1:]:
            if len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = rest + word
        lines.append(line)
        return lines

    plan_formats.wrap = quick
    plan_formats.day = lru_cache(maxsize=None)(plan_formats.day)


def patch_hostcal() -> None:
    """The host calendar kept in the cache folder, keyed by what it is made from.

    python-holidays imports every country's module to find one (about 280 modules, 70 ms or
    more) and computes the year's Islamic holidays; the result depends only on the country,
    the weekend, the years and the library's version, so it can be kept as the settings are.
    """
    import hashlib
    import marshal
    import os
    from importlib.util import find_spec

    from reminders import cache, hostcal

    build = hostcal.host_calendar

    def kept(country: str, weekend: Sequence[str], year: int, source: str = "") -> Any:
        where = cache.folder()
        spec = find_spec("holidays")
        if where is None or spec is None or spec.origin is None:
            return build(country, weekend, year, source)
        library = os.stat(os.path.dirname(spec.origin))
        key = repr((country, tuple(weekend), year, spec.origin, library.st_mtime_ns))
        path = os.path.join(where, f"host-{hashlib.sha256(key.encode()).hexdigest()[:16]}")
        try:
            with open(path, "rb") as stored:
                days, ramadan, eids = marshal.load(stored)
        except (OSError, EOFError, ValueError, TypeError):
            made = build(country, weekend, year, source)
            days = [(d.toordinal(), name) for d, name in made.holidays.items()]
            ramadan, eids = ([_period_out(p) for p in found] for found in (made.ramadan, made.eids))
            os.makedirs(where, exist_ok=True)
            with open(path + ".tmp", "wb") as out:
                marshal.dump((days, ramadan, eids), out)
            os.replace(path + ".tmp", path)
            return made
        return hostcal.HostCalendar(
            country,
            frozenset(hostcal.WEEKDAYS.index(d) for d in weekend),
            {date.fromordinal(d): name for d, name in days},
            tuple(_period_in(p) for p in ramadan),
            tuple(_period_in(p) for p in eids),
        )

    hostcal.host_calendar = kept


def _period_out(period: Any) -> tuple[str, int, int, bool]:
    return (period.name, period.first.toordinal(), period.last.toordinal(), period.estimate)


def _period_in(stored: tuple[str, int, int, bool]) -> Any:
    from reminders.hostcal import Period

    name, first, last, estimate = stored
    return Period(name, date.fromordinal(first), date.fromordinal(last), estimate)


def patch_gc() -> None:
    """No cyclic garbage collection while the plan is built and written out, as ics.py does.

    Everything the plan makes lives until the output is written; the collector would walk the
    growing heap again and again for nothing.
    """
    from reminders import controllers

    output = controllers.plan_output

    def without_gc(*args: Any, **kwargs: Any) -> Any:
        gc.disable()
        try:
            return output(*args, **kwargs)
        finally:
            gc.enable()

    controllers.plan_output = without_gc


def patch_stages(times: dict[str, float]) -> None:
    """Time the stages of ``reminders plan``: load, make_plan, the format (into ``times``)."""
    from reminders import controllers, plan_formats

    def timed(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start

        return wrapper

    controllers.load = timed("load", controllers.load)
    controllers.make_plan = timed("make_plan", controllers.make_plan)
    for name, formatter in plan_formats.FORMATTERS.items():
        plan_formats.FORMATTERS[name] = timed(f"format {name}", formatter)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--same", action="store_true", help="changes that keep the output")
    parser.add_argument("--formats", action="store_true", help="wrap plain text without textwrap")
    parser.add_argument("--hostcal", action="store_true", help="keep the host calendar cached")
    parser.add_argument("--gc", action="store_true", help="no cyclic GC while planning")
    parser.add_argument("--stages", action="store_true", help="time the stages, on stderr")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- then the reminders arguments")
    options = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    if options.same:
        patch_same()
    if options.formats:
        patch_formats()
    if options.hostcal:
        patch_hostcal()
    if options.gc:
        patch_gc()
    times: dict[str, float] = {}
    if options.stages:
        patch_stages(times)
    from reminders.cli import main as reminders

    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    profiler = cProfile.Profile() if options.profile else None
    start = time.perf_counter()
    if profiler is not None:
        profiler.enable()
    code = reminders(args)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(options.profile)
    times["main"] = time.perf_counter() - start
    times["imports"] = start - STARTED  # this module's and the package's (reminders.cli)
    if options.stages:
        print(json.dumps(times), file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
