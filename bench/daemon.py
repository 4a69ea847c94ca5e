"""The daemon at scale: start with 100,000 pending notices, 1,000 notices due at once, idle memory.

Targets (the issue), each measured on the real process ``python -m reminders --config X run
--log-format json``, on inputs generated in a temporary folder (calendar, config, file channel
outbox, SQLite ledger and ``REMINDERS_CACHE_DIR`` all inside it):

1. **100,000 pending notices**: a calendar of 10,000 observances on the next 13 days and 10 notice
   rules (``before = 0``, at ten different times), with ``horizon = "P14D"``, so that the daemon
   plans 100,000 notices; since issue 16 every observance also has two notified milestones (one
   on its event date, one a working day after: about 18,000 milestone notices more, their dates
   from the yearly plan; ``--no-milestones`` leaves them out).  Start-up in under 10 s, resident
   memory under 300 MB.  Start-up is
   measured from just before the process is started to the time stamp of its log line "planned N
   notice(s) ...", and to the heartbeat it writes to the ledger at the end of its start (it is
   ready: jobs scheduled, catch-up done).  Memory is VmRSS and VmHWM (the peak) from
   /proc/PID/status one second after the daemon is ready.  The daemon builds its feed after it
   is ready (it schedules first), so the time to its log line "serving the feed on ..." and the
   VmHWM one second after it are measured too: that peak is the start's with its feed, and it is
   the one the memory target is checked on.
2. **1,000 notices due in the same minute**: 1,000 observances on one date, one rule whose ``at``
   lies about 20 s after the daemon is started, the file channel.  Every delivery should be in the
   outbox within 10 s of its fire time.  Lateness is the ledger's ``sent_at`` minus the fire time;
   the script checks that exactly 1,000 files exist and that every delivery was sent once.
2b. (information, no target) **The same 1,000 after an outage**: the outbox folder is replaced
   by a plain file before the fire time, so every first attempt fails, and is given back once all
   have failed; the sweep retries them (``retry_backoff = "PT5S"``).  The calendar has 9,000 more
   observances (beyond the horizon), since looking a retried notice up costs more the larger the
   calendar.
3. **Idle memory on the bundled config**: ``config.toml`` copied into the temporary folder (its
   relative ledger and outbox paths then point there; no ``[paths]``, so the bundled calendars and
   templates are used); VmRSS after about 5 s of idling.

The issue names no peer, so these are measured in the same run, interleaved with the daemon's:
``python -I -S -c pass`` (a bare interpreter's start) and a bare APScheduler ``AsyncIOScheduler``
given 100,000 ``date`` jobs the way the daemon adds its jobs (the scheduler's own floor for 1.),
and the same scheduler with no job (a floor for 3.).  The machine is shared: read the medians and
the ratios.

Usage (from anywhere)::

    .venv/bin/python bench/daemon.py              # 5 runs of 1., 3 of 2. and 3., 1 of 2b.
    .venv/bin/python bench/daemon.py --profile    # also: cProfile of one start with 100,000
    .venv/bin/python bench/daemon.py --skip 2,2b  # only some parts

Standard library only (the daemon's own dependencies are used by the child processes).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import closing
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from common import ROOT, default_python, header

TZ = "Asia/Karachi"  # the organisation's zone in the generated configs
START_TARGET = 10.0  # seconds
MEMORY_TARGET = 300.0  # MB (VmRSS)
LATENESS_TARGET = 10.0  # seconds
RETRY_BACKOFF = 5  # seconds: the first retry after an outage of the channel
PLANNED = re.compile(r"planned (\d+) notice\(s\) at (\d+) fire time\(s\)")
SERVING = re.compile(r"serving the feed on ")
MB = 1024 * 1024

CALENDAR_HEAD = """\
[calendar]
id = "bench"
name = "Generated days"
description = "Generated for bench/daemon.py"
timezone = "Asia/Baku"
public = true
revised = 2026-11-23T00:00:00Z
"""

OBSERVANCE = """
[[observance]]
id = "o{index:05d}"
title = "{{ordinal}} anniversary of generated day {index}"
date = "{month_day}"
since = 2000
description = "A generated remembrance day, number {index}."
tags = ["generated"]
"""

CONFIG = """\
[organisation]
name = "Bench Institute"
timezone = "{tz}"
uid_domain = "bench.example.org"

[paths]
calendars = "calendars"

