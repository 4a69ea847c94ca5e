"""Notices rendered from the templates: golden files, escaping, time zones, late notices, the
template check (undefined variables, syntax errors, missing files) and the ICS attachment."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import icalendar
import jinja2
import pytest
from jinja2.exceptions import SecurityError

from reminders.cli.check import check
from reminders.config.load import load
from reminders.config.templates import environment
from reminders.core.ics import FeedInfo, occurrence_ics
from reminders.core.notices import Notice, find_notice
from reminders.core.settings import Loaded
from reminders.notify.render import Rendered, message_for, notice_context, notice_ics, render_notice
from tests.regenerate_golden import NOTICE_CASES, notice_files
from tests.test_ics import events_by_ical, events_by_icalendar

from .conftest import FIXTURES, GOLDEN, ROOT, TODAY

MakeProject = Callable[..., Path]

CALENDAR = """\
[calendar]
id = "test"
name = "Test calendar"
timezone = "Asia/Baku"
revised = 2026-01-01T00:00:00Z

[[observance]]
id = "winter"
title = "{ordinal} anniversary of the winter day"
date = "01-20"
since = 1990
description = "A winter observance."

[[observance.fact]]
text = "A figure <script>alert('x')</script> & another figure."
source = "Source <b>A</b> & B"

[[observance.moment]]
id = "minute-of-silence"
name = "Minute of silence"
time = "12:00"
duration = "PT1M"
timezone = "Asia/Baku"

[[observance]]
id = "summer"
title = "{ordinal} anniversary of the summer day"
date = "07-15"
since = 1990
description = "A summer observance."

[[observance.moment]]
id = "minute-of-silence"
name = "Minute of silence"
time = "12:00"
duration = "PT1M"
timezone = "Asia/Baku"

