"""``serve --workers N``: the project's supervisor (web/workers.py) beside the libraries' own.

Issue 14 asks whether a maintained supervisor can replace web/workers.py while keeping its
guarantees: one port, the same bytes and ETags from every worker, a reload under load without an
invalid answer, a broken calendar at a reload keeping the last good feeds, a worker that keeps
failing at its start not restarted in a busy loop.  This script runs, one after the other on the
same site, with the same worker body (``server.serve_forever`` on the supervisor's socket):

* ``ours``: ``reminders serve --workers N`` (fork; SIGHUP forwarded, each worker rebuilds in place);
* ``uvicorn``: uvicorn's ``supervisors.multiprocess.Multiprocess`` (spawn; SIGHUP replaces each
  worker by a new process, new one first), its ``Process`` given our worker body; ``uvicorn:S``
  with ``timeout_worker_healthcheck=S`` (how long a new worker may take to be ready; default 5);
* ``gunicorn``: gunicorn's arbiter (fork; SIGHUP forks N new workers and stops the old ones), with
  a ``Worker`` class whose ``run`` is our worker body; only if ``gunicorn`` can be imported (give
  its directory with ``--gunicorn-path``; it is not a dependency of the project).

The two prototypes are run by this script itself (``--serve KIND CONFIG N``).  For each
supervisor, on a copy of the bundled config and calendar (not watched: only SIGHUP reloads):

1. start: seconds from the command to every worker logging ``ready``, and the CPU seconds each
   worker process had used by then (less noisy than the seconds on a shared machine);
2. same answers: one kept-alive connection per worker (found through /healthz); each sends the
   bytes, ETag and Last-Modified of an in-process build, and a 304 for that ETag;
3. SIGKILL one worker while clients hammer /all.ics: seconds until a replacement is ready, and
   the failed answers meanwhile;
4. reload under load: the calendar edited, then SIGHUP, while 2 kept-alive and 2 new-connection
   clients ask for /all.ics: invalid answers (status not 200/304, bytes of neither version, ETag
   not the hash of the bytes), failed requests on new connections, kept-alive connections the
   server closed, and seconds from SIGHUP to every worker serving the new version (N lines
   ``feeds rebuilt (SIGHUP)``, or N new workers ``ready``);
5. SIGHUP while the calendar is broken: for 4 s after it, answers with the last good feed and
   failures, and whether the supervisor still runs;
6. one worker SIGKILLed while the calendar stays broken: how many times its replacement is
   started (and fails) in 20 s from a second after the kill, the CPU time those failed starts
   took (the supervisor's reaped children), and the answers meanwhile (the other worker serves).

Usage (the project's venv; gunicorn, if wanted, in a directory of its own)::

    .venv/bin/python bench/workers.py                         # ours, uvicorn, uvicorn:30; 2 workers
    .venv/bin/pip install --target /tmp/gunicorn-lib gunicorn
    .venv/bin/python bench/workers.py --gunicorn-path /tmp/gunicorn-lib --rounds 2
    .venv/bin/python bench/workers.py --kinds ours,uvicorn --workers 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

from common import ROOT, header

sys.path.insert(0, str(ROOT))

from reminders.config.load import load
from reminders.web.feeds import ALL, etag_of
from reminders.web.server import current_feeds

READY = re.compile(r"worker (\d+) \(pid (\d+)\) ready on 127\.0\.0\.1:(\d+) ")
FAILED_START = re.compile(r"reminders: worker \d+ \(pid \d+\): ")
TITLE = 'title = "{ordinal} anniversary of the January 20 Tragedy"'


# --- The prototypes: our worker body under the libraries' supervisors ---------------------------


def checked_socket(config_path: str) -> Any:
    """What ``serve_workers`` does before any worker starts: check the files, bind."""
    from reminders.cli import logs
    from reminders.web.workers import checked_socket as checked

    logs.setup("human")
    return checked(config_path, "127.0.0.1:0")


def work(config_path: str, sock: Any, index: int, ready: Callable[[], None]) -> int:
    """One worker: the very body web/workers.py runs in each of its workers."""
    from reminders.web.workers import serve_as_worker

    return serve_as_worker(config_path, sock, index, ready)


def serve_uvicorn(config_path: str, count: int, healthcheck: int) -> int:
    return uvicorn_supervise(config_path, checked_socket(config_path), count, healthcheck)


def uvicorn_supervise(config_path: str, sock: Any, count: int, healthcheck: int) -> int:
    """``serve --workers COUNT`` on uvicorn's Multiprocess, our worker body in its processes."""
    import logging

    import uvicorn
    from uvicorn.supervisors import multiprocess

    logging.getLogger("uvicorn.error").setLevel(logging.INFO)  # its supervisor's lines
    supervisor = UvicornSupervisor(
        uvicorn.Config(
            "reminders.web.app:App",
            workers=count,
            log_config=None,
            timeout_worker_healthcheck=healthcheck,
        ),
        [sock],
    )
    supervisor.config_path = config_path

    def make(config: Any, sockets: list[Any]) -> UvicornWorker:
        # Multiprocess makes its processes by this module-level name; a worker keeps the number
        # of the one it replaces (a free number, else the oldest's: restart_all goes in order).
        live = [p for p in supervisor.processes if p.process.is_alive()]
        free = sorted(set(range(1, count + 1)) - {p.index for p in live})
        index = free[0] if free else min(live, key=lambda p: p.serial).index
        supervisor.serial += 1
        return UvicornWorker(config, sockets, config_path, index, supervisor.serial)

    multiprocess.Process = make  # type: ignore[assignment,misc]
    supervisor.run()
    return 0


