"""The HTTP feed under load: ``reminders serve`` beside nginx and Radicale serving the same events.

Targets (issue 4), with wrk on loopback (32 connections, 10 s), the server on one core and wrk on
the other, everything in the same run:

* ``reminders serve`` answers the bundled calendar's ``/all.ics`` (200) and a conditional request
  for it (304) at no less than 0.5x nginx's requests per second, nginx having one worker and the
  same bytes (``reminders export --site``);
* server CPU time per request (user + system of the server's processes, from /proc, divided by
  wrk's request count) at most 2.5x nginx's, because wrk itself can be the ceiling;
* p99 latency under 5 ms.

The same run also measures, for information: Radicale serving the same events from a calendar
collection (it has no conditional GET, so its "304" case is a full 200), and three servers under
the app's own uvicorn settings (httptools, uvloop, access log off, port 0), each answering the
same bytes and headers from memory: a bare ASGI callable (the ceiling of any ASGI app here), a
plain Starlette route, and the one-write experiment, uvicorn's httptools protocol answering
``GET /all.ics`` itself in one write per response with none of the app's checks (the floor of
what the app's direct path in reminders/web/server.py, which it led to, can cost).

Every server is started first and checked with curl (the 200 carries the exported bytes, or for
Radicale the same events; the 304 is a 304 with the server's own ETag).  Then each case runs
against each server in turn, a 1 s warm-up before every timed run; ``--rounds N`` repeats the
whole sequence and reports medians.  Besides wrk's figures each run records the CPU time of the
server's processes, of wrk, and the idle and steal time of the machine from /proc/stat, so a run
disturbed by another tenant of this shared machine shows as such.

Usage (from anywhere; the project's venv runs the app and the ceilings)::

    .venv/bin/python bench/feed.py                        # 10 s runs, every server
    .venv/bin/python bench/feed.py --rounds 3             # three times over; medians
    .venv/bin/python bench/feed.py --quick                # 2 s runs: a smoke check
    .venv/bin/python bench/feed.py --servers app,nginx    # only some servers
    .venv/bin/python bench/feed.py --profile              # also py-spy on the app under load

Radicale and py-spy are installed with pip into ``bench/.cache/radicale-venv`` on first use.
Needs wrk, nginx, taskset and curl on PATH.  The parent process uses the standard library only.
"""

from __future__ import annotations

import argparse
import atexit
import collections
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from common import ROOT, default_python, header

CLIENT_CORE, SERVER_CORE = "0", "1"
RPS_TARGET = 0.5  # at least this fraction of nginx's requests per second
CPU_TARGET = 2.5  # at most this many times nginx's CPU seconds per request
P99_TARGET_MS = 5.0
FEED = "/all.ics"
RADICALE_COLLECTION = "/bench/remembrance/"
TOOLS_VENV = ROOT / "bench" / ".cache" / "radicale-venv"
SERVING = re.compile(r"serving the feed on http://(\S+)")
ALL_SERVERS = ("app", "nginx", "nginxmin", "bare", "onewrite", "starlette", "radicale")
LABELS = {
    "app": "reminders serve",
    "bare": "bare ASGI (ceiling)",
    "onewrite": "one write (bare)",
    "starlette": "Starlette route",
    "nginx": "nginx, 1 worker",
    "nginxmin": "nginx, minimal config",
    "radicale": "Radicale",
}
CASES = ("200", "304")
CEILINGS = ("bare", "onewrite", "starlette")  # served by this script's --child mode

_started: list[subprocess.Popen[bytes]] = []


# --- Processes ------------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    """The caller's environment without PYTHON* and REMINDERS_* (as the other benchmarks)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("PYTHON") and not k.startswith("REMINDERS_")
    }


