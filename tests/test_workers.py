"""`reminders serve --workers N` as real processes: one socket, several workers, one supervisor.

A kept-alive connection stays with the worker that accepted it, so a connection whose /healthz
names worker 2 shows what worker 2 serves.  The ETag rule is the project's own
(``reminders.web.feeds.etag_of``), applied to the bytes each answer carried.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from email.utils import formatdate
from pathlib import Path

import pytest

from reminders.config.load import load
from reminders.core.errors import UsageError
from reminders.web.feeds import ALL, FeedSet, Resource, etag_of
from reminders.web.server import current_feeds
from reminders.web.workers import check_platform

from .conftest import ROOT, english_config_text

pytestmark = pytest.mark.slow

LISTENING = re.compile(r"serving the feed on http://127\.0\.0\.1:(\d+) ")
TITLE = 'title = "{ordinal} anniversary of the January 20 Tragedy"'
CONVERGE = 10.0  # seconds every worker gets to serve an edit (watch interval 1 s + one build)


# --- A site, its expected feeds, and a supervised server ------------------------------------


def make_site(root: Path, watch: int = 1) -> Path:
    """The bundled config and calendar, watched every ``watch`` seconds (0: not watched), over a
    short window of years (builds are quicker, so edits are picked up sooner)."""
    text = english_config_text()
    for old, new in [
        ('# calendars = "calendars"', 'calendars = "calendars"'),
        ('watch_interval = "PT2S"', f'watch_interval = "PT{watch}S"'),
        ("past_years = 1", "past_years = 0"),
        ("future_years = 5", "future_years = 2"),
    ]:
        assert old in text, f"config.toml no longer has {old!r}"
        text = text.replace(old, new)
    (root / "calendars").mkdir(parents=True)
    shutil.copy(ROOT / "calendars" / "remembrance.toml", root / "calendars")
    assert TITLE in calendar_text(root / "config.toml")
    config = root / "config.toml"
    config.write_text(text, encoding="utf-8")
    return config


def calendar_path(config: Path) -> Path:
    return config.parent / "calendars" / "remembrance.toml"


def calendar_text(config: Path) -> str:
    return calendar_path(config).read_text(encoding="utf-8")


def titled(original: str, suffix: str) -> str:
    """The calendar with the January 20 observance's title ending in ``suffix``."""
    return original.replace(TITLE, TITLE[:-1] + suffix + '"')


def replace_calendar(config: Path, text: str) -> None:
    """Write the calendar as an editor that saves atomically does (:func:`save_atomically`)."""
    save_atomically(calendar_path(config), text, config.parent)


def save_atomically(target: Path, text: str, folder: Path) -> None:
    """Write ``target`` as an editor that saves atomically does: a temporary file in ``folder``,
    renamed over it."""
    temp = folder / f".{target.name}.{threading.get_ident()}.tmp"
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)


def expected_feeds(config: Path) -> FeedSet:
    """The feeds as a server reading these files now builds them (the same code, in-process)."""
    return current_feeds(str(config), load(str(config), date.today()), {}, datetime.now(UTC))


def http_date(seconds: int) -> str:
    return formatdate(seconds, usegmt=True)