try:
    from uvicorn.supervisors.multiprocess import Multiprocess, Process

    class UvicornWorker(Process):
        """uvicorn's worker process, running our worker body instead of ``Server.run``."""

        def __init__(
            self, config: Any, sockets: list[Any], config_path: str, index: int, serial: int
        ) -> None:
            self.config_path, self.index, self.serial = config_path, index, serial
            self.serving = False
            super().__init__(config, sockets)

        def pong(self) -> None:
            self.child_conn.recv()
            self.child_conn.send(self.serving)

        def target(self, sockets: list[Any] | None = None) -> None:
            from reminders.cli import logs

            logs.setup("human")
            threading.Thread(target=self.always_pong, daemon=True).start()
            assert sockets

            def ready() -> None:
                self.serving = True

            sys.exit(work(self.config_path, sockets[0], self.index, ready))

    class UvicornSupervisor(Multiprocess):
        config_path = ""
        serial = 0

        def run(self) -> None:  # Multiprocess.run, with our "serving" line once all are ready
            import logging

            from reminders.web.server import shown_address

            self.init_processes()
            if all(p.wait_until_ready(30, self.should_exit) for p in self.processes):
                logging.getLogger("reminders").info(
                    "serving the feed on http://%s with %d workers (pids %s)",
                    shown_address(self.sockets[0]),
                    len(self.processes),
                    ", ".join(str(p.pid) for p in self.processes),
                )
            while not self.should_exit.wait(0.5):
                self.handle_signals()
                self.keep_subprocess_alive()
            self.terminate_all()
            self.join_all()
except ImportError:  # pragma: no cover
    pass


def serve_gunicorn(config_path: str, count: int) -> int:
    from gunicorn.app.base import BaseApplication
    from gunicorn.workers.base import Worker

    sock = checked_socket(config_path)
    os.set_inheritable(sock.fileno(), True)

    class FeedWorker(Worker):  # type: ignore[misc]
        def run(self) -> None:
            async def body() -> int:
                async def beat() -> None:
                    while True:
                        self.notify()
                        await asyncio.sleep(self.timeout / 2)

                task = asyncio.ensure_future(beat())
                try:
                    from reminders.web.server import Role, serve_forever

                    pid, parent = os.getpid(), os.getppid()
                    role = Role(
                        f"worker {self.age} (pid {pid})",
                        self.sockets[0].sock,
                        lambda: {"worker": self.age, "pid": pid},
                        lambda: None,
                        lambda: os.getppid() != parent,
                    )
                    return await serve_forever(config_path, None, role)
                finally:
                    task.cancel()

            from reminders.core.errors import ReminderError
            from reminders.web.server import run_loop

            try:
                code = run_loop(body())
            except ReminderError as exc:
                print(f"reminders: worker {self.age} (pid {os.getpid()}): {exc.message()}",
                      file=sys.stderr, flush=True)  # fmt: skip
                code = exc.exit_code
            sys.exit(code)

    class Application(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", [f"fd://{sock.fileno()}"])
            self.cfg.set("workers", count)
            self.cfg.set("worker_class", FeedWorker)
            self.cfg.set("graceful_timeout", 10)
            self.cfg.set("control_socket_disable", True)  # else a socket under $HOME

        def load(self) -> Any:
            return None

    Application().run()
    return 0


# --- A site and a supervised server --------------------------------------------------------------


def make_site(root: Path) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for old, new in [
        ('# calendars = "calendars"', 'calendars = "calendars"'),
        ('watch_interval = "PT2S"', 'watch_interval = "PT0S"'),  # not watched: SIGHUP reloads
    ]:
        if old not in text:
            sys.exit(f"config.toml no longer has {old!r}")
        text = text.replace(old, new)
    (root / "calendars").mkdir(parents=True)
    shutil.copy(ROOT / "calendars" / "remembrance.toml", root / "calendars")
    (root / "config.toml").write_text(text, encoding="utf-8")
    return root / "config.toml"


def write_calendar(config: Path, text: str) -> None:
    target = config.parent / "calendars" / "remembrance.toml"
    temp = target.with_suffix(".tmp")
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)


