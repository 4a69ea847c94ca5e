"""Rebuild after an edit to one calendar of ten: only that calendar and /all.ics are built again.

Target (issue 15): after touching one of ten calendars of 1,000 observances each, the feeds'
rebuild takes at most 15% of the CPU time of a full build, and every other calendar keeps its
ETags.

What runs, in one process per round (the feed server's own calls, the collector on as in the
server):

* ten calendars are generated as bench/export.py generates its calendar (1,000 observances:
  facts with sources, timed moments in several zones, Azerbaijani and Urdu text), each with its
  own id, beside a config.toml (the bundled one, with ``calendars = "calendars"``); the window
  is the config's (1 past year, 5 future: 7 years, about 73,500 VEVENTs in all);
* **full**: ``web.feeds.feeds_from_files`` with an empty ``FeedCache`` (as the server's first
  build);
* the fourth calendar's file is edited (one observance's description gets a sentence, alternating
  between two texts so every round edits), the files are loaded again (``config.load.load``, timed
  apart: the server loads before it builds) and **rebuild** is ``feeds_from_files`` with the
  same cache (as the server's rebuild after the edit);
* the ETags and gzip ETags of every feed are compared: the edited calendar's and /all.ics must
  change (in each of the config's languages: ``/ur/all.ics`` too), every other one must not;
  the rebuilt feeds are compared with a build without the cache (the same resources, byte for
  byte).

CPU time is ``time.process_time()`` (this process only; the build is single-threaded).

Usage (from the project root)::

    .venv/bin/python bench/rebuild.py               # 3 rounds (each: a full build, 2 rebuilds)
    .venv/bin/python bench/rebuild.py --rounds 5 --calendars 10 --observances 1000
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from common import ROOT, default_python, header
from export import calendar_toml

EDITS = ("An edit: one more sentence.", "Another edit: a different sentence.")


def make_project(folder: Path, calendars: int, observances: int) -> Path:
    (folder / "calendars").mkdir(parents=True)
    text = calendar_toml(observances)
    for n in range(calendars):
        mine = text.replace('id = "bench"', f'id = "bench-{n}"', 1)
        (folder / "calendars" / f"bench-{n}.toml").write_text(mine, "utf-8")
    config = (ROOT / "config.toml").read_text("utf-8")
    config = config.replace('# calendars = "calendars"', 'calendars = "calendars"')
    assert 'calendars = "calendars"' in config
    (folder / "config.toml").write_text(config, "utf-8")
    shutil.copytree(ROOT / "templates", folder / "templates")
    return folder / "config.toml"


def edit(path: Path, original: str, text: str) -> None:
    """The calendar's first observance's description with ``text`` appended."""
    marker = "wreaths, readings and a moment of silence."
    head, tail = original.split(marker, 1)
    path.write_text(head + marker + " " + text + tail, "utf-8")


def worker(args: argparse.Namespace) -> None:
    from reminders.config.load import load
    from reminders.web.feedcache import FeedCache
    from reminders.web.feeds import ALL, all_path, calendar_path, feeds_from_files

    config = str(Path(args.dir) / "config.toml")
    now = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    today = now.date()
    gc.collect()
    loaded = load(config, today)
    cache = FeedCache()
    cpu = time.process_time()
    full = feeds_from_files(config, loaded, {}, now, cache)
    full_cpu = time.process_time() - cpu
    vevents = full.resources[ALL].body.count(b"BEGIN:VEVENT\r\n")
    combined = full.resources[ALL]
    plain = sum(r.size for r in full.resources.values())
    # What the build keeps (feedcache.py): each feed's gzip form, each calendar's deflate
    # stream, and the events of the calendars a combined feed joins; no feed's plain bytes.
    kept = list(cache._kept.values())
    held = sum(len(b.gzipped) + len(b.deflated) + len(b.events) for b in kept)
    print(
        f"full build: {full_cpu:.3f} s CPU, {len(full.resources)} feeds, {vevents:,} VEVENTs in "
        f"/all.ics ({combined.size:,} bytes), {full.rebuilt} calendars built; kept in memory: "
        f"{held / plain:.2f}x the plain bytes of all feeds ({held:,} of {plain:,} bytes)"
    )
    edited_id = "bench-3"
    source = Path(args.dir) / "calendars" / f"{edited_id}.toml"
    original = source.read_text("utf-8")
    previous = full
    for step in range(2):
        edit(source, original, EDITS[step % 2])
        cpu = time.process_time()
        loaded = load(config, today)
        load_cpu = time.process_time() - cpu
        cpu = time.process_time()
        rebuilt = feeds_from_files(config, loaded, {}, now, cache)
        rebuild_cpu = time.process_time() - cpu
        changed = sorted(
            path
            for path, resource in rebuilt.resources.items()
            if (resource.etag, resource.gzip_etag)
            != (previous.resources[path].etag, previous.resources[path].gzip_etag)
        )
        tags = ["", *loaded.settings.organisation.languages[1:]]  # each language's feeds
        expected = sorted(p for t in tags for p in (all_path(t), calendar_path(edited_id, t)))
        fresh = feeds_from_files(config, loaded, {}, now, None)
        same = all(fresh.resources[p] == r for p, r in rebuilt.resources.items())
        print(
            f"rebuild {step + 1} after editing {edited_id}: {rebuild_cpu:.3f} s CPU "
            f"({rebuild_cpu / full_cpu:.1%} of the full build; loading the files again "
            f"{load_cpu:.3f} s more), {rebuilt.rebuilt} calendar built; ETags changed: "
            f"{', '.join(changed)} ({'as expected' if changed == expected else 'NOT as expected'});"
            f" same bytes as a build without the cache: {'yes' if same else 'NO'}"
        )
        print(
            f"RESULT {full_cpu:.6f} {rebuild_cpu:.6f} {load_cpu:.6f} "
            f"{int(changed == expected and same)}"
        )
        previous = rebuilt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calendars", type=int, default=10)
    parser.add_argument("--observances", type=int, default=1000)
    parser.add_argument("--python", default=default_python())
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    header("reminders feed rebuild benchmark", args.python)
    print(
        f"{args.calendars} calendars of {args.observances} observances each "
        "(bench/export.py's generator), the bundled config's window"
    )
    ratios: list[float] = []
    good = True
    for round_ in range(args.rounds):
        folder = Path(tempfile.mkdtemp(prefix="reminders-bench-rebuild-"))
        try:
            make_project(folder, args.calendars, args.observances)
            done = subprocess.run(
                [args.python, str(Path(__file__).resolve()), "--worker", "--dir", str(folder)],
                cwd=ROOT,
                capture_output=True,
                text=True,
                env={
                    "REMINDERS_CACHE_DIR": str(folder / "cache"),
                    "PATH": "/usr/bin:/bin",
                    "PYTHONPATH": str(ROOT),
                },
            )
        finally:
            shutil.rmtree(folder)
        if done.returncode != 0:
            sys.exit(f"worker failed:\n{done.stderr}")
        print(f"\nround {round_ + 1}:")
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                full, rebuild, _load, ok = line.split()[1:]
                ratios.append(float(rebuild) / float(full))
                good = good and ok == "1"
            else:
                print("  " + line)
    median = statistics.median(ratios)
    print()
    print(
        f"rebuild/full CPU over {len(ratios)} rebuilds: median {median:.1%}, "
        f"max {max(ratios):.1%}; target <= 15%: {'MET' if max(ratios) <= 0.15 else 'MISSED'}; "
        f"other calendars' ETags unchanged and bytes as without the cache: "
        f"{'yes' if good else 'NO'}"
    )


if __name__ == "__main__":
    main()
