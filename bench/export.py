"""ICS export of a large generated calendar: our ``build_ics`` against bare icalendar calls.

Target (the issue): exporting a generated calendar of 1,000 observances over 10 years (10,000
all-day VEVENTs) must not be slower than building the same events with bare icalendar calls, and
should be faster.  Issue 15 (``--events-70k --old TREE``): 10,000 observances over 7 years
(73,500 VEVENTs) at least 5x faster than the build before it, run beside it from its own tree,
with a peak of at most 150 MB.

What runs:

* A calendar TOML with 1,000 observances is generated in a temporary folder: dates spread over the
  year (three on February 29: leap_day mar1, feb28 and the default; 20 movable RRULE days), 1 to
  3 facts each with its source, a timed moment on every 20th observance (several time zones, with
  and without DST), and non-ASCII text (Azerbaijani "Xocalı soyqırımı", Urdu "یادگاری دن").
  It is loaded with ``reminders.config.calendars.load_calendars`` (not timed).
* **ours**: ``reminders.core.ics.ics_parts(calendars, first, last, FeedInfo(...))``, the FeedInfo
  built as ``reminders.core.ics.export_ics`` builds it for one calendar: the parts that
  ``reminders export`` writes one after the other (never joined into one bytes object).
* **old** (with ``--old TREE``): that tree's ``build_ics``, the same call, run with its own
  package on PYTHONPATH (e.g. ``git archive`` of the commit before a change into /tmp/old15).
* **baseline**: the same VCALENDAR and VEVENTs (same UID, DTSTAMP, LAST-MODIFIED, DTSTART/DTEND,
  SUMMARY, DESCRIPTION text, CATEGORIES, TRANSP, RELATED-TO, moments as zoned events with their
  VTIMEZONEs) built with ``icalendar.Event()`` and ``.add(...)`` in a plain loop, then
  ``add_missing_timezones()`` and ``to_ical()``.  It walks the same ``occurrences()`` and uses the
  same ``describe_*`` text helpers as ours, so the two differ only in how icalendar is driven.
* Before timing, both outputs are compared: the same number of VEVENTs, and every VEVENT (by UID)
  and VTIMEZONE (by TZID) byte for byte.

Each measurement is a fresh subprocess (``--worker``) so that peak memory is per variant: wall and
CPU time and ``ru_maxrss`` in one set of runs; ``tracemalloc`` peak (which slows Python down) in
separate runs.  Runs alternate ours/baseline.  Where ours spends its time:
one run under cProfile (``--profile-baseline`` profiles the baseline too).

Usage (from the project root)::

    .venv/bin/python bench/export.py                   # 7 timed runs each, 3 tracemalloc runs
    .venv/bin/python bench/export.py --repeats 11 --profile-baseline
    git archive 09576ef | tar -x -C /tmp/old15      # the build before issue 15
    .venv/bin/python bench/export.py --events-70k --old /tmp/old15 --repeats 3 --memory-repeats 1

Standard library plus the project's own dependencies (icalendar).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import json
import os
import pstats
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from common import ROOT, default_python, header

VARIANTS = ("ours", "baseline")
ICALFOLD = "ours-icalfold"  # with --icalendar-fold: ours with icalendar's own folding (see below)
OLD = "old"  # with --old TREE: that tree's build_ics (the build before issue 15), run beside
UID_DOMAIN = "bench.example.org"
REFRESH = timedelta(hours=12)
ONE_DAY = timedelta(days=1)

# --- The generated calendar ------------------------------------------------------------------

NAMES = (
    "the January 20 Tragedy",
    "Xocalı soyqırımı (the Khojaly Genocide)",
    "یادگاری دن (Remembrance Day)",
    "the start of the 44-day war",
    "the ceasefire of 10 November",
    "Şəhidlər Xiyabanı: Martyrs' Lane",
    "a regional flood; families, villages and schools",
)
ZONES = ("Asia/Baku", "Asia/Karachi", "Europe/Berlin", "America/New_York", "Europe/London")
TAGS = ("national-mourning", "khojaly", "44-day-war", "diaspora", "culture", "history")
RRULES = (
    "FREQ=YEARLY;BYMONTH=5;BYDAY=2SU",
    "FREQ=YEARLY;BYMONTH=10;BYDAY=-1FR",
    "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=21",
)
SOURCES = (
    "APA news agency, 20 January 2024",
    "Azernews, summarising an article in Pakistan Observer, 1 March 2023",
    "Report of a press conference at the embassy in Islamabad, 2021",
    "یادگاری دن: Urdu press release of the association, 2024",
)


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escaping is valid TOML)."""
    return json.dumps(text, ensure_ascii=False)