def build(config: Path) -> tuple[bytes, str, int]:
    feed = current_feeds(str(config), load(str(config), date.today()), {}, datetime.now(UTC))
    resource = feed.resources[ALL]
    return resource.body, resource.etag, resource.last_modified


class Served:
    def __init__(self, kind: str, config: Path, count: int, gunicorn_path: str) -> None:
        if kind == "ours":
            argv = ["-m", "reminders", "--config", str(config), "serve", "--listen",
                    "127.0.0.1:0", "--workers", str(count)]  # fmt: skip
        else:
            argv = [__file__, "--serve", kind, str(config), str(count)]
        # This tree's reminders (not an installed one), and gunicorn where it was put.
        paths = [str(ROOT)] + ([gunicorn_path] if kind == "gunicorn" else [])
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
        self.kind, self.count = kind, count
        self.lines: list[tuple[float, str]] = []
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, *argv], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
            cwd=config.parent, env=env,
        )  # fmt: skip
        threading.Thread(target=self._read, daemon=True).start()
        self.port = 0

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.append((time.monotonic(), raw.decode("utf-8", "replace").rstrip()))

    def ready(self, since: float = 0.0) -> list[tuple[float, int, int]]:
        """(time, worker, pid) of each 'ready' line logged after ``since``."""
        found = []
        for when, line in list(self.lines):
            match = READY.search(line)
            if match and when >= since:
                found.append((when, int(match.group(1)), int(match.group(2))))
                self.port = int(match.group(3))
        return found

    def wait(self, done: Callable[[], bool], timeout: float) -> float | None:
        """Seconds until ``done()``, or None after ``timeout`` (or if the supervisor ended)."""
        start = time.monotonic()
        while not done():
            if time.monotonic() - start > timeout or self.process.poll() is not None:
                return None
            time.sleep(0.01)
        return time.monotonic() - start

    def matches(self, pattern: str | re.Pattern[str], since: float) -> int:
        return sum(
            1 for when, line in list(self.lines) if when >= since and re.search(pattern, line)
        )

    def alive_pids(self) -> list[int]:
        return [
            pid for _, _, pid in self.ready() if Path(f"/proc/{pid}").exists() and not zombie(pid)
        ]

    def stop(self) -> tuple[int | None, float]:
        start = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode, time.monotonic() - start


def cpu_seconds(pid: int) -> float:
    """User and system CPU time the process used so far (0.0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu(pid: int) -> float:
    """The CPU time of the children ``pid`` has waited for (its ended workers)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


# --- Clients -----------------------------------------------------------------------------------


