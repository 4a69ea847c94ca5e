"""The garbage collector is paused only by the commands that do one job in a process of their
own (``plan``, ``export``), and always switched back on: the feed server builds the same feeds
and plans in a worker thread while its event loop serves, and keeps collecting."""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from reminders.cli import main
from reminders.cli.gcpause import gc_paused
from reminders.config.load import load
from reminders.core import ics
from reminders.plan import output
from reminders.web.app import build_pages
from reminders.web.feeds import build_feeds

from .conftest import ROOT, TODAY, english_config_text


@pytest.fixture
def collecting() -> Iterator[None]:
    """gc on before and after the test, whatever the test does."""
    gc.enable()
    yield
    gc.enable()


@pytest.fixture
def disables(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The threads that switch the collector off, one entry per call of gc.disable."""
    calls: list[str] = []
    real = gc.disable

    def disable() -> None:
        calls.append(threading.current_thread().name)
        real()

    monkeypatch.setattr(gc, "disable", disable)
    return calls


@pytest.mark.usefixtures("collecting")
def test_the_collector_is_on_again_after_the_block() -> None:
    with gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


@pytest.mark.usefixtures("collecting")
def test_the_collector_is_on_again_after_an_exception() -> None:
    with pytest.raises(RuntimeError, match="the work failed"), gc_paused():
        raise RuntimeError("the work failed")
    assert gc.isenabled()


@pytest.mark.usefixtures("collecting")
def test_a_collector_that_was_off_stays_off() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


@pytest.mark.usefixtures("collecting")
def test_the_servers_build_thread_never_pauses_the_collector(disables: list[str]) -> None:
    """What WebService.build_site does in its worker thread: every feed, the page and this
    year's plan."""
    loaded = load(str(ROOT / "config.toml"), TODAY)
    built_at = datetime(2026, 11, 23, tzinfo=UTC)
    seen: list[bool] = []

    def build() -> None:
        feeds = build_feeds(loaded, TODAY, {}, inputs_changed=0, built_at=built_at)
        build_pages(feeds)
        seen.append(gc.isenabled())

    worker = threading.Thread(target=build, name="build")
    worker.start()
    worker.join()
    assert seen == [True]
    assert disables == []


@pytest.mark.usefixtures("collecting")
@pytest.mark.parametrize("command", [["plan", "2027", "--format", "json"], ["export"]])
def test_plan_and_export_pause_the_collector_and_switch_it_back_on(
    command: list[str],
    disables: list[str],
    capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    building: list[bool] = []  # the collector's state when the feed or the plan is built
    for module, name in ((ics, "export_parts"), (output, "plan_parts")):
        real = getattr(module, name)

        def spy(*args: Any, _real: Callable[..., Any] = real) -> Any:
            building.append(gc.isenabled())
            return _real(*args)

        monkeypatch.setattr(module, name, spy)
    assert main(["--config", str(ROOT / "config.toml"), *command]) == 0
    assert capsysbinary.readouterr().out  # the plan or the feed was written
    assert disables == ["MainThread"]
    assert building == [False]  # built while paused, not merely paused and resumed beside it
    assert gc.isenabled()


@pytest.mark.usefixtures("collecting")
def test_a_plan_that_fails_switches_the_collector_back_on(
    tmp_path: Path, disables: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    text = english_config_text().replace('country = "PK"', 'country = "XX"')
    config.write_text(text.replace('calendars = "calendars"', f'calendars = "{ROOT}/calendars"'))
    assert main(["--config", str(config), "plan", str(date.today().year)]) != 0
    assert "XX" in capsys.readouterr().err
    assert disables == ["MainThread"]
    assert gc.isenabled()
