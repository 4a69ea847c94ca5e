"""The daemon schedules first: its feed is built after the start, and nothing waits for it.

The daemon binds the feed's port before anything is sent (a taken port still stops the start,
tests/test_daemon_feed.py), then catches up, plans and schedules, and only then builds the feeds,
in a thread of their own.  Until that first build is served every path but /healthz answers 503
with Retry-After (never a 404 that a client could keep as "gone", never an empty calendar), and
/healthz says ``"feed": {"state": "building"}``, then ``"ready"``, or ``"failed"`` with the
message.  A reload during the first build is not lost, and the older build does not overwrite it.

The daemon runs in-process on an injected clock (tests/clock_harness.py) or a fixed one; the first
build is held back by a gate the test opens, busy in Python meanwhile (it holds the GIL in pieces,
as a real build does).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from reminders.cli.run import make_daemon
from reminders.web.app import BUILDING, FAILED
from reminders.web.server import WebService

from .clock_harness import Clock, Records, Start, captured, run
from .daemon_harness import Project, Rule
from .test_pages_built import broken_page, project  # noqa: F401  (the fixture)
from .test_reload_whole import NOW as FIXED_NOW
from .test_reload_whole import observance

NOW = FIXED_NOW + timedelta(days=9, hours=4)  # 2027-01-10 09:00 in Asia/Karachi


class Gate:
    """Holds back the feed server's first build (``build_site``), busy in Python meanwhile;
    the builds after it (a reload's, a rebuild's) run at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.open = threading.Event()
        self.entered = threading.Event()
        self.finished = threading.Event()  # the held build returned
        self.calls = 0
        real = WebService.build_site

        def build_site(service: WebService, loaded: Any) -> Any:
            self.calls += 1
            if self.calls > 1:
                return real(service, loaded)
            self.entered.set()
            deadline = time.monotonic() + 60  # (only if the test never opens it)
            while not self.open.is_set() and time.monotonic() < deadline:
                sum(range(100))  # busy in Python, as a build is
            try:
                return real(service, loaded)
            finally:
                self.finished.set()

        monkeypatch.setattr(WebService, "build_site", build_site)


@pytest.fixture
def records() -> Iterator[Records]:
    with captured() as handler:
        yield handler


def fetch(url: str, method: str = "GET") -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


async def get(base: str, path: str, method: str = "GET") -> tuple[int, Message, bytes]:
    return await asyncio.to_thread(fetch, base + path, method)


async def health(base: str) -> dict[str, Any]:
    status, _, body = await get(base, "/healthz")
    assert status == 200
    found: dict[str, Any] = json.loads(body)
    return found


def test_the_daemon_plans_and_sends_while_its_feed_is_built_and_answers_503_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, records: Records
) -> None:
    clock = Clock(NOW)
    rule = Rule("soon", NOW + timedelta(seconds=5))
    harnessed = Project(tmp_path)
    harnessed.write([rule])
    gate = Gate(monkeypatch)
    seen: dict[str, Any] = {}

    async def scenario(start: Start) -> None:
        running = await asyncio.wait_for(start(), 20)  # never waits for the held build
        daemon = running.daemon
        assert daemon.web is not None
        base = f"http://{daemon.web.address}"
        assert await asyncio.to_thread(gate.entered.wait, 10)  # the build began after the plan
        seen["building"] = await health(base)
        seen["replies"] = {
            (method, path): await get(base, path, method)
            for path in ("/calendars/test.ics", "/all.ics", "/", "/plan/2027", "/nothing")
            for method in ("GET", "HEAD")
        }
        await running.run_until(rule.local)  # the fire job, while the build still runs
        seen["sent"] = [p.name for p in harnessed.outbox_files()]
        seen["finished"] = gate.finished.is_set()
        gate.open.set()
        seen["state"] = await asyncio.wait_for(daemon.web.ready(), 60)
        seen["ready"] = await health(base)
        seen["feed"] = await get(base, "/calendars/test.ics")
        await running.stop()

    try:
        run(harnessed, clock, scenario)
    finally:
        gate.open.set()

    building = seen["building"]
    assert building["feed"] == {"state": "building", "since": NOW.isoformat(), "error": None}
    assert (building["revision"], building["feeds"]) == (None, [])
    assert (building["scheduler"], building["planned"]) == ("paused", 1)  # (the harness runs it)
    for (method, path), (status, headers, body) in seen["replies"].items():
        assert status == 503, (method, path)
        assert headers["Retry-After"] == "10"
        assert headers["Cache-Control"] == "no-store"
        assert body == (b"" if method == "HEAD" else BUILDING), (method, path)
    assert seen["finished"] is False
    (sent,) = seen["sent"]
    assert rule.notice_id.replace(":", "_") in sent

    assert seen["state"] == "ready"
    ready = seen["ready"]
    assert ready["feed"]["state"] == "ready"
    assert ready["feed"]["error"] is None
    assert ready["revision"] is not None
    assert any("test" in feed for feed in ready["feeds"])
    status, headers, body = seen["feed"]
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert b"BEGIN:VCALENDAR" in body
    messages = records.messages()
    planned = next(i for i, m in enumerate(messages) if m.startswith("planned 1 notice"))
    serving = next(i for i, m in enumerate(messages) if m.startswith("serving the feed on"))
    assert planned < serving


