"""The start-up cache: a hit gives exactly what loading gives; any change to an input misses."""

from __future__ import annotations

import marshal
import os
import pickle
import re
import shutil
import subprocess
import sys
import time
from datetime import date
from importlib.metadata import version as importlib_version
from pathlib import Path

import pytest

from reminders.cli.check import WARNING_CODE, check, link_warnings
from reminders.config import cache
from reminders.config.calendars import load_calendars
from reminders.config.config_file import load_config
from reminders.config.load import load
from reminders.core.dates import zone
from reminders.core.errors import CalendarError
from reminders.core.settings import Loaded
from reminders.plan import hostcache, hostcal

from .conftest import ROOT, TODAY, english_config_text


@pytest.fixture(autouse=True)
def no_settling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files here were all written a moment ago; only one test checks the two-second rule."""
    monkeypatch.setattr(cache, "SETTLED_NS", 0)


@pytest.fixture
def copied(tmp_path: Path) -> Path:
    """The bundled config and calendars (and the multilingual case) in a folder of their own."""
    (tmp_path / "calendars").mkdir()
    for source in (
        ROOT / "calendars/remembrance.toml",
        ROOT / "tests/fixtures/cases/non_ascii.toml",
    ):
        (tmp_path / "calendars" / source.name).write_bytes(source.read_bytes())
    config = tmp_path / "config.toml"
    config.write_text(
        english_config_text().replace('# calendars = "calendars"', 'calendars = "calendars"'),
        "utf-8",
    )
    return config


def fresh(config: Path) -> Loaded:
    settings = load_config(config)
    return Loaded(settings, load_calendars(settings.calendars_dir, TODAY))


def test_a_hit_equals_a_fresh_load(copied: Path) -> None:
    assert cache.read(str(copied), TODAY) is None
    first = load(str(copied), TODAY)
    cached = cache.read(str(copied), TODAY)
    assert cached is not None
    assert cached == first == fresh(copied)  # every record, date, zone and duration
    event = cached.calendars[0].events[0]
    assert event.start is not None
    assert str(event.start.tzinfo) == "Asia/Karachi"
    assert cached.calendars[1].revised.utcoffset() is not None


def test_a_changed_calendar_is_loaded_again(copied: Path) -> None:
    load(str(copied), TODAY)
    time.sleep(0.05)  # past one file-time tick; in real use the two-second rule covers this
    calendar = copied.parent / "calendars" / "remembrance.toml"
    calendar.write_text(
        calendar.read_text("utf-8").replace("since = 1990", "since = 1991"), "utf-8"
    )
    # Same size, new times.
    loaded = load(str(copied), TODAY)
    january = next(o for o in loaded.calendars[1].observances if o.id == "january-20")
    assert january.since == 1991


def test_a_new_calendar_file_is_seen(copied: Path) -> None:
    load(str(copied), TODAY)
    extra = copied.parent / "calendars" / "leap.toml"
    extra.write_bytes((ROOT / "tests/fixtures/cases/feb29_common_year.toml").read_bytes())
    assert [c.id for c in load(str(copied), TODAY).calendars] == [
        "leap", "multilingual", "remembrance"
    ]  # fmt: skip


def test_an_invalid_change_is_reported_not_hidden(copied: Path) -> None:
    load(str(copied), TODAY)
    time.sleep(0.05)  # past one file-time tick, as above
    calendar = copied.parent / "calendars" / "remembrance.toml"
    calendar.write_text(calendar.read_text("utf-8").replace('"01-20"', '"01-32"'), "utf-8")
    with pytest.raises(CalendarError, match=r"observance 'january-20'\.date: got '01-32'"):
        load(str(copied), TODAY)
    assert check(str(copied), TODAY).problems


def test_files_changed_just_now_are_not_cached(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 2_000_000_000)
    load(str(copied), TODAY)  # the files were written within the last two seconds
    assert cache.read(str(copied), TODAY) is None


def test_a_new_year_misses(copied: Path) -> None:
    load(str(copied), TODAY)
    assert cache.read(str(copied), TODAY) is not None
    assert cache.read(str(copied), date(TODAY.year + 1, 1, 1)) is None


def test_a_corrupt_cache_file_is_ignored(copied: Path, private_cache: Path) -> None:
    load(str(copied), TODAY)
    (target,) = private_cache.iterdir()
    target.write_bytes(b"\x00not marshal")
    assert cache.read(str(copied), TODAY) is None
    assert load(str(copied), TODAY) == fresh(copied)


def test_off_and_unwritable(copied: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("REMINDERS_CACHE_DIR", "off")
    assert load(str(copied), TODAY) == fresh(copied)
    assert cache.read(str(copied), TODAY) is None
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("REMINDERS_CACHE_DIR", str(blocker / "cache"))
    assert load(str(copied), TODAY) == fresh(copied)


# ``python -m reminders`` with the cache's clock 2.1 s ahead: the files just written have settled
# (the two-second rule), without waiting for it.
SETTLED = (
    "import sys, time\n"
    "from reminders.config import cache\n"
    "cache.time_ns = lambda: time.time_ns() + 2_100_000_000\n"
    "from reminders.cli import main\n"
    "sys.exit(main())\n"
)


def test_the_two_second_rule_is_on_the_caches_clock(
    copied: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 2_000_000_000)
    load(str(copied), TODAY)  # written just now: not cached
    assert cache.read(str(copied), TODAY) is None
    now = time.time_ns()
    monkeypatch.setattr(cache, "time_ns", lambda: now + 2_100_000_000)
    load(str(copied), TODAY)  # the same files, 2.1 s later by the cache's clock
    assert cache.read(str(copied), TODAY) is not None


def test_a_hit_does_not_import_the_toml_parser(copied: Path) -> None:
    command = [sys.executable, "-X", "importtime", "-c", SETTLED, "--config", str(copied),
               "upcoming", "--from", "2026-11-23"]  # fmt: skip
    runs = [subprocess.run(command, capture_output=True, text=True, check=True) for _ in range(2)]
    assert runs[0].stdout == runs[1].stdout
    parser = re.compile(r"\|\s+tomli$", re.MULTILINE)  # the import of the TOML parser (tomli)
    assert parser.search(runs[0].stderr)  # the first run loads and validates
    assert not parser.search(runs[1].stderr)  # the second comes from the cache


def test_templates_are_rendered_again_only_when_something_changed(copied: Path) -> None:
    templates = copied.parent / "templates"
    shutil.copytree(ROOT / "templates", templates)
    text = copied.read_text("utf-8").replace('# templates = "templates"', 'templates = "templates"')
    # In Urdu too: the check has translation warnings to remember.
    text = text.replace('language = "en"', 'language = "en"\nlanguages = ["en", "ur"]', 1)
    assert 'languages = ["en", "ur"]' in text
    copied.write_text(text, "utf-8")
    # A miss: validates, caches the config and calendars, renders the templates, words the
    # warnings and marks the check clean with them.
    worded = check(str(copied), TODAY)
    assert worded.problems == ()
    loaded = load(str(copied), TODAY)
    key = cache.templates_key(str(copied), loaded, TODAY, WARNING_CODE)
    remembered = cache.templates_checked(str(copied), key)
    assert remembered  # the translation warnings
    assert worded.warnings == (*remembered, *link_warnings(loaded.settings))
    first = check(str(copied), TODAY)  # a hit with the mark: renders and words nothing
    assert first.problems == ()
    assert first.warnings == worded.warnings

    broken = templates / "notices" / "press.subject.txt"
    broken.write_text("{{ no_such_thing }}\n", "utf-8")
    again = check(str(copied), TODAY)
    assert [str(p) for p in again.problems] == [
        f"{broken}:1: 'no_such_thing' is undefined; "
        "expected only the variables listed in templates/README.md"
    ]
    # A different day renders again too (the sample notices depend on the date).
    later = cache.templates_key(
        str(copied), load(str(copied), TODAY), date(2026, 11, 24), WARNING_CODE
    )
    assert cache.templates_checked(str(copied), later) is None


def test_a_clean_check_with_checked_templates_does_not_import_jinja(copied: Path) -> None:
    command = [sys.executable, "-X", "importtime", "-c", SETTLED, "--config", str(copied),
               "check"]  # fmt: skip
    runs = [subprocess.run(command, capture_output=True, text=True, check=True) for _ in range(3)]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    assert "jinja2" in runs[0].stderr  # the first check renders the templates
    assert "jinja2" not in runs[1].stderr  # then nothing changed: the marker answers
    assert "jinja2" not in runs[2].stderr


def test_a_clean_check_remembers_its_translation_warnings(copied: Path) -> None:
    """A config in Urdu: the first clean check words the unreviewed translations with their
    lines (the calendar files read again for them); the next, with nothing changed, shows the
    same words from the cache, without the TOML parser; an edit of a calendar words them anew."""
    text = copied.read_text("utf-8").replace(
        'language = "en"', 'language = "en"\nlanguages = ["en", "ur"]', 1
    )
    assert 'languages = ["en", "ur"]' in text
    copied.write_text(text, "utf-8")
    command = [sys.executable, "-X", "importtime", "-c", SETTLED, "--config", str(copied),
               "check"]  # fmt: skip
    runs = [subprocess.run(command, capture_output=True, text=True, check=True) for _ in range(3)]
    assert runs[0].stdout == runs[1].stdout == runs[2].stdout
    said = [_warnings(run.stderr) for run in runs]
    assert said[0] == said[1] == said[2]
    assert any("in ur: " in line for line in said[0])
    parser = re.compile(r"\|\s+tomli$", re.MULTILINE)
    assert parser.search(runs[0].stderr)
    assert not parser.search(runs[2].stderr)  # remembered: no calendar file read again
    calendar = copied.parent / "calendars" / "remembrance.toml"
    calendar.write_text("\n" + calendar.read_text("utf-8"), "utf-8")  # every line one lower
    moved = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = re.findall(r"remembrance\.toml:(\d+)", "\n".join(said[2]))
    assert lines
    assert re.findall(r"remembrance\.toml:(\d+)", moved.stderr) == [
        str(int(line) + 1) for line in lines
    ]


def _warnings(stderr: str) -> list[str]:
    """The lines of a check's standard error that are not -X importtime's."""
    return [line for line in stderr.splitlines() if not line.startswith("import time:")]


# --- Large calendars are pickled ---------------------------------------------------------------


def test_a_large_calendar_is_pickled_and_a_hit_equals_a_fresh_load(
    copied: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache, "LARGE", 1)  # the bundled calendars count as large
    load(str(copied), TODAY)
    (target,) = private_cache.iterdir()
    _, payload = marshal.loads(target.read_bytes())
    assert isinstance(payload, bytes)  # pickled, not the marshalled lists
    cached = cache.read(str(copied), TODAY)
    assert cached == fresh(copied)
    assert cached is not None
    event = cached.calendars[1].events[0]
    assert event.start is not None
    assert event.start.tzinfo is zone("Asia/Karachi")


def test_a_pickled_cache_that_names_anything_else_is_not_run(
    copied: Path, private_cache: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(cache, "LARGE", 1)
    load(str(copied), TODAY)
    (target,) = private_cache.iterdir()
    stored_key, _ = marshal.loads(target.read_bytes())
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (os.system, (f"touch {marker}",))

    target.write_bytes(marshal.dumps((stored_key, pickle.dumps(Payload()))))
    assert cache.read(str(copied), TODAY) is None
    assert not marker.exists()
    target.write_bytes(marshal.dumps((stored_key, b"\x80\x05damaged")))
    assert cache.read(str(copied), TODAY) is None
    assert load(str(copied), TODAY) == fresh(copied)  # and the file is written again
    assert cache.read(str(copied), TODAY) == fresh(copied)


# --- The host country's calendar of a plan ---------------------------------------------------

WEEKEND = ("Saturday", "Sunday")


def host_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("host-*.marshal"))


def test_the_host_calendar_is_kept_and_a_hit_equals_computing_it(private_cache: Path) -> None:
    first = hostcache.host_calendar("PK", WEEKEND, 2027)
    assert first == hostcal.host_calendar("PK", WEEKEND, 2027)
    (stored,) = host_files(private_cache)
    again = hostcache.host_calendar("PK", WEEKEND, 2027)
    assert again == first
    assert again.holidays[date(2027, 2, 5)] == "Kashmir Solidarity Day"
    assert list(again.holidays) == sorted(again.holidays)  # in date order, as computed
    assert host_files(private_cache) == [stored]


def test_every_english_shares_one_host_calendar_file_and_key(private_cache: Path) -> None:
    english = hostcache.host_calendar("PK", WEEKEND, 2027, language="en")
    (stored,) = host_files(private_cache)
    made = (stored.stat().st_ino, stored.stat().st_mtime_ns)
    # en-GB and "" make the same calendar: read from the English file, not written over it.
    assert hostcache.host_calendar("PK", WEEKEND, 2027, language="en-GB") == english
    assert hostcache.host_calendar("PK", WEEKEND, 2027, language="") == english
    assert host_files(private_cache) == [stored]
    assert (stored.stat().st_ino, stored.stat().st_mtime_ns) == made


def test_another_country_weekend_or_year_has_its_own_host_calendar(private_cache: Path) -> None:
    pakistan = hostcache.host_calendar("PK", WEEKEND, 2027)
    azerbaijan = hostcache.host_calendar("AZ", WEEKEND, 2027)
    assert azerbaijan != pakistan
    assert azerbaijan == hostcal.host_calendar("AZ", WEEKEND, 2027)
    assert hostcache.host_calendar("PK", ("Friday",), 2027).weekend == frozenset({4})
    assert hostcache.host_calendar("PK", WEEKEND, 2030) == hostcal.host_calendar(
        "PK", WEEKEND, 2030
    )
    assert len(host_files(private_cache)) == 4
    assert hostcache.host_calendar("PK", WEEKEND, 2027) == pakistan


def test_a_host_calendar_of_another_library_version_is_computed_again(
    private_cache: Path,
) -> None:
    hostcache.host_calendar("PK", WEEKEND, 2027)
    (stored,) = host_files(private_cache)
    wanted = hostcache.host_key("PK", WEEKEND, 2027)
    assert wanted is not None
    older = {
        **wanted,
        "libraries": tuple(
            (origin, name, stat, ("0.1",)) for origin, name, stat, _ in wanted["libraries"]
        ),
    }
    stale = hostcal.HostCalendar("PK", frozenset(), {date(2027, 1, 1): "Stale Day"})
    hostcache.write_host(str(stored), older, stale)
    assert hostcache.read_host(str(stored), wanted) is None
    assert hostcache.host_calendar("PK", WEEKEND, 2027) == hostcal.host_calendar(
        "PK", WEEKEND, 2027
    )
    assert hostcache.read_host(str(stored), wanted) is not None  # stored again, for this version


def test_the_host_key_names_the_installed_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = hostcache.host_key("PK", WEEKEND, 2027)
    assert installed is not None
    holidays_key, hijridate_key = installed["libraries"]
    assert holidays_key[1] == "holidays"
    assert holidays_key[3] == (importlib_version("holidays"),)
    assert hijridate_key[3] == (importlib_version("hijridate"),)
    # Another python-holidays earlier on the path (as after an upgrade) changes the key.
    site = tmp_path / "site"
    (site / "holidays").mkdir(parents=True)
    (site / "holidays" / "__init__.py").write_text("", "utf-8")
    (site / "holidays-99.1.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(site))
    upgraded = hostcache.host_key("PK", WEEKEND, 2027)
    assert upgraded is not None
    assert upgraded != installed
    assert upgraded["libraries"][0][3] == ("99.1",)
    assert {k: v for k, v in upgraded.items() if k != "libraries"} == {
        k: v for k, v in installed.items() if k != "libraries"
    }


def test_a_corrupt_host_calendar_file_is_ignored_and_rebuilt(private_cache: Path) -> None:
    computed = hostcache.host_calendar("PK", WEEKEND, 2027)
    (stored,) = host_files(private_cache)
    for damage in (b"", b"\x00not marshal", marshal.dumps(({"format": 0}, (1, 2)))):
        stored.write_bytes(damage)
        assert hostcache.host_calendar("PK", WEEKEND, 2027) == computed
        wanted = hostcache.host_key("PK", WEEKEND, 2027)
        assert wanted is not None
        assert hostcache.read_host(str(stored), wanted) == computed


def test_the_host_calendar_is_computed_without_a_cache_folder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REMINDERS_CACHE_DIR", "off")
    assert hostcache.host_calendar("PK", WEEKEND, 2027) == hostcal.host_calendar(
        "PK", WEEKEND, 2027
    )


def test_an_upgrade_of_python_holidays_renders_the_templates_again(
    copied: Path, tmp_path: Path
) -> None:
    # A python-holidays upgrade that drops the configured country must be caught by the next
    # check, not hidden by the marker of the last clean one.  The "upgrade" is a package of the
    # same name, of another version, found first on the path; it knows no country.
    site = tmp_path / "site"
    (site / "holidays").mkdir(parents=True)
    (site / "holidays" / "__init__.py").write_text(
        "def country_holidays(country, **kwargs):\n    raise NotImplementedError(country)\n",
        "utf-8",
    )
    (site / "holidays-99.0.dist-info").mkdir()
    command = [sys.executable, "-c", SETTLED, "--config", str(copied), "check"]
    paths = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    for _ in range(2):  # a miss (validates and renders), then the marker's answer
        done = subprocess.run(command, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    upgraded = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *paths])}
    done = subprocess.run(command, capture_output=True, text=True, env=upgraded)
    assert done.returncode == 1
    assert "organisation.country" in done.stderr + done.stdout
    assert "a country code that python-holidays knows" in done.stderr + done.stdout


def test_the_templates_key_names_the_libraries_the_check_asks(copied: Path) -> None:
    found = cache.templates_key(str(copied), load(str(copied), TODAY), TODAY)
    assert found is not None
    names = [library[1] for library in found["libraries"]]
    assert names == ["holidays", "jinja2", "markupsafe"]
    versions = dict(zip(names, (library[3] for library in found["libraries"]), strict=True))
    assert versions["holidays"] == (importlib_version("holidays"),)


def test_the_templates_key_changes_with_a_catalog(
    copied: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A translation edited and compiled again is rendered by the next check: the templates'
    sentences come from the catalogs (reminders/locale/)."""
    catalogs = tmp_path / "locale"
    shutil.copytree(cache.CATALOGS, catalogs)
    monkeypatch.setattr(cache, "CATALOGS", str(catalogs))
    loaded = load(str(copied), TODAY)
    before = cache.templates_key(str(copied), loaded, TODAY)
    assert before is not None
    assert sorted(name for name, _ in before["catalogs"]) == sorted(
        str(p) for p in catalogs.rglob("*") if p.is_file()
    )
    compiled = catalogs / "ur" / "LC_MESSAGES" / "reminders.mo"
    compiled.write_bytes(compiled.read_bytes() + b"\0")
    assert cache.templates_key(str(copied), loaded, TODAY) != before
