"""Issue 18 at scale: a generated ministry's feed server and daemon, for 50 to 400 organisations.

bench/ministry.py writes the deployment (N organisations over 40 host countries and 5 languages,
each with 2 private calendars, 10 planned events and 5 notice rules, sharing the bundled
remembrance calendar); this script measures, for each N (50, 100, 200, 400 by default):

1. **cold build**: ``build_deployment`` (what ``reminders serve`` does at its start: every
   organisation's feeds in each of its languages, its pages and this year's plan), in a new
   process: wall and CPU seconds of the build, the process's peak RSS.  Target at 200: at most
   5 s and 500 MB.
2. **an edit to one organisation's file** (an event's title), in the same process: the next
   ``build_deployment`` from the first, its CPU against the cold build's (target: at most 2%),
   which organisations it rebuilt (target: that one alone), and whether any other
   organisation's feeds (every path, every language: bytes and ETags) or pages changed.  Then
   against the running server (``reminders serve``, ``[daemon] watch_interval = "PT1S"``, the
   shortest the config takes): seconds from the file's write to its new ETag at
   ``/o/ID/all.ics``, with the watcher and with SIGHUP, and every other organisation's
   ``all.ics`` and page ETags before and after (target: visible within 1 s, none different).
3. **the daemon**: ``reminders run`` on the deployment (its file channel, its SQLite ledger in
   the deployment's temporary folder): seconds from the process's start to its heartbeat in the
   ledger (written last in its start: every organisation's notices for the horizon scheduled),
   its CPU seconds then, and its RSS once its feed is built and it has idled 2 s (target: ready
   in 10 s, idle RSS at most 150 MB).
4. **the feed's rates**: wrk's 200 and 304 rates for one organisation's ``/o/ID/all.ics``
   against the same URL of a deployment of that organisation alone (the same file, the same
   bytes: what the other organisations cost it; target: at least 0.9x), and, for information,
   against ``/all.ics`` of the bundled one-organisation config (another feed: mission-007's is
   77 kB, the bundled one 51 kB, and a 200 costs its bytes; the 304s, which carry none, compare
   the routing), every server pinned to one core and wrk to the other (bench/feed.py's method),
   the URLs alternated in every round.

The machine is shared: CPU seconds and same-run ratios are what to read; the wall seconds are
shown beside them.  Usage (from the project root)::

    .venv/bin/python bench/ministry_serve.py                       # 50, 100, 200, 400
    .venv/bin/python bench/ministry_serve.py --sizes 200 --runs 3 --rounds 3 --seconds 5
    .venv/bin/python bench/ministry_serve.py --skip wrk,daemon     # only the builds

Needs wrk, taskset and curl on PATH (for the rates).  Standard library only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import daemon as daemon_bench
import feed as feed_bench
from common import ROOT, default_python, header
from ministry import write_ministry

BUILD_TARGET_S, BUILD_TARGET_MB = 5.0, 500.0
EDIT_SHARE_TARGET = 0.02
VISIBLE_TARGET_S = 1.0
READY_TARGET_S, IDLE_TARGET_MB = 10.0, 150.0
RATE_TARGET = 0.9
EDITED = "mission-007"  # the organisation whose file is edited and whose feed wrk asks for
TITLE = 'title = "Commemoration 0 of mission 007"'

BUILD = """
import json, os, resource, sys, time
from datetime import UTC, datetime
from reminders.web.deployment import build_deployment
config, edited, old, new = sys.argv[1:5]
now = datetime.now(UTC)
caches = {}
wall, cpu = time.perf_counter(), time.process_time()
first = build_deployment(config, None, os.environ, now, "127.0.0.1:8080", caches, False)
wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
path = first.orgs[edited].path
text = open(path, encoding="utf-8").read()
assert old in text, (path, old)
with open(path, "w", encoding="utf-8") as out:
    out.write(text.replace(old, new, 1))
