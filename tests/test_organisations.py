"""Many organisations in one deployment (config/organisations.py): files, defaults, overrides,
problems per file, ``--org`` and ``reminders orgs``."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from reminders.config.organisations import load_organisations
from reminders.plan.overview import CSV_COLUMNS

from .conftest import ROOT, copy_ministry

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def ministry(tmp_path: Path) -> Path:
    """A copy of the two-organisation example, its paths pointing at the bundled folders."""
    return copy_ministry(tmp_path / "ministry")


def test_each_organisation_is_its_file_over_the_config(ministry: Path) -> None:
    base, orgs, problems = load_organisations(str(ministry / "config.toml"))
    assert problems == []
    assert [o.id for o in orgs] == ["baku", "islamabad"]
    baku, islamabad = (o.settings for o in orgs)
    assert baku is not None
    assert islamabad is not None
    # Baku gives only its name and language: the rest is config.toml's.
    assert baku.organisation.name == "Bakı ofisi"
    assert (baku.organisation.language, baku.organisation.languages) == ("az", ("az",))
    assert (baku.organisation.timezone, baku.organisation.country) == ("Asia/Baku", "AZ")
    assert baku.organisation.uid_domain == base.organisation.uid_domain
    assert [r.id for r in baku.notices] == ["plan-30", "day-of"]
    assert baku.notices == base.notices
    # Islamabad replaces plan-30 (a second channel, in Urdu) and keeps day-of.
    assert islamabad.organisation.languages == ("en", "ur")
    assert [r.id for r in islamabad.notices] == ["plan-30", "day-of"]
    assert islamabad.notices[0].channels == ("outbox", "partners-ur")
    assert islamabad.notices[1] == base.notices[1]
    channels = {c.id: c for c in islamabad.channels}
    assert channels["partners-ur"].language == "ur"
    assert str(channels["outbox"].option("folder")).endswith("var/outbox/islamabad")
    assert [m.id for m in islamabad.milestones] == ["book-venue"]


def test_orgs_lists_every_organisation_with_its_next_notice(cli: Cli, ministry: Path) -> None:
    code, out, err = cli("--config", str(ministry / "config.toml"), "orgs")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("2 organisation(s) in ")
    assert lines[1] == "  baku: Bakı ofisi (Asia/Baku, AZ; az)"
    assert lines[2].startswith("    next notice ")
    assert lines[3] == "  islamabad: Embassy in Islamabad (Asia/Karachi, PK; en, ur)"
    assert lines[4].endswith("-> outbox, partners-ur")


def test_one_broken_file_is_reported_and_the_others_go_on(cli: Cli, ministry: Path) -> None:
    (ministry / "organisations" / "baku.toml").write_text(
        '[organisation]\nname = "Bakı ofisi"\ntimezone = "Asia/Bakuu"\n', "utf-8"
    )
    code, out, _ = cli("--config", str(ministry / "config.toml"), "orgs")
    assert code == 1
    lines = out.splitlines()
    assert lines[1] == "  baku: 1 problem(s); not loaded"
    assert lines[2].startswith("    ")
    assert "baku.toml:3: organisation.timezone: got 'Asia/Bakuu'; expected" in lines[2]
    assert lines[3] == "  islamabad: Embassy in Islamabad (Asia/Karachi, PK; en, ur)"
    # The healthy organisation's commands still work; the broken one's say why not.
    code, out, _ = cli("--config", str(ministry / "config.toml"), "upcoming", "--org", "islamabad")
    assert code == 0
    assert out.startswith("Embassy in Islamabad: ")
    code, _, err = cli("--config", str(ministry / "config.toml"), "upcoming", "--org", "baku")
    assert code == 1
    assert "baku.toml:3: organisation.timezone: got 'Asia/Bakuu'" in err


def test_a_language_not_of_the_organisation_names_its_file(ministry: Path) -> None:
    """config.toml's outbox has no language; a channel of Baku's in Urdu is refused there."""
    path = ministry / "organisations" / "baku.toml"
    path.write_text(
        path.read_text("utf-8")
        + '\n[[channel]]\nid = "urdu"\ntype = "file"\nfolder = "var/u"\nlanguage = "ur"\n',
        "utf-8",
    )
    _, orgs, _ = load_organisations(str(ministry / "config.toml"))
    baku = orgs[0]
    assert baku.settings is None
    (problem,) = baku.problems
    assert str(problem).endswith(
        "baku.toml:16: channel[2].language: got 'ur'; expected one of the organisation's "
        "languages (organisation.languages: az)"
    )


def test_unknown_org_and_a_config_without_organisations(cli: Cli, ministry: Path) -> None:
    code, _, err = cli("--config", str(ministry / "config.toml"), "plan", "2027", "--org", "oslo")
    assert code == 1
    assert "--org: got 'oslo'; expected the id of an organisation (baku, islamabad)" in err
    code, out, _ = cli("--config", str(ROOT / "config.toml"), "orgs")
    assert code == 0
    assert out.endswith(
        "one organisation (Sample Embassy, Islamabad); [paths] organisations names none\n"
    )
    code, _, err = cli("--config", str(ROOT / "config.toml"), "upcoming", "--org", "baku")
    assert code == 1
    assert "paths.organisations: missing; expected a folder of organisations, for --org baku" in err


def test_a_file_name_that_is_no_id_and_an_own_calendar(
    cli: Cli, ministry: Path, tmp_path: Path
) -> None:
    (ministry / "organisations" / "Bad Name.toml").write_text("", "utf-8")
    _, _, problems = load_organisations(str(ministry / "config.toml"))
    assert [str(p).split("/")[-1] for p in problems] == [
        "Bad Name.toml: got 'Bad Name'; expected a file name of lower-case letters, digits and "
        "hyphens, such as 'islamabad.toml'"
    ]
    (ministry / "organisations" / "Bad Name.toml").unlink()
    own = ministry / "organisations" / "baku"
    own.mkdir()
    (own / "seminars.toml").write_text(
        '[calendar]\nid = "baku-seminars"\nname = "Seminars"\ntimezone = "Asia/Baku"\n'
        "public = false\nrevised = 2026-12-01T00:00:00Z\n\n"
        '[[event]]\nid = "seminar"\ntitle = "Seminar on Khojaly"\ndate = 2027-02-24\n',
        "utf-8",
    )
    path = ministry / "organisations" / "baku.toml"
    path.write_text(path.read_text("utf-8") + '\n[paths]\ncalendars = "baku"\n', "utf-8")
    code, out, err = cli(
        "--config", str(ministry / "config.toml"), "upcoming", "--org", "baku", "--from",
        "2027-02-20", "--days", "10",
    )  # fmt: skip
    assert code == 0, err
    assert "Seminar on Khojaly" in out
    code, out, _ = cli(
        "--config", str(ministry / "config.toml"), "upcoming", "--org", "islamabad", "--from",
        "2027-02-20", "--days", "10",
    )  # fmt: skip
    assert "Seminar on Khojaly" not in out


def test_check_checks_every_organisation(cli: Cli, ministry: Path) -> None:
    config = str(ministry / "config.toml")
    code, out, _ = cli("--config", config, "check")
    assert code == 0
    assert "organisation baku (" in out
    assert out.splitlines()[-2].endswith("Embassy in Islamabad, Asia/Karachi, PK, en, ur: ok")
    path = ministry / "organisations" / "islamabad.toml"
    path.write_text(path.read_text("utf-8").replace('"partners-ur"]', '"partners"]'), "utf-8")
    code, _, err = cli("--config", config, "check")
    assert code == 1
    assert "islamabad.toml:" in err
    assert "notice[1].channels: got 'partners'; expected the id of a [[channel]] entry" in err
    assert not (ministry / "var").exists()  # check writes nothing


def test_the_overview_has_every_organisation_per_observance(cli: Cli, ministry: Path) -> None:
    config = str(ministry / "config.toml")
    import json
    from datetime import date

    from reminders.plan.overview import overview_output

    # Milestones from a fixed day on (the command's is today's).
    out = overview_output(config, 2027, "json", date(2026, 12, 7)).decode("utf-8")
    document = json.loads(out)
    assert [o["id"] for o in document["organisations"]] == ["baku", "islamabad"]
    khojaly = next(o for o in document["observances"] if o["id"] == "remembrance:february-26")
    assert khojaly["date"] == "2027-02-26"
    baku = khojaly["organisations"]["baku"]
    assert baku["state"] == "nothing"
    assert baku["event_date"] == "2027-02-26"  # a Friday: a working day in Azerbaijan
    assert any("in Ramadan 1448" in c for c in baku["conflicts"])
    assert baku["next_milestone"] == {"name": "Book the venue", "date": "2027-01-14"}
    islamabad = khojaly["organisations"]["islamabad"]  # its roundtable, on the 25th
    assert (islamabad["state"], islamabad["event_date"]) == ("conflict", "2027-02-25")
    assert islamabad["next_milestone"] == {"name": "Book the venue", "date": "2027-01-13"}
    # The same bytes twice; every format but ics.
    assert overview_output(config, 2027, "json", date(2026, 12, 7)).decode("utf-8") == out
    code, out, err = cli("--config", config, "plan", "2027", "--overview", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["organisations"] == document["organisations"]
    said = {}
    for fmt in ("table", "md", "csv", "html"):
        code, said[fmt], err = cli(
            "--config", config, "plan", "2027", "--overview", "--format", fmt
        )  # fmt: skip
        assert code == 0, (fmt, err)
    roundtable = "Roundtable on the 35th anniversary of the Khojaly Genocide"
    assert (
        f"  islamabad: {roundtable}, Thursday 25 Feb 2027 (moved off the day)\n"
        "      conflict: in Ramadan 1448"
    ) in said["table"]
    assert (
        f"| Embassy in Islamabad (islamabad) | planned, with a conflict | {roundtable}, "
        "Thursday 25 Feb 2027 (moved off the day) | in Ramadan 1448"
    ) in said["md"]
    assert said["csv"].splitlines()[0] == ",".join(CSV_COLUMNS)
    assert (
        f"remembrance:february-26,35th anniversary of the Khojaly Genocide,2027-02-26,islamabad,"
        f"conflict,2027-02-25,{roundtable},yes,"
    ) in said["csv"]
    # The picture: a row per organisation, a cell per observance, its state as class and words.
    rows = re.findall(r'<tr><th scope="row">(.*?)</tr>', said["html"])
    assert len(rows) == 2
    baku, islamabad = (re.findall(r'<td class="(\w+)"[^>]*>([^<]*)</td>', row) for row in rows)
    assert [state for state, _ in baku] == ["nothing"] * 4
    assert islamabad[1] == ("conflict", "planned, with a conflict")
    assert [state for state, _ in islamabad] == ["nothing", "conflict", "nothing", "nothing"]
    code, _, err = cli("--config", config, "plan", "2027", "--overview", "--format", "ics")
    assert code == 2
    assert "--overview: got --format ics; expected one of table, md, csv, json, html" in err


def test_the_overview_shows_a_broken_organisation(cli: Cli, ministry: Path) -> None:
    (ministry / "organisations" / "baku.toml").write_text("[organisation]\nname = 5\n", "utf-8")
    code, out, _ = cli("--config", str(ministry / "config.toml"), "plan", "2027", "--overview")
    assert code == 0
    assert "  baku: not loaded (its file has problems)" in out
    assert out.splitlines()[-1].endswith(
        "baku.toml:2: organisation.name: got 5; expected a non-empty string"
    )


def test_planned_events_of_an_organisation_join_the_shared_calendar(
    cli: Cli, ministry: Path
) -> None:
    """Islamabad's roundtable is linked to February 26: planned, moved a day, in Ramadan; the
    event is Islamabad's alone."""
    config = str(ministry / "config.toml")
    code, out, err = cli("--config", config, "plan", "2027", "--overview", "--format", "csv")
    assert code == 0, err
    rows = [line.split(",") for line in out.splitlines()]
    khojaly = {r[3]: r for r in rows if r[0] == "remembrance:february-26"}
    roundtable = "Roundtable on the 35th anniversary of the Khojaly Genocide"
    assert khojaly["islamabad"][4:8] == ["conflict", "2027-02-25", roundtable, "yes"]
    assert khojaly["baku"][4] == "nothing"
    code, out, _ = cli("--config", config, "upcoming", "--org", "baku", "--from", "2027-02-20")
    assert "Roundtable" not in out
    # An observance the shared calendar does not have, and a calendar that is not shared.
    path = ministry / "organisations" / "baku.toml"
    path.write_text(
        path.read_text("utf-8")
        + '\n[[event]]\nid = "e1"\ntitle = "A"\ndate = 2027-02-24\nobservance = "khojaly"\n'
        + '\n[[event]]\nid = "e2"\ntitle = "B"\ndate = 2027-02-24\ncalendar = "other"\n',
        "utf-8",
    )
    code, _, err = cli("--config", config, "upcoming", "--org", "baku")
    assert code == 1
    assert (
        "baku.toml:16: event[1].observance: got 'khojaly'; expected the id of an observance" in err
    )
    assert (
        "baku.toml:22: event[2].calendar: got 'other'; "
        "expected the id of a shared calendar (remembrance)" in err
    )