def start(argv: Sequence[str], log: Path, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    """Start a child in its own session (so Ctrl-C reaches only this script, which stops it)."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv, cwd=cwd, env=child_env(), stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    _started.append(proc)
    return proc


def stop_all() -> None:
    """SIGTERM to every child this script started (by its own pid), SIGKILL if it lingers."""
    while _started:
        proc = _started.pop()
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _terminated(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through the finally blocks that clean up


def wait_log(proc: subprocess.Popen[bytes], log: Path, pattern: re.Pattern[str]) -> re.Match[str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = pattern.search(log.read_text(errors="replace"))
        if found:
            return found
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    sys.exit(f"{log.stem} did not start:\n{log.read_text()[-2000:]}")


def wait_port(proc: subprocess.Popen[bytes], log: Path, port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.02)
    sys.exit(f"{log.stem} did not listen:\n{log.read_text()[-2000:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pinned(argv: Sequence[str]) -> list[str]:
    return ["taskset", "-c", SERVER_CORE, *argv]


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def cpu_seconds(pids: Sequence[int]) -> tuple[float, float]:
    """User and system CPU seconds of live processes (all their threads) so far."""
    user = system = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        user += int(fields[11])
        system += int(fields[12])
    tick = os.sysconf("SC_CLK_TCK")
    return user / tick, system / tick


# --- The servers ----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    url: str
    argv: str  # the command line, for the report
    etag: str = ""
    sizes: dict[str, int] = field(default_factory=dict)  # case -> header + body bytes (curl)
    status: dict[str, str] = field(default_factory=dict)  # case -> status curl saw

    def pids(self) -> list[int]:
        """The process and its children: nginx's worker is the master's child."""
        return [self.proc.pid, *children(self.proc.pid)]


NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
{server}
}}
"""

# The feed headers and nothing else: shown beside the documented configuration (which also has
# disable_symlinks, try_files and a map), and used alone if docs/web.md has none.  Written with
# the documentation's listen and root lines, so that the same substitutions apply.
NGINX_MINIMAL = """\
types { text/calendar ics; text/html html; }
default_type application/octet-stream;
charset utf-8;
charset_types text/calendar;
etag on;
server {
    listen 443 ssl;
    root /srv/reminders/site;
    location ~ "([^/]+\\.ics)$" {
        gzip_static on;
        add_header Cache-Control "public, max-age=43200";
        add_header Content-Disposition 'inline; filename="$1"';
        add_header Vary accept-encoding;
        add_header X-Content-Type-Options nosniff;
    }
}
"""
DOCS_HEADING = "### nginx for the static copy"


def nginx_server_block(site: Path, port: int, minimal: bool) -> tuple[str, str]:
    """docs/web.md's configuration for the static copy (else NGINX_MINIMAL) on plain HTTP.

    Loopback HTTP as for the app: the TLS lines go, the port-80 redirect gets a free port.
    Returns the block and where it came from.
    """
    docs = ROOT / "docs" / "web.md"
    text = docs.read_text("utf-8") if docs.exists() else ""
    found = re.search(r"```nginx\n(.*?)```", text.partition(DOCS_HEADING)[2], flags=re.DOTALL)
    block, source = (NGINX_MINIMAL, "minimal") if minimal or not found else (
        found.group(1), f"docs/web.md, {DOCS_HEADING.lstrip('# ')}")  # fmt: skip
    block = re.sub(r"^\s*ssl_\w+ .*\n", "", block, flags=re.M)
    for old, new in (
        ("listen 443 ssl;", f"listen 127.0.0.1:{port};"),
        ("listen 80;", f"listen 127.0.0.1:{free_port()};"),
        ("root /srv/reminders/site;", f"root {site};"),
    ):
        block = block.replace(old, new)
    return block, source


RADICALE_CONF = """\
[server]
hosts = 127.0.0.1:{port}
[auth]
type = none
[rights]
type = authenticated
[storage]
filesystem_folder = {tmp}/radicale
[web]
type = none
[logging]
level = warning
"""


def start_app(python: str, tmp: Path) -> Server:
    argv = pinned([python, "-m", "reminders", "--config", str(ROOT / "config.toml"), "serve",
                   "--listen", "127.0.0.1:0"])  # fmt: skip
    log = tmp / "app.log"
    proc = start(argv, log)
    address = wait_log(proc, log, SERVING).group(1)
    return Server("app", proc, f"http://{address}{FEED}", shlex.join(argv))


def start_ceiling(python: str, tmp: Path, kind: str, site: Path) -> Server:
    argv = pinned([python, str(Path(__file__).resolve()), "--child", kind, "--body",
                   str(site / FEED.lstrip("/"))])  # fmt: skip
    log = tmp / f"{kind}.log"
    proc = start(argv, log)
    address = wait_log(proc, log, SERVING).group(1)
    return Server(kind, proc, f"http://{address}{FEED}", shlex.join(argv))


def start_nginx(tmp: Path, site: Path, minimal: bool) -> Server:
    name = "nginxmin" if minimal else "nginx"
    folder = tmp / name
    folder.mkdir()
    port = free_port()
    block, source = nginx_server_block(site, port, minimal)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(folder=folder, server=block))
    argv = pinned(["nginx", "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)])
    log = folder / "nginx.log"
    proc = start(argv, log)
    wait_port(proc, log, port)
    return Server(name, proc, f"http://127.0.0.1:{port}{FEED}", f"{shlex.join(argv)}  ({source})")


def tools_python(packages: Sequence[str]) -> str:
    """The bench cache venv's interpreter, with ``packages`` installed from PyPI if missing."""
    python = TOOLS_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(TOOLS_VENV)], check=True)
    for package in packages:
        found = subprocess.run([python, "-m", "pip", "show", "-q", package], capture_output=True)
        if found.returncode != 0:
            print(f"installing {package} into {TOOLS_VENV} (pip, once)", flush=True)
            subprocess.run([python, "-m", "pip", "install", "-q", package], check=True)
    return str(python)