try:
    edit_wall, edit_cpu = time.perf_counter(), time.process_time()
    second = build_deployment(config, first, os.environ, now, "127.0.0.1:8080", caches, False)
    edit_wall, edit_cpu = time.perf_counter() - edit_wall, time.process_time() - edit_cpu
finally:
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)

def answers(state):
    good = state.good
    feeds = {p: (r.etag, r.gzip_etag, r.body) for p, r in good.feeds.resources.items()}
    pages = {k: p.body for k, p in good.pages.pages.items()}
    plans = {k: p.body for k, p in good.pages.plans.items()}
    return feeds, pages, plans

different = [o for o in first.orgs if o != edited
             and answers(first.orgs[o]) != answers(second.orgs[o])]
changed = answers(first.orgs[edited]) != answers(second.orgs[edited])
print("@@ " + json.dumps({
    "wall": wall, "cpu": cpu, "peak": peak, "orgs": len(first.orgs),
    "failed": sum(1 for s in first.orgs.values() if s.good is None),
    "edit_wall": edit_wall, "edit_cpu": edit_cpu, "rebuilt": list(second.rebuilt),
    "different": different, "changed": changed,
}))
"""


def env_for(cache: Path) -> dict[str, str]:
    """The children's environment: this tree's code (PYTHONPATH: a worktree without its own
    venv), no REMINDERS_* of the caller's, the deployment's own cache folder."""
    env = daemon_bench.child_env(cache)
    env["PYTHONPATH"] = str(ROOT)
    return env


def cold_build(python: str, config: Path, runs: int) -> dict[str, object]:
    """Median of ``runs`` new processes' cold builds and in-process edits."""
    samples = []
    for run in range(runs):
        new = TITLE.replace("Commemoration", f"Edited ({run}) commemoration")
        done = subprocess.run(
            [python, "-c", BUILD, str(config), EDITED, TITLE, new],
            capture_output=True,
            text=True,
            env=env_for(config.parent / "cache"),
            cwd=config.parent,
            check=False,
        )
        line = [x for x in done.stdout.splitlines() if x.startswith("@@ ")]
        if done.returncode != 0 or not line:
            sys.exit(f"the build failed:\n{done.stderr[-3000:]}")
        samples.append(json.loads(line[-1][3:]))
    out: dict[str, object] = {
        k: statistics.median(s[k] for s in samples)
        for k in ("wall", "cpu", "edit_wall", "edit_cpu")
    }
    out["peak"] = max(s["peak"] for s in samples)
    out["failed"] = max(s["failed"] for s in samples)
    out["rebuilt"] = sorted({o for s in samples for o in s["rebuilt"]})
    out["different"] = sorted({o for s in samples for o in s["different"]})
    out["changed"] = all(s["changed"] for s in samples)
    return out


# --- The server -----------------------------------------------------------------------------------


class Client:
    """One keep-alive connection to a server: (status, ETag) of GETs."""

    def __init__(self, address: str) -> None:
        host, _, port = address.rpartition(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)

    def etag(self, path: str) -> tuple[int, str]:
        self.conn.request("GET", path)
        answer = self.conn.getresponse()
        answer.read()
        return answer.status, answer.getheader("etag", "")

    def close(self) -> None:
        self.conn.close()


def start_server(
    python: str, config: Path, log: Path, cache: Path
) -> tuple[subprocess.Popen[bytes], str]:
    argv = feed_bench.pinned(
        [python, "-m", "reminders", "--config", str(config), "serve", "--listen", "127.0.0.1:0"]
    )
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            argv,
            cwd=config.parent,
            env=env_for(cache),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    feed_bench._started.append(proc)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        found = feed_bench.SERVING.search(log.read_text(errors="replace"))
        if found:
            return proc, found.group(1)
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    sys.exit(f"the server did not start:\n{log.read_text()[-3000:]}")


def every_answer(client: Client, orgs: list[str]) -> dict[str, tuple[int, str]]:
    out = {}
    for oid in orgs:
        for path in (f"/o/{oid}/all.ics", f"/o/{oid}/"):
            out[path] = client.etag(path)
    return out


