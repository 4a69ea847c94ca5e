"""The page, the icon and this year's plan are built with the feeds: at start and at every reload.

No configuration may reach a request unchecked: a page template that fails on its first render
answered 500 (there was no earlier good page), a broken icon template made /favicon.ico a 500,
and a plan template or an unknown country was found by the first request of /plan/YEAR.  Now the
start of ``serve``, the daemon's first build (after its start) and every reload render all three
from the new data before anything is served or switches over: at the start of ``serve`` a failure
stops it with the message ``check`` gives (the daemon's feed then answers 503, see
tests/test_feed_later.py); at a reload the whole old version keeps running.  What was built is
what the first request gets.  The plans of the window's other years are still made on their first
request, and their failure is the site's plain 404, never a 500.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reminders.cli.check import check
from reminders.cli.run import make_daemon
from reminders.core.errors import ReminderError
from reminders.notify.daemon import Daemon
from reminders.web.server import WebService

from .test_reload_whole import CONFIG, NOW, OLD_CALENDAR

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2027, 1, 1)  # NOW in Asia/Karachi: the window is 2027-2028 (future_years = 1)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "test.toml").write_text(OLD_CALENDAR, "utf-8")
    (tmp_path / "config.toml").write_text(CONFIG, "utf-8")
    monkeypatch.chdir(tmp_path)  # paths in messages are shown relative to the working folder
    return tmp_path


def append(path: Path, text: str) -> int:
    """Append ``text`` on a line of its own; returns that line's number."""
    body = path.read_text("utf-8").rstrip("\n") + "\n"
    path.write_text(body + text + "\n", "utf-8")
    return body.count("\n") + 1


def replace(path: Path, old: str, new: str) -> int:
    """Replace ``old`` once; returns the number of the line it was on."""
    body = path.read_text("utf-8")
    assert old in body, (old, path)
    path.write_text(body.replace(old, new, 1), "utf-8")
    return body[: body.index(old)].count("\n") + 1


# Each breaks one thing the site serves, in a way check reports; returns what check says.
def broken_page(root: Path) -> None:
    append(root / "templates" / "web" / "index.html", "{{ 1 // 0 }}")


def broken_icon(root: Path) -> None:
    append(root / "templates" / "web" / "icon.svg", "{{ no_such_variable }}")


def broken_plan(root: Path) -> None:
    replace(
        root / "templates" / "plan" / "index.html",
        "<h1>{% trans year=year %}",
        "<h1>{{ 1 // (year - 2027) }}{% trans year=year %}",
    )


def unknown_country(root: Path) -> None:
    config = root / "config.toml"
    config.write_text(
        config.read_text("utf-8").replace(
            'uid_domain = "test.example.org"\n', 'uid_domain = "test.example.org"\ncountry = "XX"\n'
        ),
        "utf-8",
    )


def week_of_weekend(root: Path) -> None:
    config = root / "config.toml"
    days = '"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"'
    config.write_text(
        config.read_text("utf-8").replace(
            'uid_domain = "test.example.org"\n',
            f'uid_domain = "test.example.org"\nweekend = [{days}]\n',
        ),
        "utf-8",
    )


BREAKS: dict[str, tuple[Callable[[Path], None], str]] = {
    # name: (the edit, what the error says, after the file and line)
    "page": (broken_page, "templates/web/index.html:"),
    "icon": (broken_icon, "templates/web/icon.svg:"),
    "plan": (broken_plan, "templates/plan/index.html:"),
    "country": (unknown_country, "config.toml:"),
    "weekend": (week_of_weekend, "config.toml:"),
}

EXPECTED = {
    "page": "rendering failed: ZeroDivisionError: integer division or modulo by zero",
    "icon": "'no_such_variable' is undefined; expected only the variables listed in "
    "templates/README.md",
    "plan": "rendering failed: ZeroDivisionError: integer division or modulo by zero",
    "country": "organisation.country: got 'XX'; expected a country code that python-holidays "
    "knows, such as PK, AZ, TR, DE or GB",
    "weekend": "organisation.weekend: got ['Monday', 'Tuesday', 'Wednesday', 'Thursday', "
    "'Friday', 'Saturday', 'Sunday']; expected at most six weekend days (the plan counts "
    "working days)",
}


def run(scenario: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(scenario, 120))


def fetch(base: str, path: str) -> tuple[int, bytes, str]:
    try:
        with urllib.request.urlopen(base + path, timeout=10) as response:
            return response.status, response.read(), response.headers["ETag"] or ""
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), exc.headers["ETag"] or ""


