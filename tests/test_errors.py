"""The exception tree and its messages (core/errors.py): how a problem names its file, line, key,
value and what was expected; how a bad value is shown; and the exit status of each kind of error
at the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reminders.cli import commands
from reminders.cli.commands import main
from reminders.core.errors import (
    MISSING,
    UNKNOWN_KEY,
    CalendarError,
    ConfigError,
    InvalidInput,
    OutputError,
    Problem,
    ReminderError,
    UsageError,
    show_value,
)

from .conftest import ROOT


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("P7D", "'P7D'"),
        ({"a": 1}, "a table"),
        ([{"id": "x"}, 2], "a list"),  # a list of tables is not written out
        (["Friday", "Saturday"], "['Friday', 'Saturday']"),
        (True, "true"),  # as TOML writes it
        (False, "false"),
        (42, "42"),
        (None, "None"),
    ],
)
def test_a_bad_value_is_shown_short_and_quoted(value: object, shown: str) -> None:
    assert show_value(value) == shown


def test_a_long_value_is_cut_to_80_characters() -> None:
    fits = "x" * 78  # 80 with its quotes
    assert show_value(fits) == repr(fits)
    too_long = "x" * 79  # 81 with its quotes
    assert show_value(too_long) == "'" + "x" * 76 + "..."
    assert len(show_value(too_long)) == 80


@pytest.mark.parametrize(
    ("problem", "text"),
    [
        (
            Problem("config.toml", "notice[2].before", "7 days", "an ISO 8601 duration", 12, 3),
            "config.toml:12:3: notice[2].before: got '7 days'; expected an ISO 8601 duration",
        ),
        (
            Problem("config.toml", "feed.listen", 8080, "HOST:PORT", 20),
            "config.toml:20: feed.listen: got 8080; expected HOST:PORT",
        ),
        (
            Problem("config.toml", "feed", "x", "a table", None, 5),  # a column without a line
            "config.toml: feed: got 'x'; expected a table",
        ),
        (
            Problem("a.toml", "observance 'january-20'.since", MISSING, "a year"),
            "a.toml: observance 'january-20'.since: missing; expected a year",
        ),
        (
            Problem("a.toml", "password", UNKNOWN_KEY, "no such key"),
            "a.toml: password: unknown key; expected no such key",
        ),
        (
            Problem("a.toml", "", None, "a TOML file; the file is empty"),
            "a.toml: a TOML file; the file is empty",
        ),
    ],
)
def test_a_problem_names_where_what_and_what_was_expected(problem: Problem, text: str) -> None:
    assert str(problem) == text


def test_the_markers_are_named_in_a_problems_repr() -> None:
    assert "value=MISSING" in repr(Problem("a.toml", "since", MISSING, "a year"))
    assert "value=UNKNOWN_KEY" in repr(Problem("a.toml", "x", UNKNOWN_KEY, "no such key"))


def test_invalid_input_lists_every_problem_under_a_counted_head() -> None:
    one = Problem("config.toml", "feed.listen", 8080, "HOST:PORT", 20)
    two = Problem("a.toml", "since", MISSING, "a year")
    error = ConfigError([one, two])
    assert error.problems == (one, two)
    assert (
        error.message()
        == str(error)
        == (
            "2 problems in the configuration:\n"
            "  config.toml:20: feed.listen: got 8080; expected HOST:PORT\n"
            "  a.toml: since: missing; expected a year"
        )
    )
    assert CalendarError((two,)).message() == (
        "1 problem in the calendars:\n  a.toml: since: missing; expected a year"
    )
    assert InvalidInput([]).message() == "0 problems in the input:"
    assert InvalidInput([two]).what == "input"


def test_an_output_error_names_the_file_and_the_reason() -> None:
    error = OutputError("/tmp/out.ics", "Permission denied")
    assert error.message() == "cannot write /tmp/out.ics: Permission denied"
    assert error.path == "/tmp/out.ics"
    assert UsageError("--from 2031 is after --to 2030").message() == (
        "--from 2031 is after --to 2030"
    )


# --- Exit status at the command line: 0 done, 1 unusable input, 2 usage, 130 interrupted ----


def test_each_kind_of_error_has_its_exit_status(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    config = str(ROOT / "config.toml")
    assert main(["--config", config, "check"]) == 0
    capsys.readouterr()

    assert main(["--config", str(tmp_path / "absent.toml"), "check"]) == 1
    assert "absent.toml: no such file" in capsys.readouterr().err

    assert main(["--config", config, "export", "--from", "2031", "--to", "2030"]) == 2
    assert "--from 2031 is after --to 2030" in capsys.readouterr().err

    def interrupted(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(commands, "cmd_check", interrupted)
    assert main(["--config", config, "check"]) == 130
    assert capsys.readouterr().err == "reminders: interrupted\n"

    def failing(*_: object) -> int:
        raise ReminderError("something the user caused")

    monkeypatch.setattr(commands, "cmd_check", failing)
    assert main(["--config", config, "check"]) == 1
    assert capsys.readouterr().err == "reminders: something the user caused\n"