def test_an_organisation_names_only_its_own_secrets_and_files(ministry: Path) -> None:
    """Baku's administrator cannot point at Islamabad's SMTP password, tokens or calendars."""
    path = ministry / "organisations" / "baku.toml"
    path.write_text(
        path.read_text("utf-8")
        + '\n[feed]\ntokens_env = "REMINDERS_ISLAMABAD_TOKENS"\n'
        + 'tokens_file = "islamabad/tokens.txt"\n'
        + '\n[paths]\ncalendars = "../organisations/islamabad"\n'
        + '\n[[channel]]\nid = "mail"\ntype = "email"\nhost = "smtp.example.org"\n'
        + 'sender = "a@example.org"\nrecipients = ["b@example.org"]\n'
        + 'username = "a@example.org"\npassword_env = "REMINDERS_ISLAMABAD_SMTP_PASSWORD"\n',
        "utf-8",
    )
    _, orgs, _ = load_organisations(str(ministry / "config.toml"))
    baku = orgs[0]
    assert baku.settings is None
    shown = sorted(str(p).split("baku.toml:", 1)[1].split(": ", 1)[1] for p in baku.problems)
    assert shown == [
        "channel[2].password_env: got 'REMINDERS_ISLAMABAD_SMTP_PASSWORD'; expected an "
        "environment variable of this organisation's: REMINDERS_BAKU_...",
        "feed.tokens_env: got 'REMINDERS_ISLAMABAD_TOKENS'; expected an environment variable "
        "of this organisation's: REMINDERS_BAKU_...",
        "feed.tokens_file: got 'islamabad/tokens.txt'; expected a path inside this "
        "organisation's folder (baku/...)",
        "paths.calendars: got '../organisations/islamabad'; expected a path inside this "
        "organisation's folder (baku/...)",
    ]