[ledger]
url = "sqlite:///ledger.sqlite3"

[daemon]
horizon = "P14D"
grace = "PT12H"
watch_interval = "PT2S"
retry_backoff = "{backoff}"

[[channel]]
id = "outbox"
type = "file"
folder = "outbox"
"""

RULE = """
[[notice]]
id = "{id}"
before = 0
at = "{at}"
template = "{template}"
channels = ["outbox"]
"""

# Milestone notices for every observance of case 1 (issue 16): each observance's event date has
# a notified milestone on it (at 16:00) and one a working day after it (at 17:00), counted by the
# plan.  The event moves only forwards ([plan] move = "after"), so that no milestone of an
# observance tomorrow falls before the start and the catch-up stays empty, as without them.
MILESTONES = """
[plan]
move = "after"

[[milestone]]
id = "photos"
name = "Take the photographs"
working_days = 0
at = "16:00"
channels = ["outbox"]

[[milestone]]
id = "report"
name = "Publish the report"
working_days = 1
when = "after"
at = "17:00"
channels = ["outbox"]
"""

# The scheduler's floor: the same AsyncIOScheduler calls as Daemon._schedule_plan, nothing else.
APSCHEDULER_PEER = """\
import asyncio, signal, sys, time
from datetime import UTC, datetime, timedelta
from apscheduler.schedulers.asyncio import AsyncIOScheduler

async def fire(owner, key):
    pass

async def main(count):
    loop = asyncio.get_running_loop()
    scheduler = AsyncIOScheduler(timezone=UTC, event_loop=loop)
    scheduler.start()
    first = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    for index in range(count):
        at = first + timedelta(seconds=10 * index)
        key = at.isoformat()
        scheduler.add_job(fire, "date", args=[None, key], id="fire:" + key, run_date=at,
                          misfire_grace_time=43200, replace_existing=True)
    await loop.run_in_executor(None, time.time)  # as the daemon's heartbeat: the loop turns
    print(f"ready {time.time()}", flush=True)
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    scheduler.shutdown(wait=False)

asyncio.run(main(int(sys.argv[1])))
"""


# --- Processes ------------------------------------------------------------------------------------


def child_env(cache_dir: Path) -> dict[str, str]:
    """The caller's environment without PYTHON* (a .pyc must be written and used, as when
    installed) and REMINDERS_* variables, plus the benchmark's own cache folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTHON") and not k.startswith("REMINDERS_")
    }
    env["REMINDERS_CACHE_DIR"] = str(cache_dir)
    return env


def proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a live process, in MB."""
    out = {}
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            name, _, value = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                out[name] = int(value.split()[0]) / 1024
    return out


def proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Process:
    """A child whose standard error (daemon) or output (peer) is read line by line as it comes.

    ``started`` is the wall clock just before the process was started: the log lines' and the
    ledger's time stamps are on the same clock.
    """

    def __init__(self, argv: Sequence[str], env: dict[str, str], cwd: Path, stream: str) -> None:
        self.lines: list[str] = []
        self.started = time.time()
        self.process = subprocess.Popen(
            list(argv),
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stream == "stdout" else subprocess.DEVNULL,
            stderr=subprocess.PIPE if stream == "stderr" else subprocess.DEVNULL,
        )
        pipe = self.process.stdout if stream == "stdout" else self.process.stderr
        assert pipe is not None
        self._pipe = pipe
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for raw in self._pipe:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_for(self, predicate: Callable[[], object], timeout: float, what: str) -> object:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = predicate()
            if found:
                return found
            if self.process.poll() is not None:
                time.sleep(0.2)
                sys.exit(
                    f"exited ({self.process.returncode}) waiting for {what}:\n"
                    + "\n".join(self.lines[-20:])
                )
            time.sleep(0.02)
        self.process.kill()
        sys.exit(f"timed out waiting for {what}:\n" + "\n".join(self.lines[-20:]))

    def records(self) -> list[dict[str, object]]:
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"message": line})
        return out

    def logged(self, pattern: re.Pattern[str]) -> tuple[dict[str, object], re.Match[str]] | None:
        for record in self.records():
            found = pattern.search(str(record.get("message", "")))
            if found:
                return record, found
        return None

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(60)
        self._reader.join(5)
        if code != 0:
            sys.exit(f"exit code {code}:\n" + "\n".join(self.lines[-20:]))


def stamp(record: dict[str, object]) -> float:
    return datetime.fromisoformat(str(record["time"])).timestamp()


def heartbeat(ledger: Path) -> float | None:
    """The daemon's heartbeat in the ledger (written last in its start), as a POSIX time."""
    if not ledger.exists():
        return None
    try:
        with closing(sqlite3.connect(ledger, timeout=1)) as conn:
            row = conn.execute("SELECT value FROM reminder_meta WHERE key = 'heartbeat'").fetchone()
    except sqlite3.Error:
        return None  # the daemon is still creating the tables
    return datetime.fromisoformat(row[0]).timestamp() if row else None


