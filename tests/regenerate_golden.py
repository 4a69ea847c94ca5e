"""Rewrite the golden files in tests/golden/ from the current code.

Run it after a deliberate change to generated output, then review the diff (``git diff
tests/golden``) as you would review code: every changed byte should be one you meant.

    python tests/regenerate_golden.py
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN = HERE / "golden"

# (golden file name, arguments to `reminders`)
CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "remembrance-2025-2031.ics",
        ("--config", str(ROOT / "config.toml"), "export", "--from", "2025", "--to", "2031"),
    ),
    (
        "remembrance-only-2027.ics",
        (
            "--config", str(ROOT / "config.toml"), "export", "--from", "2027", "--to", "2027",
            "--calendar", "remembrance", "--no-examples",
        ),
    ),
    (
        "multilingual-2027.ics",
        (
            "--config", str(HERE / "fixtures" / "config-cases.toml"), "export",
            "--from", "2027", "--to", "2027", "--calendar", "multilingual",
        ),
    ),
    (
        "upcoming-2026-11-23.txt",
        ("--config", str(ROOT / "config.toml"), "upcoming", "--from", "2026-11-23"),
    ),
)  # fmt: skip


# The yearly plan of the bundled config in the text formats: (golden file name, arguments).
PLAN_CASES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (
        f"plan/plan-2027.{ext}",
        ("--config", str(ROOT / "config.toml"), "plan", "2027", "--format", fmt),
    )
    for fmt, ext in (("table", "txt"), ("md", "md"), ("csv", "csv"), ("json", "json"))
)


# The yearly plan of the bundled config as a page and as a calendar (plan/html.py, plan/ics.py).
PLAN_PAGE_CASES: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (
        f"plan/plan-2027.{fmt}",
        ("--config", str(ROOT / "config.toml"), "plan", "2027", "--format", fmt),
    )
    for fmt in ("html", "ics")
)


# The yearly plan of the bundled config in each of its other languages, in every format:
# plan/plan-2027-LANG.EXT (the English plan is plan-2027.EXT above).
PLAN_LANGUAGES = ("az", "ru", "tr", "ur")
PLAN_FORMAT_FILES = (("table", "txt"), ("md", "md"), ("csv", "csv"), ("json", "json"),
                     ("html", "html"), ("ics", "ics"))  # fmt: skip


def languages_config(folder: Path) -> Path:
    """The bundled config.toml with the five languages configured (English the default),
    written into ``folder`` (its calendars and templates are still the bundled ones)."""
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    text = re.sub(r"^languages = .*\n", "", text, count=1, flags=re.MULTILINE)
    text = text.replace(
        '\nlanguage = "en"\n',
        '\nlanguage = "en"\nlanguages = ["en", "az", "ru", "tr", "ur"]\n',
        1,
    )
    path = folder / "config-languages.toml"
    path.write_text(text, encoding="utf-8")
    return path


def plan_language_cases(config: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(golden file name, arguments) of the bundled plan of 2027 in each language and format."""
    return tuple(
        (
            f"plan/plan-2027-{language}.{ext}",
            ("--config", str(config), "plan", "2027", "--format", fmt, "--language", language),
        )
        for language in PLAN_LANGUAGES
        for fmt, ext in PLAN_FORMAT_FILES
    )


# The bundled feed of 2027 (every public calendar, the sample event included) in each of the
# five languages, as /all.ics and /LANG/all.ics serve it: feed/all-2027.LANG.ics
# (tests/test_feed_languages.py).
FEED_LANGUAGES = ("en", "az", "ru", "tr", "ur")


