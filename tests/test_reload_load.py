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

The same on a deployment of several organisations (issue 18): one organisation's file is
rewritten so, while the clients ask for its /o/ID/all.ics and for every other organisation's
/o/ID/all.ics and page /o/ID/.  Each other organisation must answer exactly as before the edits
(its bytes, ETag and Last-Modified, as an in-process build gives them), the edited one exactly one
of its three versions.
"""

from __future__ import annotations

import gzip
import http.client
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest

from reminders.web.deployment import build_deployment, org_path
from reminders.web.feeds import ALL, etag_of

from .conftest import copy_ministry
from .test_workers import (
    Supervised,
    calendar_text,
    expected_feeds,
    http_date,
    make_site,
    replace_calendar,
    save_atomically,
    titled,
)

pytestmark = pytest.mark.slow

EDITS = 20
EDIT_EVERY = 0.2  # seconds between two rewrites of the calendar
CONVERGE = 10.0  # seconds after the last edit for every worker to serve it
MIN_ANSWERS = 100  # per server: below this the "load" was not one


@dataclass
class Expected:
    """What one URL may answer with: its versions' bytes, named, and their gzip forms."""

    versions: dict[bytes, str]
    zipped: dict[bytes, bytes]  # each version's gzip form, by its plain bytes
    feed: bool = True  # a feed's answers carry Last-Modified (a page's do not)
    last_modified: str = ""  # the one it must carry ("": any)