def daemon_argv(python: str, config: Path) -> list[str]:
    # The feed is served as configured, on a free port: the bench runs beside anything on 8080.
    return [python, "-m", "reminders", "--config", str(config), "run", "--log-format", "json",
            "--listen", "127.0.0.1:0"]  # fmt: skip


def spawn_wall(argv: Sequence[str], env: dict[str, str]) -> float:
    """Wall seconds of one child with its output to /dev/null (as bench/startup.py)."""
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], list(argv), env, file_actions=actions)
    _, status, _ = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed")
    return wall


# --- Generated projects ---------------------------------------------------------------------------


def write_project(
    root: Path, days: Sequence[date], rules: Sequence[tuple[str, str]], extra: str = ""
) -> Path:
    """calendars/bench.toml with one observance per entry of ``days``, and config.toml with
    ``rules`` as (id, HH:MM[:SS]) and ``extra`` after them; returns the config's path."""
    (root / "calendars").mkdir(parents=True, exist_ok=True)
    text = CALENDAR_HEAD + "".join(
        OBSERVANCE.format(index=index, month_day=f"{day:%m-%d}") for index, day in enumerate(days)
    )
    (root / "calendars" / "bench.toml").write_text(text, "utf-8")
    config = CONFIG.format(tz=TZ, backoff=f"PT{RETRY_BACKOFF}S") + "".join(
        RULE.format(id=rule_id, at=at, template="planning") for rule_id, at in rules
    )
    (root / "config.toml").write_text(config + extra, "utf-8")
    return root / "config.toml"


def clean_state(root: Path) -> None:
    """A new ledger and an empty outbox: each run starts as a first start."""
    for name in ("ledger.sqlite3", "ledger.sqlite3-wal", "ledger.sqlite3-shm"):
        (root / name).unlink(missing_ok=True)
    shutil.rmtree(root / "outbox", ignore_errors=True)


def pending_project(root: Path, observances: int, rules: int, milestones: bool = True) -> Path:
    """``observances`` on the next 13 days (org time), ``rules`` at ten-minute steps from 08:00,
    and (``milestones``) the two notified milestones of :data:`MILESTONES`.

    Every fire time is tomorrow or later, and every lead-time notice and milestone on the event
    date is before the 14-day horizon ends, so the daemon plans observances x rules notices plus
    one or two milestone notices per observance, and the catch-up finds nothing to send.
    """
    today = datetime.now(ZoneInfo(TZ)).date()
    days = [today + timedelta(days=1 + index % 13) for index in range(observances)]
    minutes = [8 * 60 + 10 * index for index in range(rules)]
    return write_project(
        root,
        days,
        [(f"r{index:02d}", f"{m // 60:02d}:{m % 60:02d}") for index, m in enumerate(minutes)],
        MILESTONES if milestones else "",
    )


def due_project(root: Path, count: int, fire_at: datetime, others: int = 0) -> Path:
    """``count`` observances on the local date of ``fire_at``, one rule at its local time.

    ``others`` more observances lie 30 to 329 days ahead: beyond the horizon, but the calendar
    is that much larger.
    """
    local = fire_at.astimezone(ZoneInfo(TZ))
    days = [local.date()] * count
    days += [local.date() + timedelta(days=30 + index % 300) for index in range(others)]
    return write_project(root, days, [("now", f"{local:%H:%M:%S}")])


# --- The measurements -----------------------------------------------------------------------------


class Start(NamedTuple):
    planned: float  # seconds from process start to the "planned" log line
    ready: float  # ... to the heartbeat
    cpu: float  # CPU seconds of the daemon when ready
    rss: float  # MB, one second after ready
    hwm: float
    notices: int
    fire_times: int
    served: float  # seconds from process start to "serving the feed on ..."
    served_hwm: float  # MB, VmHWM one second after that (and after ready)