class Supervised:
    """A `reminders serve --listen 127.0.0.1:0 [--workers N]` process and its log lines."""

    def __init__(self, config: Path, workers: int, wait: bool = True) -> None:
        argv = [sys.executable, "-m", "reminders", "--config", str(config), "serve",
                "--listen", "127.0.0.1:0"]  # fmt: skip
        if workers != 1:
            argv += ["--workers", str(workers)]
        self.config = config
        self.workers = workers
        self.process = subprocess.Popen(
            argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=config.parent
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.port = 0
        if wait:
            self.listening()

    def listening(self) -> None:
        """Wait for the line that says where it serves (all workers ready)."""
        found = self.wait_for(lambda: any(LISTENING.search(line) for line in self.lines), 30)
        self.port = int(next(m.group(1) for m in map(LISTENING.search, found) if m))

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, done: Callable[[], bool], timeout: float = 15.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while not done():
            if self.process.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.1)  # the last lines
                raise AssertionError("server log so far:\n" + self.log())
            time.sleep(0.02)
        return list(self.lines)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)

    def request(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request on a new connection."""
        connection = self.connect()
        try:
            return exchange(connection, path, headers)
        finally:
            connection.close()

    def health(self, connection: http.client.HTTPConnection | None = None) -> dict[str, object]:
        if connection is None:
            status, _, body = self.request("/healthz")
        else:
            status, _, body = exchange(connection, "/healthz")
        assert status == 200
        found: dict[str, object] = json.loads(body)
        return found

    def pinned(self, timeout: float = 15.0) -> dict[int, http.client.HTTPConnection]:
        """One kept-alive connection per worker (by its index), found through /healthz."""
        found: dict[int, http.client.HTTPConnection] = {}
        deadline = time.monotonic() + timeout
        while len(found) < self.workers:
            assert time.monotonic() < deadline, f"workers reached: {sorted(found)}"
            connection = self.connect()
            worker = self.health(connection)["worker"]
            assert isinstance(worker, int)
            if worker in found:
                connection.close()
            else:
                found[worker] = connection
        return found

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.reader.join(5)
        return self.process.returncode


def exchange(
    connection: http.client.HTTPConnection, path: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    body = response.read()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


def assert_feed(status: int, headers: dict[str, str], body: bytes, resource: Resource) -> None:
    """A 200 with exactly ``resource``'s bytes and validators, the ETag being the bytes' hash."""
    assert status == 200
    assert headers["etag"] == etag_of(body)
    assert body == resource.body
    assert headers["etag"] == resource.etag
    assert headers["last-modified"] == http_date(resource.last_modified)


# --- The tests ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervised]:
    served = Supervised(make_site(tmp_path_factory.mktemp("workers") / "site"), 3)
    yield served
    served.stop()


def test_every_worker_serves_the_same_bytes_and_validators_and_answers_304(
    three: Supervised,
) -> None:
    config = three.config
    expected = expected_feeds(config)
    feed = expected.resources[ALL]
    # New connections are spread over the workers by the kernel.
    seen: dict[int, int] = {}
    for _ in range(60):
        health = three.health()
        worker, pid = health["worker"], health["pid"]
        assert isinstance(worker, int)
        assert isinstance(pid, int)
        assert seen.setdefault(worker, pid) == pid
        assert health["revision"] == expected.revision
    assert len(seen) >= 2, f"60 new connections all reached worker(s) {sorted(seen)}"
    assert set(seen) <= {1, 2, 3}
    assert three.process.pid not in seen.values()
    for _ in range(30):
        assert_feed(*three.request(ALL), feed)
    # Each worker, on a connection of its own: the same 200, then 304 for that ETag.
    pins = three.pinned()
    try:
        for worker, connection in pins.items():
            assert_feed(*exchange(connection, ALL), feed)
            status, headers, body = exchange(connection, ALL, {"If-None-Match": feed.etag})
            assert (status, body) == (304, b""), f"worker {worker}"
            assert headers["etag"] == feed.etag
            assert headers["last-modified"] == http_date(feed.last_modified)
            since = {"If-Modified-Since": http_date(feed.last_modified)}
            assert exchange(connection, ALL, since)[0] == 304
            assert three.health(connection)["worker"] == worker  # still the same process
    finally:
        for connection in pins.values():
            connection.close()


def test_an_edit_reaches_every_worker_and_no_answer_mixes_versions(three: Supervised) -> None:
    config = three.config
    before = expected_feeds(config)
    original = calendar_text(config)
    edited = titled(original, " (edited)")
    pins = three.pinned()
    try:
        time.sleep(1.1)  # a new modification second, so Last-Modified moves as well
        replace_calendar(config, edited)
        after = expected_feeds(config)
        old, new = before.resources[ALL], after.resources[ALL]
        assert old.etag != new.etag
        assert b"anniversary of the January 20 Tragedy (edited)" in new.body
        started = time.monotonic()
        waiting = set(pins)
        while waiting:
            assert time.monotonic() - started < CONVERGE, f"workers {waiting} still on the old feed"
            for worker, connection in pins.items():
                status, headers, body = exchange(connection, ALL)
                assert status == 200
                assert headers["etag"] == etag_of(body), f"worker {worker}: ETag is not the bytes'"
                if body == new.body:
                    assert headers["last-modified"] == http_date(new.last_modified)
                    waiting.discard(worker)
                else:
                    assert body == old.body, f"worker {worker} sent neither version"
                    assert worker in waiting, f"worker {worker} went back to the old feed"
            time.sleep(0.05)
        for worker, connection in pins.items():
            assert three.health(connection)["revision"] == after.revision, f"worker {worker}"
            status, headers, _ = exchange(connection, ALL, {"If-None-Match": new.etag})
            assert (status, headers["etag"]) == (304, new.etag)
            # The old tag is no longer current: the new bytes in full.
            assert_feed(*exchange(connection, ALL, {"If-None-Match": old.etag}), new)
        for _ in range(20):
            assert_feed(*three.request(ALL), new)
    finally:
        for connection in pins.values():
            connection.close()
    rebuilt = [line for line in three.lines if "feeds rebuilt (a file changed)" in line]
    for worker in pins:
        assert any(f"worker {worker} (pid " in line for line in rebuilt), three.log()


def gone(pid: int) -> bool:
    """True once ``pid`` has ended (a zombie nobody reaped yet counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def worker_pids(served: Supervised) -> dict[int, int]:
    pins = served.pinned()
    try:
        return {worker: int(str(served.health(c)["pid"])) for worker, c in pins.items()}
    finally:
        for connection in pins.values():
            connection.close()


def test_sighup_reaches_every_worker_a_killed_one_is_replaced_and_sigterm_stops_all(
    tmp_path: Path,
) -> None:
    served = Supervised(make_site(tmp_path / "site", watch=0), 2)  # no watching: SIGHUP only
    try:
        old = expected_feeds(served.config).resources[ALL]
        replace_calendar(served.config, titled(calendar_text(served.config), " (reloaded)"))
        new = expected_feeds(served.config).resources[ALL]
        pins = served.pinned()
        try:
            time.sleep(1.2)
            for connection in pins.values():  # the edit alone changes nothing
                assert_feed(*exchange(connection, ALL), old)
            served.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + CONVERGE
            waiting = set(pins)
            while waiting:
                assert time.monotonic() < deadline, f"workers {waiting} still on the old feed"
                for worker, connection in pins.items():
                    status, headers, body = exchange(connection, ALL)
                    assert status == 200
                    assert headers["etag"] == etag_of(body)
                    if body == new.body:
                        waiting.discard(worker)
                time.sleep(0.05)
        finally:
            for connection in pins.values():
                connection.close()
        served.wait_for(lambda: served.log().count("feeds rebuilt (SIGHUP)") == 2)
        assert "SIGHUP: every worker rebuilds its feeds" in served.log()

        pids = worker_pids(served)
        victim = pids[2]
        os.kill(victim, signal.SIGKILL)
        # Requests keep succeeding while worker 2 is replaced.
        deadline = time.monotonic() + 10
        replaced = False
        while not replaced:
            assert time.monotonic() < deadline, served.log()
            assert_feed(*served.request(ALL), new)
            health = served.health()
            replaced = health["worker"] == 2 and health["pid"] != victim
        assert re.search(
            rf"worker 2 \(pid {victim}\) was killed by signal 9 \(SIGKILL\) after [\d.]+ s; "
            r"starting it again in 0\.25 s",
            served.log(),
        ), served.log()
        now = worker_pids(served)
        assert now[1] == pids[1]
        assert now[2] != victim
        assert served.health()["revision"] == expected_feeds(served.config).revision

        started = time.monotonic()
        assert served.stop() == 0
        assert time.monotonic() - started < 10
        assert "SIGTERM: stopping 2 workers" in served.log()
        assert served.lines[-1].endswith("INFO    stopped"), served.log()
        assert all(gone(pid) for pid in now.values())
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", served.port), timeout=2).close()
        with socket.socket() as again:  # the port is free to be bound again
            again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            again.bind(("127.0.0.1", served.port))
    finally:
        served.stop()


def test_workers_stop_when_the_supervisor_is_killed(tmp_path: Path) -> None:
    served = Supervised(make_site(tmp_path / "site"), 2)
    try:
        pids = worker_pids(served)
        served.process.kill()
        served.process.wait(5)
        deadline = time.monotonic() + 5
        while not all(gone(pid) for pid in pids.values()):
            assert time.monotonic() < deadline, served.log()
            time.sleep(0.05)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", served.port), timeout=2).close()
        served.reader.join(5)
        for worker, pid in pids.items():
            assert f"worker {worker} (pid {pid}): the supervisor is gone; stopping" in served.log()
    finally:
        served.stop()


# A supervisor whose worker 2 fails at its start, once worker 1 answers: as a worker would whose
# start meets a problem the supervisor's own check did not (a file changed in between, say).
ONE_FAILS = """
import http.client, os, sys, time
from reminders.cli import logs
from reminders.web import workers

config, pids = sys.argv[1], sys.argv[2]


class OneFails(workers.Supervisor):
    def _work(self, slot):
        with open(pids, "a") as out:
            out.write(f"{slot.index} {os.getpid()}\\n")
        if slot.index == 1:
            return super()._work(slot)
        port = self.sock.getsockname()[1]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        print(f"reminders: worker 2: cannot start (port {port})", file=sys.stderr)
        return 3


logs.setup("human")
sys.exit(OneFails(config, workers.bind("127.0.0.1:0"), 2).run())
"""


def test_a_worker_that_fails_at_its_start_stops_the_others_and_the_exit_says_so(
    tmp_path: Path,
) -> None:
    config = make_site(tmp_path / "site")
    pids_file = tmp_path / "pids"
    done = subprocess.run(
        [sys.executable, "-c", ONE_FAILS, str(config), str(pids_file)],
        capture_output=True, text=True, timeout=60, cwd=ROOT,
    )  # fmt: skip
    pids = dict(map(int, line.split()) for line in pids_file.read_text().splitlines())
    assert done.returncode == 3, done.stderr  # the failed worker's own code
    port = int(re.findall(r"cannot start \(port (\d+)\)", done.stderr)[0])
    assert (
        f"worker 2 (pid {pids[2]}) exited with status 3 while starting; stopping the other "
        "workers" in done.stderr
    )
    assert "serving the feed on" not in done.stderr  # not every worker was ever ready
    assert "Traceback" not in done.stderr
    # Worker 1 served and was stopped by the supervisor, not left to find itself orphaned.
    assert f"worker 1 (pid {pids[1]}): stopping the feed server" in done.stderr
    assert "the supervisor is gone" not in done.stderr
    assert gone(pids[1])
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest.mark.parametrize("value", ["0", "-1", "three", "2.5", "65"])
def test_a_bad_worker_count_is_a_usage_error(
    cli: Callable[..., tuple[int, str, str]], value: str
) -> None:
    code, out, err = cli("--config", str(ROOT / "config.toml"), "serve", "--workers", value)
    assert (code, out) == (2, "")
    assert f"argument --workers: {value!r}: expected a whole number of worker processes " in err
    assert "from 1 to 64" in err
    assert "Traceback" not in err


def test_a_taken_port_is_one_line_before_any_worker_starts(tmp_path: Path) -> None:
    config = make_site(tmp_path / "site")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "reminders", "--config", str(config), "serve",
             "--listen", f"127.0.0.1:{port}", "--workers", "3"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith(f"reminders: cannot listen on 127.0.0.1:{port}: ")
    assert done.stderr.count("\n") == 1, done.stderr
    assert "worker" not in done.stderr


def test_workers_need_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "fork")
    with pytest.raises(UsageError) as raised:
        check_platform()
    assert "--workers needs a POSIX system" in raised.value.message()
    assert raised.value.exit_code == 2