@dataclass
class Tally:
    """What the clients of one server saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)  # 200s by version name
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Clients:
    """Threads asking one server for its URLs in turn until told to stop, checking every
    answer."""

    def __init__(
        self,
        served: Supervised,
        expected: dict[str, Expected],
        tally: Tally,
        turn: list[str] | None = None,
    ) -> None:
        self.served = served
        self.expected = expected
        self.paths = turn or list(expected)  # the URLs in the order asked for, over and over
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
        """One connection throughout, the URLs in turn; every third request for a URL
        conditional on its last ETag."""
        connection = self.served.connect()
        held: dict[str, str] = {}
        turns: Counter[str] = Counter()
        try:
            while not self.stop.is_set():
                for path in self.paths:
                    headers = {"Accept-Encoding": "gzip"} if zipped else {}
                    turns[path] += 1
                    if path in held and turns[path] % 3 == 0:
                        headers["If-None-Match"] = held[path]
                    held[path] = self.ask(connection, path, headers) or held.get(path, "")
        except Exception as exc:  # reported to the test, which fails on it
            self.problem(f"kept-alive client: {exc!r}")
        finally:
            connection.close()

    def new_connections(self) -> None:
        try:
            while not self.stop.is_set():
                for path in self.paths:
                    connection = self.served.connect()
                    try:
                        self.ask(connection, path, {})
                    finally:
                        connection.close()
        except Exception as exc:
            self.problem(f"new-connection client: {exc!r}")

    def ask(
        self, connection: http.client.HTTPConnection, path: str, headers: dict[str, str]
    ) -> str:
        """One request, its answer checked; the ETag to send next time ("" if none)."""
        expected = self.expected[path]
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        raw = response.read()
        etag = response.getheader("etag", "")
        status = response.status
        with self.tally.lock:
            self.tally.statuses[status] += 1
        modified = response.getheader("last-modified")
        if expected.feed and not modified:
            self.problem(f"{path}: {status} without Last-Modified")
        if expected.last_modified and modified != expected.last_modified:
            self.problem(f"{path}: Last-Modified {modified}, not {expected.last_modified}")
        if status == 304:
            if etag != headers.get("If-None-Match") or raw:
                self.problem(f"{path}: 304 with ETag {etag} for If-None-Match {headers}")
            return etag
        if status != 200:
            self.problem(f"{path}: status {status}")
            return ""
        if response.getheader("content-encoding") == "gzip":
            body = gzip.decompress(raw)
            # The project's rule: the plain bytes' hash with "-gzip", the gzip bytes being the
            # deterministic gzip form of exactly those (as the in-process build made it).
            if etag != etag_of(body, "-gzip") or raw != expected.zipped.get(body):
                self.problem(f"{path}: gzip ETag {etag} is not that of the {len(raw)} bytes sent")
        else:
            if etag != etag_of(raw):
                self.problem(f"{path}: ETag {etag} is not that of the {len(raw)} bytes sent")
            body = raw
        name = expected.versions.get(body)
        if name is None:
            self.problem(f"{path}: a 200 of {len(body)} bytes that is none of its versions")
        with self.tally.lock:
            self.tally.versions[name or "?"] += 1
        return etag

    def problem(self, text: str) -> None:
        with self.tally.lock:
            if len(self.tally.problems) < 20:
                self.tally.problems.append(text)


def wait_for_revision(
    served: Supervised, revision: object, read: Callable[[dict[str, object]], object]
) -> None:
    """Until every worker of ``served`` has answered /healthz with ``revision`` (as ``read``
    finds it there), while the clients keep asking."""
    deadline = time.monotonic() + CONVERGE
    current: dict[object, object] = {}
    while len(current) < served.workers or set(current.values()) != {revision}:
        assert time.monotonic() < deadline, f"{current} != {revision}"
        health = served.health()
        current[health.get("worker", 0)] = read(health)


def all_on_the_last(
    servers: list[Supervised],
    revision: object,
    read: Callable[[dict[str, object]], object],
    path: str,
    versions: dict[bytes, str],
    last: str,
) -> None:
    """Every worker of every server on ``revision``, then ten answers at ``path`` all the last
    version."""
    for served in servers:
        wait_for_revision(served, revision, read)
    for served in servers:
        for _ in range(10):
            status, _, body = served.request(path)
            assert (status, versions.get(body)) == (200, last)


def assert_answers(served: Supervised, tally: Tally, rebuilt: str) -> str:
    """What every run's clients must have seen: only 200s and 304s, each right, enough of them;
    and the server's log lines that say ``rebuilt``, at least two (returned: where, for the
    caller's own checks)."""
    where = f"--workers {served.workers}"
    assert tally.problems == [], where
    assert set(tally.statuses) <= {200, 304}, where
    assert tally.statuses.total() >= MIN_ANSWERS, f"{where}: {tally.statuses}"
    assert tally.statuses[304] > 0, where
    assert sum(tally.versions.values()) == tally.statuses[200], where
    lines = [line for line in served.lines if rebuilt in line]
    assert len(lines) >= 2, served.log()
    return where


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
        expected = {ALL: Expected(versions, zipped)}
        clients = [Clients(s, expected, t) for s, t in zip(servers, tallies, strict=True)]
        time.sleep(0.5)
        for edit in range(1, EDITS + 1):
            replace_calendar(config, texts[names[edit % 3]])
            time.sleep(EDIT_EVERY)
        last = names[EDITS % 3]
        final = expected_feeds(config)
        assert versions[final.resources[ALL].body] == last
        # Every worker of both servers ends on the last version (its revision covers every
        # feed's ETag and Last-Modified), while the clients keep asking.
        revision = final.revision
        all_on_the_last(servers, revision, lambda health: health["revision"], ALL, versions, last)
    finally:
        for running in clients:
            running.finish()
        codes = [served.stop() for served in servers]
    assert codes == [0, 0]

    for served, tally in zip(servers, tallies, strict=True):
        where = assert_answers(served, tally, "feeds rebuilt (a file changed)")
        assert len(tally.versions) >= 2, f"{where}: served only {tally.versions}"


# --- One organisation of several edited under load ----------------------------------------------

EDITED = "islamabad"  # of examples/ministry; its copy "lahore" and Baku's "ganja" are not edited
EVENT = 'title = "Roundtable on the 35th anniversary of the Khojaly Genocide"'
REBUILT = "organisation(s) rebuilt (a file changed)"  # the server's line, then their ids


def make_deployment(folder: Path) -> Path:
    """examples/ministry with a copy of each of its two organisations (four in all), its files
    watched every second; its config.toml."""
    copy_ministry(folder)
    orgs = folder / "organisations"
    for copy, source in (("lahore", "islamabad"), ("ganja", "baku")):
        text = (orgs / f"{source}.toml").read_text("utf-8")
        (orgs / f"{copy}.toml").write_text(text.replace(source, copy), "utf-8")
    assert EVENT in (orgs / f"{EDITED}.toml").read_text("utf-8")
    config = folder / "config.toml"
    with config.open("a", encoding="utf-8") as out:
        out.write('\n[daemon]\nwatch_interval = "PT1S"\n')
    return config


