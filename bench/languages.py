"""The feeds in five languages against the feeds in one (issue 17, "Speed and size").

Targets: five languages (en, az, ru, tr, ur, every text of the calendar translated) cost at most
5x one language's feed build, in time (the build's CPU time) and in peak memory, measured in
the same run; and the feed's request rate per URL does not drop: a server with the five
languages answers its URLs at the rate of a server with English alone (the same URL, the same
bytes), for a 200 and for a 304; each other language's URL is shown beside its server's default
URL (its body is larger: Cyrillic and Urdu take two bytes a letter).

* **Build** (``build_feeds``, what the server does at its start and at every reload): a generated
  calendar of ``--observances`` observances (default 1,000: over the window of 7 years, 7,000
  observance-years and their moments), every title, description, fact and moment name
  translated into az, ru, tr and ur (generated text in each language's script, as many
  characters as the English: Cyrillic and Arabic script take two bytes a letter), the
  bundled config with ``languages`` set to ``["en"]`` or to the five. Each variant runs in a
  fresh process (``--repeats`` timed builds, the calendar-in-a-language cache cleared before
  each, so that putting the calendar into each language is counted; the median is reported),
  and once more under tracemalloc for the peak of Python's allocations during one build (the
  FeedSet it returns included). The variants alternate, one then five, ``--rounds`` times.
* **Requests** (wrk on loopback, 32 connections, the servers pinned to one core and wrk to the
  other, as bench/feed.py does): ``reminders serve`` on the bundled calendar with the five
  languages and with English alone, both running; each URL in turn (``/all.ics``,
  ``/az/all.ics``, ``/ur/all.ics``, ``/calendars/remembrance.ics``,
  ``/ru/calendars/remembrance.ics`` of the first, the two default URLs of the second), 200 and
  304 (If-None-Match with the URL's own ETag), ``--duration`` seconds each after a 1 s warm-up,
  ``--rounds`` times over; medians, the five-language server's default URLs against the
  one-language server's, and each URL against its server's default URL of its kind.

Usage::

    .venv/bin/python bench/languages.py                      # both parts
    .venv/bin/python bench/languages.py --skip requests      # the build only
    .venv/bin/python bench/languages.py --observances 2000 --repeats 5 --rounds 3

Needs wrk and taskset for the requests (as bench/feed.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import ROOT, default_python, header

LANGUAGES = ("en", "az", "ru", "tr", "ur")
TARGET = 5.0
CLIENT_CORE, SERVER_CORE = "0", "1"
SERVING = re.compile(r"serving the feed on http://(\S+)")
URLS = (
    "/all.ics",
    "/az/all.ics",
    "/ur/all.ics",
    "/calendars/remembrance.ics",
    "/ru/calendars/remembrance.ics",
)

# Generated text in each language: its script and about its length.
WORDS = {
    "az": "Xocalı soyqırımı qurbanlarının xatirəsi anılır; şəhidlər yad edilir",
    "ru": "Память жертв Ходжалинского геноцида; День всенародной скорби",
    "tr": "Hocalı soykırımı kurbanları anılıyor; şehitler saygıyla anılır",
    "ur": "خوجالی نسل کشی کے متاثرین کی یاد؛ شہدا کو خراجِ عقیدت",
}
TITLES = {
    "az": "{ordinal} ildönümü: anım günü",
    "ru": "{number}-я годовщина дня памяти",
    "tr": "{ordinal} yıl dönümü: anma günü",
    "ur": "یادگاری دن کی {ordinal} برسی",
}


def without_languages(text: str) -> str:
    """The config without its own ``languages`` line (the bench sets its own)."""
    return re.sub(r"^languages = .*\n", "", text, count=1, flags=re.MULTILINE)


def q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def same_length(language: str, original: str) -> str:
    """Text of ``language``'s script as long as ``original`` in characters (a translation of
    about the same length; in UTF-8, Cyrillic and Arabic script take two bytes a letter)."""
    words = WORDS[language]
    text = (words + " ") * (len(original) // len(words) + 1)
    return text[: len(original)].rstrip() + "."


def translations(header_name: str, originals: dict[str, str]) -> list[str]:
    """The translation tables of one item: each text of ``originals`` in az, ru, tr, ur."""
    lines = []
    for language in ("az", "ru", "tr", "ur"):
        lines += ["", f"[{header_name}.translations.{language}]"]
        for key, original in originals.items():
            text = TITLES[language] if key == "title" else same_length(language, original)
            lines.append(f"{key} = {q(text)}")
        lines += ['translator = "bench"', "reviewed = false"]
    return lines


def calendar_toml(count: int) -> str:
    name, about = "Generated calendar", "Generated observances, every text in five languages."
    lines = [
        "[calendar]",
        'id = "remembrance"',
        f"name = {q(name)}",
        f"description = {q(about)}",
        'timezone = "Asia/Baku"',
        "revised = 2026-11-23T00:00:00Z",
        *translations("calendar", {"name": name, "description": about}),
    ]
    for i in range(count):
        month, day = 1 + i % 12, 1 + (i * 7) % 28
        title = f"{{ordinal}} anniversary of observance {i}"
        description = f"Observance {i}: wreaths, readings and a moment of silence."
        lines += [
            "",
            "[[observance]]",
            f'id = "obs-{i:05d}"',
            f"title = {q(title)}",
            f'date = "{month:02d}-{day:02d}"',
            f"since = {1900 + (i * 37) % 121}",
            f"description = {q(description)}",
            *translations("observance", {"title": title, "description": description}),
        ]
        for f in range(1 + i % 3):
            fact = f"Fact {f} of observance {i}: {100 + i} people, by one count."
            lines += [
                "",
                "[[observance.fact]]",
                f"text = {q(fact)}",
                'source = "APA news agency, 20 January 2024"',
                *translations("observance.fact", {"text": fact}),
            ]
        if i % 20 == 0:
            moment, said = "Minute of silence", "A minute of silence."
            lines += [
                "",
                "[[observance.moment]]",
                'id = "minute-of-silence"',
                f"name = {q(moment)}",
                'time = "12:00"',
                'duration = "PT1M"',
                f"description = {q(said)}",
                *translations("observance.moment", {"name": moment, "description": said}),
            ]
    return "\n".join(lines) + "\n"


def project(folder: Path, count: int, languages: tuple[str, ...]) -> Path:
    """The bundled config with ``languages``, on a generated calendar of ``count`` observances."""
    calendars = folder / "calendars"
    if not calendars.exists():
        calendars.mkdir(parents=True)
        (calendars / "remembrance.toml").write_text(calendar_toml(count), encoding="utf-8")
    text = without_languages((ROOT / "config.toml").read_text(encoding="utf-8"))
    text = text.replace(
        '\nlanguage = "en"\n', f'\nlanguage = "en"\nlanguages = {json.dumps(list(languages))}\n', 1
    )
    text = text.replace('# calendars = "calendars"', f"calendars = {q(str(calendars))}")
    config = folder / f"config-{len(languages)}.toml"
    config.write_text(text, encoding="utf-8")
    return config


# --- The worker: one variant in a fresh process ---------------------------------------------


def worker(config: str, repeats: int, memory: bool) -> None:
    sys.path.insert(0, str(ROOT))
    from datetime import UTC, date, datetime

    from reminders.config.calendars import load_calendars
    from reminders.config.config_file import load_config
    from reminders.core import translate
    from reminders.core.settings import Loaded
    from reminders.web.feeds import build_feeds

    settings = load_config(config)
    today = date(2026, 12, 1)
    loaded = Loaded(settings, load_calendars(settings.calendars_dir, today))
    built_at = datetime(2026, 12, 1, 12, tzinfo=UTC)

    def build() -> object:
        translate._CACHE.clear()  # put the calendar into each language again, as a reload does
        return build_feeds(loaded, today, {}, 0, built_at)

    build()  # warm: imports, the zones' VTIMEZONEs
    if memory:
        import tracemalloc

        translate._CACHE.clear()
        tracemalloc.start()
        feeds = build()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        size = sum(len(r.body) + len(r.gzipped) for r in feeds.resources.values())  # type: ignore[attr-defined]
        print(json.dumps({"peak": peak, "bytes": size}))
        return
    times, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        feeds = build()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    events = sum(r.body.count(b"BEGIN:VEVENT") for r in feeds.resources.values())  # type: ignore[attr-defined]
    print(json.dumps({"times": times, "cpu": cpu, "vevents": events}))


def run_worker(python: str, config: Path, repeats: int, memory: bool) -> dict[str, object]:
    argv = [python, __file__, "--worker", str(config), "--repeats", str(repeats)]
    if memory:
        argv.append("--memory")
    env = {**os.environ, "REMINDERS_CACHE_DIR": "off", "PYTHONPATH": str(ROOT)}
    done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed:\n{done.stderr}")
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def build_part(args: argparse.Namespace, folder: Path) -> bool:
    configs = {n: project(folder, args.observances, LANGUAGES[:n]) for n in (1, 5)}
    times: dict[int, list[float]] = {1: [], 5: []}
    cpus: dict[int, list[float]] = {1: [], 5: []}
    peaks: dict[int, list[int]] = {1: [], 5: []}
    sizes: dict[int, int] = {}
    vevents: dict[int, int] = {}
    for _ in range(args.rounds):
        for n in (1, 5):
            timed = run_worker(args.python, configs[n], args.repeats, False)
            times[n].append(statistics.median(timed["times"]))  # type: ignore[arg-type]
            cpus[n].append(statistics.median(timed["cpu"]))  # type: ignore[arg-type]
            vevents[n] = int(timed["vevents"])  # type: ignore[call-overload]
            measured = run_worker(args.python, configs[n], 1, True)
            peaks[n].append(int(measured["peak"]))  # type: ignore[call-overload]
            sizes[n] = int(measured["bytes"])  # type: ignore[call-overload]
    print()
    print(
        f"## Build: {args.observances} observances, every text in 5 languages; "
        f"{args.rounds} round(s) of {args.repeats} timed builds per variant"
    )
    print()
    print("| | 1 language (en) | 5 languages | ratio | target |")
    print("|---|---:|---:|---:|---:|")
    t1, t5 = statistics.median(times[1]), statistics.median(times[5])
    c1, c5 = statistics.median(cpus[1]), statistics.median(cpus[5])
    m1, m5 = statistics.median(peaks[1]), statistics.median(peaks[5])
    mib = 1024 * 1024
    # The target is read on the CPU time (the build is one thread): on this shared machine
    # the wall time of a build also counts the other tenants' time slices.
    print(
        f"| build CPU time (median) | {c1:.2f} s | {c5:.2f} s | {c5 / c1:.2f}x | <= {TARGET:g}x |"
    )
    print(f"| build wall time (median) | {t1:.2f} s | {t5:.2f} s | {t5 / t1:.2f}x | (info) |")
    print(
        f"| peak memory (tracemalloc) | {m1 / mib:.1f} MiB | {m5 / mib:.1f} MiB | "
        f"{m5 / m1:.2f}x | <= {TARGET:g}x |"
    )
    print(
        f"| feeds held (bodies + gzip) | {sizes[1] / mib:.1f} MiB | {sizes[5] / mib:.1f} MiB | "
        f"{sizes[5] / sizes[1]:.2f}x | |"
    )
    print(f"| VEVENTs written (all feeds) | {vevents[1]} | {vevents[5]} | | |")
    print()
    print("per round, 1 then 5: CPU " + ", ".join(
        f"{a:.2f}/{b:.2f} s" for a, b in zip(cpus[1], cpus[5], strict=True)
    ) + "; wall " + ", ".join(
        f"{a:.2f}/{b:.2f} s" for a, b in zip(times[1], times[5], strict=True)
    ) + "; peaks " + ", ".join(
        f"{a / mib:.0f}/{b / mib:.0f} MiB" for a, b in zip(peaks[1], peaks[5], strict=True)
    ))  # fmt: skip
    return c5 / c1 <= TARGET and m5 / m1 <= TARGET


# --- Requests ----------------------------------------------------------------------------------


def start_server(python: str, config: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    argv = ["taskset", "-c", SERVER_CORE, python, "-m", "reminders", "--config", str(config),
            "serve", "--listen", "127.0.0.1:0"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    handle = log.open("wb")
    proc = subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = SERVING.search(log.read_text("utf-8", "replace"))
        if found:
            return proc, f"http://{found.group(1)}"
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"the server did not start:\n{log.read_text('utf-8', 'replace')}")


def etag_of(url: str) -> tuple[str, int]:
    with urllib.request.urlopen(url) as answer:  # loopback
        return answer.headers["ETag"], len(answer.read())


def wrk(url: str, seconds: float, connections: int, etag: str = "") -> float:
    conditional = ["-H", f"If-None-Match: {etag}"] if etag else []
    argv = ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s",
            *conditional, url]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    if "Non-2xx or 3xx" in done.stdout or "Socket errors" in done.stdout:
        sys.exit(f"wrk saw errors:\n{done.stdout}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert found is not None, done.stdout
    return float(found.group(1))


def requests_part(args: argparse.Namespace, folder: Path) -> bool:
    """Each URL of a server with the five languages, and the default URLs of a server with
    English alone, alternated in the same rounds: a URL is "not slower" when the five-language
    server answers it at the one-language server's rate (the same bytes); the other languages'
    URLs, whose bodies are larger, are shown against the default URL of their server."""
    for tool in ("wrk", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH (the requests part needs it)")
    config = ROOT / "config.toml"
    servers = {}
    procs = []
    try:
        for count in (5, 1):
            text = without_languages(config.read_text(encoding="utf-8")).replace(
                '\nlanguage = "en"\n',
                f'\nlanguage = "en"\nlanguages = {json.dumps(list(LANGUAGES[:count]))}\n',
                1,
            )
            text = text.replace(
                '# calendars = "calendars"', f"calendars = {q(str(ROOT / 'calendars'))}"
            )
            text = text.replace(
                '# templates = "templates"', f"templates = {q(str(ROOT / 'templates'))}"
            )
            served = folder / f"serve-{count}.toml"
            served.write_text(text, encoding="utf-8")
            proc, base = start_server(args.python, served, folder / f"serve-{count}.log")
            procs.append(proc)
            servers[count] = base
        runs = [(5, path) for path in URLS] + [(1, "/all.ics"), (1, "/calendars/remembrance.ics")]
        tags = {(n, path): etag_of(servers[n] + path) for n, path in runs}
        rates: dict[tuple[int, str, str], list[float]] = {}
        for _ in range(args.rounds):
            for n, path in runs:
                for case in ("200", "304"):
                    etag = tags[n, path][0] if case == "304" else ""
                    wrk(servers[n] + path, 1, args.connections, etag)  # warm-up
                    rate = wrk(servers[n] + path, args.duration, args.connections, etag)
                    rates.setdefault((n, path, case), []).append(rate)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(10)
    print()
    print(
        f"## Requests: wrk -t1 -c{args.connections}, {args.duration:g} s per run after 1 s of "
        f"warm-up, {args.rounds} round(s); server on core {SERVER_CORE}, wrk on core "
        f"{CLIENT_CORE}; the bundled calendar with five languages configured, and with English "
        "alone"
    )
    print()
    print(
        "| URL | bytes | 200 req/s | 200 vs one-language server | 200 vs default URL | "
        "304 req/s | 304 vs one-language server | 304 vs default URL |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    ok = True
    for path in URLS:
        default = "/all.ics" if path.endswith("all.ics") else "/calendars/remembrance.ics"
        cells = []
        for case in ("200", "304"):
            rate = statistics.median(rates[(5, path, case)])
            cells.append(f"{rate:,.0f}")
            if path == default:
                one = statistics.median(rates[(1, path, case)])
                cells.append(f"{rate / one:.2f}x")
                # "does not drop": within the one-language server's own run-to-run spread
                spread = min(rates[(1, path, case)]) / max(rates[(1, path, case)])
                if rate / one < min(0.95, spread):
                    ok = False
            else:
                cells.append("")
            cells.append(f"{rate / statistics.median(rates[(5, default, case)]):.2f}x")
        print(f"| `{path}` | {tags[5, path][1]:,} | " + " | ".join(cells) + " |")
    for path in ("/all.ics", "/calendars/remembrance.ics"):
        cells = [f"{statistics.median(rates[(1, path, case)]):,.0f}" for case in ("200", "304")]
        print(
            f"| `{path}`, English alone | {tags[1, path][1]:,} | {cells[0]} | | | {cells[1]} | | |"
        )
    print()
    print("each run: " + "; ".join(
        f"{n} language(s) {path} {case}: " + ", ".join(f"{r:,.0f}" for r in runs)
        for (n, path, case), runs in rates.items()
    ))  # fmt: skip
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=default_python(), help="the venv's interpreter")
    parser.add_argument("--observances", type=int, default=1000, help="generated (1000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed builds per variant (3)")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of the variants (2)")
    parser.add_argument("--duration", type=float, default=4.0, help="seconds per wrk run (4)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (32)")
    parser.add_argument("--skip", choices=("build", "requests"), action="append", default=[])
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--memory", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.repeats, args.memory)
        return
    header("Feeds in five languages against one (bench/languages.py)", args.python)
    results = []
    with tempfile.TemporaryDirectory(prefix="reminders-languages-") as tmp:
        if "build" not in args.skip:
            results.append(("build within 5x", build_part(args, Path(tmp))))
        if "requests" not in args.skip:
            results.append(
                ("request rate per URL not below one language's", requests_part(args, Path(tmp)))
            )
    print()
    for name, ok in results:
        print(f"{'PASS' if ok else 'FAIL'}: {name}")


if __name__ == "__main__":
    main()