[[observance]]
id = "ended"
title = "{ordinal} anniversary of a day observed three times only"
rrule = "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1;COUNT=3"
since = 2000
description = "Its last occurrence was long ago."
"""

DAY_OF = """
[[notice]]
id = "day-of"
before = 0
at = "08:00"
template = "day-of"
channels = ["outbox"]
"""

CHANNEL = """
[[channel]]
id = "outbox"
type = "file"
folder = "outbox"
"""


@pytest.fixture
def make(project: MakeProject, tmp_path: Path) -> Callable[..., Path]:
    """A project with notice rules: ``make(rules=..., timezone=..., own_templates=True)``."""

    def build(
        calendar: str = CALENDAR,
        *,
        rules: str = DAY_OF,
        timezone: str = "Asia/Karachi",
        own_templates: bool = False,
        language: str = "en",
    ) -> Path:
        config = project({"test.toml": calendar}, timezone=timezone)
        text = config.read_text("utf-8").replace(
            'country = "PK"\n', f'country = "PK"\nlanguage = "{language}"\n'
        )
        if own_templates:
            shutil.copytree(ROOT / "templates", tmp_path / "templates")
            text = text.replace(
                'calendars = "calendars"\n', 'calendars = "calendars"\ntemplates = "templates"\n'
            )
        config.write_text(text + rules + CHANNEL, encoding="utf-8")
        return config

    return build


def notice_for(loaded: Loaded, rule_id: str, observance_id: str, year: int) -> Notice:
    rule = loaded.settings.rule(rule_id)
    assert rule is not None
    found = find_notice(loaded.calendars, rule, observance_id, year, loaded.settings.organisation)
    assert found is not None
    return found


def rendered_for(
    config: Path, rule_id: str, observance_id: str, year: int, late: bool = False
) -> Rendered:
    loaded = load(str(config), TODAY)
    notice = notice_for(loaded, rule_id, observance_id, year)
    env = environment(loaded.settings.templates_dir)
    return render_notice(env, notice, loaded.settings, notice.fire_at, late=late)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    lines = path.read_text("utf-8").split("\n")
    return next(number for number, line in enumerate(lines, 1) if needle in line)


# --- The bundled notices --------------------------------------------------------------------


@pytest.mark.parametrize("case", NOTICE_CASES, ids=["-".join(map(str, c)) for c in NOTICE_CASES])
def test_bundled_notice_matches_golden_files(case: tuple[str, str, int]) -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    for name, data in notice_files(*case).items():
        assert data == (GOLDEN / name).read_bytes(), name


def test_day_of_shows_the_minute_of_silence_in_baku_and_local_time() -> None:
    files = notice_files("day-of", "january-20", 2027)
    subject = files["notices/day-of-january-20-2027.subject.txt"].decode()
    text = files["notices/day-of-january-20-2027.txt"].decode()
    html = files["notices/day-of-january-20-2027.html"].decode()
    assert subject == (
        "37th anniversary of the January 20 Tragedy (today, Wednesday, 20 January 2027)\n"
    )
    assert "- Minute of silence: 12:00 in Baku (13:00 in Asia/Karachi), 1 minute.\n" in text
    assert "12:00 in Baku</strong> (13:00 in Asia/Karachi), 1 minute." in html
    assert "SENT LATE" not in text
    assert "Sent late" not in html


def test_planning_notice_has_checklist_days_to_go_every_fact_and_the_event() -> None:
    files = notice_files("plan-30", "february-26", 2027)
    text = files["notices/plan-30-february-26-2027.txt"].decode()
    assert text.startswith(
        "35th anniversary of the Khojaly Genocide\nFriday, 26 February 2027 (in 30 days)\n"
    )
    for item in ("Venue:", "Speakers:", "Invitations:", "Exhibition materials:", "Press:"):
        assert f"[ ] {item}" in text
    # Every fact (five, with the note on differing figures), each followed by its source.
    assert text.count("\n  Source: ") == 5
    assert "the ambassador himself spoke of hundreds of\n  civilians killed." in text
    assert "- Example: Roundtable: 35 years since Khojaly\n" in text
    assert "  Friday, 26 February 2027, 15:00-17:00 Asia/Karachi\n" in text


def test_january_facts_from_disagreeing_sources_are_all_shown() -> None:
    html = notice_files("day-of", "january-20", 2027)["notices/day-of-january-20-2027.html"]
    assert html.count(b"Source: ") == 5
    assert b"Around 150 unarmed civilians" in html
    assert b"131 people were killed and 744 injured" in html
    assert b"The death toll differs between sources" in html


# --- Escaping, language, non-ASCII text -----------------------------------------------------


def test_html_escapes_calendar_text_and_plain_text_keeps_it(make: Callable[..., Path]) -> None:
    rendered = rendered_for(make(), "day-of", "winter", 2027)
    assert (
        "- A figure <script>alert('x')</script> & another figure.\n  Source: Source <b>A</b> & B\n"
    ) in rendered.text
    assert "A figure &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; another figure." in (
        rendered.html
    )
    assert "Source: Source &lt;b&gt;A&lt;/b&gt; &amp; B" in rendered.html
    assert "<script>" not in rendered.html
    assert "<b>" not in rendered.html


def test_non_ascii_text_survives_and_html_carries_the_language(
    make: Callable[..., Path],
) -> None:
    calendar = (FIXTURES / "cases" / "non_ascii.toml").read_text("utf-8")
    config = make(calendar, language="az")
    rendered = rendered_for(config, "day-of", "khojaly", 2027)
    title = "Xocalı soyqırımının 35th ildönümü — خوجالی نسل کشی کی برسی"
    # Azerbaijani has its catalog and its words (core/words.py OUTPUTS): the template's words
    # are Azerbaijani; the title is the calendar's own text.
    assert rendered.subject == f"{title} (bu gün, Cümə, 26 fevral 2027)"
    assert rendered.text.startswith(f"{title}\n")
    assert "Şəhər 25–26 fevral 1992-ci il gecəsi" in rendered.text
    assert "- Seminar: Xocalı — سیمینار\n" in rendered.text
    assert "  Qafqaz zalı, اسلام آباد\n" in rendered.text
    assert '<html lang="az">' in rendered.html
    # Webmail drops <html>: the language is also on the first element inside <body>.
    body = rendered.html.split("<body", 1)[1]
    assert body.split(">", 1)[1].lstrip().startswith('<div lang="az" ')
    assert rendered.language == "az"
    assert '<meta charset="utf-8">' in rendered.html
    assert f'line-height:1.3;">{title}</h1>' in rendered.html
    assert "&#34;quotes&#34; \\ backslashes" in rendered.html


# --- Time zones and daylight saving ---------------------------------------------------------


def test_moments_in_both_zones_across_dst_for_an_organisation_in_london(
    make: Callable[..., Path],
) -> None:
    config = make(timezone="Europe/London")
    winter = rendered_for(config, "day-of", "winter", 2027)
    summer = rendered_for(config, "day-of", "summer", 2027)
    # Baku is UTC+4 all year; London is UTC+0 in January and UTC+1 (BST) in July.
    assert "- Minute of silence: 12:00 in Baku (08:00 in Europe/London), 1 minute." in winter.text
    assert "- Minute of silence: 12:00 in Baku (09:00 in Europe/London), 1 minute." in summer.text
    assert "(09:00 in Europe/London)" in summer.html


def test_context_moment_times_and_fire_time_keep_the_wall_clock(
    make: Callable[..., Path],
) -> None:
    loaded = load(str(make(timezone="Europe/London")), TODAY)
    summer = notice_for(loaded, "day-of", "summer", 2027)
    context = notice_context(summer, loaded.settings, summer.fire_at, late=False)
    (moment,) = context["moments"]
    assert moment["origin_time"] == "12:00 Asia/Baku"
    assert moment["local_time"] == "09:00 Europe/London"
    assert moment["duration_minutes"] == 1
    assert moment["start"].utcoffset() == timedelta(hours=4)
    assert context["fire_at_text"] == "Thursday, 15 July 2027, 08:00 Europe/London"
    assert context["fire_at"].utcoffset() == timedelta(hours=1)
    assert context["occurrence"]["is_today"] is True


# --- Late notices ---------------------------------------------------------------------------


def test_a_late_notice_says_so_in_subject_text_and_html() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    notice = notice_for(loaded, "plan-30", "february-26", 2027)
    env = environment(loaded.settings.templates_dir)
    later = notice.fire_at + timedelta(days=1, hours=2)
    rendered = render_notice(env, notice, loaded.settings, later, late=True)
    assert rendered.subject.startswith("[Sent late] Start planning: 35th anniversary")
    assert rendered.subject.endswith("(Friday, 26 February 2027, in 29 days)")
    assert rendered.text.startswith(
        "SENT LATE: this notice was due on Wednesday, 27 January 2027, 09:00\n"
        "Asia/Karachi, but the reminder service was not running at that time.\n\n"
    )
    assert (
        "<strong>Sent late.</strong> This notice was due on Wednesday, 27 January 2027, "
        "09:00 Asia/Karachi, but the reminder service was not running at that time."
    ) in rendered.html
    # Days to go count from the day it is really sent.
    assert "Friday, 26 February 2027 (in 29 days)" in rendered.text


def test_message_carries_the_delivery_id_times_and_late_flag() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    notice = notice_for(loaded, "day-of", "january-20", 2027)
    env = environment(loaded.settings.templates_dir)
    now = notice.fire_at + timedelta(hours=1)
    rendered = render_notice(env, notice, loaded.settings, now, late=True)
    message = message_for(notice, "outbox", rendered, b"ICS", now, True)
    assert message.delivery_id == "remembrance:january-20:2027:day-of/outbox"
    assert message.notice_id == "remembrance:january-20:2027:day-of"
    assert (message.subject, message.text, message.html, message.language) == rendered
    assert message.language == "en"
    assert (message.ics, message.created, message.fire_at, message.late) == (
        b"ICS",
        now,
        notice.fire_at,
        True,
    )


# --- The template check ---------------------------------------------------------------------


def problems_of(config: Path) -> list[str]:
    return [str(problem) for problem in check(str(config), TODAY).problems]


def test_bundled_templates_pass_the_check() -> None:
    report = check(str(ROOT / "config.toml"), TODAY)
    assert report.problems == ()
    assert report.templates == ("planning", "confirm", "press", "day-of")


def test_undefined_variable_is_reported_with_file_and_line(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = make(own_templates=True)
    template = tmp_path / "templates" / "notices" / "day-of.txt"
    edit(template, "{% block body %}\n", "{% block body %}\nSee {{ occurence.title }}.\n")
    assert problems_of(config) == [
        f"templates/notices/day-of.txt:{line_of(template, 'occurence')}: 'occurence' is "
        "undefined; expected only the variables listed in templates/README.md"
    ]


def test_an_error_inside_the_layout_names_the_layout_and_its_line(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = make(own_templates=True)
    layout = tmp_path / "templates" / "notices" / "layout.html"
    edit(layout, "{{ organisation.name }}</p>", "{{ organisation.nmae }}</p>")
    assert problems_of(config) == [
        f"templates/notices/layout.html:{line_of(layout, 'nmae')}: 'dict object' has no "
        "attribute 'nmae'; expected only the variables listed in templates/README.md"
    ]


def test_syntax_error_is_reported_with_its_line(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = make(own_templates=True)
    template = tmp_path / "templates" / "notices" / "day-of.html"
    edit(template, "{% if moments %}", "{% if moments %}\n<p>{{ occurrence.title }</p>")
    line = line_of(template, "occurrence.title }<")
    assert problems_of(config) == [
        f"templates/notices/day-of.html:{line}: template syntax error: unexpected '}}'"
    ]


def test_a_failing_filter_is_reported_with_its_line(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = make(own_templates=True)
    template = tmp_path / "templates" / "notices" / "day-of.subject.txt"
    template.write_text("{{ occurrence.title | longdate }}\n", encoding="utf-8")
    (problem,) = check(str(config), TODAY).problems
    assert (problem.file, problem.line) == ("templates/notices/day-of.subject.txt", 1)
    assert problem.expected.startswith("rendering failed: AttributeError: ")


def test_missing_template_and_missing_layout_are_reported(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    config = make(own_templates=True)
    (tmp_path / "templates" / "notices" / "day-of.subject.txt").unlink()
    (tmp_path / "templates" / "notices" / "layout.txt").unlink()
    assert problems_of(config) == [
        "templates/notices/day-of.subject.txt: missing template "
        "(notice rule 'day-of' has template = 'day-of')",
        "templates/notices/layout.txt: missing template (used at templates/notices/day-of.txt:1)",
    ]


# Each reaches Python through a value a template is given; none may run (touch makes a file).
ESCAPES = [
    pytest.param(
        "{{ cycler.__init__.__globals__.os.popen('touch pwned').read() }}",
        "access to attribute '__init__' of 'type' object is unsafe",
        id="cycler-globals",
    ),
    pytest.param(
        "{{ lipsum.__globals__['os'].popen('touch pwned').read() }}",
        "access to attribute '__globals__' of 'function' object is unsafe",
        id="lipsum-globals",
    ),
    pytest.param(
        "{{ '{0.__class__.__mro__}'.format(occurrence) }}",
        "access to attribute '__class__' of 'dict' object is unsafe",
        id="str-format",
    ),
    pytest.param(
        "{{ moments.append(1) }}",
        "access to attribute 'append' of 'list' object is unsafe",
        id="mutate-a-value",
    ),
]


@pytest.mark.parametrize(("payload", "why"), ESCAPES)
def test_a_template_that_reaches_into_python_is_refused_by_check_and_preview(
    make: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    cli: Callable[..., tuple[int, str, str]],
    payload: str,
    why: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    config = make(own_templates=True)
    template = tmp_path / "templates" / "notices" / "day-of.txt"
    edit(template, "{% block body %}\n", "{% block body %}\n" + payload + "\n")
    expected = (
        f"templates/notices/day-of.txt:{line_of(template, payload)}: refused by the template "
        f"sandbox ({why}); templates see only the variables listed in templates/README.md, "
        "not Python's internals"
    )
    assert problems_of(config) == [expected]
    code, out, err = cli("--config", str(config), "preview", "day-of", "winter", "2027")
    assert (code, out) == (1, "")
    assert expected in err
    assert "Traceback" not in err
    assert not (tmp_path / "pwned").exists()


# Each would take minutes and gigabytes if computed; the sandbox refuses it at once.
EXPLOSIVE = [
    pytest.param(
        "{{ 10**(10**10) }}", "10 ** 10000000000 makes a number of more than 16384 bits", id="pow"
    ),
    pytest.param(
        "{{ 'x' * 10**9 }}",
        "repeating str of length 1 1000000000 times makes more than 1000000 items",
        id="repeat",
    ),
    pytest.param(
        "{{ '%1000000000d' % 1 }}",
        "a width or precision of '1000000000' in a format; expected a number up to 10000",
        id="printf",
    ),
    pytest.param(
        "{{ '{:>1000000000}'.format(1) }}",
        "the format '>1000000000'; expected a width and precision up to 10000, written in the "
        "template",
        id="str-format",
    ),
    pytest.param(
        "{{ _('%(a)1000000000s', a=1) }}",  # filled by Jinja2's gettext, not the % operator
        "a width or precision of '1000000000' in a format; expected a number up to 10000",
        id="gettext",
    ),
    pytest.param(
        "{{ ngettext('%(num)1000000000d day', '%(num)d days', 1) }}",
        "a width or precision of '1000000000' in a format; expected a number up to 10000",
        id="ngettext",
    ),
    pytest.param(
        "{{ 'x' | center(10**9) }}",
        "a center width of 1000000000; expected up to 10000",
        id="center",
    ),
]


@pytest.mark.parametrize(("payload", "why"), EXPLOSIVE)
def test_a_template_that_would_compute_a_huge_value_is_refused_by_check_at_once(
    make: Callable[..., Path], tmp_path: Path, payload: str, why: str
) -> None:
    config = make(own_templates=True)
    template = tmp_path / "templates" / "notices" / "day-of.txt"
    edit(template, "{% block body %}\n", "{% block body %}\n" + payload + "\n")
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "reminders", "--config", str(config), "check"],
        capture_output=True,
        text=True,
        timeout=60,  # (without the bounds, the first would run for hours)
        cwd=tmp_path,
    )
    assert time.monotonic() - started < 20
    assert done.returncode == 1
    assert (
        f"templates/notices/day-of.txt:{line_of(template, payload)}: refused by the template "
        f"sandbox ({why}): a template may not compute values that large" in done.stderr
    )
    assert "Traceback" not in done.stderr


def test_values_of_ordinary_size_render_as_jinja_renders_them(tmp_path: Path) -> None:
    env = environment(str(tmp_path))
    source = (
        "{{ 2**10 }} {{ 'ab' * 3 }} {{ 3 * [0] }} {{ '%05.2f' % 3.14159 }} {{ 7 % 3 }} "
        "{{ '{:>4}|{:.2f}'.format('a', 2) }} {{ '%s-%s' | format(1, 2) }} "
        "{{ 'x' | center(5) }}|{{ 'a\nb' | indent(2) }}"
    )
    assert env.from_string(source).render() == (
        "1024 ababab [0, 0, 0] 03.14 1    a|2.00 1-2   x  |a\n  b"
    )


def test_code_compiled_outside_the_sandbox_is_never_loaded(tmp_path: Path) -> None:
    """Jinja2 keys its bytecode cache by template and source only, and code compiled by a plain
    environment (an older release, the same cache folder) calls functions without asking the
    sandbox: here a function marked as one that changes data."""
    folder, cache = tmp_path / "templates", tmp_path / "bytecode"
    folder.mkdir()
    cache.mkdir()
    (folder / "t.txt").write_text("{{ change() }}", "utf-8")
    calls: list[int] = []

    def change() -> str:
        calls.append(1)
        return "changed"

    change.alters_data = True  # type: ignore[attr-defined]
    plain = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folder),
        bytecode_cache=jinja2.FileSystemBytecodeCache(str(cache)),
    )
    assert plain.get_template("t.txt").render(change=change) == "changed"
    assert list(cache.iterdir())  # compiled and kept
    with pytest.raises(SecurityError, match="is not safely callable"):
        environment(str(folder), str(cache)).get_template("t.txt").render(change=change)
    assert calls == [1]


def test_a_rule_naming_an_unknown_observance_is_reported_on_its_config_key(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    rules = DAY_OF + 'observances = ["winter", "wintre"]\n'
    config = make(rules=rules)
    line = line_of(config, "observances =")
    assert problems_of(config) == [
        f"config.toml:{line}: notice[1].observances: got 'wintre'; "
        "expected an observance id (ended, summer, winter)"
    ]


def test_templates_of_a_rule_without_upcoming_notices_are_still_checked(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "ended" last occurred in 2003: no real notice to render, so the made-up sample is used.
    monkeypatch.chdir(tmp_path)
    config = make(rules=DAY_OF + 'observances = ["ended"]\n', own_templates=True)
    template = tmp_path / "templates" / "notices" / "day-of.txt"
    edit(template, "{% for moment in moments %}\n", "{% for moment in moments %}\n{{ moment.x }}\n")
    assert problems_of(config) == [
        f"templates/notices/day-of.txt:{line_of(template, 'moment.x')}: 'dict object' has no "
        "attribute 'x'; expected only the variables listed in templates/README.md"
    ]


def test_identical_problems_are_listed_once(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two rules share the layout; its error is one problem, not one per rule and sample.
    monkeypatch.chdir(tmp_path)
    second = DAY_OF.replace('"day-of"\nbefore = 0', '"week"\nbefore = 7')
    config = make(rules=DAY_OF + second, own_templates=True)
    edit(tmp_path / "templates" / "notices" / "layout.txt", "notice=rule.id", "notice=rule.di")
    assert len(problems_of(config)) == 1


# --- The ICS attachment ---------------------------------------------------------------------


def attachment(observance_id: str, year: int) -> bytes:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    notice = notice_for(loaded, "day-of", observance_id, year)
    return notice_ics(notice, loaded.settings)


def test_attachment_has_the_feeds_uids_and_events_and_parses_strictly() -> None:
    data = attachment("february-26", 2027)
    by_icalendar = events_by_icalendar(data)
    assert by_icalendar == events_by_ical(data)  # the strict parser agrees
    assert set(by_icalendar) == {
        "remembrance-february-26-2027@reminders.example.org",
        "remembrance-event-khojaly-roundtable-2027@reminders.example.org",
    }
    feed = events_by_icalendar((GOLDEN / "remembrance-2025-2031.ics").read_bytes())
    assert {uid: feed[uid] for uid in by_icalendar} == by_icalendar
    parsed = icalendar.Calendar.from_ical(data)
    assert str(parsed["METHOD"]) == "PUBLISH"
    assert [tz.tz_name for tz in parsed.timezones] == ["Asia/Karachi"]
    assert b"REFRESH-INTERVAL" not in data


def test_attachment_carries_the_moment_with_its_zone_and_is_deterministic() -> None:
    data = attachment("january-20", 2027)
    assert data == attachment("january-20", 2027)
    assert set(events_by_ical(data)) == {
        "remembrance-january-20-2027@reminders.example.org",
        "remembrance-january-20-2027-minute-of-silence@reminders.example.org",
    }
    assert b"DTSTART;TZID=Asia/Baku:20270120T120000\r\n" in data
    # The attachment's VCALENDAR has no UID of its own (DESIGN.md rule 6), only its events do.
    assert b"\r\nUID" not in data.split(b"\r\nBEGIN:", 1)[0]


def test_occurrence_ics_uses_the_given_feed_info() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    notice = notice_for(loaded, "plan-30", "november-10", 2027)
    info = FeedInfo("Name", "Description", "example.net", timedelta(days=1))
    parsed = icalendar.Calendar.from_ical(occurrence_ics(notice.occurrence, (), info))
    assert "UID" not in parsed  # no calendar-level UID (DESIGN.md rule 6)
    assert str(parsed["X-WR-CALNAME"]) == "Name"
    assert [str(e["UID"]) for e in parsed.walk("VEVENT")] == [
        "remembrance-november-10-2027@example.net"
    ]


def test_text_outside_the_blocks_of_a_child_template_is_reported(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Jinja drops it without a word: a line added at the end would never reach anyone.
    monkeypatch.chdir(tmp_path)
    config = make(own_templates=True)
    template = tmp_path / "templates" / "notices" / "day-of.txt"
    template.write_text(template.read_text("utf-8") + "\nPlease reply by {{ no_such_variable }}.\n")
    assert problems_of(config) == [
        f"templates/notices/day-of.txt:{line_of(template, 'Please reply')}: got 'Please reply "
        "by {{ no_such_variable }}.'; expected text only inside {% block %} tags: a template "
        "that extends a layout shows its blocks and nothing else"
    ]


def test_a_rule_whose_tags_no_observance_carries_is_reported(
    make: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A misspelt tag would select nothing, and the rule would quietly never send.
    monkeypatch.chdir(tmp_path)
    calendar = CALENDAR.replace(
        'description = "A winter observance."',
        ('description = "A winter observance."\ntags = ["national-mourning"]'),
    )
    config = make(calendar, rules=DAY_OF + 'tags = ["national-mourn"]\n')
    assert problems_of(config) == [
        f"config.toml:{line_of(config, 'tags =')}: notice[1].tags: got ['national-mourn']; "
        "expected a tag some observance has (national-mourning)"
    ]
