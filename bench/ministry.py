"""A generated ministry: N organisations over one config.toml, and what they cost.

Issue 18's scale: 200 organisations across 40 host countries and 5 languages, each with 2 private
calendars, 10 planned events and 5 notice rules, sharing the bundled remembrance calendar.  This
script writes such a deployment into a temporary folder for each N (50, 100, 200, 400 by default)
and times, in new processes (wall time, CPU time and peak RSS of the child):

* ``reminders orgs``: every organisation's file loaded and checked, its next notice found;
* ``reminders plan 2027 --overview --format json``: every organisation's plan of the year
  (target: at most 2 s for 200).

Usage (from the project root)::

    .venv/bin/python bench/ministry.py                  # N = 50, 100, 200, 400; 3 runs each
    .venv/bin/python bench/ministry.py --sizes 200 --runs 5
    .venv/bin/python bench/ministry.py --write /tmp/ministry --sizes 200   # keep the files

Standard library only (the project is run as a command).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("en", "az", "ru", "tr", "ur")
# 40 host countries python-holidays knows, with their usual weekend.
COUNTRIES = (
    "PK", "TR", "RU", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "PL", "UA", "GE", "KZ", "UZ",
    "KG", "TJ", "TM", "US", "CA", "BR", "AR", "MX", "JP", "KR", "CN", "IN", "ID", "MY", "EG",
    "MA", "TN", "DZ", "SA", "AE", "QA", "KW", "JO", "IR", "IL",
)  # fmt: skip
FRIDAY_SATURDAY = {"SA", "AE", "QA", "KW", "JO", "EG", "DZ", "IL"}
ZONES = {
    "PK": "Asia/Karachi", "TR": "Europe/Istanbul", "RU": "Europe/Moscow", "GB": "Europe/London",
    "DE": "Europe/Berlin", "FR": "Europe/Paris", "IT": "Europe/Rome", "ES": "Europe/Madrid",
    "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "PL": "Europe/Warsaw",
    "UA": "Europe/Kyiv", "GE": "Asia/Tbilisi", "KZ": "Asia/Almaty", "UZ": "Asia/Tashkent",
    "KG": "Asia/Bishkek", "TJ": "Asia/Dushanbe", "TM": "Asia/Ashgabat", "US": "America/New_York",
    "CA": "America/Toronto", "BR": "America/Sao_Paulo", "AR": "America/Argentina/Buenos_Aires",
    "MX": "America/Mexico_City", "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "CN": "Asia/Shanghai",
    "IN": "Asia/Kolkata", "ID": "Asia/Jakarta", "MY": "Asia/Kuala_Lumpur", "EG": "Africa/Cairo",
    "MA": "Africa/Casablanca", "TN": "Africa/Tunis", "DZ": "Africa/Algiers",
    "SA": "Asia/Riyadh", "AE": "Asia/Dubai", "QA": "Asia/Qatar", "KW": "Asia/Kuwait",
    "JO": "Asia/Amman", "IR": "Asia/Tehran", "IL": "Asia/Jerusalem",
}  # fmt: skip
OBSERVANCES = ("january-20", "february-26", "september-27", "november-10")


def write_ministry(folder: Path, count: int) -> Path:
    """A deployment of ``count`` organisations in ``folder``; returns its config.toml."""
    (folder / "organisations").mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(
        f"""[organisation]
name = "Ministry"
timezone = "Asia/Baku"
country = "AZ"
language = "en"
uid_domain = "ministry.example.org"

[paths]
calendars = "{ROOT / "calendars"}"
templates = "{ROOT / "templates"}"
organisations = "organisations"

[feed]
include_examples = false

[[channel]]
id = "outbox"
type = "file"
folder = "var/outbox"