def served_edit(
    proc: subprocess.Popen[bytes], address: str, config: Path, orgs: list[str], edits: int
) -> dict[str, object]:
    """Edits of one organisation's file against the running server: the watcher's and
    SIGHUP's seconds from the write to the new ETag, the server's CPU for each, and every
    other organisation's answers before and after."""
    client = Client(address)
    before = every_answer(client, orgs)
    path = config.parent / "organisations" / f"{EDITED}.toml"
    text = path.read_text("utf-8")
    feed_path = f"/o/{EDITED}/all.ics"
    seen = {"watcher": [], "SIGHUP": []}
    cpu: dict[str, list[float]] = {"watcher": [], "SIGHUP": []}
    try:
        for n in range(edits):
            for how in ("watcher", "SIGHUP"):
                old = client.etag(feed_path)[1]
                time.sleep(1.2)  # a new second for the file's time stamp; the watcher idle
                edited = TITLE.replace("Commemoration", f"Edited ({how} {n}) commemoration")
                used = sum(feed_bench.cpu_seconds([proc.pid]))
                start = time.perf_counter()
                path.write_text(text.replace(TITLE, edited, 1), "utf-8")
                if how == "SIGHUP":
                    proc.send_signal(signal.SIGHUP)
                while client.etag(feed_path)[1] == old:
                    if time.perf_counter() - start > 30:
                        sys.exit(f"the edit of {path} was not served within 30 s")
                    time.sleep(0.005)
                seen[how].append(time.perf_counter() - start)
                cpu[how].append(sum(feed_bench.cpu_seconds([proc.pid])) - used)
    finally:
        path.write_text(text, "utf-8")
    time.sleep(2.5)  # the restored file served again
    after = every_answer(client, orgs)
    client.close()
    different = sorted(p for p in before if EDITED not in p and before[p] != after[p])
    return {
        "watcher": seen["watcher"],
        "sighup": seen["SIGHUP"],
        "watcher_cpu": statistics.median(cpu["watcher"]),
        "sighup_cpu": statistics.median(cpu["SIGHUP"]),
        "different": different,
        "compared": len(before),
        "restored": before[feed_path] == after[feed_path],
    }


def server_for(
    proc: subprocess.Popen[bytes], address: str, path: str, name: str, tmp: Path
) -> feed_bench.Server:
    server = feed_bench.Server(name, proc, f"http://{address}{path}", "")
    status, size, _, headers = feed_bench.curl(server.url, tmp)
    if status != 200:
        sys.exit(f"GET {server.url} answered {status}")
    server.etag = headers.get("etag", "")
    server.sizes["200"] = size
    status, size, _, _ = feed_bench.curl(server.url, tmp, server.etag)
    if status != 304:
        sys.exit(f"GET {server.url} with its ETag answered {status}")
    server.sizes["304"] = size
    return server


def rates(
    servers: list[feed_bench.Server], rounds: int, seconds: float, connections: int
) -> dict[str, dict[str, tuple[float, float]]]:
    """Per case and server: the medians of req/s and of server CPU per request (microseconds),
    the servers alternated in every round (forwards, then backwards)."""
    runs: dict[tuple[str, str], list[feed_bench.Result]] = {}
    for n in range(rounds):
        for case in ("200", "304"):
            order = servers if n % 2 == 0 else servers[::-1]
            for server in order:
                feed_bench.run_wrk(server, case, 1, connections)  # warm-up
                result = feed_bench.run_wrk(server, case, seconds, connections)
                if result.notes:
                    print(f"  note: {server.name} {case}: {result.notes}")
                runs.setdefault((server.name, case), []).append(result)
    return {
        case: {
            server.name: (
                statistics.median(r.rps for r in runs[(server.name, case)]),
                statistics.median(r.cpu_per_request for r in runs[(server.name, case)]) * 1e6,
            )
            for server in servers
        }
        for case in ("200", "304")
    }


