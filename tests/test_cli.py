"""The `reminders` command: output, config lookup, exit codes, help."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.regenerate_golden import CASES, render

from .conftest import GOLDEN, ROOT, english_config_text

Cli = Callable[..., tuple[int, str, str]]
CONFIG = str(ROOT / "config.toml")


def test_upcoming_matches_golden_file() -> None:
    args = dict(CASES)["upcoming-2026-11-23.txt"]
    assert render(args) == (GOLDEN / "upcoming-2026-11-23.txt").read_bytes()


def test_upcoming_shows_weekday_ordinal_days_to_go_and_both_zones(cli: Cli) -> None:
    code, out, err = cli("--config", CONFIG, "upcoming", "--from", "2027-01-19", "--days", "2")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == (
        "Sample Embassy, Islamabad: Tue 19 Jan 2027 to Wed 20 Jan 2027 "
        "(2 days; times in the origin's zone and in Asia/Karachi)"
    )
    assert lines[2] == ("Wed 20 Jan 2027  tomorrow      37th anniversary of the January 20 Tragedy")
    assert lines[3].strip() == ("Minute of silence (1 min): 12:00 Asia/Baku = 13:00 Asia/Karachi")


def test_upcoming_on_the_day_and_an_empty_window(cli: Cli) -> None:
    code, out, _ = cli("--config", CONFIG, "upcoming", "--from", "2027-01-20", "--days", "1")
    assert code == 0
    assert out.splitlines()[0].endswith("Wed 20 Jan 2027 (1 day; times in the origin's zone and in "
                                        "Asia/Karachi)")  # fmt: skip
    assert "Wed 20 Jan 2027  today" in out
    code, out, _ = cli("--config", CONFIG, "upcoming", "--from", "2027-03-01", "--days", "30")
    assert code == 0
    assert out.splitlines()[-1] == "Nothing in this window."


def test_upcoming_marks_a_jubilee(cli: Cli) -> None:
    _, out, _ = cli("--config", CONFIG, "upcoming", "--from", "2017-02-26", "--days", "1")
    assert "25th anniversary of the Khojaly Genocide (jubilee)" in out


def test_check_bundled_config(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = cli("check")
    assert code == 0
    # Urdu, configured beside English: its catalog and the calendar's translations are listed
    # as unreviewed, one warning per text (tests/test_translations.py checks their wording).
    warnings = err.splitlines()
    assert warnings[0].startswith("warning: organisation.languages: ur: ")
    assert "are not reviewed by a native speaker" in warnings[0]
    # The config's own texts in Urdu (tests/test_milestone_names.py), then the calendar's.
    assert [line.split(".translations.")[0] for line in warnings[1:9]] == [
        "warning: config.toml: organisation",
        "warning: config.toml: feed",
        "warning: config.toml: feed",
        *(
            f"warning: config.toml: milestone {name!r}"
            for name in ("book-venue", "invitations", "speakers", "press-release", "report")
        ),
    ]
    assert warnings[9].startswith(
        "warning: calendars/remembrance.toml: calendar 'remembrance' in ur: "
        "0 text(s) with no translation, 28 unreviewed; "
    )
    assert len(warnings) == 2 + 8 + 28
    assert all(".translations.ur." in line for line in warnings[10:])
    outbox = ROOT / "var" / "outbox"
    verified = (
        "the folder exists and is writable"
        if outbox.is_dir()
        else "the folder can be created (the daemon creates it at its start)"
    )
    assert out.splitlines() == [
        "config config.toml: ok",
        "calendar remembrance (calendars/remembrance.toml): 4 observances, 1 event, public",
        "notice templates (templates/notices): planning, confirm, press, day-of: ok",
        f"channel outbox (file: txt files in {outbox}): ok: {verified}",
        "All checks passed: 1 calendar, 4 observances, 1 event.",
    ]


def test_check_lists_a_channel_that_cannot_work(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        english_config_text()
        + '\n[[channel]]\nid = "team-mail"\ntype = "email"\nhost = "smtp.example.org"\n'
        'username = "events"\npassword_env = "TEST_UNSET_PASSWORD"\n'
        'sender = "events@example.org"\nrecipients = ["team@example.org"]\n'
        '\n[[channel]]\nid = "chat"\ntype = "apprise"\nurls_env = "TEST_UNSET_URLS"\n',
        "utf-8",
    )
    monkeypatch.delenv("TEST_UNSET_PASSWORD", raising=False)
    monkeypatch.setenv("TEST_UNSET_URLS", "nosuchservice://token-that-must-not-show")
    code, out, err = cli("--config", str(config), "check")
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == "2 problems found:"
    assert lines[1] == (
        f"  {config}: channel[2]: channel 'team-mail': the environment variable "
        "TEST_UNSET_PASSWORD is not set or empty"
    )
    assert lines[2].startswith(f"  {config}: channel[3]: channel 'chat': ")
    assert "nosuchservice" in lines[2]
    assert "token-that-must-not-show" not in err


def test_export_writes_the_file_atomically(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out.ics"
    target.write_bytes(b"old content")
    code, out, err = cli("--config", CONFIG, "export", "--from", "2025", "--to", "2031",
                         "-o", str(target))  # fmt: skip
    golden = (GOLDEN / "remembrance-2025-2031.ics").read_bytes()
    assert (code, out) == (0, "")
    assert err == f"wrote {target} ({len(golden)} bytes, 2025-2031)\n"
    assert target.read_bytes() == golden
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.ics"]  # no temp file left


def test_export_to_a_missing_folder_is_a_clear_error(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "no-such-folder" / "out.ics"
    code, out, err = cli("--config", CONFIG, "export", "-o", str(target))
    assert (code, out) == (1, "")
    assert err == f"reminders: cannot write {target}: No such file or directory\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "--from", "2030", "--to", "2027"),
         "reminders: --from 2030 is after --to 2027; expected --from <= --to\n"),
        (("export", "--from", "1800", "--to", "1801"),
         "reminders: years 1800-1801 are out of range; expected years 1900 to 2200\n"),
        (("export", "--calendar", "nope"),
         "reminders: --calendar 'nope': no such calendar; expected one of: remembrance\n"),
        (("upcoming", "--from", "9999-12-01", "--days", "40"),
         "reminders: --from 9999-12-01 --days 40 reaches outside the years this command "
         "accepts; expected dates from 1900-01-01 to 2200-12-31\n"),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_a_clear_message(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    code, out, err = cli("--config", CONFIG, *args)
    assert (code, out, err) == (2, "", message)


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("export", "--from", "27"),
         "'27' is not a year (it has 2 digits); expected a year written YYYY, such as 2027"),
        (("upcoming", "--from", "2027-02-30"),
         "'2027-02-30' is not a date: February 2027 has days 01-28, not 30; "
         "expected a date written YYYY-MM-DD, such as 2027-01-20"),
        (("upcoming", "--days", "0"), "'0': expected a whole number of days from 1 to 36600"),
        (("frobnicate",), "invalid choice: 'frobnicate'"),
    ],
)  # fmt: skip
def test_bad_arguments_name_the_expected_format(
    cli: Cli, args: tuple[str, ...], fragment: str
) -> None:
    code, out, err = cli("--config", CONFIG, *args)
    assert (code, out) == (2, "")
    assert fragment in err
    assert "Traceback" not in err


def test_no_command_prints_help_and_exits_2(cli: Cli) -> None:
    code, _, err = cli()
    assert code == 2
    for command in ("check", "upcoming", "export"):
        assert command in err


@pytest.mark.parametrize(
    ("command", "fragment"),
    [
        ("check", "lists every problem"),
        ("upcoming", "--days N"),
        ("export", "reminders export --from 2027 --to 2030 -o remembrance.ics"),
    ],
)
def test_help_on_every_command(cli: Cli, command: str, fragment: str) -> None:
    code, out, _ = cli(command, "--help")
    assert code == 0
    assert fragment in " ".join(out.split())


def test_missing_config_file(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    code, out, err = cli("--config", str(missing), "upcoming")
    assert (code, out) == (1, "")
    assert str(missing) in err
    assert "no such file; expected a config file" in err


def run_module(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "REMINDERS_CONFIG"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "reminders", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, check=False,
    )  # fmt: skip


def test_config_lookup_order(tmp_path: Path) -> None:
    """--config, then $REMINDERS_CONFIG, then ./config.toml, then the bundled config."""
    local = tmp_path / "config.toml"
    local.write_text(
        (ROOT / "config.toml")
        .read_text(encoding="utf-8")
        .replace('name = "Sample Embassy, Islamabad"', 'name = "Local Institute"'),
        encoding="utf-8",
    )
    from_env = tmp_path / "env.toml"
    from_env.write_text(local.read_text(encoding="utf-8").replace("Local", "Env"), "utf-8")
    flag = tmp_path / "flag.toml"
    flag.write_text(local.read_text(encoding="utf-8").replace("Local", "Flag"), "utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def who(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
        result = run_module(*args, "upcoming", "--days", "1", cwd=cwd, env=env)
        assert result.returncode == 0, result.stderr
        return result.stdout.split(":")[0]

    env = {"REMINDERS_CONFIG": str(from_env)}
    assert who("--config", str(flag), cwd=tmp_path, env=env) == "Flag Institute"
    assert who(cwd=tmp_path, env=env) == "Env Institute"
    assert who(cwd=tmp_path) == "Local Institute"
    assert who(cwd=elsewhere) == "Sample Embassy, Islamabad"  # the bundled config


def test_python_dash_m_and_broken_pipe(tmp_path: Path) -> None:
    result = subprocess.run(
        f"{sys.executable} -m reminders --config {CONFIG} upcoming --days 36600 | head -1",
        shell=True, capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert result.stdout.startswith("Sample Embassy, Islamabad:")
    assert "Traceback" not in result.stderr