[ledger]
url = "sqlite:///var/ledger.sqlite3"
""",
        "utf-8",
    )
    for n in range(count):
        country = COUNTRIES[n % len(COUNTRIES)]
        language = LANGUAGES[n % len(LANGUAGES)]
        languages = sorted({language, "en"})
        weekend = (
            '["Friday", "Saturday"]' if country in FRIDAY_SATURDAY else '["Saturday", "Sunday"]'
        )
        org_id = f"mission-{n:03d}"
        lines = [
            "[organisation]",
            f'name = "Mission {n:03d} ({country})"',
            f'timezone = "{ZONES[country]}"',
            f'country = "{country}"',
            f"weekend = {weekend}",
            f'language = "{language}"',
            f"languages = {languages!r}".replace("'", '"'),
            "",
            "[paths]",
            f'calendars = "{org_id}"',
            "",
        ]
        for r, (days, at) in enumerate(
            ((30, "09:00"), (14, "09:00"), (7, "10:00"), (1, "10:00"), (0, "08:00"))
        ):
            lines += [
                "[[notice]]",
                f'id = "rule-{r}"',
                f"before = {days}",
                f'at = "{at}"',
                'template = "planning"',
                'channels = ["outbox"]',
                "",
            ]
        for e in range(10):
            observance = OBSERVANCES[e % len(OBSERVANCES)]
            month, day = {"january-20": (1, 19), "february-26": (2, 25), "september-27": (9, 26),
                          "november-10": (11, 9)}[observance]  # fmt: skip
            year = 2027 + e // len(OBSERVANCES)
            lines += [
                "[[event]]",
                f'id = "{org_id}-event-{e}"',
                f'title = "Commemoration {e} of mission {n:03d}"',
                f'observance = "{observance}"',
                f"start = {year}-{month:02d}-{day:02d}T11:00:00",
                'duration = "PT2H"',
                f'timezone = "{ZONES[country]}"',
                f'venue = "Hall {e}"',
                "",
            ]
        (folder / "organisations" / f"{org_id}.toml").write_text("\n".join(lines), "utf-8")
        own = folder / "organisations" / org_id
        own.mkdir(exist_ok=True)
        for c in range(2):
            (own / f"private-{c}.toml").write_text(
                f'[calendar]\nid = "{org_id}-private-{c}"\nname = "Private {c}"\n'
                f'timezone = "{ZONES[country]}"\npublic = false\n'
                "revised = 2026-12-01T00:00:00Z\n\n"
                + "".join(
                    f'[[event]]\nid = "meeting-{k}"\ntitle = "Meeting {k}"\n'
                    f"date = 2027-{k + 1:02d}-15\n\n"
                    for k in range(6)
                ),
                "utf-8",
            )
    return config


MEASURE = """
import resource, sys, time
from reminders.cli import main
t0 = time.perf_counter()
code = main(sys.argv[1:])
wall = time.perf_counter() - t0
usage = resource.getrusage(resource.RUSAGE_SELF)
cpu = usage.ru_utime + usage.ru_stime
print(f"@@ {code} {wall:.4f} {cpu:.4f} {usage.ru_maxrss}", file=sys.stderr)
"""


def measure(config: Path, *argv: str) -> tuple[float, float, float]:
    """(wall s inside the process, CPU s, peak RSS MiB) of ``reminders ARGV`` in a new process."""
    env = {**os.environ, "REMINDERS_CACHE_DIR": str(config.parent / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, "--config", str(config), *argv],
        capture_output=True,
        text=True,
        env=env,
        cwd=config.parent,
        check=False,
    )
    line = [x for x in done.stderr.splitlines() if x.startswith("@@ ")]
    if not line:
        raise SystemExit(f"reminders {' '.join(argv)} failed:\n{done.stderr}")
    code, wall, cpu, rss = line[-1].split()[1:]
    if code not in ("0",):
        raise SystemExit(f"reminders {' '.join(argv)} exited {code}:\n{done.stderr}")
    return float(wall), float(cpu), int(rss) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,100,200,400")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--write", metavar="FOLDER", help="write the deployments here and keep them"
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    base = Path(args.write) if args.write else Path(tempfile.mkdtemp(prefix="ministry-"))
    commands = {
        "orgs": ("orgs",),
        "plan --overview": (
            "plan",
            "2027",
            "--overview",
            "--format",
            "json",
            "-o",
            "overview.json",
        ),
    }
    head = ("orgs", "command", "wall s (median)", "CPU s", "peak RSS MiB")
    print(f"{head[0]:>5} | {head[1]:<16} | {head[2]:>15} | {head[3]:>6} | {head[4]:>12}")
    print(f"{'-' * 5} | {'-' * 16} | {'-' * 15} | {'-' * 6} | {'-' * 12}")
    for size in sizes:
        config = write_ministry(base / f"n{size}", size)
        measure(config, "orgs")  # warm: the host calendars' cache, the byte code
        for name, argv in commands.items():
            samples = [measure(config, *argv) for _ in range(args.runs)]
            wall = statistics.median(s[0] for s in samples)
            cpu = statistics.median(s[1] for s in samples)
            rss = max(s[2] for s in samples)
            print(f"{size:>5} | {name:<16} | {wall:>15.3f} | {cpu:>6.2f} | {rss:>12.1f}")
    if not args.write:
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