def write_alone(config: Path, folder: Path) -> Path:
    """A deployment of the edited organisation alone: the same config.toml and its own file."""
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "organisations").mkdir(parents=True)
    shutil.copy(config, folder / "config.toml")
    orgs = config.parent / "organisations"
    shutil.copy(orgs / f"{EDITED}.toml", folder / "organisations" / f"{EDITED}.toml")
    if (orgs / EDITED).is_dir():
        shutil.copytree(orgs / EDITED, folder / "organisations" / EDITED)
    return folder / "config.toml"


# --- The daemon -----------------------------------------------------------------------------------


def daemon_start(python: str, config: Path) -> dict[str, float]:
    folder = config.parent
    shutil.rmtree(folder / "var", ignore_errors=True)
    argv = daemon_bench.daemon_argv(python, config)
    proc = daemon_bench.Process(argv, env_for(folder / "cache"), folder, "stderr")
    ledger = folder / "var" / "ledger.sqlite3"
    beat = proc.wait_for(lambda: daemon_bench.heartbeat(ledger), 120, "the heartbeat")
    assert isinstance(beat, float)
    cpu = daemon_bench.proc_cpu(proc.process.pid)
    found = proc.wait_for(lambda: proc.logged(daemon_bench.PLANNED), 10, "the planned line")
    assert isinstance(found, tuple)
    time.sleep(1.0)
    ready_rss = daemon_bench.proc_status(proc.process.pid)["VmRSS"]
    served = proc.wait_for(lambda: proc.logged(daemon_bench.SERVING), 300, "the feed served")
    assert isinstance(served, tuple)
    time.sleep(2.0)
    idle = daemon_bench.proc_status(proc.process.pid)
    total_cpu = daemon_bench.proc_cpu(proc.process.pid)
    proc.stop()
    return {
        "ready": beat - proc.started,
        "cpu": cpu,
        "planned": int(found[1].group(1)),
        "ready_rss": ready_rss,
        "served": daemon_bench.stamp(served[0]) - proc.started,
        "total_cpu": total_cpu,
        "idle_rss": idle["VmRSS"],
        "hwm": idle["VmHWM"],
    }


