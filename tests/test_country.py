"""The host country (``[organisation] country``): ``check`` asks python-holidays whether it knows
it, and a plan the configuration cannot make is a 404 on the page's link, said once in the log,
never a 500."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from reminders.config.calendars import load_calendars
from reminders.config.config_file import load_config
from reminders.core.model import WEEKDAYS
from reminders.core.settings import Loaded
from reminders.plan.hostcal import COUNTRY_EXPECTED
from reminders.web.app import App, Site
from reminders.web.feeds import build_feeds

from .conftest import ROOT, TODAY

Cli = Callable[..., tuple[int, str, str]]
PROBLEM = f"config.toml:4: organisation.country: got 'XX'; expected {COUNTRY_EXPECTED}"


@pytest.fixture
def unknown_country(project: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    config = project({"remembrance.toml": (ROOT / "calendars" / "remembrance.toml").read_text()})
    config.write_text(config.read_text("utf-8").replace('"PK"', '"XX"'), encoding="utf-8")
    monkeypatch.chdir(config.parent)
    return config


def test_check_names_a_country_python_holidays_does_not_know_on_its_line(
    unknown_country: Path, cli: Cli
) -> None:
    assert unknown_country.read_text("utf-8").split("\n")[3] == 'country = "XX"'
    code, out, err = cli("--config", "config.toml", "check")
    assert (code, out) == (1, "")
    assert err.splitlines() == ["1 problem found:", f"  {PROBLEM}"]


def test_check_names_it_when_the_config_comes_from_the_start_up_cache(
    unknown_country: Path, cli: Cli
) -> None:
    assert cli("--config", "config.toml", "upcoming")[0] == 0  # fills the start-up cache
    code, _, err = cli("--config", "config.toml", "check")
    assert code == 1
    assert err.splitlines() == ["1 problem found:", f"  {PROBLEM}"]
    code, _, err = cli("--config", "config.toml", "plan", "2027")
    assert (code, err.splitlines()) == (
        1,
        ["reminders: 1 problem in the configuration:", f"  {PROBLEM}"],
    )


def test_the_bundled_countries_pass() -> None:
    from reminders.plan.hostcal import known_country

    assert all(known_country(code) for code in ("PK", "AZ", "TR", "DE", "GB", "UK"))
    assert not any(known_country(code) for code in ("XX", "ZZ", "QQ"))


def test_upcoming_does_not_import_python_holidays(unknown_country: Path) -> None:
    """python-holidays takes about 0.1 s to import: check asks it, upcoming never needs to."""
    script = (
        "import sys\n"
        "from reminders.cli import main\n"
        "for _ in range(2):  # a cache miss, then a hit\n"
        "    assert main(['--config', 'config.toml', 'upcoming']) == 0\n"
        "assert 'holidays' not in sys.modules, 'holidays was imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=unknown_country.parent
    )
    assert done.returncode == 0, done.stderr


# --- The page's plan link -------------------------------------------------------------------


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    handler = Records()
    logger = logging.getLogger("reminders")
    logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        logger.removeHandler(handler)


def site_with(loaded: Loaded) -> TestClient:
    built = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    feeds = build_feeds(loaded, date(2026, 12, 1), {}, int(built.timestamp()), built)
    client = TestClient(App(Site(feeds)), raise_server_exceptions=False)
    del client.headers["accept-encoding"]
    return client


def bundled() -> Loaded:
    settings = load_config(ROOT / "config.toml")
    return Loaded(settings, load_calendars(settings.calendars_dir, TODAY))


def with_organisation(loaded: Loaded, **changes: object) -> Loaded:
    organisation = loaded.settings.organisation._replace(**changes)
    return loaded._replace(settings=loaded.settings._replace(organisation=organisation))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        pytest.param(
            {"country": "XX"},
            f"organisation.country: got 'XX'; expected {COUNTRY_EXPECTED}",
            id="unknown-country",
        ),
        pytest.param(
            {"weekend": tuple(WEEKDAYS)},
            "the organisation's weekend has every day of the week; no working days",
            id="no-working-day",
        ),
    ],
)
def test_a_plan_the_configuration_cannot_make_is_a_404_said_once_in_the_log(
    logged: list[logging.LogRecord], change: dict[str, object], said: str
) -> None:
    client = site_with(with_organisation(bundled(), **change))
    for _ in range(3):
        reply = client.get("/plan/2027")
        assert (reply.status_code, reply.content) == (404, b"Not Found\n")
    assert client.get("/").status_code == 200
    errors = [r for r in logged if r.levelno >= logging.ERROR]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert (
        errors[0]
        .getMessage()
        .startswith("the plan of 2027 cannot be made (/plan/2027 answers 404): ")
    )
    assert said in errors[0].getMessage()
    assert errors[0].exc_info is None


def test_a_plan_template_that_fails_is_a_404_said_in_the_log(
    logged: list[logging.LogRecord], tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    index = folder / "plan" / "index.html"
    index.write_text("{{ cycler.__init__ }}\n" + index.read_text("utf-8"), "utf-8")
    loaded = bundled()
    loaded = loaded._replace(settings=loaded.settings._replace(templates_dir=str(folder)))
    client = site_with(loaded)
    assert client.get("/plan/2027").status_code == 404
    (error,) = [r for r in logged if r.levelno >= logging.ERROR]
    assert "SecurityError: access to attribute '__init__' of 'type' object is unsafe" in (
        error.getMessage()
    )


def test_check_asks_python_holidays_once_per_country_and_library(
    unknown_country: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After an edit ``check`` reads the country's answer from the start-up cache instead of
    importing python-holidays again; another python-holidays (its files or version) asks anew."""
    from reminders.config import cache
    from reminders.plan import hostcache, hostcal

    asked: list[str] = []
    answer = hostcal.known_country

    def counted(country: str) -> bool:
        asked.append(country)
        return answer(country)

    monkeypatch.setattr(hostcal, "known_country", counted)
    assert hostcache.known_country("XX") is False
    assert hostcache.known_country("PK") is True
    assert (hostcache.known_country("XX"), hostcache.known_country("PK")) == (False, True)
    assert asked == ["XX", "PK"]

    real_key = cache.library_key

    def upgraded(name: str) -> object:
        found = real_key(name)
        return None if found is None else (*found[:3], ("0.0-upgraded",))

    monkeypatch.setattr(cache, "library_key", upgraded)
    assert hostcache.known_country("XX") is False
    assert asked == ["XX", "PK", "XX"]

    # Through the command, back on the real library (whose answer the upgrade replaced): asked
    # once, then kept; the problem is reported on its line both times.
    monkeypatch.setattr(cache, "library_key", real_key)
    for _ in range(2):
        code, _, err = cli("--config", "config.toml", "check")
        assert (code, err.splitlines()) == (1, ["1 problem found:", f"  {PROBLEM}"])
        assert asked == ["XX", "PK", "XX", "XX"]