class Hammer:
    """Clients asking for /all.ics until stopped; every answer classified."""

    def __init__(self, port: int, versions: dict[bytes, str], kept: int = 2, fresh: int = 2):
        self.port, self.versions = port, versions
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._kept) for _ in range(kept)]
        self.threads += [threading.Thread(target=self._fresh) for _ in range(fresh)]
        for thread in self.threads:
            thread.start()

    def note(self, what: str) -> None:
        with self.lock:
            self.counts[what] += 1

    def check(self, connection: http.client.HTTPConnection, etag: str) -> str:
        connection.request("GET", ALL, headers={"If-None-Match": etag} if etag else {})
        response = connection.getresponse()
        body = response.read()
        tag = response.getheader("ETag") or ""
        if response.status == 304:
            self.note("304" if tag == etag else "invalid: 304 with another ETag")
            return tag
        if response.status != 200:
            self.note(f"invalid: status {response.status}")
        elif tag != etag_of(body):
            self.note("invalid: ETag is not the bytes' hash")
        elif body not in self.versions:
            self.note("invalid: bytes of neither version")
        else:
            self.note("200 " + self.versions[body])
        return tag

    def _kept(self) -> None:
        connection = None
        etag = ""
        while not self.stopping.is_set():
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3)
                try:
                    connection.connect()
                except OSError:
                    self.note("failed: connect")
                    connection = None
                    time.sleep(0.05)
                    continue
            try:
                etag = self.check(connection, etag)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.note("kept-alive connection closed by the server")
                connection.close()
                connection = None
            except OSError as exc:
                self.note(f"failed: {type(exc).__name__}")
                connection.close()
                connection = None

    def _fresh(self) -> None:
        while not self.stopping.is_set():
            connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=3)
            try:
                self.check(connection, "")
            except (OSError, http.client.HTTPException) as exc:
                self.note(f"failed: {type(exc).__name__}")
                time.sleep(0.05)
            finally:
                connection.close()

    def stop(self) -> Counter[str]:
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        return self.counts


def summary(counts: Counter[str]) -> str:
    return ", ".join(f"{what}: {n}" for what, n in sorted(counts.items())) or "no answers"


def bad(counts: Counter[str]) -> int:
    return sum(n for what, n in counts.items() if what.startswith(("invalid", "failed")))


# --- The scenarios -----------------------------------------------------------------------------


def same_answers(port: int, count: int, expected: tuple[bytes, str, int]) -> str:
    body, etag, modified = expected
    pinned: dict[int, http.client.HTTPConnection] = {}
    deadline = time.monotonic() + 15
    while len(pinned) < count and time.monotonic() < deadline:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        connection.request("GET", "/healthz")
        pid = json.loads(connection.getresponse().read())["pid"]
        if pid in pinned:
            connection.close()
        else:
            pinned[pid] = connection
    wanted = (200, body, etag, formatdate(modified, usegmt=True), 304)
    same = True
    for connection in pinned.values():
        connection.request("GET", ALL)
        response = connection.getresponse()
        status, got = response.status, response.read()
        validators = response.getheader("ETag"), response.getheader("Last-Modified")
        connection.request("GET", ALL, headers={"If-None-Match": etag})
        response = connection.getresponse()
        response.read()
        same = same and (status, got, *validators, response.status) == wanted
        connection.close()
    return f"{len(pinned)} workers reached, same bytes/ETag/Last-Modified and 304 from each: {same}"


