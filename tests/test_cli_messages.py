"""What the command line says: times with their zone, --config in either place, bad arguments."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reminders.cli.commands import date_arg
from reminders.notify.ledger import Ledger

from .conftest import CONFIG_TEMPLATE, english_config_text

Cli = Callable[..., tuple[int, str, str]]


def _config_with_ledger(tmp_path: Path) -> tuple[str, Ledger]:
    config = tmp_path / "config.toml"
    config.write_text(english_config_text(), "utf-8")
    (tmp_path / "var").mkdir()
    ledger = Ledger(f"sqlite:///{tmp_path / 'var' / 'ledger.sqlite3'}")
    ledger.create_schema()
    return str(config), ledger


def test_status_names_the_zone_of_every_time(cli: Cli, tmp_path: Path) -> None:
    config, ledger = _config_with_ledger(tmp_path)
    now = datetime.now(UTC)
    fire = now - timedelta(hours=1)
    claim = ledger.claim("remembrance:january-20:2027:plan-30", "outbox", fire, now, timedelta(1))
    assert claim is not None
    ledger.mark_failed(claim, now, "disk full", None)
    ledger.set_meta("heartbeat", now.isoformat())
    ledger.close()

    code, out, err = cli("--config", config, "status")
    assert (code, err) == (0, "")
    stamps = re.findall(r"\d{4}-\d\d-\d\d \d\d:\d\d(?::\d\d)?(?: \S+)?", out)
    assert len(stamps) >= 3  # the heartbeat, a recent delivery, its failure (and next notices)
    for stamp in stamps:
        assert stamp.endswith(" Asia/Karachi"), out
    karachi = now + timedelta(hours=5)  # Asia/Karachi keeps UTC+5 all year
    assert f"Daemon: last seen {karachi:%Y-%m-%d %H:%M:%S} Asia/Karachi (" in out


def test_config_is_accepted_before_and_after_the_command(cli: Cli, tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text(
        english_config_text().replace("Sample Embassy", "Other Embassy"),
        "utf-8",
    )
    before = cli("--config", str(config), "upcoming", "--from", "2027-01-01", "--days", "30")
    after = cli("upcoming", "--from", "2027-01-01", "--config", str(config), "--days", "30")
    assert before == after
    assert before[0] == 0
    assert before[1].startswith("Other Embassy, Islamabad: Fri 01 Jan 2027 to Sat 30 Jan 2027")
    # Given in both places, the one after the command wins (it is the later word).
    code, out, _ = cli("--config", "missing.toml", "check", "--config", str(config))
    assert code == 0
    assert out.startswith(f"config {config}: ok")


def test_every_command_takes_config_after_it(cli: Cli) -> None:
    from reminders.cli.commands import build_parser

    parser = build_parser()
    (commands,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, sub in commands.choices.items():
        assert "--config" in sub.format_usage(), name


@pytest.mark.parametrize(
    "argv",
    [
        ["check"],
        ["--config", "x.toml", "upcoming", "--days", "5", "--from", "2027-01-01"],
        ["--config=x.toml", "export", "--from", "2027", "--no-examples", "--org", "baku"],
        ["channel", "test", "outbox", "--rule", "day-of"],
        ["plan", "2027", "--format", "md", "--overview", "--config", "y.toml"],
        ["preview", "day-of", "january-20", "2027", "--language", "ur"],
        ["serve", "--workers", "2", "--listen", "127.0.0.1:0"],
        ["status", "--limit", "3"],
        ["notices", "--days", "7"],
        ["run", "--log-format", "json"],
        ["orgs"],
        ["token"],
    ],
)
def test_the_parser_of_one_command_reads_it_as_the_whole_parser(argv: list[str]) -> None:
    """main builds only the parser of the command it runs (start-up time): it reads the same
    arguments to the same values as the parser of every command."""
    from reminders.cli.commands import build_parser, command_in

    only = command_in(argv)
    assert only == next(word for word in argv if not word.startswith("-") and word != "x.toml")
    one, whole = build_parser(only).parse_args(argv), build_parser().parse_args(argv)
    assert vars(one) == vars(whole)


def test_what_names_no_command_gets_every_command() -> None:
    from reminders.cli.commands import command_in

    for argv in ([], ["--help"], ["--version"], ["--conf", "x", "check"], ["bogus"], ["-h"]):
        assert command_in(argv) is None, argv


def test_config_on_a_folder_says_it_is_a_folder(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = cli("--config", ".", "check")
    assert (code, out) == (1, "")
    assert err.splitlines()[1] == f"  {tmp_path}: is a folder; expected a config file (TOML)"
    (tmp_path / "config.toml").write_text(english_config_text(), "utf-8")
    code, _, err = cli("upcoming", "--config", str(tmp_path))
    assert code == 1
    assert err.splitlines()[1] == (
        f"  {tmp_path}: is a folder; expected a config file, such as {tmp_path}/config.toml"
    )
    assert "does not exist" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("upcoming", "--from", "2026-13-01"),
         "argument --from: '2026-13-01' is not a date: month 13 is not 01-12; "
         "expected a date written YYYY-MM-DD, such as 2027-01-20"),
        (("notices", "--from", "2027-04-31"),
         "argument --from: '2027-04-31' is not a date: April 2027 has days 01-30, not 31; "
         "expected a date written YYYY-MM-DD, such as 2027-01-20"),
        (("upcoming", "--from", "2027-02-29"),
         "'2027-02-29' is not a date: February 2027 has days 01-28, not 29;"),
        (("upcoming", "--from", "0000-01-01"), "'0000-01-01' is not a date: year 0000"),
        (("upcoming", "--from", "2027-1-20"),
         "argument --from: '2027-1-20': expected a date written YYYY-MM-DD, such as 2027-01-20"),
        (("plan", "20277"),
         "argument YEAR: '20277' is not a year (it has 5 digits); "
         "expected a year written YYYY, such as 2027"),
        (("export", "--to", "2O27"),
         "argument --to: '2O27' is not a year (not digits); expected a year written YYYY"),
    ],
)  # fmt: skip
def test_a_bad_date_argument_says_what_is_wrong(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    code, out, err = cli(*args)
    assert (code, out) == (2, "")
    assert message in err


@given(st.dates(min_value=date(1, 1, 1)))
def test_every_date_written_yyyy_mm_dd_is_read_back(day: date) -> None:
    assert date_arg(day.isoformat()) == day


@example(9999, 12, 31)
@example(9999, 12, 32)
@given(st.integers(1, 9999), st.integers(0, 99), st.integers(0, 99))
def test_an_impossible_date_is_refused_with_its_reason(year: int, month: int, day: int) -> None:
    text = f"{year:04d}-{month:02d}-{day:02d}"
    try:
        real = date(year, month, day)
    except ValueError:
        with pytest.raises(argparse.ArgumentTypeError, match="is not a date: "):
            date_arg(text)
    else:
        assert date_arg(text) == real


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ('name = "Sample Embassy', 23,
         "a quoted string is not closed before the end of its line (close it with the same "
         "quote, or use triple quotes for several lines)"),
        ("name = Sample Embassy", 8,
         'this is not a TOML value (text needs quotes, as in name = "Text"; numbers, true, '
         "false, dates and [lists] do not)"),
        ('name "Sample Embassy"', 6, "a key without '=' and a value after it"),
        ('name = "a" "b"', 12,
         "more after a value on its line (one key = value a line; comments start with #)"),
    ],
)  # fmt: skip
def test_a_toml_syntax_error_names_file_line_column_and_reason(
    cli: Cli, tmp_path: Path, line: str, column: int, reason: str
) -> None:
    text = english_config_text()
    number = text.splitlines().index('name = "Sample Embassy, Islamabad"') + 1
    config = tmp_path / "config.toml"
    config.write_text(text.replace('name = "Sample Embassy, Islamabad"', line, 1), "utf-8")
    code, out, err = cli("check", "--config", str(config))
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "1 problem found:",
        f"  {config}:{number}:{column}: TOML syntax error: {reason}",
    ]
    assert "valid TOML" not in err


NAMED_CALENDAR = """\
[calendar]
id = "named"
name = "Named"
timezone = "Asia/Baku"