async def served(base: str) -> dict[str, tuple[int, bytes, str]]:
    paths = ("/", "/favicon.ico", "/plan/2027")
    return {p: await asyncio.to_thread(fetch, base, p) for p in paths}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_serve_does_not_start_on_what_a_request_would_fail_on_and_says_what_check_says(
    project: Path, case: str
) -> None:
    edit, where = BREAKS[case]
    edit(project)
    said = [str(p) for p in check(str(project / "config.toml"), TODAY).problems]
    if case == "plan":  # check does not render the plan; plan does, with the same message
        said = [s for s in said if "plan/index.html" in s]
    else:
        (only,) = said
        assert only.startswith(where)
        assert EXPECTED[case] in only

    async def scenario() -> str:
        service = WebService(str(project / "config.toml"), environ={}, clock=lambda: NOW)
        try:
            await service.start(service.load(), "127.0.0.1:0")
        except ReminderError as exc:
            return exc.message()
        finally:
            await service.stop()
        return "started"

    message = run(scenario())
    assert message != "started"
    line = next(x.strip() for x in message.splitlines() if x.strip().startswith(where))
    assert EXPECTED[case] in line
    for text in said:
        assert text in message
    assert "Traceback" not in message


def test_the_daemon_does_not_start_on_an_unknown_country_even_without_a_feed(
    project: Path,
) -> None:
    config = project / "config.toml"
    unknown_country(project)
    text = config.read_text("utf-8").replace("[daemon]\n", "[daemon]\nserve_feed = false\n", 1)
    config.write_text(text, "utf-8")
    (said,) = [str(p) for p in check(str(config), TODAY).problems]

    async def scenario() -> str:
        daemon = Daemon(str(config), environ={}, clock=lambda: NOW)
        try:
            await daemon.start()
        except ReminderError as exc:
            return exc.message()
        daemon.stopping.set()
        await daemon.shutdown()
        return "started"

    message = run(scenario())
    assert said in message
    assert EXPECTED["country"] in said


def test_the_first_request_is_served_from_what_the_start_built(project: Path) -> None:
    """Templates edited into a broken state after the start change nothing that was built:
    the page, the icon and this year's plan are the start's, with a 200 each."""

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], tuple[int, bytes, str]]:
        service = WebService(str(project / "config.toml"), environ={}, clock=lambda: NOW)
        await service.start(service.load(), "127.0.0.1:0")
        try:
            base = f"http://{service.address}"
            for edit in (broken_page, broken_icon, broken_plan):
                edit(project)
            first = await served(base)
            # Another year of the window is made when asked: the broken template is the
            # site's 404 (a ZeroDivisionError, not a template error), never a 500.
            other = await asyncio.to_thread(fetch, base, "/plan/2028")
            return first, await served(base), other
        finally:
            await service.stop()

    first, again, other = run(scenario())
    for path, (status, body, etag) in first.items():
        assert status == 200, path
        assert etag, path
        assert again[path] == (status, body, etag)
    assert b"Event plan 2027" in first["/plan/2027"][1]
    assert other == (404, b"Not Found\n", "")


@pytest.mark.parametrize("case", ["page", "icon", "plan"])
def test_a_reload_whose_page_icon_or_plan_fails_keeps_the_whole_old_site(
    project: Path, case: str
) -> None:
    edit, where = BREAKS[case]

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        daemon = make_daemon(str(project / "config.toml"), environ={}, clock=lambda: NOW)
        await daemon.start()
        try:
            assert daemon.web is not None
            assert await daemon.web.ready() == "ready"  # built after the start
            base = f"http://{daemon.web.address}"
            before = await served(base)
            edit(project)
            await daemon.reload("test edit")
            rejected = await served(base)
            health = json.loads((await asyncio.to_thread(fetch, base, "/healthz"))[1])
            shutil.rmtree(project / "templates")
            shutil.copytree(ROOT / "templates", project / "templates")
            append(project / "templates" / "web" / "icon.svg", "<!-- v2 -->")
            append(project / "templates" / "web" / "index.html", "<!-- v2 -->")
            await daemon.reload("fixed edit")
            return before, rejected, health, await served(base)
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    before, rejected, health, applied = run(scenario())
    assert rejected == before
    assert all(status == 200 for status, _, _ in before.values())
    assert health["reload"]["result"] == "rejected"
    assert where in health["reload"]["error"]
    assert EXPECTED[case] in health["reload"]["error"]
    assert b"<!-- v2 -->" in applied["/"][1]
    assert b"<!-- v2 -->" in applied["/favicon.ico"][1]
    assert applied["/"][2] != before["/"][2]


def test_the_page_is_dated_by_the_services_clock_as_the_feeds_are(project: Path) -> None:
    """The page counts days from the date of the clock the service is given, the date its
    feeds and its built page were made for; it was rendered again from the machine's date."""
    from reminders.web.page import render_index

    async def scenario() -> tuple[tuple[int, bytes, str], bytes, date]:
        service = WebService(str(project / "config.toml"), environ={}, clock=lambda: NOW)
        await service.start(service.load(), "127.0.0.1:0")
        try:
            got = await asyncio.to_thread(fetch, f"http://{service.address}", "/")
            feeds = service.site.feeds
            return got, render_index(feeds, TODAY).html, feeds.today
        finally:
            await service.stop()

    (status, body, _), expected, today = run(scenario())
    assert today == TODAY
    assert (status, body) == (200, expected)
