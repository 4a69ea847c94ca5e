"""Shared fixtures and domain assertions for the test suite."""

from __future__ import annotations

import re
import socket
import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

from reminders.cli import main
from reminders.config.calendars import load_calendars
from reminders.core.model import Calendar, Occurrence
from reminders.core.occurrences import occurrences

# How the suite is handed to pytest-xdist's workers: pytest finds these hooks by their names here.
from .suite_order import (  # noqa: F401
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
)

ROOT = Path(__file__).resolve().parent.parent


def copy_ministry(folder: Path) -> Path:
    """A copy of examples/ministry (two organisations) in ``folder``, its paths pointing at the
    bundled calendars and templates; the copy's folder."""
    import shutil

    shutil.copytree(ROOT / "examples" / "ministry", folder)
    config = folder / "config.toml"
    text = config.read_text("utf-8")
    text = text.replace('"../../calendars"', f'"{ROOT / "calendars"}"')
    text = text.replace('"../../templates"', f'"{ROOT / "templates"}"')
    config.write_text(text, "utf-8")
    return folder


def english_config_text() -> str:
    """The bundled config.toml as one English organisation: without its ``languages`` line (it
    writes English and Urdu), for the tests of what one language gives, and those that add
    their own ``languages``."""
    text = (ROOT / "config.toml").read_text("utf-8")
    return re.sub(r"^languages = .*\n", "", text, count=1, flags=re.MULTILINE)


FIXTURES = Path(__file__).resolve().parent / "fixtures"
GOLDEN = Path(__file__).resolve().parent / "golden"
TODAY = date(2026, 11, 23)  # a fixed "today" for loaders that reject a future `since`

CONFIG_TEMPLATE = """\
[organisation]
name = "Test Institute"
timezone = "{timezone}"
country = "PK"
uid_domain = "test.example.org"

[paths]
calendars = "calendars"

[feed]
name = "Test feed"
past_years = 0
future_years = 2
include_examples = {examples}
"""


def bundled_calendars() -> tuple[Calendar, ...]:
    return load_calendars(ROOT / "calendars", TODAY)


def assert_occurs(calendars: tuple[Calendar, ...], observance_id: str, year: int) -> Occurrence:
    """The occurrence of ``observance_id`` in ``year``; fails if there is not exactly one."""
    found = [
        item
        for item in occurrences(calendars, date(year, 1, 1), date(year + 1, 1, 1))
        if item.observance is not None and item.observance.id == observance_id and not item.event
    ]
    assert len(found) == 1, f"{observance_id} occurs {len(found)} times in {year}"
    return found[0]


DEFAULT_LISTEN = ("127.0.0.1", 8080)  # [feed] listen's default (reminders/config/config_file.py)


@pytest.fixture(scope="session", autouse=True)
def default_port_taken() -> Iterator[None]:
    """Hold the feed's default port for the whole session, so that a test that would bind it
    (a daemon without ``serve_feed = false`` or ``listen = "127.0.0.1:0"``) fails every time, not
    only when something else on the machine has it.  No test may use a fixed port: tests run in
    parallel, beside other programs.  Already taken (another worker, another program): as good.
    """
    holder = socket.socket()
    try:
        holder.bind(DEFAULT_LISTEN)
        holder.listen(1)
    except OSError:
        pass
    try:
        yield
    finally:
        holder.close()


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test gets its own start-up cache folder (subprocesses inherit it too)."""
    folder = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("REMINDERS_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def project(tmp_path: Path) -> Callable[..., Path]:
    """Make a project folder with config.toml and calendars/*.toml; returns the config path.

    ``project({"a.toml": "..."}, timezone="Europe/London", examples=True)``
    """

    def make(files: dict[str, str], timezone: str = "Asia/Karachi", examples: bool = False) -> Path:
        folder = tmp_path / "calendars"
        folder.mkdir(exist_ok=True)
        for name, body in files.items():
            (folder / name).write_text(textwrap.dedent(body), encoding="utf-8")
        config = tmp_path / "config.toml"
        config.write_text(
            CONFIG_TEMPLATE.format(timezone=timezone, examples=str(examples).lower()),
            encoding="utf-8",
        )
        return config

    return make


@pytest.fixture
def cli(capsysbinary: pytest.CaptureFixture[bytes]) -> Callable[..., tuple[int, str, str]]:
    """Run ``reminders ARGS`` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse exits on usage errors and --help
            code = int(exc.code or 0)
        out, err = capsysbinary.readouterr()
        return code, out.decode("utf-8"), err.decode("utf-8")

    return run
