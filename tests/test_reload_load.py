"""Reload under load: the feed served at full speed while its calendar is edited.

Two servers read the same files, `reminders serve` (one process) and `reminders serve --workers
2`.  Client threads ask each for /all.ics without a pause, on kept-alive and on new connections,
plain, gzip and conditional, while another thread rewrites the calendar twenty times (atomically,
as editors save), cycling through three versions that differ in one observance's title.

Every answer must be a 200 or a 304.  A 200's ETag must be the project's hash of the bytes it
carried (``etag_of``; with ``-gzip`` for the gzip form), and the bytes must be exactly one of the
three versions, built in-process from the same files by the same code.  Each version's bytes
parse with icalendar with the expected events, so every 200 does (its bytes are one of them).
A 304 must repeat the ETag the client sent.  At the end both servers serve the last version,
every worker of both, with the revision an in-process build of the final files gives.
"""

from __future__ import annotations

import gzip
import http.client
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import icalendar
import pytest

from reminders.web.feeds import ALL, etag_of

from .test_workers import (
    Supervised,
    calendar_text,
    expected_feeds,
    make_site,
    replace_calendar,
    titled,
)

pytestmark = pytest.mark.slow

EDITS = 20
EDIT_EVERY = 0.2  # seconds between two rewrites of the calendar
CONVERGE = 10.0  # seconds after the last edit for every worker to serve it
MIN_ANSWERS = 100  # per server: below this the "load" was not one


@dataclass
class Tally:
    """What the clients of one server saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)  # 200s by version name
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Clients:
    """Threads asking one server for /all.ics until told to stop, checking every answer."""

    def __init__(
        self,
        served: Supervised,
        versions: dict[bytes, str],
        zipped: dict[bytes, bytes],
        tally: Tally,
    ) -> None:
        self.served = served
        self.versions = versions
        self.zipped = zipped  # each version's gzip form, by its plain bytes
        self.tally = tally
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=self.keep_alive, args=(False,)),
            threading.Thread(target=self.keep_alive, args=(True,)),
            threading.Thread(target=self.new_connections),
        ]
        for thread in self.threads:
            thread.start()

    def finish(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(15)

    def keep_alive(self, zipped: bool) -> None:
        """One connection throughout; every third request conditional on the last ETag."""
        connection = self.served.connect()
        held, turn = "", 0
        try:
            while not self.stop.is_set():
                headers = {"Accept-Encoding": "gzip"} if zipped else {}
                turn += 1
                if held and turn % 3 == 0:
                    headers["If-None-Match"] = held
                held = self.ask(connection, headers) or held
        except Exception as exc:  # reported to the test, which fails on it
            self.problem(f"kept-alive client: {exc!r}")
        finally:
            connection.close()

    def new_connections(self) -> None:
        try:
            while not self.stop.is_set():
                connection = self.served.connect()
                try:
                    self.ask(connection, {})
                finally:
                    connection.close()
        except Exception as exc:
            self.problem(f"new-connection client: {exc!r}")

    def ask(self, connection: http.client.HTTPConnection, headers: dict[str, str]) -> str:
        """One request, its answer checked; the ETag to send next time ("" if none)."""
        connection.request("GET", ALL, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        etag = response.getheader("etag", "")
        status = response.status
        with self.tally.lock:
            self.tally.statuses[status] += 1
        if not response.getheader("last-modified"):
            self.problem(f"{status} without Last-Modified")
        if status == 304:
            if etag != headers.get("If-None-Match") or raw:
                self.problem(f"304 with ETag {etag} for If-None-Match {headers}")
            return etag
        if status != 200:
            self.problem(f"status {status}")
            return ""
        if response.getheader("content-encoding") == "gzip":
            body = gzip.decompress(raw)
            # The project's rule: the plain bytes' hash with "-gzip", the gzip bytes being the
            # feed's deterministic gzip form of exactly those (as the in-process build made it).
            if etag != etag_of(body, "-gzip") or raw != self.zipped.get(body):
                self.problem(f"gzip ETag {etag} is not that of the {len(raw)} bytes sent")
        else:
            if etag != etag_of(raw):
                self.problem(f"ETag {etag} is not that of the {len(raw)} bytes sent")
            body = raw
        name = self.versions.get(body)
        if name is None:
            self.problem(f"a 200 of {len(body)} bytes that is none of the versions")
        with self.tally.lock:
            self.tally.versions[name or "?"] += 1
        return etag

    def problem(self, text: str) -> None:
        with self.tally.lock:
            if len(self.tally.problems) < 20:
                self.tally.problems.append(text)


def test_every_answer_is_a_whole_calendar_whose_etag_matches_while_edits_land(
    tmp_path: Path,
) -> None:
    config = make_site(tmp_path / "site")
    original = calendar_text(config)
    names = ("A", "B", "C")
    texts = {name: titled(original, f" (version {name})") for name in names}
    versions: dict[bytes, str] = {}
    zipped: dict[bytes, bytes] = {}
    events: dict[str, int] = {}
    for name in names:
        replace_calendar(config, texts[name])
        resource = expected_feeds(config).resources[ALL]
        body = resource.body
        versions[body] = name
        zipped[body] = resource.gzipped
        parsed = icalendar.Calendar.from_ical(body)
        events[name] = len(parsed.walk("VEVENT"))
        assert f"January 20 Tragedy (version {name})" in str(parsed.walk("VEVENT")[0]["SUMMARY"])
    assert len(versions) == 3
    assert len(set(events.values())) == 1
    replace_calendar(config, texts["A"])

    servers = [Supervised(config, 1, wait=False), Supervised(config, 2, wait=False)]
    tallies = [Tally(), Tally()]
    clients: list[Clients] = []
    try:
        for served in servers:
            served.listening()
        clients = [Clients(s, versions, zipped, t) for s, t in zip(servers, tallies, strict=True)]
        time.sleep(0.5)
        for edit in range(1, EDITS + 1):
            replace_calendar(config, texts[names[edit % 3]])
            time.sleep(EDIT_EVERY)
        last = names[EDITS % 3]
        final = expected_feeds(config)
        assert versions[final.resources[ALL].body] == last
        # Every worker of both servers ends on the last version (its revision covers every
        # feed's ETag and Last-Modified), while the clients keep asking.
        deadline = time.monotonic() + CONVERGE
        for served in servers:
            current: dict[object, object] = {}
            while len(current) < served.workers or set(current.values()) != {final.revision}:
                assert time.monotonic() < deadline, f"{current} != {final.revision}"
                health = served.health()
                current[health.get("worker", 0)] = health["revision"]
        for served in servers:
            for _ in range(10):
                status, _, body = served.request(ALL)
                assert (status, versions.get(body)) == (200, last)
    finally:
        for running in clients:
            running.finish()
        codes = [served.stop() for served in servers]
    assert codes == [0, 0]

    for served, tally in zip(servers, tallies, strict=True):
        where = f"--workers {served.workers}"
        assert tally.problems == [], where
        assert set(tally.statuses) <= {200, 304}, where
        assert tally.statuses.total() >= MIN_ANSWERS, f"{where}: {tally.statuses}"
        assert tally.statuses[304] > 0, where
        assert len(tally.versions) >= 2, f"{where}: served only {tally.versions}"
        assert sum(tally.versions.values()) == tally.statuses[200], where
        rebuilt = [line for line in served.lines if "feeds rebuilt (a file changed)" in line]
        assert len(rebuilt) >= 2, served.log()