# --- Report ---------------------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="50,100,200,400")
    parser.add_argument("--runs", type=int, default=3, help="cold builds per size (3)")
    parser.add_argument("--edits", type=int, default=3, help="served edits of each kind (3)")
    parser.add_argument("--rounds", type=int, default=3, help="wrk rounds (3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="each wrk run (5 s)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip", default="", help="any of build,serve,wrk,daemon")
    parser.add_argument("--python", default=default_python())
    parser.add_argument("--write", metavar="FOLDER", help="write the deployments here, keep them")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    sizes = [int(s) for s in args.sizes.split(",")]
    header("Issue 18 at scale: a ministry's feed server and daemon", args.python)
    base = Path(args.write) if args.write else Path(tempfile.mkdtemp(prefix="ministry-serve-"))
    signal.signal(signal.SIGTERM, feed_bench._terminated)
    rows: dict[int, dict[str, object]] = {}
    single: feed_bench.Server | None = None
    try:
        if "wrk" not in skip:
            log = base / "single.log"
            base.mkdir(parents=True, exist_ok=True)
            proc, address = start_server(args.python, ROOT / "config.toml", log, base / "cache")
            single = server_for(proc, address, "/all.ics", "single", base)
        for size in sizes:
            config = write_ministry(base / f"n{size}", size)
            with open(config, "a", encoding="utf-8") as out:
                out.write('\n[daemon]\nwatch_interval = "PT1S"\n')
            row: dict[str, object] = {}
            rows[size] = row
            if "build" not in skip:
                row["build"] = cold_build(args.python, config, args.runs)
                print(f"{size}: build {row['build']}", flush=True)
            if not {"serve", "wrk"} <= skip:
                log = base / f"serve-{size}.log"
                proc, address = start_server(args.python, config, log, config.parent / "cache")
                orgs = [f"mission-{n:03d}" for n in range(size)]
                if "serve" not in skip:
                    row["serve"] = served_edit(proc, address, config, orgs, args.edits)
                    print(f"{size}: served edit {row['serve']}", flush=True)
                if single is not None:
                    org = server_for(proc, address, f"/o/{EDITED}/all.ics", "org", base)
                    alone_config = write_alone(config, base / f"alone{size}")
                    alone_proc, alone_address = start_server(
                        args.python, alone_config, base / f"alone-{size}.log",
                        alone_config.parent / "cache",
                    )  # fmt: skip
                    alone = server_for(
                        alone_proc, alone_address, f"/o/{EDITED}/all.ics", "alone", base
                    )
                    if alone.sizes["200"] != org.sizes["200"]:
                        sys.exit(f"{EDITED} alone: {alone.sizes} bytes; among {size}: {org.sizes}")
                    servers = [single, alone, org]
                    row["wrk"] = rates(servers, args.rounds, args.seconds, args.connections)
                    print(f"{size}: rates {row['wrk']}", flush=True)
                    feed_bench._started.remove(alone_proc)
                    alone_proc.terminate()
                    alone_proc.wait(30)
                feed_bench._started.remove(proc)
                proc.terminate()
                proc.wait(30)
            if "daemon" not in skip:
                row["daemon"] = daemon_start(args.python, config)
                print(f"{size}: daemon {row['daemon']}", flush=True)
    finally:
        feed_bench.stop_all()
        if not args.write:
            shutil.rmtree(base, ignore_errors=True)
    report(rows)
    return 0


def report(rows: dict[int, dict[str, object]]) -> None:
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")

    def line(name: str, target: str, values: list[str]) -> None:
        print(f"| {name} | {target} | " + " | ".join(values) + " |")

    sizes = sorted(rows)
    print("| figure | target (at 200) | " + " | ".join(str(s) for s in sizes) + " |")
    print("|---|---|" + "---:|" * len(sizes))

    def get(size: int, part: str) -> dict[str, object] | None:
        found = rows[size].get(part)
        return found if isinstance(found, dict) else None

    def each(part: str, fmt) -> list[str]:  # type: ignore[no-untyped-def]
        out = []
        for size in sizes:
            found = get(size, part)
            out.append(fmt(found) if found is not None else "-")
        return out

    line(
        "cold build, CPU s", f"<= {BUILD_TARGET_S:g} s", each("build", lambda b: f"{b['cpu']:.2f}")
    )
    line("cold build, wall s", "", each("build", lambda b: f"{b['wall']:.2f}"))
    line(
        "cold build, peak RSS MB",
        f"<= {BUILD_TARGET_MB:g}",
        each("build", lambda b: f"{b['peak']:.0f}"),
    )
    line("edit: rebuild CPU ms", "", each("build", lambda b: f"{b['edit_cpu'] * 1000:.0f}"))
    line(
        "edit: share of the cold build's CPU",
        f"<= {EDIT_SHARE_TARGET:.0%}",
        each("build", lambda b: f"{b['edit_cpu'] / b['cpu']:.1%}"),
    )
    line(
        "edit: organisations rebuilt",
        "the edited one",
        each("build", lambda b: ",".join(b["rebuilt"]) or "none"),
    )
    line(
        "edit: others' answers different (build)",
        "0",
        each("build", lambda b: str(len(b["different"]))),
    )
    line(
        "edit: seen at /o/ID/all.ics, watcher (PT1S), median/max s",
        f"<= {VISIBLE_TARGET_S:g} s",
        each("serve", lambda s: f"{statistics.median(s['watcher']):.2f}/{max(s['watcher']):.2f}"),
    )
    line(
        "edit: seen, SIGHUP, median/max s",
        f"<= {VISIBLE_TARGET_S:g} s",
        each("serve", lambda s: f"{statistics.median(s['sighup']):.2f}/{max(s['sighup']):.2f}"),
    )
    line(
        "edit: server CPU ms (watcher / SIGHUP)",
        "",
        each("serve", lambda s: f"{s['watcher_cpu'] * 1000:.0f}/{s['sighup_cpu'] * 1000:.0f}"),
    )
    line(
        "edit: others' answers different (HTTP)",
        "0",
        each("serve", lambda s: f"{len(s['different'])} of {s['compared'] - 2}"),
    )
    line(
        "daemon ready (heartbeat), s",
        f"<= {READY_TARGET_S:g} s",
        each("daemon", lambda d: f"{d['ready']:.2f}"),
    )
    line("daemon CPU s at ready", "", each("daemon", lambda d: f"{d['cpu']:.2f}"))
    line("daemon notices planned", "", each("daemon", lambda d: str(d["planned"])))
    line("daemon feed served, s", "", each("daemon", lambda d: f"{d['served']:.2f}"))
    line(
        "daemon idle RSS MB (feed built)",
        f"<= {IDLE_TARGET_MB:g}",
        each("daemon", lambda d: f"{d['idle_rss']:.0f}"),
    )
    line(
        "daemon RSS MB at ready / peak",
        "",
        each("daemon", lambda d: f"{d['ready_rss']:.0f}/{d['hwm']:.0f}"),
    )

    def ratio(w: dict[str, dict[str, tuple[float, float]]], case: str, peer: str) -> str:
        org, other = w[case]["org"][0], w[case][peer][0]
        return f"{org:.0f}/{other:.0f} = {org / other:.2f}x"

    for case in ("200", "304"):
        line(
            f"{case}: /o/ID/all.ics vs the organisation alone req/s",
            f">= {RATE_TARGET}x",
            each("wrk", lambda w, c=case: ratio(w, c, "alone")),
        )
        line(
            f"{case}: /o/ID/all.ics vs /all.ics (bundled config) req/s",
            "",
            each("wrk", lambda w, c=case: ratio(w, c, "single")),
        )
        line(
            f"{case}: server CPU us/request (org/alone/single)",
            "",
            each(
                "wrk",
                lambda w, c=case: "/".join(f"{w[c][n][1]:.0f}" for n in ("org", "alone", "single")),
            ),
        )
    if 200 in rows:
        b, s, d, w = (get(200, p) for p in ("build", "serve", "daemon", "wrk"))
        print("\nAt 200 organisations:")
        if b is not None:
            print(
                f"  cold build {b['cpu']:.2f} s CPU, {b['peak']:.0f} MB: "
                f"{verdict(b['cpu'] <= BUILD_TARGET_S and b['peak'] <= BUILD_TARGET_MB)}"
            )
            share = b["edit_cpu"] / b["cpu"]
            ok = share <= EDIT_SHARE_TARGET and b["rebuilt"] == [EDITED] and not b["different"]
            print(
                f"  edit {share:.1%} of the build's CPU, rebuilt {b['rebuilt']}, "
                f"{len(b['different'])} others different: {verdict(ok)}"
            )
        if s is not None:
            ok = max(s["sighup"]) <= VISIBLE_TARGET_S and not s["different"]
            print(
                f"  edit seen in {max(s['sighup']):.2f} s (SIGHUP) / {max(s['watcher']):.2f} s "
                f"(watcher), {len(s['different'])} others different: {verdict(ok)}"
            )
        if d is not None:
            ok = d["ready"] <= READY_TARGET_S and d["idle_rss"] <= IDLE_TARGET_MB
            print(
                f"  daemon ready in {d['ready']:.2f} s, idle RSS {d['idle_rss']:.0f} MB: "
                f"{verdict(ok)}"
            )
        if w is not None:
            for case in ("200", "304"):
                rates_of = w[case]  # type: ignore[index]
                single = rates_of["org"][0] / rates_of["single"][0]
                alone = rates_of["org"][0] / rates_of["alone"][0]
                print(
                    f"  {case} rate {alone:.2f}x the organisation's alone: "
                    f"{verdict(alone >= RATE_TARGET)} ({single:.2f}x the bundled config's)"
                )


if __name__ == "__main__":
    sys.exit(main())