class Peer(NamedTuple):
    ready: float
    rss: float
    hwm: float


class Due(NamedTuple):
    lateness: list[float]  # sent_at - fire time, seconds, per delivery
    started: list[float]  # claimed_at - fire time
    mtime: list[float]  # outbox file mtime - fire time
    files: int
    rows: int
    sent_once: bool  # every row sent, and logged "sent" once per notice
    attempts: int  # the most attempts of any delivery
    ready: float  # seconds from process start to ready
    lead: float  # seconds from ready to the fire time
    restored: float | None  # with an outage: when the outbox came back, after the fire time


class Idle(NamedTuple):
    ready: float
    rss: float
    hwm: float


def start_once(python: str, root: Path, env: dict[str, str]) -> Start:
    clean_state(root)
    daemon = Process(daemon_argv(python, root / "config.toml"), env, root, "stderr")
    found = daemon.wait_for(lambda: daemon.logged(PLANNED), 120, "the planned line")
    assert isinstance(found, tuple)
    record, match = found
    beat = daemon.wait_for(lambda: heartbeat(root / "ledger.sqlite3"), 120, "the heartbeat")
    assert isinstance(beat, float)
    cpu = proc_cpu(daemon.process.pid)
    time.sleep(1.0)
    memory = proc_status(daemon.process.pid)
    found = daemon.wait_for(lambda: daemon.logged(SERVING), 300, "the feed served")
    assert isinstance(found, tuple)
    time.sleep(1.0)
    served = proc_status(daemon.process.pid)
    daemon.stop()
    return Start(
        stamp(record) - daemon.started,
        beat - daemon.started,
        cpu,
        memory["VmRSS"],
        memory["VmHWM"],
        int(match.group(1)),
        int(match.group(2)),
        stamp(found[0]) - daemon.started,
        served["VmHWM"],
    )


def peer_once(python: str, env: dict[str, str], jobs: int, settle: float) -> Peer:
    with tempfile.TemporaryDirectory() as folder:
        peer = Process([python, "-c", APSCHEDULER_PEER, str(jobs)], env, Path(folder), "stdout")
        line = peer.wait_for(
            lambda: next((x for x in peer.lines if x.startswith("ready ")), None), 120, "ready"
        )
        assert isinstance(line, str)
        time.sleep(settle)
        memory = proc_status(peer.process.pid)
        peer.stop()
    return Peer(float(line.split()[1]) - peer.started, memory["VmRSS"], memory["VmHWM"])


def ledger_count(ledger: Path, state: str) -> int:
    with closing(sqlite3.connect(ledger, timeout=5)) as conn:
        query = "SELECT count(*) FROM reminder_deliveries WHERE state = ?"
        return int(conn.execute(query, (state,)).fetchone()[0])


def due_once(
    python: str,
    root: Path,
    env: dict[str, str],
    count: int,
    lead: float,
    *,
    others: int = 0,
    outage: bool = False,
) -> Due:
    """One daemon, ``count`` notices firing ``lead`` seconds after it is started.

    With ``outage``, the outbox folder is replaced by a plain file before the fire time, so every
    first attempt fails (a transient error); once all have failed the folder may be created
    again, and the sweep retries them after the backoff.
    """
    clean_state(root)
    fire_at = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=lead + 1)
    due_project(root, count, fire_at, others)
    ledger = root / "ledger.sqlite3"
    daemon = Process(daemon_argv(python, root / "config.toml"), env, root, "stderr")
    beat = daemon.wait_for(lambda: heartbeat(ledger), 60, "the heartbeat")
    assert isinstance(beat, float)
    restored = None
    if outage:
        shutil.rmtree(root / "outbox")
        (root / "outbox").write_text("not a folder: the channel is down\n", "utf-8")
        what = f"{count} first attempts failed"
        daemon.wait_for(lambda: ledger_count(ledger, "failed") >= count, lead + 120, what)
        (root / "outbox").unlink()
        restored = time.time() - fire_at.timestamp()
    what = f"{count} deliveries sent"
    daemon.wait_for(lambda: ledger_count(ledger, "sent") >= count, lead + 300, what)
    time.sleep(1.0)  # anything sent twice would show now
    daemon.stop()
    with closing(sqlite3.connect(ledger)) as conn:
        rows = conn.execute(
            "SELECT notice_id, state, attempts, fire_at, claimed_at, sent_at "
            "FROM reminder_deliveries"
        ).fetchall()
    fire = fire_at.timestamp()

    def utc(text: str) -> float:  # the ledger keeps naive UTC text
        return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()

    files = [p for p in (root / "outbox").iterdir() if not p.name.startswith(".")]
    sent_lines = [
        str(r.get("notice"))
        for r in daemon.records()
        if str(r.get("message", "")).startswith("sent")
    ]
    once = (
        all(state == "sent" for _, state, *_ in rows)
        and len(sent_lines) == len(set(sent_lines)) == count
        and all(abs(utc(row[3]) - fire) < 1e-3 for row in rows)
    )
    return Due(
        sorted(utc(row[5]) - fire for row in rows),
        sorted(utc(row[4]) - fire for row in rows),
        sorted(p.stat().st_mtime - fire for p in files),
        len(files),
        len(rows),
        once,
        max(row[2] for row in rows),
        beat - daemon.started,
        fire - beat,
        restored,
    )


