"""`reminders preview` (a notice as it will be sent) and `reminders check` on notice templates."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from email import policy
from email.parser import BytesParser
from pathlib import Path

import icalendar
import pytest

from reminders.config import cache
from tests.test_render import line_of

from .conftest import FIXTURES, GOLDEN, ROOT

Cli = Callable[..., tuple[int, str, str]]
CONFIG = str(ROOT / "config.toml")

NOTICE_RULES = """
[[notice]]
id = "day-of"
before = 0
at = "08:00"
template = "day-of"
channels = ["outbox"]

[[channel]]
id = "outbox"
type = "file"
folder = "outbox"
"""

EMAIL_RULES = """
[[notice]]
id = "press-1"
before = 1
at = "10:00"
template = "press"
channels = ["outbox", "team-mail"]

[[channel]]
id = "outbox"
type = "file"
folder = "outbox"

[[channel]]
id = "team-mail"
type = "email"
host = "smtp.example.org"
sender = "events@embassy.example.org"
recipients = ["team@embassy.example.org", "press@embassy.example.org"]
"""


def golden(name: str) -> str:
    return (GOLDEN / "notices" / name).read_text("utf-8")


@pytest.fixture
def with_templates(project: Callable[..., Path], tmp_path: Path) -> Callable[[str], Path]:
    """A project on the bundled calendar with its own copy of the templates and ``rules``."""

    def make(rules: str) -> Path:
        calendar = (ROOT / "calendars" / "remembrance.toml").read_text("utf-8")
        config = project({"remembrance.toml": calendar})
        shutil.copytree(ROOT / "templates", tmp_path / "templates")
        text = config.read_text("utf-8").replace(
            'calendars = "calendars"\n', 'calendars = "calendars"\ntemplates = "templates"\n'
        )
        config.write_text(text + rules, encoding="utf-8")
        return config

    return make


# --- preview --------------------------------------------------------------------------------


def test_preview_text_is_subject_blank_line_and_body(cli: Cli) -> None:
    code, out, err = cli("--config", CONFIG, "preview", "day-of", "january-20", "2027")
    assert (code, err) == (0, "")
    subject = golden("day-of-january-20-2027.subject.txt")
    assert out == f"Subject: {subject}\n" + golden("day-of-january-20-2027.txt")


def test_preview_html_is_the_html_body(cli: Cli) -> None:
    args = ("--config", CONFIG, "preview", "plan-30", "february-26", "2027", "--format", "html")
    code, out, err = cli(*args)
    assert (code, err) == (0, "")
    assert out == golden("plan-30-february-26-2027.html")


def test_preview_late_says_so(cli: Cli) -> None:
    code, out, _ = cli("--config", CONFIG, "preview", "confirm-7", "september-27", "2027", "--late")
    assert code == 0
    assert out.startswith(
        "Subject: [Sent late] Confirm speakers, guests and venue: Remembrance Day: 7th "
        "anniversary of the start of the 44-day war (Monday, 27 September 2027, in 7 days)\n\n"
        "SENT LATE: this notice was due on Monday, 20 September 2027, 09:00\n"
    )


def test_preview_eml_is_the_email_channels_message(
    cli: Cli, with_templates: Callable[[str], Path]
) -> None:
    config = with_templates(EMAIL_RULES)
    args = ("--config", str(config), "preview", "press-1", "february-26", "2027", "--format", "eml")
    code, out, err = cli(*args)
    assert (code, err) == (0, "")
    mime = BytesParser(policy=policy.default).parsebytes(out.encode("utf-8"))
    assert mime["From"] == "events@embassy.example.org"
    assert mime["To"] == "team@embassy.example.org, press@embassy.example.org"
    assert mime["Subject"] == (
        "Press note: 35th anniversary of the Khojaly Genocide (Friday, 26 February 2027, tomorrow)"
    )
    assert mime["Message-ID"].strip() == (  # a long header is folded; the id is unchanged
        "<remembrance_february-26_2027_press-1__team-mail@embassy.example.org>"
    )
    assert mime["Date"] == "Thu, 25 Feb 2027 10:00:00 +0500"
    parts = [part.get_content_type() for part in mime.walk()]
    assert parts == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    text = next(p for p in mime.walk() if p.get_content_type() == "text/plain").get_content()
    assert "DRAFT PRESS NOTE (not for release before review)" in text
    ics = next(p for p in mime.walk() if p.get_content_type() == "text/calendar")
    parsed = icalendar.Calendar.from_ical(ics.get_payload(decode=True))
    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == [
        "remembrance-february-26-2027@test.example.org"
    ]  # the project's feed does not include the example event


def test_preview_eml_without_an_email_channel_is_the_outbox_message(cli: Cli) -> None:
    args = ("--config", CONFIG, "preview", "day-of", "january-20", "2027", "--format", "eml")
    code, out, _ = cli(*args)
    assert code == 0
    mime = BytesParser(policy=policy.default).parsebytes(out.encode("utf-8"))
    assert mime["From"] is None
    assert mime["Message-ID"] == "<remembrance_january-20_2027_day-of__outbox@outbox.invalid>"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("plan-31", "january-20", "2027"),
            "notice rule 'plan-31': no such rule; "
            "expected one of: plan-30, confirm-7, press-1, day-of, milestone:book-venue, "
            "milestone:invitations, milestone:speakers, milestone:press-release, "
            "milestone:report (a [[milestone]] with channels as milestone:ID)",
        ),
        (
            ("day-of", "january-21", "2027"),
            "observance 'january-21': no such observance; "
            "expected one of: january-20, february-26, september-27, november-10",
        ),
        (
            ("day-of", "january-20", "1990"),
            "observance 'january-20' has no occurrence in 1990; expected a year from 1991 on "
            "in which it occurs (every January 20)",
        ),
        (
            ("day-of", "january-20", "1850"),
            "year 1850 is out of range; expected 1900 to 2200",
        ),
    ],
    ids=["unknown-rule", "unknown-observance", "year-without-occurrence", "year-out-of-range"],
)
def test_preview_errors_name_the_value_and_what_is_expected(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    code, out, err = cli("--config", CONFIG, "preview", *args)
    assert (code, out) == (2, "")
    assert err == f"reminders: {message}\n"


def test_preview_of_a_rule_that_does_not_apply_to_the_observance(
    cli: Cli, with_templates: Callable[[str], Path]
) -> None:
    rules = NOTICE_RULES.replace(
        'channels = ["outbox"]\n', 'channels = ["outbox"]\ntags = ["khojaly"]\n'
    )
    config = with_templates(rules)
    code, out, err = cli("--config", str(config), "preview", "day-of", "january-20", "2027")
    assert (code, out) == (2, "")
    assert err == (
        "reminders: notice rule 'day-of' sends nothing for observance 'january-20'; "
        "expected one of the observances it applies to: february-26\n"
    )


def test_preview_of_a_broken_template_lists_the_problem(
    cli: Cli, with_templates: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with_templates(NOTICE_RULES)
    (tmp_path / "templates" / "notices" / "day-of.subject.txt").write_text("{{ titel }}\n")
    code, out, err = cli("--config", "config.toml", "preview", "day-of", "january-20", "2027")
    assert (code, out) == (1, "")
    assert err == (
        "reminders: 1 problem in the templates:\n"
        "  templates/notices/day-of.subject.txt:1: 'titel' is undefined; "
        "expected only the variables listed in templates/README.md\n"
    )


def test_preview_year_must_be_written_yyyy(cli: Cli) -> None:
    code, _, err = cli("--config", CONFIG, "preview", "day-of", "january-20", "27")
    assert code == 2
    assert "argument YEAR: '27' is not a year (it has 2 digits); expected a year" in err


# --- check ----------------------------------------------------------------------------------


def test_check_lists_template_problems_and_exits_1(
    cli: Cli, with_templates: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with_templates(NOTICE_RULES)
    template = tmp_path / "templates" / "notices" / "day-of.html"
    template.write_text(template.read_text("utf-8").replace("{% endif %}\n", "", 1))
    (tmp_path / "templates" / "notices" / "day-of.txt").unlink()
    code, out, err = cli("check")
    assert (code, out) == (1, "")
    lines = err.splitlines()
    assert lines[0] == "2 problems found:"
    assert lines[1].startswith("  templates/notices/day-of.txt: missing template")
    assert lines[2].startswith(
        f"  templates/notices/day-of.html:{line_of(template, 'endfor')}: template syntax error: "
        "Encountered unknown tag 'endfor'."
    )


def test_check_renders_templates_even_when_the_startup_cache_is_warm(
    cli: Cli, with_templates: Callable[[str], Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cache, "SETTLED_NS", 0)  # cache files written a moment ago
    with_templates(NOTICE_RULES)
    code, out, _ = cli("check")
    assert code == 0
    assert "notice templates (templates/notices): day-of: ok" in out
    assert cache.read("config.toml", date.today()) is not None  # the next check is a cache hit
    layout = tmp_path / "templates" / "notices" / "layout.txt"
    layout.write_text(layout.read_text("utf-8").replace("notice=rule.id", "notice=rule.name"))
    code, out, err = cli("check")
    assert (code, out) == (1, "")
    assert err == (
        "1 problem found:\n"
        f"  templates/notices/layout.txt:{line_of(layout, 'rule.name')}: 'dict object' has no "
        "attribute 'name'; expected only the variables listed in templates/README.md\n"
    )


def test_a_warm_check_without_notice_rules_does_not_import_jinja2(
    project: Callable[..., Path], tmp_path: Path
) -> None:
    """The page's templates are rendered once; a check with nothing changed renders nothing."""
    config = project({"minimal.toml": (FIXTURES / "minimal.toml").read_text("utf-8")})
    script = (
        "import sys, time; from datetime import date; from reminders.config import cache; "
        # the cache's clock 2.1 s ahead: the files just written have settled (cache.py)
        "cache.time_ns = lambda: time.time_ns() + 2_100_000_000; "
        "from reminders.cli.check import check; "
        "report = check(sys.argv[1], date(2026, 11, 23)); "
        "print(report.problems, report.templates, 'jinja2' in sys.modules)"
    )
    env = {**os.environ, "REMINDERS_CACHE_DIR": str(tmp_path / "cache")}
    outputs = [
        subprocess.run(
            [sys.executable, "-c", script, str(config)],
            capture_output=True,
            text=True,
            check=True,
            env=env,
        ).stdout
        for _ in range(2)
    ]
    assert outputs == ["() () True\n", "() () False\n"]