[[observance]]
id = "january-20"
title = "{ordinal} anniversary"
date = "01-32"
since = 1990
description = "Named by its id."

[[observance]]
id = "Not An Id"
title = "{ordinal} anniversary"
date = "02-30"
since = 1992
description = "Its id is bad: named by its place."

[[observance]]
id = "twice"
title = "{ordinal} anniversary"
date = "09-27"
since = 2020
description = "The first of two with one id."

[[observance]]
id = "twice"
title = "{ordinal} anniversary"
date = "11-31"
since = 2020
description = "The second: an id used twice names neither."

[[event]]
id = "seminar-2027"
title = "Seminar"
observance = "january-20"
date = 2027-01-20
duration = "PT2H"
"""


def test_observance_and_event_problems_name_the_id_when_it_is_known(
    cli: Cli, tmp_path: Path
) -> None:
    (tmp_path / "calendars").mkdir()
    (tmp_path / "calendars" / "named.toml").write_text(NAMED_CALENDAR, "utf-8")
    (tmp_path / "config.toml").write_text(
        CONFIG_TEMPLATE.format(timezone="Asia/Karachi", examples="true"), "utf-8"
    )
    code, out, err = cli("check", "--config", str(tmp_path / "config.toml"))
    assert (code, out) == (1, "")
    keys = [line.split(": ")[1] for line in err.splitlines()[1:]]
    assert keys == [
        "observance 'january-20'.date",
        "observance[2].id",
        "observance[2].date",
        "observance[4].date",
        "observance[4].id",
        "event 'seminar-2027'.duration",
    ]
    assert "(observance[3] has it)" in err