def start_radicale(tmp: Path, ics: bytes) -> Server:
    python = tools_python(["radicale"])
    port = free_port()
    conf = tmp / "radicale.conf"
    conf.write_text(RADICALE_CONF.format(tmp=tmp, port=port))
    argv = pinned([python, "-m", "radicale", "--config", str(conf)])
    log = tmp / "radicale.log"
    proc = start(argv, log)
    wait_port(proc, log, port)
    url = f"http://127.0.0.1:{port}{RADICALE_COLLECTION}"
    # The owner's collection first (Radicale refuses a PUT under a missing parent), then a whole
    # VCALENDAR PUT on a collection's URL, which makes it a calendar holding those items.
    owner = url.rstrip("/").rsplit("/", 1)[0] + "/"
    for target, method, data in ((owner, "MKCOL", None), (url, "PUT", ics)):
        request = urllib.request.Request(
            target, data, method=method, headers={"Content-Type": "text/calendar; charset=utf-8"}
        )
        try:
            urllib.request.urlopen(request, timeout=60).close()
        except urllib.error.HTTPError as exc:
            sys.exit(f"Radicale refused {method} {target}: {exc.code} {exc.read()[:500]!r}")
    return Server("radicale", proc, url, shlex.join(argv))


# --- Checking with curl ---------------------------------------------------------------------------


def curl(url: str, tmp: Path, etag: str = "") -> tuple[int, int, bytes, dict[str, str]]:
    """Status, header + body bytes, the body and the headers of one GET."""
    body, head = tmp / "curl.body", tmp / "curl.head"
    body.unlink(missing_ok=True)  # curl writes no file for an empty body
    argv = ["curl", "-s", "-o", str(body), "-D", str(head), "-w", "%{http_code} %{size_header}",
            *(["-H", f"If-None-Match: {etag}"] if etag else []), url]  # fmt: skip
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    status, size_header = map(int, done.stdout.split())
    data = body.read_bytes() if body.exists() else b""
    headers = {}
    for line in head.read_text("latin-1").splitlines()[1:]:
        name, _, value = line.partition(":")
        if value:
            headers[name.strip().lower()] = value.strip()
    return status, size_header + len(data), data, headers


def uids(ics: bytes) -> set[bytes]:
    """The UIDs of the VEVENTs (the VCALENDAR's own UID is not an event's)."""
    found, inside = set(), False
    for line in ics.splitlines():
        if line == b"BEGIN:VEVENT":
            inside = True
        elif line == b"END:VEVENT":
            inside = False
        elif inside and line.startswith(b"UID:"):
            found.add(line[4:])
    return found


def check(server: Server, tmp: Path, ics: bytes) -> None:
    """The 200 has the exported bytes (Radicale: the same events); the 304 is a 304."""
    status, size, body, headers = curl(server.url, tmp)
    if status != 200:
        sys.exit(f"{server.name}: GET {server.url} answered {status}, expected 200")
    if server.name == "radicale":
        if uids(body) != uids(ics):
            sys.exit(f"{server.name}: the calendar does not hold the exported events")
    elif body != ics:
        sys.exit(f"{server.name}: the body differs from the exported all.ics")
    server.etag = headers.get("etag", "")
    server.sizes["200"], server.status["200"] = size, "200"
    status, size, body, _ = curl(server.url, tmp, server.etag)
    if status == 304 and body:
        sys.exit(f"{server.name}: a 304 with a body")
    if status not in (200, 304):
        sys.exit(f"{server.name}: If-None-Match answered {status}")
    if status == 304 or server.name == "radicale":  # Radicale has no conditional GET
        server.sizes["304"], server.status["304"] = size, str(status)
    else:
        sys.exit(f"{server.name}: If-None-Match with its own ETag answered {status}, not 304")
    print(
        f"curl: {LABELS[server.name]:<22} 200: {server.sizes['200']} bytes with headers; "
        f"ETag {server.etag}; If-None-Match: {status}, {size} bytes"
    )