def feed_language_cases(config: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple(
        (
            f"feed/all-2027.{language}.ics",
            (
                "--config",
                str(config),
                "export",
                "--from",
                "2027",
                "--to",
                "2027",
                "--examples",
                "--language",
                language,
            ),
        )
        for language in FEED_LANGUAGES
    )


@contextlib.contextmanager
def every_output_language() -> Iterator[None]:
    """core/words.OUTPUTS with the five languages, while the catalogs' languages are not yet
    all opened to the outputs (a no-op once they are)."""
    from reminders.core import words

    before = words.OUTPUTS
    words.OUTPUTS = before | {"az", "ru", "tr", "ur"}
    try:
        yield
    finally:
        words.OUTPUTS = before


# (rule, observance, year): the bundled notices as sent, in tests/golden/notices/ as
# RULE-OBSERVANCE-YEAR.subject.txt, .txt and .html.
NOTICE_CASES: tuple[tuple[str, str, int], ...] = (
    ("day-of", "january-20", 2027),  # the minute of silence in Baku time and Karachi time
    ("plan-30", "february-26", 2027),  # with the sample event
    ("confirm-7", "september-27", 2027),
    ("press-1", "february-26", 2027),  # the draft press note lists the sample event too
    ("milestone:invitations", "february-26", 2027),  # a milestone's own notice, on its date
)


# Notices in each of the other bundled languages (the English ones are NOTICE_CASES):
# notices/RULE-OBSERVANCE-YEAR.LANG.subject.txt, .txt and .html (tests/test_notice_languages.py).
NOTICE_LANGUAGES = ("az", "ru", "tr", "ur")
NOTICE_LANGUAGE_CASES: tuple[tuple[str, str, int], ...] = (
    ("day-of", "january-20", 2027),  # timed moments in two zones
    ("plan-30", "february-26", 2027),  # the checklist, the plan and its milestones, an event
)


def notice_files(
    rule_id: str, observance_id: str, year: int, language: str = ""
) -> dict[str, bytes]:
    """The subject, text and HTML of a bundled notice at its fire time, by golden file name; in
    ``language`` (one of NOTICE_LANGUAGES, the bundled config with the five languages) or, by
    default, as the bundled config sends it."""
    from datetime import date

    from reminders.config.load import load
    from reminders.config.templates import environment
    from reminders.core.notices import find_notice, notice_in
    from reminders.notify.render import render_notice
    from reminders.plan.yearplans import YearPlans

    loaded = load(str(ROOT / "config.toml"), date(2026, 11, 23))
    settings = loaded.settings
    if language:
        org = settings.organisation._replace(languages=("en", *NOTICE_LANGUAGES))
        settings = settings._replace(organisation=org)
        loaded = loaded._replace(settings=settings)
    plans = YearPlans(loaded)  # the plan each notice carries, as the daemon gives it
    milestone = rule_id.removeprefix("milestone:") if rule_id.startswith("milestone:") else None
    rule = settings.rule(rule_id) if milestone is None else plans.notified_rule(milestone)
    assert rule is not None, rule_id
    notice = find_notice(loaded.calendars, rule, observance_id, year, settings.organisation)
    assert notice is not None, (observance_id, year)
    if milestone is not None:
        notice = plans.find_milestone_notice(notice.occurrence, milestone)
        assert notice is not None, (rule_id, observance_id, year)
    env = environment(settings.templates_dir)
    if language:
        shown = notice_in(notice, language, loaded.calendars)
        plan = plans.of(notice.occurrence, language)
        rendered = render_notice(env, shown, settings, notice.fire_at, False, plan, language)
    else:
        plan = plans.of(notice.occurrence)
        rendered = render_notice(env, notice, settings, notice.fire_at, False, plan)
    stem = f"notices/{rule_id.replace(':', '-')}-{observance_id}-{year}"
    if language:
        stem += f".{language}"
    return {
        f"{stem}.subject.txt": (rendered.subject + "\n").encode("utf-8"),
        f"{stem}.txt": rendered.text.encode("utf-8"),
        f"{stem}.html": rendered.html.encode("utf-8"),
    }


# The subscribe page of the bundled config on this date, in tests/golden/web/index-DATE.html.
WEB_DATES: tuple[str, ...] = ("2026-11-23",)
WEB_BUILT_AT = "2026-11-23T06:00:00+00:00"  # fixed, so Last-Modified and the bytes never move


def page_bytes(day: str) -> bytes:
    """The subscribe page (``GET /``) of the bundled config for the organisation's date ``day``."""
    from datetime import date, datetime

    from reminders.config.calendars import load_calendars
    from reminders.config.config_file import load_config
    from reminders.core.settings import Loaded
    from reminders.web.feeds import build_feeds
    from reminders.web.page import render_index

    today = date.fromisoformat(day)
    settings = load_config(ROOT / "config.toml")
    loaded = Loaded(settings, load_calendars(settings.calendars_dir, today))
    built_at = datetime.fromisoformat(WEB_BUILT_AT)
    feeds = build_feeds(loaded, today, {}, inputs_changed=0, built_at=built_at)
    return render_index(feeds, today).html


# The page of the bundled config with five languages configured, one golden file per language:
# tests/golden/web/index-DATE.LANG.html (tests/test_page_languages.py).
WEB_LANGUAGES = ("en", "az", "ru", "tr", "ur")


def language_pages(day: str) -> dict[str, bytes]:
    """The subscribe page (``GET /LANG/``) in each of WEB_LANGUAGES, by golden file name."""
    from datetime import date, datetime

    from reminders.config.calendars import load_calendars
    from reminders.config.config_file import load_config
    from reminders.core import words
    from reminders.core.settings import Loaded
    from reminders.web.feeds import build_feeds
    from reminders.web.page import render_index

    today = date.fromisoformat(day)
    settings = load_config(ROOT / "config.toml")
    org = settings.organisation._replace(languages=WEB_LANGUAGES)
    settings = settings._replace(organisation=org)
    loaded = Loaded(settings, load_calendars(settings.calendars_dir, today))
    built_at = datetime.fromisoformat(WEB_BUILT_AT)
    feeds = build_feeds(loaded, today, {}, inputs_changed=0, built_at=built_at)
    before = words.OUTPUTS
    words.OUTPUTS = frozenset(WEB_LANGUAGES)  # as the tests have it
    try:
        return {
            f"web/index-{day}.{language}.html": render_index(feeds, today, language=language).html
            for language in WEB_LANGUAGES
        }
    finally:
        words.OUTPUTS = before


def render(args: tuple[str, ...]) -> bytes:
    """Run ``reminders ARGS`` in-process and return what it wrote to standard output."""
    from reminders.cli import main

    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    with contextlib.redirect_stdout(text):
        code = main(list(args))
    text.flush()
    if code != 0:
        raise SystemExit(f"reminders {' '.join(args)} exited {code}")
    return buffer.getvalue()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    GOLDEN.mkdir(exist_ok=True)
    for name, args in CASES:
        (GOLDEN / name).write_bytes(render(args))
        print(f"wrote tests/golden/{name}")
    (GOLDEN / "plan").mkdir(exist_ok=True)
    for name, args in PLAN_CASES:
        (GOLDEN / name).write_bytes(render(args))
        print(f"wrote tests/golden/{name}")
    for name, args in PLAN_PAGE_CASES:
        (GOLDEN / name).write_bytes(render(args))
        print(f"wrote tests/golden/{name}")
    import tempfile

    with tempfile.TemporaryDirectory() as folder, every_output_language():
        for name, args in plan_language_cases(languages_config(Path(folder))):
            (GOLDEN / name).write_bytes(render(args))
            print(f"wrote tests/golden/{name}")
    (GOLDEN / "feed").mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as folder, every_output_language():
        for name, args in feed_language_cases(languages_config(Path(folder))):
            (GOLDEN / name).write_bytes(render(args))
            print(f"wrote tests/golden/{name}")
    (GOLDEN / "notices").mkdir(exist_ok=True)
    for case in NOTICE_CASES:
        for name, data in notice_files(*case).items():
            (GOLDEN / name).write_bytes(data)
            print(f"wrote tests/golden/{name}")
    for case in NOTICE_LANGUAGE_CASES:
        for language in NOTICE_LANGUAGES:
            for name, data in notice_files(*case, language).items():
                (GOLDEN / name).write_bytes(data)
                print(f"wrote tests/golden/{name}")
    (GOLDEN / "web").mkdir(exist_ok=True)
    for day in WEB_DATES:
        name = f"web/index-{day}.html"
        (GOLDEN / name).write_bytes(page_bytes(day))
        print(f"wrote tests/golden/{name}")
        for name, data in language_pages(day).items():
            (GOLDEN / name).write_bytes(data)
            print(f"wrote tests/golden/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
