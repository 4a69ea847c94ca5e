"""The docs name every key the schema knows, and the README's commands are what CI runs."""

from __future__ import annotations

import re
import subprocess
from datetime import time, timedelta

import pytest

from reminders.config import calendars
from reminders.config import config_file as config
from reminders.config.channel_options import CHANNEL_FIELDS, TYPES
from reminders.config.schema import Field
from reminders.core.errors import MISSING

from .conftest import ROOT


def documented(page: str, table: str) -> set[str]:
    """Keys in the Markdown table under the heading that contains ``table``."""
    text = (ROOT / "docs" / page).read_text("utf-8")
    section = text.split(table, 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("page", "table", "fields"),
    [
        ("configuration.md", "`[organisation]`", config.ORGANISATION_FIELDS),
        ("configuration.md", "`[paths]`", config.PATHS_FIELDS),
        ("configuration.md", "`[feed]`", config.FEED_FIELDS),
        ("configuration.md", "`[[notice]]`", config.NOTICE_FIELDS),
        ("configuration.md", "`[ledger]`", config.LEDGER_FIELDS),
        ("configuration.md", "`[plan]`", config.PLAN_FIELDS),
        ("configuration.md", "`[[milestone]]`", config.MILESTONE_FIELDS),
        ("configuration.md", "`[daemon]`", config.DAEMON_FIELDS),
        ("calendar-format.md", "`[calendar]`", calendars.CALENDAR_FIELDS),
        (
            "calendar-format.md",
            "`[[observance]]`",
            (*calendars.OBSERVANCE_FIELDS[:-3], calendars.OBSERVANCE_FIELDS[-1]),
        ),
        ("calendar-format.md", "`[[observance.fact]]`", calendars.FACT_FIELDS),
        ("calendar-format.md", "`[[observance.moment]]`", calendars.MOMENT_FIELDS),
        ("calendar-format.md", "`[[event]]`", calendars.EVENT_FIELDS),
        ("channels.md", "## `[[channel]]`", CHANNEL_FIELDS),
        ("channels.md", "## `file`", TYPES["file"].fields),
        ("channels.md", "## `email`", TYPES["email"].fields),
        ("channels.md", "## `apprise`", TYPES["apprise"].fields),
    ],
)
def test_every_key_is_documented(page: str, table: str, fields: tuple[Field, ...]) -> None:
    assert documented(page, table) == {field.name for field in fields}


def test_ci_runs_the_readme_test_command() -> None:
    script = (ROOT / ".ci/run").read_text("utf-8")
    extract = re.search(r"cmd=\$\((awk .*? README\.md)\)", script)
    assert extract is not None
    command = subprocess.run(
        ["bash", "-c", extract.group(1)], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    readme = (ROOT / "README.md").read_text("utf-8")
    assert command == (
        "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/python -m pytest"
        " -n 4 --dist loadgroup"
    )
    assert readme.index(command) < readme.index("## ")  # among the first things a reader sees


def shown_default(value: object) -> str:
    """A table's default as configuration.md writes it: the TOML value, as a user types it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        days, seconds = value.days, value.seconds
        if days and not seconds:
            return f"P{days}D"
        for unit, size in (("H", 3600), ("M", 60), ("S", 1)):
            if seconds % size == 0:
                return f"PT{seconds // size}{unit}"
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, tuple):
        return "[" + ", ".join(f'"{item}"' for item in value) + "]"
    return str(value)


def documented_defaults(page: str, table: str) -> dict[str, str]:
    """Each key's default cell in the Markdown table under the heading that contains ``table``."""
    text = (ROOT / "docs" / page).read_text("utf-8")
    section = text.split(table, 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]*?) \|", section, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("table", "fields"),
    [
        ("`[organisation]`", config.ORGANISATION_FIELDS),
        ("`[paths]`", config.PATHS_FIELDS),
        ("`[feed]`", config.FEED_FIELDS),
        ("`[[notice]]`", config.NOTICE_FIELDS),
        ("`[ledger]`", config.LEDGER_FIELDS),
        ("`[plan]`", config.PLAN_FIELDS),
        ("`[[milestone]]`", config.MILESTONE_FIELDS),
        ("`[daemon]`", config.DAEMON_FIELDS),
    ],
)
def test_every_default_is_documented_as_the_schema_declares_it(
    table: str, fields: tuple[Field, ...]
) -> None:
    """configuration.md gives each key the default of its one declaration (config_file.py):
    "required" for a required key, the value in backticks for a default, and words (none, all,
    the bundled calendars ...) for an empty one, which the program fills or reads as no filter."""
    cells = documented_defaults("configuration.md", table)
    for field in fields:
        cell = cells[field.name]
        if field.default is MISSING:
            assert cell == "required", field.name
        elif field.default in (None, "", ()):
            assert cell != "required", field.name
            assert not re.fullmatch("`[^`]*`", cell), field.name
        else:
            assert cell == f"`{shown_default(field.default)}`", field.name


@pytest.mark.parametrize(
    ("table", "fields"),
    [
        ("## `[[channel]]`", CHANNEL_FIELDS),
        ("## `file`", TYPES["file"].fields),
        ("## `email`", TYPES["email"].fields),
        ("## `apprise`", TYPES["apprise"].fields),
    ],
)
def test_every_channel_default_is_documented_as_the_schema_declares_it(
    table: str, fields: tuple[Field, ...]
) -> None:
    """channels.md writes each default as a TOML value, text and durations in quotes."""
    cells = documented_defaults("channels.md", table)
    for field in fields:
        if field.default is MISSING:
            expected = "required"
        elif isinstance(field.default, str | timedelta):
            expected = f'`"{shown_default(field.default)}"`'
        else:
            expected = f"`{shown_default(field.default)}`"
        assert cells[field.name] == expected, field.name