def run_kind(kind: str, count: int, gunicorn_path: str, out: dict[str, list[str]]) -> None:
    rows = out.setdefault(kind, [])
    with tempfile.TemporaryDirectory() as temp:
        config = make_site(Path(temp) / "site")
        original = (config.parent / "calendars" / "remembrance.toml").read_text(encoding="utf-8")
        old = build(config)
        served = Served(kind, config, count, gunicorn_path)
        try:
            took = served.wait(lambda: len({pid for _, _, pid in served.ready()}) >= count, 60)
            cpu = ", ".join(f"{cpu_seconds(pid):.2f}" for _, _, pid in served.ready())
            rows.append(f"start to {count} workers ready: {fmt(took)} (CPU s of each: {cpu})")
            if took is None:
                rows.append("log:\n" + "\n".join(line for _, line in served.lines[-20:]))
                return
            port = served.port
            rows.append("same answers: " + same_answers(port, count, old))

            # SIGKILL one worker under load.
            versions = {old[0]: "old"}
            hammer = Hammer(port, versions)
            time.sleep(0.5)
            victim = served.alive_pids()[-1]
            killed = time.monotonic()
            os.kill(victim, signal.SIGKILL)
            took = served.wait(lambda: bool(served.ready(killed)), 30)
            time.sleep(0.3)
            rows.append(f"SIGKILL a worker: replacement ready after {fmt(took)}; answers "
                        f"meanwhile: {summary(hammer.stop())}")  # fmt: skip

            # Reload under load.
            time.sleep(1.1)  # a new modification second
            write_calendar(config, original.replace(TITLE, TITLE[:-1] + ' (edited)"'))
            new = build(config)
            versions[new[0]] = "new"
            hammer = Hammer(port, versions)
            time.sleep(1.0)
            hup = time.monotonic()
            served.process.send_signal(signal.SIGHUP)
            pattern = r"feeds rebuilt \(SIGHUP\)|" + READY.pattern
            took = served.wait(lambda: served.matches(pattern, hup) >= count, 60)
            time.sleep(1.0)
            counts = hammer.stop()
            rows.append(f"reload under load: all {count} on the new feed {fmt(took)} after "
                        f"SIGHUP; invalid or failed: {bad(counts)}; {summary(counts)}")  # fmt: skip

            # SIGHUP while the calendar is broken.
            write_calendar(config, original.replace(TITLE, "title = "))
            hammer = Hammer(port, versions)
            hup = time.monotonic()
            served.process.send_signal(signal.SIGHUP)
            time.sleep(4.0)
            counts = hammer.stop()
            running = served.process.poll() is None
            rows.append(f"SIGHUP, calendar broken: supervisor running after 4 s: {running}; "
                        f"{summary(counts)}")  # fmt: skip

            # A worker that dies at its start, again and again (none left to kill: the
            # supervisor restarts them on its own).
            if running:
                hammer = Hammer(port, versions)
                time.sleep(0.3)
                pids = served.alive_pids()
                if pids:
                    os.kill(pids[-1], signal.SIGKILL)
                time.sleep(1.0)  # the killed worker reaped: its CPU time is not counted below
                since, spent = time.monotonic(), children_cpu(served.process.pid)
                time.sleep(20.0)
                spent = children_cpu(served.process.pid) - spent
                counts = hammer.stop()
                starts = served.matches(FAILED_START, since)
                running = served.process.poll() is None
                what = "worker killed" if pids else "no worker serving"
                rows.append(f"{what}, calendar broken: {starts} failed starts in 20 s, "
                            f"{spent:.2f} CPU s; supervisor running: {running}; "
                            f"{summary(counts)}")  # fmt: skip
        finally:
            code, took = served.stop()
            rows.append(f"SIGTERM: exit {code} after {took:.2f} s")
            if os.environ.get("BENCH_LOG"):
                rows.append("log:\n" + "\n".join(line for _, line in served.lines))


def fmt(seconds: float | None) -> str:
    return "never (timed out or the supervisor ended)" if seconds is None else f"{seconds:.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="the supervisors in turn, again")
    parser.add_argument("--gunicorn-path", default="", help="a directory holding gunicorn")
    parser.add_argument(
        "--kinds",
        default="ours,uvicorn,uvicorn:30,gunicorn",
        help="uvicorn:S: with timeout_worker_healthcheck=S (uvicorn's default: 5)",
    )
    parser.add_argument("--serve", nargs=3, metavar=("KIND", "CONFIG", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        kind, config, count = args.serve
        if kind.startswith("uvicorn"):
            return serve_uvicorn(config, int(count), int(kind.partition(":")[2] or 5))
        return serve_gunicorn(config, int(count))
    kinds = args.kinds.split(",")
    if "gunicorn" in kinds:
        probe = [sys.executable, "-c", "import gunicorn"]
        env = dict(os.environ, PYTHONPATH=args.gunicorn_path)
        if subprocess.run(probe, env=env, capture_output=True).returncode:
            print("(gunicorn is not importable: give --gunicorn-path; left out)")
            kinds.remove("gunicorn")
    header(
        f"serve --workers {args.workers}: ours, uvicorn's and gunicorn's supervisors",
        sys.executable,
    )
    out: dict[str, list[str]] = {}
    for turn in range(1, args.rounds + 1):
        for kind in kinds:
            out.clear()
            run_kind(kind, args.workers, args.gunicorn_path, out)
            print(f"\n{kind} (round {turn}):")
            for row in out[kind]:
                print("  " + row)
            sys.stdout.flush()
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