def idle_once(python: str, root: Path, env: dict[str, str], idle: float) -> Idle:
    """The bundled config.toml, copied to ``root`` (ledger and outbox relative to it)."""
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    shutil.copyfile(ROOT / "config.toml", root / "config.toml")
    daemon = Process(daemon_argv(python, root / "config.toml"), env, root, "stderr")
    beat = daemon.wait_for(lambda: heartbeat(root / "var" / "ledger.sqlite3"), 60, "the heartbeat")
    assert isinstance(beat, float)
    time.sleep(idle)
    memory = proc_status(daemon.process.pid)
    daemon.stop()
    return Idle(beat - daemon.started, memory["VmRSS"], memory["VmHWM"])


# --- Reporting ------------------------------------------------------------------------------------


def spread(values: Sequence[float], unit: str = "", digits: int = 2) -> str:
    """``median (min-max)``."""
    return (
        f"{statistics.median(values):.{digits}f}{unit} "
        f"({min(values):.{digits}f}-{max(values):.{digits}f})"
    )


def percentile(values: Sequence[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def verdict(ok: bool) -> str:
    return "MET" if ok else "MISSED"


def report_start(starts: list[Start], peers: list[Peer], bare: list[float], rules: int) -> bool:
    notices = {s.notices for s in starts}
    fire_times = {s.fire_times for s in starts}
    print(
        f"1. Start-up with pending notices: {len(starts)} runs; the daemon logged "
        f"'planned {'/'.join(map(str, sorted(notices)))} notice(s) at "
        f"{'/'.join(map(str, sorted(fire_times)))} fire time(s)' ({rules} rules)"
    )
    bare_s = statistics.median(bare)
    ready = [s.ready for s in starts]
    peer_ready = [p.ready for p in peers]
    rows = [
        ("daemon: to 'planned N notice(s)'", [s.planned for s in starts]),
        ("daemon: to ready (heartbeat written)", ready),
        ("daemon: CPU s when ready (user+sys)", [s.cpu for s in starts]),
        ("daemon: to 'serving the feed on ...'", [s.served for s in starts]),
        ("peer: APScheduler, 100,000 date jobs, ready", peer_ready),
        ("peer: python -I -S -c pass", bare),
    ]
    head = f"{'':<46} {'median s (min-max)':>22} {'/ bare':>8} {'/ APS':>7}"
    print(head)
    print("-" * len(head))
    for label, values in rows:
        median = statistics.median(values)
        print(
            f"{label:<46} {spread(values, digits=3):>22} {median / bare_s:>7.0f}x "
            f"{median / statistics.median(peer_ready):>6.2f}x"
        )
    mem_rows = [
        ("daemon: VmRSS 1 s after ready", [s.rss for s in starts]),
        ("daemon: VmHWM 1 s after ready", [s.hwm for s in starts]),
        ("daemon: VmHWM 1 s after the feed is served", [s.served_hwm for s in starts]),
        ("peer: APScheduler, 100,000 jobs, VmRSS", [p.rss for p in peers]),
        ("peer: APScheduler, 100,000 jobs, VmHWM", [p.hwm for p in peers]),
    ]
    print(f"{'':<46} {'median MB (min-max)':>22}")
    for label, values in mem_rows:
        print(f"{label:<46} {spread(values, digits=1):>22}")
    ok_time = statistics.median(ready) < START_TARGET
    ok_memory = statistics.median(max(s.hwm, s.served_hwm) for s in starts) < MEMORY_TARGET
    print(
        f"target: start-up (to ready) under {START_TARGET:g} s: {verdict(ok_time)}; "
        f"memory (VmHWM with the feed built, so VmRSS too) under {MEMORY_TARGET:g} MB: "
        f"{verdict(ok_memory)}"
    )
    return ok_time and ok_memory and min(notices) >= 100_000


def due_table(dues: list[Due], count: int) -> bool:
    """One row per run; True when every run sent each of ``count`` once, within the target."""
    head = (
        f"{'run':<4} {'sent':>5} {'files':>5} {'once':>4} {'tries':>5} {'lead s':>6} "
        f"{'start min':>9} {'p50':>6} {'sent p50':>8} {'p99':>6} {'max':>6} {'mtime max':>9} "
        f"{'<= 10 s':>7}"
    )
    print(head)
    print("-" * len(head))
    ok = True
    for index, due in enumerate(dues, 1):
        within = sum(1 for x in due.lateness if x <= LATENESS_TARGET)
        ok = ok and due.sent_once and due.files == due.rows == count and within == count
        print(
            f"{index:<4} {due.rows:>5} {due.files:>5} {'yes' if due.sent_once else 'NO':>4} "
            f"{due.attempts:>5} {due.lead:>6.1f} {min(due.started):>9.3f} "
            f"{statistics.median(due.started):>6.3f} "
            f"{statistics.median(due.lateness):>8.3f} {percentile(due.lateness, 99):>6.3f} "
            f"{max(due.lateness):>6.3f} {max(due.mtime):>9.3f} {within:>7}"
        )
    print(
        "seconds after the fire time: start = the ledger's claimed_at (of the last attempt), "
        "sent = its sent_at, mtime = the outbox file's; lead = from ready to the fire time; "
        "tries = the most attempts of one delivery"
    )
    p50 = statistics.median(statistics.median(d.lateness) for d in dues)
    p99 = statistics.median(percentile(d.lateness, 99) for d in dues)
    worst = statistics.median(max(d.lateness) for d in dues)
    print(f"median of the runs: sent p50 {p50:.3f} s, p99 {p99:.3f} s, max {worst:.3f} s")
    return ok


def report_due(dues: list[Due], count: int) -> bool:
    print(f"2. {count} notices due at the same second, file channel: {len(dues)} runs")
    ok = due_table(dues, count)
    print(f"target: all {count} within {LATENESS_TARGET:g} s, each sent once: {verdict(ok)}")
    return ok


def report_outage(dues: list[Due], count: int, others: int) -> None:
    print(
        f"2b. The same {count} with the channel down at their time (every first attempt fails, "
        f"retry after {RETRY_BACKOFF} s), on a calendar of {count + others} observances: "
        f"{len(dues)} run(s); information, no target"
    )
    due_table(dues, count)
    for index, due in enumerate(dues, 1):
        assert due.restored is not None
        print(
            f"run {index}: outbox back {due.restored:.3f} s after the fire time; the last retry "
            f"sent {max(due.lateness) - due.restored:.3f} s after that"
        )


def report_idle(idles: list[Idle], peers: list[Peer], idle: float) -> None:
    print(f"3. Idle on the bundled config.toml, {idle:g} s after ready: {len(idles)} runs")
    rows = [
        ("daemon: VmRSS", [i.rss for i in idles]),
        ("daemon: VmHWM", [i.hwm for i in idles]),
        ("peer: APScheduler, no job, VmRSS", [p.rss for p in peers]),
    ]
    print(f"{'':<46} {'median MB (min-max)':>22}")
    for label, values in rows:
        print(f"{label:<46} {spread(values, digits=1):>22}")
    print(f"{'daemon: to ready (s)':<46} {spread([i.ready for i in idles], digits=3):>22}")
    ratio = statistics.median(i.rss for i in idles) / statistics.median(p.rss for p in peers)
    print(f"daemon idle VmRSS / empty scheduler's: {ratio:.2f}x (no target in the issue)")


def profile(python: str, root: Path, env: dict[str, str], top: int) -> None:
    """cProfile of one start with the pending notices (the main thread only): the project's
    functions by cumulative time."""
    import pstats

    clean_state(root)
    out = root / "start.prof"
    argv = [
        python,
        "-m",
        "cProfile",
        "-o",
        str(out),
        *daemon_argv(python, root / "config.toml")[1:],
    ]
    daemon = Process(argv, env, root, "stderr")
    daemon.wait_for(lambda: heartbeat(root / "ledger.sqlite3"), 300, "the heartbeat")
    daemon.stop()
    print(f"$ {' '.join(argv[:5])} ... run   (one start, stopped when ready; main thread)")
    stats = pstats.Stats(str(out), stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats("/reminders/", top)


# --- Main -----------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=default_python(), help="the venv's interpreter")
    parser.add_argument("--runs", type=int, default=5, help="timed starts of 1. (default 5)")
    parser.add_argument("--due-runs", type=int, default=3, help="runs of 2. (default 3)")
    parser.add_argument("--idle-runs", type=int, default=3, help="runs of 3. (default 3)")
    parser.add_argument("--observances", type=int, default=10_000, help="for 1.")
    parser.add_argument("--rules", type=int, default=10, help="for 1.")
    parser.add_argument(
        "--no-milestones", action="store_true", help="1. without milestone notices (before 16)"
    )
    parser.add_argument("--due", type=int, default=1000, help="notices due at once, for 2.")
    parser.add_argument("--lead", type=float, default=20.0, help="seconds to the fire time, 2.")
    parser.add_argument("--outage-runs", type=int, default=1, help="runs of 2b. (default 1)")
    parser.add_argument("--others", type=int, default=9000, help="more observances, for 2b.")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds idle before 3.")
    parser.add_argument("--profile", action="store_true", help="also profile one start of 1.")
    parser.add_argument("--seed", type=int, default=20261123, help="shuffle seed")
    parser.add_argument("--skip", default="", help="parts to leave out, e.g. 2,2b,3")
    args = parser.parse_args()
    skip = set(args.skip.split(","))
    rng = random.Random(args.seed)

    header("reminders daemon benchmark", args.python)
    with tempfile.TemporaryDirectory(prefix="reminders-bench-") as folder:
        base = Path(folder)
        env = child_env(base / "cache")
        print(f"temporary folder {base}; REMINDERS_CACHE_DIR={base / 'cache'}")
        print()
        ok = True
        if "1" not in skip:
            pending = base / "pending"
            pending_project(pending, args.observances, args.rules, not args.no_milestones)
            bare_argv = [args.python, "-I", "-S", "-c", "pass"]
            start_once(args.python, pending, env)  # warm-up: byte code, OS cache, template cache
            peer_once(args.python, env, 100_000, 1.0)
            starts: list[Start] = []
            peers: list[Peer] = []
            bare: list[float] = []
            for _ in range(args.runs):
                order = ["daemon", "peer", "bare"]
                rng.shuffle(order)
                for what in order:
                    if what == "daemon":
                        starts.append(start_once(args.python, pending, env))
                    elif what == "peer":
                        peers.append(peer_once(args.python, env, 100_000, 1.0))
                    else:
                        bare.extend(spawn_wall(bare_argv, env) for _ in range(5))
            ok = report_start(starts, peers, bare, args.rules) and ok
            print()
        if "2" not in skip:
            dues = [
                due_once(args.python, base / f"due{index}", env, args.due, args.lead)
                for index in range(args.due_runs)
            ]
            ok = report_due(dues, args.due) and ok
            print()
        if "2b" not in skip:
            outages = [
                due_once(
                    args.python,
                    base / f"outage{index}",
                    env,
                    args.due,
                    args.lead,
                    others=args.others,
                    outage=True,
                )
                for index in range(args.outage_runs)
            ]
            report_outage(outages, args.due, args.others)
            print()
        if "3" not in skip:
            idles: list[Idle] = []
            empty: list[Peer] = []
            for index in range(args.idle_runs):
                idles.append(idle_once(args.python, base / f"idle{index}", env, args.idle))
                empty.append(peer_once(args.python, env, 0, args.idle))
            report_idle(idles, empty, args.idle)
            print()
        checked = [part for part in ("1", "2") if part not in skip]
        if checked:
            print(f"targets of {' and '.join(checked)}: {verdict(ok)}")
        if args.profile and "1" not in skip:
            print()
            profile(args.python, base / "pending", env, 25)


if __name__ == "__main__":
    main()
