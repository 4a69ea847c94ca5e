"""`reminders serve` as a real process: uvicorn on a free port, over real sockets.

One server for the test that reloads and stops it (SIGHUP, SIGTERM), one shared by the tests
that only send requests.  Hostile requests go over a raw socket, byte for byte, so nothing
between the test and the server normalises a path or refuses a malformed line first.
"""

from __future__ import annotations

import gzip
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
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path

import pytest

from .conftest import ROOT, english_config_text

pytestmark = pytest.mark.slow

LISTENING = re.compile(r"serving the feed on http://127\.0\.0\.1:(\d+) ")
CALENDAR = "/calendars/remembrance.ics"
FILE_MARKERS = (b"[organisation]", b"root:", b"uid_domain", b"Traceback")


def make_site(root: Path) -> Path:
    """A copy of the repository's config.toml and calendar; file watching off (SIGHUP reloads)."""
    text = english_config_text()
    for old, new in [
        ('# calendars = "calendars"', 'calendars = "calendars"'),
        ('watch_interval = "PT2S"', 'watch_interval = "PT0S"'),
    ]:
        assert old in text, f"config.toml no longer has {old!r}"
        text = text.replace(old, new)
    (root / "calendars").mkdir(parents=True)
    shutil.copy(ROOT / "calendars" / "remembrance.toml", root / "calendars")
    config = root / "config.toml"
    config.write_text(text, encoding="utf-8")
    # Inputs two minutes old, so that an edit can be dated later and still before the build.
    past = int(time.time()) - 120
    for path in (config, root / "calendars", root / "calendars" / "remembrance.toml"):
        os.utime(path, (past, past))
    return config