# --- wrk ------------------------------------------------------------------------------------------

UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
TIME_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Result:
    server: str
    case: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    transfer: float  # bytes per second
    cpu_per_request: float  # server CPU seconds (user + system) per request
    system_share: float  # the system (kernel) part of it
    server_cpu: float  # server CPU seconds per wall second of the run
    wrk_cpu: float  # the same for wrk
    core_idle: float  # the server core's idle share (low with a low server_cpu: another tenant)
    steal: float  # CPU seconds per wall second the hypervisor gave elsewhere, both cores
    notes: str


def wrk_argv(server: Server, case: str, seconds: float, connections: int) -> list[str]:
    conditional = ["-H", f"If-None-Match: {server.etag}"] if case == "304" else []
    return ["taskset", "-c", CLIENT_CORE, "wrk", "-t1", f"-c{connections}",
            f"-d{seconds:g}s", "--latency", *conditional, server.url]  # fmt: skip


def latency_ms(text: str, percent: str) -> float:
    found = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
    if found is None:
        raise ValueError(f"no {percent}% latency in wrk's output:\n{text}")
    return float(found.group(1)) * TIME_UNITS[found.group(2)]


def core_times(core: str) -> tuple[float, float, float]:
    """Idle (with iowait) seconds of one core, and steal seconds of all cores, so far."""
    idle = steal = 0
    with open("/proc/stat", encoding="ascii") as stat:
        for line in stat:
            name, *values = line.split()
            if name == f"cpu{core}":
                idle = int(values[3]) + int(values[4])
            elif name == "cpu":
                steal = int(values[7])
    tick = os.sysconf("SC_CLK_TCK")
    return idle / tick, steal / tick, time.monotonic()