def test_an_organisations_text_is_data_not_a_template(cli: Cli, ministry: Path) -> None:
    """A Jinja2 expression in an organisation's file is printed as written, not evaluated."""
    path = ministry / "organisations" / "islamabad.toml"
    text = path.read_text("utf-8").replace(
        'name = "Embassy in Islamabad"', 'name = "{{ 7 * 7 }} {{ settings }} Embassy"'
    )
    path.write_text(text, "utf-8")
    code, out, err = cli(
        "--config", str(ministry / "config.toml"), "preview", "plan-30", "february-26", "2027",
        "--org", "islamabad",
    )  # fmt: skip
    assert code == 0, err
    assert "{{ 7 * 7 }} {{ settings }} Embassy" in out
    assert "49" not in out.replace("2049", "")


def test_an_organisation_selected_by_one_command_is_not_the_next_ones(
    cli: Cli, ministry: Path
) -> None:
    from datetime import date

    from reminders.config.load import load

    code, _, _ = cli("--config", str(ministry / "config.toml"), "upcoming", "--org", "baku")
    assert code == 0
    assert load(str(ROOT / "config.toml"), date(2026, 12, 7)).settings.organisation.name == (
        "Sample Embassy, Islamabad"
    )


def test_the_overview_of_a_config_without_organisations_says_so(cli: Cli) -> None:
    code, out, err = cli("--config", str(ROOT / "config.toml"), "plan", "2027", "--overview")
    assert (code, out) == (2, "")
    assert "--overview: the config names no organisations ([paths] organisations)" in err