class Served:
    """A `reminders serve --listen 127.0.0.1:0` process and its log lines."""

    def __init__(self, config: Path, cache: Path, environ: dict[str, str] | None = None) -> None:
        self.config = config
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reminders", "--config", str(config), "serve",
             "--listen", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=config.parent,
            env={**os.environ, **(environ or {}), "REMINDERS_CACHE_DIR": str(cache)},
        )  # fmt: skip
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        found = self.wait_for(lambda: any(LISTENING.search(line) for line in self.lines))
        self.port = int(next(m.group(1) for m in map(LISTENING.search, found) if m))

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def wait_for(self, done: Callable[[], bool], timeout: float = 15.0) -> list[str]:
        deadline = time.monotonic() + timeout
        while not done():
            if self.process.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.1)  # the last lines
                raise AssertionError("server log so far:\n" + "\n".join(self.lines))
            time.sleep(0.02)
        return list(self.lines)

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            names = {k.lower(): v for k, v in response.getheaders()}
            return response.status, names, body
        finally:
            connection.close()

    def raw(self, data: bytes) -> bytes:
        """Send bytes as they are; everything the server answers until it closes."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(data)
            answer = b""
            try:
                while chunk := sock.recv(65536):
                    answer += chunk
            except ConnectionResetError:
                pass  # garbage the parser refuses may end in a reset: closed, no answer
            return answer

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.reader.join(5)
        return self.process.returncode


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Served]:
    """A server of its own, for a test that reloads and stops it."""
    (tmp_path / "cache").mkdir()
    served = Served(make_site(tmp_path / "site"), tmp_path / "cache")
    yield served
    served.stop()  # (when the test failed before stopping it)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("served")
    served = Served(make_site(root / "site"), root)
    yield served
    served.stop()


def test_serve_answers_validates_gzips_reloads_on_sighup_and_stops_on_sigterm(
    fresh: Served,
) -> None:
    served = fresh
    status, headers, body = served.request("GET", CALENDAR)
    assert status == 200
    assert headers["content-type"] == "text/calendar; charset=utf-8"
    assert int(headers["content-length"]) == len(body)
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"Remembrance days of Azerbaijan" in body
    etag, last_modified = headers["etag"], headers["last-modified"]

    status, again, rest = served.request("GET", CALENDAR, {"If-None-Match": etag})
    assert (status, rest, again["etag"]) == (304, b"", etag)
    status, zipped, compressed = served.request("GET", CALENDAR, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert zipped["content-encoding"] == "gzip"
    assert gzip.decompress(compressed) == body
    status, head, nothing = served.request("HEAD", CALENDAR)
    assert (status, nothing, head["content-length"]) == (200, b"", str(len(body)))
    status, _headers, text = served.request("GET", "/healthz")
    assert status == 200
    health = json.loads(text)
    assert health["feeds"] == ["/all.ics", CALENDAR]

    source = served.config.parent / "calendars" / "remembrance.toml"
    calendar = source.read_text(encoding="utf-8")
    old_name = 'name = "Remembrance days of Azerbaijan"'
    assert old_name in calendar
    source.write_text(calendar.replace(old_name, 'name = "Remembrance days (edited)"'), "utf-8")
    edited = int(source.stat().st_mtime) - 60  # later than the other inputs, earlier than now
    os.utime(source, (edited, edited))
    served.process.send_signal(signal.SIGHUP)
    lines = served.wait_for(lambda: any("feeds rebuilt (SIGHUP)" in line for line in served.lines))
    logged = next(line for line in lines if "feeds rebuilt (SIGHUP)" in line)
    revision = json.loads(served.request("GET", "/healthz")[2])["revision"]
    assert revision != health["revision"]
    assert logged.endswith(f"revision {revision}, 1 of 1 calendar(s) built again")
    status, headers, body = served.request("GET", CALENDAR, {"If-None-Match": etag})
    assert status == 200  # the old ETag is stale now
    assert headers["etag"] != etag
    assert b"Remembrance days (edited)" in body
    assert headers["last-modified"] == formatdate(edited, usegmt=True)
    assert parsedate_to_datetime(headers["last-modified"]) > parsedate_to_datetime(last_modified)

    assert served.stop() == 0
    assert served.lines[-1].endswith("INFO    stopped")
    assert not any("Traceback" in line for line in served.lines)


def status_of(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0


def request_bytes(target: bytes, *headers: bytes) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers, b"Connection: close"]
    return b"\r\n".join(lines) + b"\r\n\r\n"


HOSTILE = {
    # name: (request bytes, the status it must get)
    "dot segments": (request_bytes(b"/calendars/../config.toml"), 404),
    "encoded dot segments": (request_bytes(b"/calendars/%2e%2e/config.toml"), 404),
    "encoded dots at the root": (request_bytes(b"/%2e%2e/%2e%2e/etc/passwd"), 404),
    "encoded slash": (request_bytes(b"/calendars/..%2fconfig.toml"), 404),
    "double slash": (request_bytes(b"//etc/passwd"), 404),
    "dot segment after a feed": (request_bytes(b"/calendars/remembrance.ics/.."), 404),
    "encoded NUL": (request_bytes(b"/calendars/remembrance.ics%00"), 404),
    "NUL in a query": (request_bytes(b"/config.toml?x=%00"), 404),
    "absolute URI": (request_bytes(b"http://127.0.0.1/../config.toml"), 404),
    "10 kB path": (request_bytes(b"/" + b"a" * 10_000), 404),
    "100 kB header": (request_bytes(b"/all.ics", b"X-Big: " + b"a" * 100_000), 431),
    "1 MB header": (request_bytes(b"/all.ics", b"X-Big: " + b"a" * (1 << 20)), 431),
    "1 MB header on the page": (request_bytes(b"/", b"X-Big: " + b"a" * (1 << 20)), 431),
    "1000 headers": (
        request_bytes(b"/all.ics", *(b"X-Filler-%04d: 0123456789abcdef" % i for i in range(1000))),
        431,
    ),
    "header line without a colon": (request_bytes(b"/all.ics", b"NoColonHere"), 400),
    "space before the colon": (request_bytes(b"/all.ics", b"X-A : b"), 400),
    "NUL in a header": (request_bytes(b"/all.ics", b"X-A: a\x00b"), 400),
    "raw NUL in the path": (request_bytes(b"/calendars/remembrance.ics\x00"), 400),
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "unknown HTTP version": (b"GET /all.ics HTTP/9.9 extra\r\n\r\n", 400),
    "binary noise": (bytes(range(256)) * 4, 400),
}


@pytest.mark.parametrize("case", HOSTILE, ids=list(HOSTILE))
def test_serve_answers_hostile_requests_with_a_4xx(server: Served, case: str) -> None:
    data, expected = HOSTILE[case]
    answer = server.raw(data)
    _head, _, body = answer.partition(b"\r\n\r\n")
    # A 400 may also be a plain close: the parser is entitled to drop garbage without a word.
    assert status_of(answer) == expected or (expected == 400 and answer == b""), answer[:200]
    assert not any(marker in body for marker in FILE_MARKERS)
    assert len(body) < 100  # a short message, never a file or a page


def test_serve_still_works_after_hostile_requests(server: Served) -> None:
    for data, _status in HOSTILE.values():
        server.raw(data)
    status, _headers, body = server.request("GET", "/all.ics")
    assert status == 200
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert not any("Traceback" in line for line in server.lines)


def test_a_second_serve_on_the_same_port_fails_in_one_line(server: Served) -> None:
    address = f"127.0.0.1:{server.port}"
    done = subprocess.run(
        [sys.executable, "-m", "reminders", "--config", str(ROOT / "config.toml"), "serve",
         "--listen", address],
        capture_output=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    message = done.stderr.decode("utf-8")
    assert len(message.strip().splitlines()) == 1, message
    assert message.startswith(f"reminders: cannot listen on {address}: ")
    assert "expected a free address" in message
    assert "Traceback" not in message
    assert server.request("GET", "/healthz")[0] == 200  # the first one is still serving


def test_listen_that_is_not_host_and_port_is_a_usage_error(
    cli: Callable[..., tuple[int, str, str]],
) -> None:
    for value in ("nonsense", "127.0.0.1", "127.0.0.1:99999", ":8080"):
        code, out, err = cli("--config", str(ROOT / "config.toml"), "serve", "--listen", value)
        assert code == 2
        assert out == ""
        assert (
            f"argument --listen: {value!r}: expected HOST:PORT, such as '127.0.0.1:8080' "
            "(port 0: any free port)\n"
        ) in err  # the same words as for [feed] listen in the config