def test_a_first_build_that_fails_is_reported_and_a_reload_brings_the_feed_up(
    project: Path,  # noqa: F811  (test_pages_built's fixture)
    records: Records,
) -> None:
    broken_page(project)
    page = project / "templates" / "web" / "index.html"
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        daemon = make_daemon(str(project / "config.toml"), environ={}, clock=lambda: FIXED_NOW)
        assert await daemon.start()  # the notices do not wait for, nor fail with, the feed
        try:
            assert daemon.web is not None
            base = f"http://{daemon.web.address}"
            seen["state"] = await asyncio.wait_for(daemon.web.ready(), 60)
            seen["failed"] = await health(base)
            seen["feed"] = await get(base, "/calendars/test.ics")
            page.write_text(page.read_text("utf-8").replace("{{ 1 // 0 }}", ""), "utf-8")
            await daemon.reload("fixed edit")
            seen["fixed"] = await health(base)
            seen["page"] = await get(base, "/")
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    asyncio.run(asyncio.wait_for(scenario(), 120))

    assert seen["state"] == "failed"
    failed = seen["failed"]
    assert failed["planned"] == 5
    assert failed["feed"]["state"] == "failed"
    assert failed["feed"]["since"] == FIXED_NOW.isoformat()
    assert "templates/web/index.html:" in failed["feed"]["error"]
    assert "ZeroDivisionError: integer division or modulo by zero" in failed["feed"]["error"]
    status, headers, body = seen["feed"]
    assert (status, headers["Retry-After"], body) == (503, "60", FAILED)
    (error,) = [r.getMessage() for r in records.records if r.levelname == "ERROR"]
    assert error.startswith("the feed cannot be built (start); every path but /healthz answers")
    assert "templates/web/index.html:" in error

    fixed = seen["fixed"]
    assert fixed["feed"]["state"] == "ready"
    assert fixed["feed"]["error"] is None
    assert fixed["reload"]["result"] == "applied"
    status, headers, body = seen["page"]
    assert status == 200
    assert b"Test days" in body


def test_a_reload_during_the_first_build_is_served_and_the_older_build_is_dropped(
    project: Path,  # noqa: F811  (test_pages_built's fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gate = Gate(monkeypatch)
    calendar = project / "calendars" / "test.toml"
    seen: dict[str, Any] = {}

    async def scenario() -> None:
        daemon = make_daemon(str(project / "config.toml"), environ={}, clock=lambda: FIXED_NOW)
        assert await daemon.start()
        try:
            assert daemon.web is not None
            web = daemon.web
            assert isinstance(web, WebService)
            base = f"http://{web.address}"
            assert await asyncio.to_thread(gate.entered.wait, 10)
            calendar.write_text(calendar.read_text("utf-8") + observance(12), "utf-8")
            await daemon.reload("an edit during the first build")
            seen["reloaded"] = await get(base, "/calendars/test.ics")
            gate.open.set()  # the first build, of the start's data, ends now
            await asyncio.to_thread(gate.finished.wait, 60)
            while web.building:  # its result reaches the loop
                await asyncio.sleep(0.01)
            seen["after"] = await get(base, "/calendars/test.ics")
            seen["health"] = await health(base)
            seen["planned"] = sorted(n.id for due in daemon.plan.values() for n in due)
        finally:
            gate.open.set()
            daemon.stopping.set()
            await daemon.shutdown()

    asyncio.run(asyncio.wait_for(scenario(), 120))

    status, _, body = seen["reloaded"]
    assert status == 200
    assert b"anniversary of day 12" in body
    assert seen["after"][0] == 200
    assert seen["after"][2] == body  # the older build, finished last, was not swapped in
    assert seen["health"]["feed"]["state"] == "ready"
    assert "test:d0112:2027:lead" in seen["planned"]


def test_a_stop_during_the_first_build_does_not_wait_for_it(
    project: Path,  # noqa: F811  (test_pages_built's fixture)
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGTERM while the feed is built: the daemon stops, the build is left to die with the
    process (a thread of the loop's executor would hold asyncio.run until the build ends)."""
    gate = Gate(monkeypatch)

    async def scenario() -> None:
        daemon = make_daemon(str(project / "config.toml"), environ={}, clock=lambda: FIXED_NOW)
        assert await daemon.start()
        assert await asyncio.to_thread(gate.entered.wait, 10)
        daemon.stop("SIGTERM")
        await daemon.shutdown()

    try:
        asyncio.run(asyncio.wait_for(scenario(), 120))
        assert not gate.finished.is_set()  # asyncio.run returned with the build still held
    finally:
        gate.open.set()