def others_expected(config: Path, address: str) -> dict[str, Expected]:
    """Every organisation but the edited one: its /o/ID/all.ics and its page /o/ID/ as a
    server listening on ``address`` (the page's links name it) serves them, built in-process
    from the same files by the same code, each URL's one version named after it."""
    deployment = build_deployment(
        str(config), None, os.environ, datetime.now(UTC), address, None, False
    )
    found: dict[str, Expected] = {}
    for oid, state in deployment.orgs.items():
        good = state.good
        assert good is not None, state.problems
        if oid == EDITED:
            continue
        feed = good.feeds.resources[ALL]
        path = org_path(oid, ALL)
        found[path] = Expected(
            {feed.body: path}, {feed.body: feed.gzipped}, True, http_date(feed.last_modified)
        )
        page = good.pages.pages[good.loaded.settings.organisation.languages[0]]
        path = org_path(oid)
        found[path] = Expected({page.body: path}, {page.body: page.gzipped}, False)
    return found


def edited_revision(health: dict[str, object]) -> object:
    """The edited organisation's revision in a deployment's /healthz."""
    orgs = health["organisations"]
    assert isinstance(orgs, dict)
    return orgs[EDITED]["revision"]


def test_an_edit_of_one_organisation_under_load_changes_no_answer_of_the_others(
    tmp_path: Path,
) -> None:
    config = make_deployment(tmp_path / "ministry")
    edited = config.parent / "organisations" / f"{EDITED}.toml"
    original = edited.read_text("utf-8")
    names = ("A", "B", "C")
    texts = {name: original.replace(EVENT, EVENT[:-1] + f' (version {name})"') for name in names}
    feed_path = org_path(EDITED, ALL)
    versions: dict[bytes, str] = {}
    zipped: dict[bytes, bytes] = {}
    for name in names:
        save_atomically(edited, texts[name], edited.parent)
        state = build_deployment(str(config), None, os.environ, datetime.now(UTC)).orgs[EDITED]
        assert state.good is not None, state.problems
        resource = state.good.feeds.resources[ALL]
        versions[resource.body] = name
        zipped[resource.body] = resource.gzipped
        summaries = icalendar.Calendar.from_ical(resource.body).walk("VEVENT")
        titles = [str(event["SUMMARY"]) for event in summaries]
        assert f"Khojaly Genocide (version {name})" in " ".join(titles)
    assert len(versions) == 3
    save_atomically(edited, texts["A"], edited.parent)

    servers = [Supervised(config, 1, wait=False), Supervised(config, 2, wait=False)]
    tallies = [Tally(), Tally()]
    clients: list[Clients] = []
    others: list[dict[str, Expected]] = []
    try:
        for served in servers:
            served.listening()
            others.append(others_expected(config, f"127.0.0.1:{served.port}"))
        for served, tally, expected in zip(servers, tallies, others, strict=True):
            # Half the requests for the edited organisation's feed, half for the others' URLs.
            paths = {feed_path: Expected(versions, zipped), **expected}
            turn = [path for other in expected for path in (feed_path, other)]
            clients.append(Clients(served, paths, tally, turn))
        time.sleep(0.5)
        for edit in range(1, EDITS + 1):
            save_atomically(edited, texts[names[edit % 3]], edited.parent)
            time.sleep(EDIT_EVERY)
        last = names[EDITS % 3]
        final = build_deployment(str(config), None, os.environ, datetime.now(UTC)).orgs[EDITED]
        assert final.good is not None
        assert versions[final.good.feeds.resources[ALL].body] == last
        revision = final.good.feeds.revision
        all_on_the_last(servers, revision, edited_revision, feed_path, versions, last)
    finally:
        for running in clients:
            running.finish()
        codes = [served.stop() for served in servers]
    assert codes == [0, 0]

    for served, tally, expected in zip(servers, tallies, others, strict=True):
        where = assert_answers(served, tally, REBUILT)
        assert len(set(names) & set(tally.versions)) >= 2, f"{where}: served {tally.versions}"
        for path in expected:  # every other organisation asked for, always the same answer
            assert tally.versions[path] > 0, f"{where}: {path} never answered 200"
        rebuilt = [line for line in served.lines if REBUILT in line]
        assert all(line.endswith(f"{REBUILT}: {EDITED}") for line in rebuilt), rebuilt