def month_day(index: int) -> tuple[int, int]:
    """Spread the observances over the days of a leap year, February 29 included."""
    day = date(2000, 1, 1) + timedelta(days=(index * 7) % 366)
    return day.month, day.day


def calendar_toml(count: int) -> str:
    lines = [
        "# Generated by bench/export.py: a large calendar for the export benchmark.",
        "[calendar]",
        'id = "bench"',
        f"name = {toml_string('Generated benchmark calendar: Xocalı, یادگاری دن')}",
        'description = "1,000 generated observances; facts, sources; moments in several zones."',
        'timezone = "Asia/Baku"',
        "public = true",
        "revised = 2026-11-23T00:00:00Z",
    ]
    for i in range(count):
        name = NAMES[i % len(NAMES)]
        since = 1900 + (i * 37) % 121  # 1900 .. 2020
        lines += [
            "",
            "[[observance]]",
            f'id = "obs-{i:04d}"',
            f"title = {toml_string(f'{{ordinal}} anniversary of {name} (no. {i})')}",
        ]
        if i % 50 == 49:
            lines.append(f'rrule = "{RRULES[i % len(RRULES)]}"')
        else:
            month, day = month_day(i)
            lines.append(f'date = "{month:02d}-{day:02d}"')
            if (month, day) == (2, 29):  # i = 59, 425, 791: mar1, feb28, the default (feb28)
                policy = ("mar1", "feb28", None)[(i // 366) % 3]
                if policy:
                    lines.append(f'leap_day = "{policy}"')
        description = (
            f"Observance {i} remembers {name}, which took place in {since}; it is kept with "
            "wreaths, readings and a moment of silence."
        )
        if i % 5 == 0:
            description += " Xocalı soyqırımı qurbanlarının xatirəsi; یادگاری دن کی تقریب۔"
        tags = [TAGS[i % len(TAGS)]] + ([TAGS[(i + 2) % len(TAGS)]] if i % 3 == 0 else [])
        lines += [
            f"since = {since}",
            f"description = {toml_string(description)}",
            f"tags = [{', '.join(toml_string(t) for t in tags)}]",
        ]
        for f in range(1 + i % 3):
            lines += [
                "",
                "[[observance.fact]]",
                f"text = {toml_string(f'Fact {f} of observance {i}: {100 + i * 3 + f} people, by one count; others give other figures.')}",  # noqa: E501
                f"source = {toml_string(SOURCES[(i + f) % len(SOURCES)])}",
            ]
        if i % 20 == 0:
            zone = ZONES[(i // 20) % len(ZONES)]
            lines += [
                "",
                "[[observance.moment]]",
                'id = "minute-of-silence"',
                'name = "Minute of silence"',
                f'time = "{12 + (i // 20) % 6:02d}:{(i * 7) % 60:02d}"',
                f'duration = "{"PT1M" if i % 40 else "PT30M"}"',
                f'timezone = "{zone}"',
                f"description = {toml_string('A minute of silence; ships and cars sound their horns. Bir dəqiqəlik sükut.')}",  # noqa: E501
            ]
    return "\n".join(lines) + "\n"


# --- The worker: one variant in its own process -----------------------------------------------


def baseline_ics(calendars: Sequence[Any], first: int, last: int, info: Any) -> bytes:
    """The same calendar with bare icalendar calls: Event() and .add(...) in a plain loop."""
    import icalendar

    from reminders.core.ics import describe_moment, describe_observance, new_vcalendar
    from reminders.core.occurrences import occurrences

    stamp = max(c.revised for c in calendars)
    # The calendar's own properties as ours (new_vcalendar): only the events are compared.
    cal = new_vcalendar(info.name, info.description, stamp, info.refresh)
    domain = info.uid_domain
    items = occurrences(calendars, date(first, 1, 1), date(last + 1, 1, 1), examples=True)
    for item in items:
        observance = item.observance
        if item.event is not None or observance is None:
            raise SystemExit("the generated calendar has no one-off events")
        uid = f"{item.calendar.id}-{observance.id}-{item.date.year}@{domain}"
        event = icalendar.Event()
        event.add("uid", uid)
        event.add("dtstamp", stamp)
        event.add("last-modified", stamp)
        event.add("dtstart", item.date)
        event.add("dtend", item.date + ONE_DAY)
        event.add("summary", item.title)
        event.add("description", describe_observance(item, info.language))
        if observance.tags:
            event.add("categories", list(observance.tags))
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
        for placed in item.moments:
            moment = icalendar.Event()
            moment.add("uid", uid.replace("@", f"-{placed.moment.id}@", 1))
            moment.add("dtstamp", stamp)
            moment.add("last-modified", stamp)
            moment.add("dtstart", placed.start)
            moment.add("dtend", placed.end)
            moment.add("summary", f"{placed.moment.name}: {item.title}")
            moment.add("description", describe_moment(item, placed, info.language))
            if observance.tags:
                moment.add("categories", list(observance.tags))
            moment.add("transp", "TRANSPARENT")
            moment.add("related-to", uid)
            cal.add_component(moment)
    cal.add_missing_timezones(first_date=date(first, 1, 1), last_date=date(last + 1, 12, 31))
    data: bytes = cal.to_ical()
    return data


def worker(args: argparse.Namespace) -> None:
    # Both variants import the same modules before anything is measured.
    import icalendar  # noqa: F401

    from reminders.cli.gcpause import gc_paused
    from reminders.config.calendars import load_calendars
    from reminders.core.ics import FeedInfo, build_ics

    calendars = load_calendars(Path(args.dir) / "calendars", date.today())
    (calendar,) = calendars
    # As core/ics.py's export_ics builds it for --calendar ID (language: English).
    info = FeedInfo(calendar.name, calendar.description, UID_DOMAIN, REFRESH)

    def build() -> list[Any]:
        """The export as the variant's ``reminders export`` has it before writing: ours in
        parts (it writes them one after the other, never joined), the others as one bytes."""
        # As `reminders export` runs it: the collector paused (reminders/cli/gcpause.py).
        if args.worker in ("ours", ICALFOLD):
            from reminders.core.ics import ics_parts

            if args.worker == ICALFOLD:
                # core/icsfold.py folds by octet slices; this is what the build costs when
                # icalendar's own fold (Contentline.to_ical) does every line instead: the
                # measurement that keeps the hand-written fold (the project's rule for a
                # replacement of a library's code).
                from reminders.core import icsevents, icsfold

                icsfold.fold = icsevents.fold = icsfold.icalendar_fold
            with gc_paused():
                return ics_parts(calendars, args.first, args.last, info, examples=True)
        if args.worker == OLD:  # the old tree's package (PYTHONPATH)
            with gc_paused():
                return [build_ics(calendars, args.first, args.last, info, examples=True)]
        return [baseline_ics(calendars, args.first, args.last, info)]

    gc.collect()
    result: dict[str, Any] = {"variant": args.worker}
    if args.mode == "time":
        collector = GcClock()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        cpu = time.process_time()
        wall = time.perf_counter()
        with collector:
            data = build()
        result["wall"] = time.perf_counter() - wall
        result["cpu"] = time.process_time() - cpu
        result["gc"] = collector.seconds
        result["gc_full"] = collector.full
        result["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["maxrss_before_kib"] = rss_before
    elif args.mode == "tracemalloc":
        tracemalloc.start()
        data = build()
        result["traced_current"], result["traced_peak"] = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    elif args.mode == "profile":
        profiler = cProfile.Profile()
        profiler.enable()
        data = build()
        profiler.disable()
        print_profile(profiler, args.top, args.worker)
    else:  # dump
        data = build()
        with Path(args.out).open("wb") as out:
            out.writelines(data)
    digest = hashlib.sha256()
    for part in data:
        digest.update(part)
    result["bytes"] = sum(len(part) for part in data)
    result["vevents"] = sum(bytes(part).count(b"BEGIN:VEVENT\r\n") for part in data)
    result["sha256"] = digest.hexdigest()
    print(json.dumps(result))


class GcClock:
    """Time spent in the cyclic garbage collector while the block runs (gc.callbacks)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0  # generation-2 collections
        self._start = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._start
            self.full += info["generation"] == 2

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)


def short(path: str) -> str:
    """A profile row's file, without the project, site-packages or standard library folder."""
    for prefix in (str(ROOT) + "/", "site-packages/", sysconfig.get_paths()["stdlib"] + "/"):
        if prefix in path:
            path = path.split(prefix, 1)[1]
    return path


def print_profile(profiler: cProfile.Profile, top: int, variant: str) -> None:
    stats = pstats.Stats(profiler)
    rows = []
    total = 0.0
    for (path, line, func), (_cc, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore
        rows.append((cumtime, tottime, ncalls, f"{short(path)}:{line}({func})"))
        total = max(total, cumtime)
    print(
        f"cProfile of one {variant} run ({'build_ics' if variant == 'ours' else 'baseline_ics'}):"
        f" {total:.2f} s under the profiler, which slows it down; read the shares, not the seconds"
    )
    for title, key in (("cumulative", 0), ("own (tottime)", 1)):
        print()
        print(f"top {top} by {title} time:")
        print(f"{'cum s':>7} {'own s':>7} {'calls':>9}  function")
        for row in sorted(rows, key=lambda r: r[key], reverse=True)[:top]:
            print(f"{row[0]:>7.3f} {row[1]:>7.3f} {row[2]:>9}  {row[3]}")
    phases = (
        ("occurrences() (expansion)", "reminders/core/occurrences.py", "occurrences"),
        ("calendar_events (ours' VEVENTs)", "reminders/core/icsevents.py", "calendar_events"),
        ("  of which Folder.line (text)", "reminders/core/icsfold.py", "line"),
        ("  of which observance_text", "reminders/core/icsevents.py", "observance_text"),
        ("describe_observance (baseline)", "reminders/core/ics.py", "describe_observance"),
        ("Component.add (all calls)", "icalendar/cal/component.py", "add"),
        ("timezones (VTIMEZONE)", "reminders/core/ics.py", "timezones"),
        ("add_missing_timezones (baseline)", "icalendar/cal/calendar.py", "add_missing_timezones"),
        ("Component.to_ical (serialise)", "icalendar/cal/component.py", "to_ical"),
        ("  of which _foldline", "icalendar/parser/string.py", "_foldline"),
    )
    print()
    print("phases (cumulative under the profiler, share of the run):")
    for label, suffix, func in phases:
        # Recursive functions (to_ical, content_lines) report their outermost call as the max.
        cum = max((r[0] for r in rows if r[3].endswith(f"({func})") and suffix in r[3]), default=0)
        if cum:
            print(f"  {label:<32} {cum:>7.3f} s  {cum / total:>5.0%}")


# --- The driver --------------------------------------------------------------------------------


OLD_TREE: str | None = None  # --old: the tree whose reminders package the OLD variant imports


def run_worker(
    python: str, variant: str, mode: str, folder: Path, first: int, last: int, *extra: str
) -> dict[str, Any]:
    argv = [
        python,
        str(Path(__file__).resolve()),
        "--worker",
        variant,
        "--mode",
        mode,
        "--dir",
        str(folder),
        "--first",
        str(first),
        "--last",
        str(last),
        *extra,
    ]
    env = dict(os.environ)
    if variant == OLD:
        assert OLD_TREE is not None
        env["PYTHONPATH"] = OLD_TREE
    else:
        env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        sys.exit(f"worker {variant} {mode} failed:\n{done.stderr}")
    *text, last_line = done.stdout.rstrip("\n").split("\n")
    result: dict[str, Any] = json.loads(last_line)
    result["text"] = "\n".join(text)
    return result


def blocks(data: bytes, kind: bytes) -> dict[bytes, bytes]:
    """Each BEGIN:kind..END:kind block, keyed by its UID or TZID line."""
    out: dict[bytes, bytes] = {}
    begin, end = b"BEGIN:" + kind + b"\r\n", b"END:" + kind + b"\r\n"
    position = 0
    while (start := data.find(begin, position)) >= 0:
        stop = data.index(end, start) + len(end)
        block = data[start:stop]
        key = next(line for line in block.split(b"\r\n") if line.startswith((b"UID:", b"TZID:")))
        if key in out:
            sys.exit(f"duplicate {key!r} in the output")
        out[key] = block
        position = stop
    return out


def verify(python: str, folder: Path, first: int, last: int, variants: Sequence[str]) -> str:
    """Both variants give the same VEVENTs and VTIMEZONEs (and the old tree, if given, the same
    file as ours); returns the sha256 of ours."""
    outputs = {}
    for variant in variants:
        out = folder / f"{variant}.ics"
        run_worker(python, variant, "dump", folder, first, last, "--out", str(out))
        outputs[variant] = out.read_bytes()
    ours, base = outputs["ours"], outputs["baseline"]
    if OLD in outputs:
        if outputs[OLD] != ours:
            sys.exit("the old tree's export differs from ours")
        print(f"check: the old tree's export is byte-identical to ours ({len(ours):,} bytes)")
    counts = {v: data.count(b"BEGIN:VEVENT\r\n") for v, data in outputs.items()}
    if counts["ours"] != counts["baseline"]:
        sys.exit(f"different VEVENT counts: {counts}")
    for kind in (b"VEVENT", b"VTIMEZONE"):
        a, b = blocks(ours, kind), blocks(base, kind)
        if a != b:
            differ = sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k))
            key = differ[0]
            sys.exit(
                f"{len(differ)} {kind.decode()} blocks differ, e.g. {key!r}:\n"
                f"ours:\n{a.get(key, b'(none)').decode()}\n"
                f"baseline:\n{b.get(key, b'(none)').decode()}"
            )
    head_a, head_b = ours.split(b"BEGIN:VTIMEZONE")[0], base.split(b"BEGIN:VTIMEZONE")[0]
    if head_a != head_b:
        sys.exit(f"calendar headers differ:\n{head_a.decode()}\n---\n{head_b.decode()}")
    for needle in ("Xocalı soyqırımı", "یادگاری دن"):
        if needle.encode() not in ours.replace(b"\r\n ", b""):
            sys.exit(f"{needle!r} is missing from the output")
    same_order = list(blocks(ours, b"VEVENT")) == list(blocks(base, b"VEVENT"))
    if not same_order:
        sys.exit("the VEVENTs come in a different order")
    moments = sum(1 for block in blocks(ours, b"VEVENT").values() if b";TZID=" in block)
    timezones = len(blocks(ours, b"VTIMEZONE"))
    print(
        f"check: {counts['ours']} VEVENTs in both ({counts['ours'] - moments} all-day, "
        f"{moments} zoned moments), {timezones} VTIMEZONEs; every VEVENT (by UID), VTIMEZONE "
        f"and the calendar header are byte-identical, VEVENTs in the same order; whole file "
        f"byte-identical: {'yes' if ours == base else 'no, VTIMEZONE order only'}; "
        f"{len(ours):,} bytes."
    )
    return hashlib.sha256(ours).hexdigest()


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f}"


def driver(args: argparse.Namespace) -> None:
    python = args.python
    first, last = args.first_year, args.first_year + args.years - 1
    folder = Path(tempfile.mkdtemp(prefix="reminders-bench-export-"))
    try:
        (folder / "calendars").mkdir()
        source = calendar_toml(args.observances)
        (folder / "calendars" / "bench.toml").write_text(source, encoding="utf-8")
        header(
            "reminders ICS export benchmark", python, f"; icalendar {_icalendar_version(python)}"
        )
        print(
            f"calendar: {args.observances} observances ({len(source.encode()):,} bytes of TOML) "
            f"in {folder}; years {first}-{last}"
        )
        variants = (
            VARIANTS + ((ICALFOLD,) if args.icalendar_fold else ()) + ((OLD,) if args.old else ())
        )
        verify(python, folder, first, last, variants)
        print()

        timed: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
        traced: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
        for repeat in range(args.repeats):
            order = variants if repeat % 2 == 0 else variants[::-1]
            for variant in order:
                timed[variant].append(run_worker(python, variant, "time", folder, first, last))
        for repeat in range(args.memory_repeats):
            order = variants if repeat % 2 == 0 else variants[::-1]
            for variant in order:
                traced[variant].append(
                    run_worker(python, variant, "tracemalloc", folder, first, last)
                )
        report(timed, traced, args)
        print()
        profile = run_worker(python, "ours", "profile", folder, first, last, "--top", str(args.top))
        print(profile["text"])
        if args.profile_baseline:
            print()
            print("baseline, for comparison:")
            print(
                run_worker(
                    python, "baseline", "profile", folder, first, last, "--top", str(args.top)
                )["text"]
            )
    finally:
        if args.keep:
            print(f"\nkept {folder}")
        else:
            shutil.rmtree(folder)


def _icalendar_version(python: str) -> str:
    done = subprocess.run(
        [python, "-c", "import icalendar; print(icalendar.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def report(
    timed: dict[str, list[dict[str, Any]]],
    traced: dict[str, list[dict[str, Any]]],
    args: argparse.Namespace,
) -> None:
    def med(variant: str, key: str, source: dict[str, list[dict[str, Any]]]) -> float:
        return statistics.median(r[key] for r in source[variant])

    print(
        f"{args.repeats} timed runs and {args.memory_repeats} tracemalloc runs per variant, "
        "each in a fresh process, alternating ours/baseline; medians:"
    )
    head = (
        f"{'variant':<9} {'wall s':>7} {'min s':>6} {'max s':>6} {'cpu s':>6} {'gc s':>5} "
        f"{'maxrss MiB':>10} {'(+build)':>8} {'traced peak MiB':>15} {'VEVENTs':>8} {'bytes':>10}"
    )
    print(head)
    print("-" * len(head))
    for variant in timed:
        walls = [r["wall"] for r in timed[variant]]
        rss = med(variant, "maxrss_kib", timed)
        grew = statistics.median(r["maxrss_kib"] - r["maxrss_before_kib"] for r in timed[variant])
        print(
            f"{variant:<9} {statistics.median(walls):>7.3f} {min(walls):>6.3f} {max(walls):>6.3f} "
            f"{med(variant, 'cpu', timed):>6.3f} {med(variant, 'gc', timed):>5.2f} "
            f"{mib(rss):>10} {'+' + mib(grew):>8} "
            f"{med(variant, 'traced_peak', traced) / 2**20:>15.2f} "
            f"{timed[variant][0]['vevents']:>8} {timed[variant][0]['bytes']:>10,}"
        )
    wall_ratio = med("ours", "wall", timed) / med("baseline", "wall", timed)
    paired = statistics.median(
        a["wall"] / b["wall"] for a, b in zip(timed["ours"], timed["baseline"], strict=True)
    )
    cpu_ratio = med("ours", "cpu", timed) / med("baseline", "cpu", timed)
    rss_ratio = med("ours", "maxrss_kib", timed) / med("baseline", "maxrss_kib", timed)
    peak_ratio = med("ours", "traced_peak", traced) / med("baseline", "traced_peak", traced)
    print()
    print(
        f"ours/baseline: wall {wall_ratio:.2f}x (paired per repeat {paired:.2f}x), "
        f"cpu {cpu_ratio:.2f}x, maxrss {rss_ratio:.2f}x, tracemalloc peak {peak_ratio:.2f}x"
    )
    not_slower = wall_ratio <= 1.0
    faster = wall_ratio < 1.0
    print(
        f"target 'not slower than the baseline': {'MET' if not_slower else 'MISSED'}"
        f"{'' if not_slower else f' (ours takes {(wall_ratio - 1) * 100:.0f}% longer)'}; "
        f"'should be faster': {'yes' if faster else 'no'}"
    )
    if OLD in timed:
        speedup = med(OLD, "wall", timed) / med("ours", "wall", timed)
        cpu_speedup = med(OLD, "cpu", timed) / med("ours", "cpu", timed)
        paired_old = statistics.median(
            a["wall"] / b["wall"] for a, b in zip(timed[OLD], timed["ours"], strict=True)
        )
        peak = med("ours", "maxrss_kib", timed) / 1024
        print(
            f"old/ours: wall {speedup:.2f}x (paired per repeat {paired_old:.2f}x), "
            f"cpu {cpu_speedup:.2f}x; target 'at least 5x faster than the old build': "
            f"{'MET' if speedup >= 5 else 'MISSED'}; ours' peak (maxrss, the calendar loaded "
            f"too) {peak:.0f} MiB, target 150 MiB: {'MET' if peak <= 150 else 'MISSED'}"
        )
        if ICALFOLD in timed:
            folded = med(OLD, "wall", timed) / med(ICALFOLD, "wall", timed)
            print(
                f"old/{ICALFOLD}: wall {folded:.2f}x, cpu "
                f"{med(OLD, 'cpu', timed) / med(ICALFOLD, 'cpu', timed):.2f}x: the target "
                f"{'MET' if folded >= 5 else 'MISSED'} without core/icsfold's fold by octets"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--observances", type=int, default=1000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--first-year", type=int, default=2027)
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per variant")
    parser.add_argument("--memory-repeats", type=int, default=3, help="tracemalloc runs")
    parser.add_argument("--top", type=int, default=15, help="profile rows")
    parser.add_argument("--profile-baseline", action="store_true", help="profile it too")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--python", default=default_python(), help="interpreter for the workers")
    # Worker options (internal).
    parser.add_argument(
        "--old",
        metavar="TREE",
        help="also run the build_ics of another source tree (e.g. a `git archive` of the commit "
        "before a change) beside ours, from its own package",
    )
    parser.add_argument(
        "--events-70k",
        action="store_true",
        help="the issue 15 case: 10,000 observances over 7 years (73,500 VEVENTs)",
    )
    parser.add_argument(
        "--icalendar-fold",
        action="store_true",
        help="also run ours with icalendar's own folding instead of core/icsfold's by octets",
    )
    parser.add_argument("--worker", choices=(*VARIANTS, ICALFOLD, OLD), help=argparse.SUPPRESS)
    parser.add_argument(
        "--mode",
        choices=("time", "tracemalloc", "profile", "dump"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    parser.add_argument("--first", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--last", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.events_70k:
        args.observances, args.years = 10_000, 7
    if args.old:
        global OLD_TREE
        OLD_TREE = str(Path(args.old).resolve())
        if not (Path(OLD_TREE) / "reminders" / "core" / "ics.py").exists():
            parser.error(f"--old {args.old}: expected a source tree with reminders/core/ics.py")
    if args.worker:
        worker(args)
    else:
        driver(args)


if __name__ == "__main__":
    main()