def run_wrk(server: Server, case: str, seconds: float, connections: int) -> Result:
    """One wrk run, with the server's CPU time, wrk's and the server core's idle time around it."""
    argv = wrk_argv(server, case, seconds, connections)
    pids = server.pids()
    wrk_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_before, core_before = cpu_seconds(pids), core_times(SERVER_CORE)
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    _started.append(proc)
    out, err = proc.communicate()
    cpu_after, core_after = cpu_seconds(pids), core_times(SERVER_CORE)
    _started.remove(proc)
    wrk_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = core_after[2] - core_before[2]
    used = (cpu_after[0] - cpu_before[0]) + (cpu_after[1] - cpu_before[1])
    wrk_used = (wrk_after.ru_utime - wrk_before.ru_utime) + (
        wrk_after.ru_stime - wrk_before.ru_stime
    )
    text = out.decode()
    if proc.returncode != 0:
        sys.exit(f"{shlex.join(argv)} failed ({proc.returncode}):\n{text}{err.decode()}")
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+), ([\d.]+)(\w+) read", text)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    transfer = re.search(r"Transfer/sec:\s+([\d.]+)(\w+)", text)
    if total is None or rps is None or transfer is None:
        sys.exit(f"cannot read wrk's output:\n{text}")
    requests = int(total.group(1))
    read = float(total.group(4)) * UNITS[total.group(5)]
    notes = []
    errors = re.search(r"Socket errors: (.*)", text)
    if errors:
        notes.append("socket errors: " + errors.group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if bad:
        notes.append(f"{bad.group(1)} non-2xx/3xx")
    # wrk counts statuses only in classes; its byte count (3 digits) tells a 304 from a 200,
    # which is 200 times bigger: every answer must be the size curl saw.
    expected = requests * server.sizes[case]
    if requests and abs(read - expected) > 0.02 * expected:
        notes.append(f"read {read / requests:.0f} B/answer, curl {server.sizes[case]}")
    return Result(
        server.name,
        case,
        requests,
        float(rps.group(1)),
        latency_ms(text, "50"),
        latency_ms(text, "99"),
        float(transfer.group(1)) * UNITS[transfer.group(2)],
        used / max(requests, 1),
        (cpu_after[1] - cpu_before[1]) / used if used else 0.0,
        used / wall,
        wrk_used / wall,
        (core_after[0] - core_before[0]) / wall,
        (core_after[1] - core_before[1]) / wall,
        "; ".join(notes),
    )


# --- Report ---------------------------------------------------------------------------------------


def median_result(runs: list[Result]) -> Result:
    """Each figure's median over the rounds (the notes of every round)."""

    def mid(name: str) -> float:
        return float(statistics.median(getattr(r, name) for r in runs))

    first = runs[0]
    numbers = [f.name for f in fields(Result) if f.name not in ("server", "case", "notes")]
    values: dict[str, Any] = {name: mid(name) for name in numbers}
    values["requests"] = int(values["requests"])
    notes = " | ".join(dict.fromkeys(r.notes for r in runs if r.notes))
    return replace(first, notes=notes, **values)


def report(results: list[Result], servers: dict[str, Server]) -> bool:
    """The table with ratios to nginx, then each target with PASS or FAIL.  True if all pass."""
    grouped: dict[tuple[str, str], list[Result]] = collections.defaultdict(list)
    for r in results:
        grouped[r.server, r.case].append(r)
    by = {key: median_result(runs) for key, runs in grouped.items()}
    rounds = max(len(runs) for runs in grouped.values())
    if rounds > 1:
        print(f"medians of {rounds} rounds")
    head = (
        f"{'server':<22} {'case':<4} {'got':>3} {'req/s':>8} {'x nginx':>7} {'p50 ms':>6} "
        f"{'p99 ms':>6} {'MB/s':>7} {'CPU us/req':>10} {'x nginx':>7} {'sys':>4} {'srv CPU':>7} "
        f"{'wrk CPU':>7} {'c1 idle':>7} {'steal':>5}  notes"
    )
    print(head)
    print("-" * len(head))
    for case in CASES:
        base = by.get(("nginx", case))
        for name in servers:
            row = by.get((name, case))
            if row is None:
                continue
            r = row
            rps_ratio = f"{r.rps / base.rps:.2f}x" if base else "-"
            cpu_ratio = f"{r.cpu_per_request / base.cpu_per_request:.2f}x" if base else "-"
            print(
                f"{LABELS[name]:<22} {case:<4} {servers[name].status[case]:>3} {r.rps:>8.0f} "
                f"{rps_ratio:>7} {r.p50_ms:>6.2f} {r.p99_ms:>6.2f} {r.transfer / 2**20:>7.1f} "
                f"{r.cpu_per_request * 1e6:>10.1f} {cpu_ratio:>7} {r.system_share:>4.0%} "
                f"{r.server_cpu:>7.0%} {r.wrk_cpu:>7.0%} {r.core_idle:>7.0%} {r.steal:>5.0%}  "
                f"{r.notes}"
            )
    print()
    print(
        "got = the status curl saw (Radicale has no conditional GET, so its 304 row is a 200); "
        "x nginx = ratio to nginx in the same case; CPU us/req = the server's user+sys CPU "
        "(/proc/PID/stat, all threads; nginx: master + worker) / wrk's request count; sys = its "
        "kernel part; srv CPU, wrk CPU = CPU seconds per wall second (100% = a whole core: that "
        f"side was the ceiling); c1 idle = core {SERVER_CORE} idle (srv CPU low and c1 idle low: "
        "another tenant had the core); steal = the hypervisor's steal, both cores."
    )
    return targets(grouped, by)


BASELINES = {"nginx": "nginx (docs config)", "nginxmin": "nginx (minimal)"}


def targets(
    grouped: dict[tuple[str, str], list[Result]], by: dict[tuple[str, str], Result]
) -> bool:
    """The issue's targets for ``reminders serve`` on the medians, with the rounds' range.

    The ratios are given against each nginx that ran; the verdict that is returned is against
    nginx on docs/web.md's configuration (the one the project documents), else the minimal one.
    """
    bases = [b for b in BASELINES if all((b, c) in by for c in CASES)]
    if not bases or not all(("app", c) in by for c in CASES):
        print("targets: need the app and an nginx")
        return True
    print()
    print(f"{'target (reminders serve)':<50} {'median':>8} {'rounds':>12}  verdict")
    missed: dict[str, list[str]] = {base: [] for base in bases}
    for case in CASES:
        app = by["app", case]
        rows = []
        for base in bases:
            nginx = by[base, case]
            pairs = list(zip(grouped["app", case], grouped[base, case], strict=True))
            rps = app.rps / nginx.rps
            cpu = app.cpu_per_request / nginx.cpu_per_request
            rows += [
                (f"{case}: req/s >= {RPS_TARGET:g}x {BASELINES[base]}", rps,
                 [a.rps / n.rps for a, n in pairs], "x", rps >= RPS_TARGET, base),
                (f"{case}: CPU/request <= {CPU_TARGET:g}x {BASELINES[base]}", cpu,
                 [a.cpu_per_request / n.cpu_per_request for a, n in pairs], "x",
                 cpu <= CPU_TARGET, base),
            ]  # fmt: skip
        p99 = [a.p99_ms for a in grouped["app", case]]
        rows.append((f"{case}: p99 latency < {P99_TARGET_MS:g} ms", app.p99_ms, p99, "ms",
                     app.p99_ms < P99_TARGET_MS, ""))  # fmt: skip
        for label, value, each, unit, passed, base in rows:
            for name in [base] if base else bases:
                if not passed:
                    missed[name].append(label.split(" >=")[0].split(" <")[0])
            spread = f"{min(each):.2f}-{max(each):.2f}" if len(each) > 1 else ""
            verdict = "PASS" if passed else "FAIL"
            print(f"{label:<50} {value:>6.2f}{unit:<2} {spread:>12}  {verdict}")
    print()
    for base in bases:
        what = f"missed ({', '.join(missed[base])})" if missed[base] else "all met"
        print(f"against {BASELINES[base]}: {what}")
    return not missed[bases[0]]


# --- Profile --------------------------------------------------------------------------------------


IDLE_LEAVES = ("epoll_wait", "epoll_pwait")


def profile(server: Server, seconds: float, connections: int, tmp: Path, top: int) -> None:
    """py-spy (with native frames) on the app's process while wrk asks it for the 200.

    Only the event loop's thread counts (the worker thread sleeps), and its samples in
    ``epoll_wait`` are idle.  A sample whose leaf is a system call (``write``, ``read``) is time in
    the kernel on behalf of that call.  "Self" is keyed by the leaf and the innermost Python frame
    with its line, so that each ``write`` is told apart by its caller.
    """
    spy = str(Path(tools_python(["py-spy"])).with_name("py-spy"))
    raw = tmp / "py-spy.txt"
    argv = [spy, "record", "--pid", str(server.proc.pid), "--duration", f"{seconds + 2:g}",
            "--rate", "250", "--format", "raw", "--native", "--output", str(raw)]  # fmt: skip
    spy_proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _started.append(spy_proc)
    time.sleep(1.0)  # py-spy attaches before the load starts
    run_wrk(server, "200", seconds, connections)
    _, err = spy_proc.communicate()
    _started.remove(spy_proc)
    if not raw.exists():
        print(f"py-spy failed: {err.decode()[-1000:]}")
        return
    leaf: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    busy = idle = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not any(f.startswith("_run_module_as_main ") for f in frames):
            continue  # not the event loop's thread
        n = int(count)
        if frames[-1].split(" ")[0] in IDLE_LEAVES:
            idle += n
            continue
        busy += n
        python = [f for f in frames if ".py:" in f]
        caller = f" <- {python[-1]}" if python and python[-1] != frames[-1] else ""
        leaf[frames[-1] + caller] += n
        for frame in {re.sub(r":\d+\)$", ")", f) for f in python}:
            inclusive[frame] += n
    if not busy:
        print(f"py-spy recorded no busy sample: {err.decode()[-500:]}")
        return
    print(f"$ {shlex.join(argv)}")
    print(f"  during {shlex.join(wrk_argv(server, '200', seconds, connections))}")
    share = busy / (busy + idle)
    print(f"event loop thread: {busy} busy samples, {idle} idle in epoll ({share:.0%} busy)")
    print("shares below are of the busy samples")
    print(f"{'self':>6}  leaf frame <- innermost Python frame")
    for frame, n in leaf.most_common(top):
        print(f"{n / busy:>6.1%}  {frame}")
    print(f"{'total':>6}  Python function (on the stack)")
    for frame, n in inclusive.most_common(top):
        print(f"{n / busy:>6.1%}  {frame}")


# --- The ceilings (run as children of this script) ------------------------------------------------


def serve_ceiling(kind: str, body_path: str) -> None:
    """Serve one file's bytes from memory, the way the app's feed path does, under the app's
    uvicorn settings: ``bare`` is a plain ASGI callable, ``starlette`` a Starlette route, and
    ``onewrite`` (the experiment behind server.py's direct path, without its checks) uvicorn's
    own httptools protocol answering the feed itself, as one ``writelines`` (one ``writev``) per
    response, before any ASGI task is made."""
    import asyncio
    import hashlib
    from email.utils import formatdate

    import uvicorn
    import uvloop

    body = Path(body_path).read_bytes()
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    common = [
        ("last-modified", formatdate(Path(body_path).stat().st_mtime, usegmt=True)),
        ("cache-control", "public, max-age=43200"),
        ("vary", "accept-encoding"),
    ]
    full = [
        ("content-type", "text/calendar; charset=utf-8"),
        ("content-length", str(len(body))),
        ("etag", etag),
        *common,
        ("content-disposition", 'inline; filename="all.ics"'),
        ("x-content-type-options", "nosniff"),
    ]
    raw_full = [(k.encode(), v.encode()) for k, v in full]
    raw_304 = [(b"etag", etag.encode()), *((k.encode(), v.encode()) for k, v in common)]
    etag_bytes = etag.encode()

    async def bare(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        for name, value in scope["headers"]:
            if name == b"if-none-match" and value == etag_bytes:
                await send({"type": "http.response.start", "status": 304, "headers": raw_304})
                await send({"type": "http.response.body", "body": b""})
                return
        await send({"type": "http.response.start", "status": 200, "headers": raw_full})
        await send({"type": "http.response.body", "body": body})

    def starlette() -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import Response
        from starlette.routing import Route

        async def feed(request: Request) -> Response:
            if request.headers.get("if-none-match") == etag:
                return Response(status_code=304, headers=dict([("etag", etag), *common]))
            return Response(body, headers=dict(full[2:]), media_type=full[0][1])

        return Starlette(routes=[Route(FEED, feed, methods=["GET", "HEAD"])])

    def one_write() -> Any:
        from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

        def block(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
            return STATUS_LINE[status] + b"".join(b"%s: %s\r\n" % h for h in headers)

        head_200, head_304 = block(200, raw_full), block(304, raw_304)
        path = FEED.encode()

        class OneWrite(HttpToolsProtocol):
            answered = False

            def on_headers_complete(self) -> None:
                parser = self.parser
                self.answered = (
                    self.url == path
                    and parser.get_method() == b"GET"
                    and not parser.should_upgrade()
                    and (self.cycle is None or self.cycle.response_complete)
                )
                if not self.answered:
                    super().on_headers_complete()
                    return
                fresh = (b"if-none-match", etag_bytes) in self.headers
                date = b"".join(b"%s: %s\r\n" % h for h in self.server_state.default_headers)
                keep = parser.get_http_version() == "1.1" and parser.should_keep_alive()
                end = b"\r\n" if keep else b"connection: close\r\n\r\n"
                if fresh:
                    self.transport.write(head_304 + date + end)
                else:
                    self.transport.writelines([head_200, date, end, body])
                if keep:
                    self.on_response_complete()
                else:
                    self.transport.close()

            def on_body(self, data: bytes) -> None:
                if not self.answered:
                    super().on_body(data)

            def on_message_complete(self) -> None:
                if not self.answered:
                    super().on_message_complete()

        return OneWrite

    async def main() -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        config = uvicorn.Config(
            bare if kind == "bare" else starlette(),
            lifespan="off", access_log=False, server_header=False, log_config=None,
            http=one_write() if kind == "onewrite" else "httptools", timeout_keep_alive=15,
        )  # fmt: skip
        server = uvicorn.Server(config)
        task = asyncio.ensure_future(server.serve(sockets=[sock]))
        while not server.started:
            await asyncio.sleep(0.01)
        host, port = sock.getsockname()
        print(f"serving the feed on http://{host}:{port}", file=sys.stderr, flush=True)
        await task

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


# --- Main -----------------------------------------------------------------------------------------


def versions(python: str) -> str:
    code = "import uvicorn, uvloop, httptools; print(uvicorn.__version__, uvloop.__version__, "
    code += "httptools.__version__)"
    uv, loop, parser = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    nginx = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.splitlines()[0]
    return (
        f"\n{nginx.removeprefix('nginx version: ')}; {wrk.split(' [')[0]}; uvicorn {uv}, "
        f"uvloop {loop}, httptools {parser}; server core {SERVER_CORE}, wrk core {CLIENT_CORE}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=default_python(), help="the venv's interpreter")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per run (10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (32)")
    parser.add_argument("--quick", action="store_true", help="2 s runs: a smoke check")
    parser.add_argument("--rounds", type=int, default=1, help="repeat everything; medians (1)")
    parser.add_argument(
        "--servers", default=",".join(ALL_SERVERS), help=f"some of {','.join(ALL_SERVERS)}"
    )
    parser.add_argument("--profile", action="store_true", help="py-spy on the app under load")
    parser.add_argument("--child", choices=CEILINGS, help=argparse.SUPPRESS)
    parser.add_argument("--body", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        serve_ceiling(args.child, args.body)
        return
    names = [n for n in ALL_SERVERS if n in args.servers.split(",")]
    unknown = set(args.servers.split(",")) - set(ALL_SERVERS)
    if unknown:
        parser.error(f"unknown server(s) {', '.join(sorted(unknown))}; expected {ALL_SERVERS}")
    seconds = 2.0 if args.quick else args.duration
    for tool in ("wrk", "nginx", "taskset", "curl"):
        if shutil.which(tool) is None:
            sys.exit(f"{tool} is not on PATH (Debian: apt-get install {tool})")

    header("reminders feed benchmark", args.python, versions(args.python))
    atexit.register(stop_all)
    signal.signal(signal.SIGTERM, _terminated)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in background
    tmp = Path(tempfile.mkdtemp(prefix="reminders-feed-bench-"))
    tmp.chmod(0o755)  # nginx's worker runs as nobody when this runs as root
    try:
        run(args, names, seconds, tmp)
    except KeyboardInterrupt:
        print("interrupted; stopping the servers", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, names: list[str], seconds: float, tmp: Path) -> None:
    site = tmp / "site"
    export = [args.python, "-m", "reminders", "--config", "config.toml", "export", "--site"]
    done = subprocess.run([*export, str(site)], cwd=ROOT, env=child_env(), capture_output=True)
    if done.returncode != 0:
        sys.exit(f"export failed ({done.returncode}):\n{done.stderr.decode()}")
    for path in (site, *site.rglob("*")):
        path.chmod(0o755 if path.is_dir() else 0o644)
    ics = (site / FEED.lstrip("/")).read_bytes()
    print(f"$ {shlex.join([*export, 'DIR'])}   ({FEED}: {len(ics)} bytes, {len(uids(ics))} events)")
    servers: dict[str, Server] = {}
    for name in names:
        if name == "app":
            servers[name] = start_app(args.python, tmp)
        elif name in CEILINGS:
            servers[name] = start_ceiling(args.python, tmp, name, site)
        elif name in ("nginx", "nginxmin"):
            servers[name] = start_nginx(tmp, site, minimal=name == "nginxmin")
        else:
            servers[name] = start_radicale(tmp, ics)
        print(f"{LABELS[name]:<22} $ {servers[name].argv}")
    for server in servers.values():
        check(server, tmp, ics)
    first = next(iter(servers.values()))
    print()
    print(f"load: {shlex.join(wrk_argv(first, '200', seconds, args.connections))}")
    print("      (the 304 adds -H 'If-None-Match: <that server's ETag>'; 1 s warm-up before each)")
    print()
    results = []
    for round_no in range(args.rounds):
        if args.rounds > 1:
            print(f"round {round_no + 1} of {args.rounds}", flush=True)
        for case in CASES:
            for server in servers.values():
                run_wrk(server, case, 1, args.connections)  # warm-up: connections, caches
                results.append(run_wrk(server, case, seconds, args.connections))
    ok = report(results, servers)
    if args.profile and "app" in servers:
        print()
        profile(servers["app"], seconds, args.connections, tmp, 25)
    print()
    first_nginx = next((BASELINES[b] for b in BASELINES if b in servers), "no nginx")
    print(f"targets {'MET' if ok else 'MISSED'} against {first_nginx}")


if __name__ == "__main__":
    main()
