"""A reload is all or nothing: notices, feeds and templates switch together, or not at all.

An edit used to be applied by halves: the daemon planned the new notices (7 instead of 5) while
its feed kept the old version, because the feed's build failed after the new runtime was in place.
Here the daemon runs in-process on a fixed clock with its feed on a free port; an edit adds two
observances and changes a template, and one part of the new version fails at the last stage:

* a template that renders for the samples ``check`` uses but fails for one of the new notices;
* the feed's ICS build, failing for the new data (as icalendar did on a newline in a title);
* the ICS attachment of one new notice.

After the failed reload the notices, the fire jobs, the feed's bytes and ETag, and the templates
the daemon renders from are all still the old ones; /healthz and the log name the file and the
problem.  Once the edit is fixed, one reload applies all of it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from reminders.cli.run import make_daemon
from reminders.core import icsevents
from reminders.notify import render
from reminders.notify.daemon import Daemon
from reminders.notify.render import render_notice

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2027, 1, 1, tzinfo=UTC)

CONFIG = """\
[organisation]
name = "Test Institute"
timezone = "Asia/Karachi"
uid_domain = "test.example.org"

[paths]
calendars = "calendars"
templates = "templates"

[feed]
listen = "127.0.0.1:0"
past_years = 0
future_years = 1

[ledger]
url = "sqlite:///ledger.sqlite3"

[daemon]
horizon = "P30D"
watch_interval = "PT0S"

[[channel]]
id = "outbox"
type = "file"
folder = "outbox"

[[notice]]
id = "lead"
before = 0
at = "09:00"
template = "planning"
channels = ["outbox"]
"""

HEAD = """\
[calendar]
id = "test"
name = "Test days"
timezone = "Asia/Baku"
revised = 2026-11-23T00:00:00Z
"""


def observance(day: int, since: int = 2000) -> str:
    return (
        f'\n[[observance]]\nid = "d01{day:02d}"\ntitle = "{{ordinal}} anniversary of day {day}"\n'
        f'date = "01-{day:02d}"\nsince = {since}\ndescription = "A test day."\n'
    )


OLD_CALENDAR = HEAD + "".join(observance(day) for day in range(5, 10))
# Two more days; the second is a 37th anniversary in 2027 (the failing template divides by
# number - 37), and it is neither the rule's first notice nor the sample check renders.
NEW_CALENDAR = OLD_CALENDAR + observance(10) + observance(11, since=1990)
OLD_SUBJECT = "Start planning: {{ occurrence.title }}"
NEW_SUBJECT = "Plan now: {{ occurrence.title }}"
FAILING_SUBJECT = "Plan now: {{ occurrence.title }} ({{ 100 // (occurrence.number - 37) }})"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "test.toml").write_text(OLD_CALENDAR, "utf-8")
    (tmp_path / "templates" / "notices" / "planning.subject.txt").write_text(OLD_SUBJECT, "utf-8")
    (tmp_path / "config.toml").write_text(CONFIG, "utf-8")
    return tmp_path


class Seen:
    """What the running daemon uses now: its notices, jobs, feed and templates."""

    def __init__(self, daemon: Daemon, state: dict[str, Any]) -> None:
        self.notices = sorted(n.id for due in daemon.plan.values() for n in due)
        self.jobs = sorted(j.id for j in daemon.scheduler.get_jobs() if j.id.startswith("fire:"))
        self.feed: tuple[bytes, str] = state["feed"]
        self.health: dict[str, Any] = state["health"]
        runtime = daemon.runtime
        assert runtime is not None
        first = next(n for due in daemon.plan.values() for n in due)
        self.subject = render_notice(runtime.env, first, runtime.settings, NOW).subject


def get(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers["ETag"] or ""


async def seen(daemon: Daemon) -> Seen:
    assert daemon.web is not None
    assert await daemon.web.ready() == "ready"  # built after the start, in the background
    base = f"http://{daemon.web.address}"
    feed = await asyncio.to_thread(get, f"{base}/calendars/test.ics")
    health = json.loads((await asyncio.to_thread(get, f"{base}/healthz"))[0])
    return Seen(daemon, {"feed": feed, "health": health})


def edit(root: Path, subject: str) -> None:
    (root / "calendars" / "test.toml").write_text(NEW_CALENDAR, "utf-8")
    (root / "templates" / "notices" / "planning.subject.txt").write_text(subject, "utf-8")


def fail_feed_for_new_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The feed's ICS build fails for the new data, as icalendar failed on a newline in a title
    (the check that now refuses such a title cannot be relied on for every library failure)."""
    real = icsevents.calendar_events

    def events(calendar: Any, *args: Any) -> Any:
        if any(o.id == "d0111" for o in calendar.observances):
            raise AssertionError("Content line can not contain unescaped new line characters")
        return real(calendar, *args)

    monkeypatch.setattr(icsevents, "calendar_events", events)


def fail_attachment_for_new_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ICS attachment of the new 37th anniversary's notice fails to build."""
    real = render.notice_ics

    def attachment(notice: Any, settings: Any, language: str | None = None) -> bytes:
        if notice.occurrence.observance.id == "d0111":
            raise ValueError("a value the ICS library refuses")
        return real(notice, settings, language)

    monkeypatch.setattr(render, "notice_ics", attachment)


CASES = {
    # name: (subject written by the failing edit, injection, where the error points)
    "template": (
        FAILING_SUBJECT,
        None,
        "templates/notices/planning.subject.txt:1: rendering failed: ZeroDivisionError: "
        "integer division or modulo by zero (notice test:d0111:2027:lead)",
    ),
    "feed": (
        NEW_SUBJECT,
        fail_feed_for_new_data,
        "calendars/test.toml: the feed of calendar 'test' cannot be built: AssertionError: "
        "Content line can not contain unescaped new line characters",
    ),
    "attachment": (
        NEW_SUBJECT,
        fail_attachment_for_new_data,
        "calendars/test.toml: observance 'd0111': an ICS attachment that can be built "
        "for notice test:d0111:2027:lead (ValueError: a value the ICS library refuses)",
    ),
}


@pytest.fixture(autouse=True)
def in_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)  # paths in messages are shown relative to the working folder


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_reload_that_fails_at_its_last_stage_keeps_all_of_the_old_version(
    project: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    failing_subject, inject, error = CASES[case]

    async def scenario() -> tuple[Seen, Seen, Seen]:
        daemon = make_daemon(str(project / "config.toml"), environ={}, clock=lambda: NOW)
        await daemon.start()
        try:
            before = await seen(daemon)
            edit(project, failing_subject)
            if inject is not None:
                inject(monkeypatch)
            caplog.clear()
            await daemon.reload("test edit")
            rejected = await seen(daemon)
            # The edit fixed: the template renders for every notice, the libraries accept all.
            monkeypatch.undo()
            monkeypatch.chdir(project)
            edit(project, NEW_SUBJECT)
            await daemon.reload("fixed edit")
            return before, rejected, await seen(daemon)
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    with caplog.at_level(logging.INFO, logger="reminders"):
        before, rejected, applied = asyncio.run(scenario())

    assert len(before.notices) == 5
    assert before.subject.startswith("Start planning: 27th anniversary of day 5")
    assert b"day 11" not in before.feed[0]

    # Rejected: every part is still the old one, although the files on disk changed.
    assert rejected.notices == before.notices
    assert rejected.jobs == before.jobs
    assert rejected.feed == before.feed
    assert rejected.subject == before.subject
    assert rejected.health["revision"] == before.health["revision"]
    assert rejected.health["planned"] == 5
    assert rejected.health["reload"]["result"] == "rejected"
    assert rejected.health["reload"]["why"] == "test edit"
    assert error in rejected.health["reload"]["error"]
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1
    assert "reload (test edit) rejected, still running the previous version whole" in (
        errors[0].getMessage()
    )
    assert error in errors[0].getMessage()

    # Applied: every part is the new one.
    assert len(applied.notices) == 7
    assert "test:d0111:2027:lead" in applied.notices
    assert applied.jobs != before.jobs
    assert b"37th anniversary of day 11" in applied.feed[0]
    assert applied.feed[1] != before.feed[1]
    assert applied.subject.startswith("Plan now: 27th anniversary of day 5")
    assert applied.health["reload"] == {
        "result": "applied",
        "why": "fixed edit",
        "at": NOW.isoformat(),
        "error": None,
    }
    assert applied.health["planned"] == 7


def test_the_daemon_renders_from_the_templates_it_checked(project: Path) -> None:
    """A template edited on disk is not used until a reload has checked it (a snapshot)."""

    async def scenario() -> tuple[str, str]:
        daemon = make_daemon(str(project / "config.toml"), environ={}, clock=lambda: NOW)
        await daemon.start()
        try:
            first = (await seen(daemon)).subject
            (project / "templates" / "notices" / "planning.subject.txt").write_text(
                "{{ no_such_variable }}", "utf-8"
            )
            return first, (await seen(daemon)).subject
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    first, later = asyncio.run(scenario())
    assert later == first


def test_a_feed_a_library_refuses_to_build_is_an_error_naming_the_calendar_file(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reminders.config.load import load
    from reminders.web.feeds import FeedError, build_feeds

    edit(project, NEW_SUBJECT)
    loaded = load(str(project / "config.toml"), NOW.date())
    fail_feed_for_new_data(monkeypatch)
    with pytest.raises(FeedError) as caught:
        build_feeds(loaded, NOW.date(), {}, 0, NOW)
    assert caught.value.message() == (
        "calendars/test.toml: the feed of calendar 'test' cannot be built: AssertionError: "
        "Content line can not contain unescaped new line characters"
    )


def test_a_version_renders_the_soonest_notices_and_leaves_the_later_ones_to_their_send(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notice that fails (day 11, the 37th anniversary) is the last of the horizon: a version
    that renders every notice refuses the edit; one that renders only the soonest notices (so
    that 100,000 pending notices do not hold the start for a minute) takes it, and that notice
    still fails when rendered as its send renders it (there, a failed delivery)."""
    from reminders.core.errors import InvalidInput
    from reminders.notify import reload

    edit(project, FAILING_SUBJECT)
    config = str(project / "config.toml")
    with pytest.raises(InvalidInput) as refused:
        reload.build_version(config, NOW, {})
    assert "notice test:d0111:2027:lead" in str(refused.value)

    monkeypatch.setattr(reload, "RENDERED", 6)  # days 5 to 10 of January, not day 11
    version = reload.build_version(config, NOW, {})
    planned = [n.id for when in sorted(version.planned) for n in version.planned[when]]
    assert planned[-1] == "test:d0111:2027:lead"
    assert len(planned) == 7
    # Left to its send, where rendering it (as notice_problems renders it, the way a delivery
    # does) still fails: then a failed delivery, not a refused version.
    (last,) = [n for when in version.planned for n in version.planned[when] if n.id == planned[-1]]
    problems = reload.notice_problems(version.runtime, [last])
    assert problems
    assert "notice test:d0111:2027:lead" in problems[0].expected
    reload.close_channels(version.runtime.channels)
