"""Notices in the reader's language: each (notice, channel) delivery is written in the channel's
language, else its rule's, else the organisation's default (Organisation.language_for); the
subject, text, HTML (its lang and dir) and the attached ICS in it, the program's sentences from
the catalogs (reminders/locale/), the calendar's texts through translate.calendar_in, a text
with no translation marked with its own lang. One golden notice per language; every template in
every language with sample data; one rule with an Urdu and an English channel."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.config.load import load
from reminders.config.templates import environment
from reminders.core import words
from reminders.core.notices import Notice, notice_in
from reminders.core.settings import Loaded
from reminders.notify.ledger import SENT
from reminders.notify.render import for_channel, notice_ics, notice_language, render_notice
from reminders.notify.template_check import sample_notice, sample_plan
from tests.regenerate_golden import (
    NOTICE_LANGUAGE_CASES,
    NOTICE_LANGUAGES,
    languages_config,
    notice_files,
)

from .clock_harness import Clock, Records, Start, captured, run
from .conftest import GOLDEN, ROOT, english_config_text
from .daemon_harness import Project, Rule

LANGUAGES = ("en", *NOTICE_LANGUAGES)
TEMPLATES = ("planning", "confirm", "press", "day-of", "milestone")
LOCALE = ROOT / "reminders" / "locale"


# --- Golden files: one notice in each language ----------------------------------------------


@pytest.mark.parametrize("language", NOTICE_LANGUAGES)
@pytest.mark.parametrize(
    "case", NOTICE_LANGUAGE_CASES, ids=["-".join(map(str, c)) for c in NOTICE_LANGUAGE_CASES]
)
def test_a_notice_in_each_language_equals_its_golden_files(
    case: tuple[str, str, int], language: str
) -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    for name, data in notice_files(*case, language).items():
        assert data == (GOLDEN / name).read_bytes(), name


def test_the_golden_notices_are_in_their_language_from_end_to_end() -> None:
    """What the golden files hold, said once in words: Russian's counted words by its plural
    categories, Urdu right to left, the calendar's untranslated texts marked as English."""
    ru = notice_files("plan-30", "february-26", 2027, "ru")
    text = ru["notices/plan-30-february-26-2027.ru.txt"].decode()
    assert (
        ru["notices/plan-30-february-26-2027.ru.subject.txt"]
        .decode()
        .startswith("Начните подготовку: ")
    )
    text = " ".join(text.split())  # the lines as wrapped, joined
    assert "через 30 дней" in text  # many: 30 дней
    assert "за 2 рабочих дня до дня мероприятия" in text  # few: 2 рабочих дня
    assert "через 1 рабочий день начиная с сегодняшнего дня" in text  # one: 1 рабочий день
    assert "Контрольный список для начала:" in text
    assert "working day" not in text
    ur = notice_files("day-of", "january-20", 2027, "ur")
    html = ur["notices/day-of-january-20-2027.ur.html"].decode()
    assert html.startswith('<!DOCTYPE html>\n<html lang="ur" dir="rtl">\n')
    assert '<div lang="ur" dir="rtl" ' in html
    # Lists indented from the right, the milestones' cells spaced on their left.
    assert "padding:0 20px 0 0;" in html
    assert "padding:0 0 0 20px;" not in html
    assert "padding:2px 0 2px 12px;" in html
    assert "دن کے مقررہ اوقات" in html  # "Timed moments of the day"
    # The bundled calendar has its Urdu title: in the page's language, so not marked.
    assert '<h1 dir="auto" style=' in html
    assert "<title>سانحۂ 20 جنوری کی 37ویں برسی</title>" in html
    assert ' lang="en"' not in html
    # In English nothing needs marking: only the page's own two lang attributes.
    en = notice_files("day-of", "january-20", 2027)
    assert en["notices/day-of-january-20-2027.html"].decode().count(' lang="') == 2


# --- Every template in every language, with sample data -----------------------------------

LOADED = load(str(ROOT / "config.toml"), date(2026, 11, 23))
FIVE = LOADED.settings._replace(
    organisation=LOADED.settings.organisation._replace(languages=LANGUAGES)
)
ENV = environment(FIVE.templates_dir)
PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\{|\}\}|\{%|%\}|\{ordinal\}")
TAGS = re.compile(r"<[^>]+>|&\w+;|%\(\w+\)s")


def _fragments(text: str) -> list[str]:
    """The English words of a msgid between its placeholders and markup, where long enough to
    be a sentence of its own (a short word such as "Date" may be a calendar's too)."""
    return [f.strip() for f in TAGS.split(text) if len(f.strip()) >= 16 and " " in f.strip()]


def _english_left() -> dict[str, list[str]]:
    """Per language: every English fragment of a notice sentence its catalog translates to
    other words."""
    out: dict[str, list[str]] = {}
    for language in NOTICE_LANGUAGES:
        with (LOCALE / language / "LC_MESSAGES" / "reminders.po").open("rb") as handle:
            catalog = read_po(handle)
        found = []
        for message in catalog:
            if not message.id or not any(
                "notices/" in where or "notify/" in where for where, _ in message.locations
            ):
                continue
            ids = message.id if isinstance(message.id, tuple) else (message.id,)
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            for english in ids:
                found += [f for f in _fragments(english) if not any(f in s for s in strings)]
        out[language] = found
    return out


ENGLISH_LEFT = _english_left()


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    language=st.sampled_from(LANGUAGES),
    template=st.sampled_from(TEMPLATES),
    late=st.booleans(),
    days=st.integers(min_value=-3, max_value=400),
    with_events=st.booleans(),
)
def test_every_template_renders_in_every_language_with_sample_data(
    language: str, template: str, late: bool, days: int, with_events: bool
) -> None:
    base = FIVE.rule("plan-30")
    assert base is not None
    rule = base._replace(template=template, language=language)
    if template == "milestone":  # a milestone's notice: its rule is named after the milestone
        rule = rule._replace(id="milestone:invitations")
    notice = sample_notice(rule, FIVE, date(2027, 3, 1))
    if not with_events:
        notice = notice._replace(events=())
    now = notice.fire_at + timedelta(days=min(days, 60))
    written = notice_language(FIVE, notice)
    assert written == language
    rendered = render_notice(
        ENV, notice, FIVE, now, late, sample_plan(notice, FIVE, written), written
    )
    assert rendered.language == language
    for part in (rendered.subject, rendered.text, rendered.html):
        assert part.strip()
        assert not PLACEHOLDER.search(part), PLACEHOLDER.search(part)
        if language != "en":
            left = [f for f in ENGLISH_LEFT[language] if f in part]
            assert not left, left
    assert f'<html lang="{language}"' in rendered.html
    # The sample calendar has no translations: its texts are English, and marked so in
    # another language's HTML (never passed off as that language).
    marked = '<h1 dir="auto" lang="en" ' in rendered.html
    assert marked == (language != "en")
    assert ('dir="rtl"' in rendered.html) == (language == "ur")


def test_the_english_left_check_can_see_english() -> None:
    """The property above would find an untranslated sentence: it knows the checklist's."""
    assert any("book a hall suited to a remembrance event" in f for f in ENGLISH_LEFT["ru"])


# --- A notice's language: channel, rule, default --------------------------------------------


def _five(loaded: Loaded) -> Loaded:
    org = loaded.settings.organisation._replace(languages=LANGUAGES)
    return loaded._replace(settings=loaded.settings._replace(organisation=org))


def test_the_channels_language_wins_then_the_rules_then_the_default() -> None:
    settings_ = FIVE
    rule = settings_.rule("day-of")
    assert rule is not None
    notice = sample_notice(rule, settings_, date(2027, 3, 1))
    outbox = settings_.channel("outbox")
    assert outbox is not None
    with_ur = settings_._replace(channels=(outbox._replace(language="ur"),))
    assert notice_language(settings_, notice, "outbox") == "en"
    assert notice_language(with_ur, notice, "outbox") == "ur"
    az_rule = notice._replace(rule=rule._replace(language="az"))
    assert notice_language(settings_, az_rule, "outbox") == "az"
    assert notice_language(with_ur, az_rule, "outbox") == "ur"
    # A language with no catalog is written in English, never half and half.
    in_french = settings_._replace(channels=(outbox._replace(language="fr"),))
    assert notice_language(in_french, notice, "outbox") == "en"


def test_the_attached_ics_is_in_the_notices_language() -> None:
    loaded = _five(LOADED)
    rule = loaded.settings.rule("day-of")
    assert rule is not None
    from reminders.core.notices import find_notice

    notice = find_notice(loaded.calendars, rule, "january-20", 2027, loaded.settings.organisation)
    assert notice is not None
    english = notice_ics(notice, loaded.settings).decode()
    shown, language = for_channel(notice, loaded.settings, "outbox", loaded.calendars)
    assert language == "en"
    shown = notice_in(notice, "ru", loaded.calendars)
    russian = notice_ics(shown, loaded.settings, "ru").decode()
    # The same event (UIDs are the feed's), its own words in Russian.
    uids = re.compile(r"^UID:.*$", re.M)
    assert uids.findall(english) == uids.findall(russian)
    assert english != russian


# --- One rule, two channels, two languages ---------------------------------------------------

DAY = datetime(2027, 1, 20, 4, 0, tzinfo=UTC)


@pytest.fixture
def records() -> Any:
    with captured() as handler:
        yield handler


def test_one_rule_with_an_urdu_and_an_english_channel_sends_two_deliveries(
    tmp_path: Path, records: Records
) -> None:
    project = Project(tmp_path)
    rule = Rule("day-of", DAY, channels=("outbox", "outbox-ur"))
    project.write(
        [rule],
        extra='\n[[channel]]\nid = "outbox-ur"\ntype = "file"\nfolder = "outbox"\n'
        'format = "eml"\nlanguage = "ur"\n',
    )
    text = project.config.read_text("utf-8")
    text = text.replace(
        'uid_domain = "test.example.org"\n',
        'uid_domain = "test.example.org"\nlanguages = ["en", "ur"]\n',
        1,
    )
    # Both channels write e-mails (their Content-Language) into the same folder.
    text = text.replace('folder = "outbox"\n', 'folder = "outbox"\nformat = "eml"\n', 1)
    project.config.write_text(text, "utf-8")
    ledger = project.ledger()
    clock = Clock(DAY - timedelta(seconds=2))

    async def scenario(start: Start) -> None:
        running = await start()
        await running.run_until(DAY + timedelta(seconds=3))
        await running.stop()

    run(project, clock, scenario)
    sent = {p.name: p.read_text("utf-8") for p in project.outbox_files() if p.suffix == ".eml"}
    assert len(sent) == 2, sorted(p.name for p in project.outbox_files())
    (urdu,) = [body for name, body in sent.items() if "outbox-ur" in name]
    (english,) = [body for name, body in sent.items() if "outbox-ur" not in name]
    assert "Content-Language: ur" in urdu
    assert "Content-Language: en" in english
    assert "منصوبہ بندی شروع کریں" in _decoded(urdu)  # "Start planning" (template planning)
    assert "Start planning" in _decoded(english)
    for channel in ("outbox", "outbox-ur"):
        row = ledger.get(rule.notice_id, channel)
        assert row is not None
        assert row.state == SENT
    ledger.close()


def _decoded(eml: str) -> str:
    """The subject and bodies of an e-mail as text (its parts may be base64 or QP)."""
    from email import message_from_string, policy

    message = message_from_string(eml, policy=policy.default)
    out = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            out.append(part.get_content())
    return "\n".join(out)


# --- preview --language ----------------------------------------------------------------------


def test_preview_writes_the_notice_in_the_language_asked_for(cli: Any, tmp_path: Path) -> None:
    config = str(languages_config(tmp_path))
    code, out, err = cli(
        "--config", config, "preview", "plan-30", "february-26", "2027", "--language", "ur"
    )
    assert code == 0, err
    files = notice_files("plan-30", "february-26", 2027, "ur")
    subject = files["notices/plan-30-february-26-2027.ur.subject.txt"].decode()
    body = files["notices/plan-30-february-26-2027.ur.txt"].decode()
    assert out == f"Subject: {subject.rstrip()}\n\n{body}"
    code, out, err = cli(
        "--config", config, "preview", "plan-30", "february-26", "2027", "--language", "ur",
        "--format", "html",
    )  # fmt: skip
    assert code == 0, err
    assert out == files["notices/plan-30-february-26-2027.ur.html"].decode()
    # Without --language: the language its channel receives (the default here: English).
    code, out, _ = cli("--config", config, "preview", "plan-30", "february-26", "2027")
    assert out.startswith("Subject: Start planning: ")


def test_preview_refuses_a_language_the_organisation_does_not_write(
    cli: Any, tmp_path: Path
) -> None:
    config = str(languages_config(tmp_path))
    code, _, err = cli(
        "--config", config, "preview", "plan-30", "february-26", "2027", "--language", "fr"
    )
    assert code != 0
    assert (
        "--language 'fr': not one of the organisation's languages; expected one of: "
        "en, az, ru, tr, ur (organisation.languages in the config)"
    ) in err
    assert "Traceback" not in err
    assert words.output_language("fr") == "en"


def test_the_notice_in_two_languages_in_docs_languages_md_is_real_output(
    cli: Any, tmp_path: Path
) -> None:
    """docs/languages.md shows the first lines of one notice in English and in Urdu, as
    ``preview --language`` prints them: each block is the start of that output."""
    text = (ROOT / "docs" / "languages.md").read_text("utf-8")
    section = text.split("## One notice in two languages", 1)[1]
    blocks = re.findall(r"```\n(.*?)```", section, re.S)
    assert len(blocks) == 2
    config = tmp_path / "config.toml"
    own = english_config_text()
    config.write_text(
        own.replace('language = "en"\n', 'language = "en"\nlanguages = ["en", "ur"]\n', 1), "utf-8"
    )
    for block, language in zip(blocks, ("en", "ur"), strict=True):
        code, out, err = cli(
            "--config", str(config), "preview", "confirm-7", "september-27", "2027",
            "--language", language,
        )  # fmt: skip
        assert code == 0, err
        assert out.startswith(block), language


def test_check_renders_a_rule_in_each_language_its_channels_receive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A translation that breaks a template (a placeholder the English does not have) is found
    by check in the language of the channel that receives it, not at 09:00 on the day."""
    from babel.messages.mofile import write_mo

    from reminders.core import i18n
    from reminders.notify.template_check import check_templates

    with (LOCALE / "ur" / "LC_MESSAGES" / "reminders.po").open("rb") as handle:
        catalog = read_po(handle)
    catalog["A checklist to start from:"].string = "%(nowhere)s"
    folder = tmp_path / "locale" / "ur" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "reminders.mo").open("wb") as handle:
        write_mo(handle, catalog)
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(tmp_path / "locale"))
    monkeypatch.setattr(i18n, "_catalogs", {})
    outbox = FIVE.channel("outbox")
    assert outbox is not None
    in_english = FIVE._replace(channels=(outbox,))
    assert check_templates(in_english, LOADED.calendars, date(2026, 11, 23)) == []
    in_urdu = FIVE._replace(channels=(outbox._replace(language="ur"),))
    found = [str(p) for p in check_templates(in_urdu, LOADED.calendars, date(2026, 11, 23))]
    assert found, "the broken Urdu sentence was not found"
    assert all("KeyError" in line and "planning" in line for line in found), found


def test_channel_test_writes_in_the_channels_language(cli: Any, tmp_path: Path) -> None:
    """``reminders channel test`` renders the sample notice as the daemon would for that
    channel: in its language (the banner, the operator's, stays English)."""
    folder = tmp_path / "project"
    folder.mkdir()
    config = folder / "config.toml"
    text = english_config_text()
    text = text.replace('language = "en"\n', 'language = "en"\nlanguages = ["en", "ur"]\n', 1)
    text = text.replace('folder = "var/outbox"\n', 'folder = "var/outbox"\nlanguage = "ur"\n', 1)
    config.write_text(text, "utf-8")
    code, _, err = cli("--config", str(config), "channel", "test", "outbox")
    assert (code, err) == (0, "")
    (written,) = (folder / "var" / "outbox").iterdir()
    sent = written.read_text("utf-8")
    # "Start planning" in Urdu; the sample calendar's title is English (no translation), its
    # ordinal written in the title's own language.
    assert sent.startswith("Subject: [TEST] منصوبہ بندی شروع کریں: 25th anniversary of a sample ")
    assert sent.split("\n", 1)[0].endswith(" دنوں میں)")  # "in N days", in Urdu
    assert "\n\nTEST NOTICE, sent with 'reminders channel test outbox'" in sent
    assert "آغاز کے لیے ایک فہرست:" in sent  # "A checklist to start from:"


def _plan_30_notice(loaded: Loaded) -> Notice:
    """The notice of rule plan-30 for February 26, 2027."""
    from reminders.core.notices import find_notice

    rule = loaded.settings.rule("plan-30")
    assert rule is not None
    notice = find_notice(loaded.calendars, rule, "february-26", 2027, loaded.settings.organisation)
    assert notice is not None
    return notice


def _reload_problems(
    loaded: Loaded, notice: Notice, templates_dir: str | None = None
) -> Callable[[str], list[str]]:
    """What reload.notice_problems finds in ``notice`` when the outbox channel, the only one,
    receives a given language (templates from ``templates_dir``, else the config's)."""
    from reminders.notify.reload import notice_problems
    from reminders.notify.runtime import Runtime
    from reminders.plan.yearplans import YearPlans

    outbox = loaded.settings.channel("outbox")
    assert outbox is not None
    folder = loaded.settings.templates_dir if templates_dir is None else templates_dir

    def problems(language: str) -> list[str]:
        settings_ = loaded.settings._replace(
            templates_dir=folder, channels=(outbox._replace(language=language),)
        )
        version = loaded._replace(settings=settings_)
        env = environment(folder)
        runtime = Runtime(settings_, loaded.calendars, env, {}, (), YearPlans(version))
        return [str(p) for p in notice_problems(runtime, [notice])]

    return problems


def test_a_reload_renders_the_soonest_notices_in_each_language_of_their_channels(
    tmp_path: Path,
) -> None:
    """reload.notice_problems renders a notice in each language its channels receive: a
    template that fails only right to left is found, and the problem names the language."""
    import shutil

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    subject = templates / "notices" / "planning.subject.txt"
    subject.write_text(
        '{{ 1 // (organisation.direction == "ltr") }}' + subject.read_text("utf-8"), "utf-8"
    )
    loaded = _five(LOADED)
    notice = _plan_30_notice(loaded)
    problems = _reload_problems(loaded, notice, str(templates))

    assert problems("az") == []
    (found,) = problems("ur")
    assert "planning.subject.txt:1: rendering failed: ZeroDivisionError" in found
    assert found.endswith(f"(notice {notice.id}, in ur)")


def test_a_reload_builds_the_attachment_in_each_language_of_the_channels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """reload.notice_problems builds a notice's ICS attachment as delivery does, in each
    language its channels receive: one failing only in Urdu is found, naming the language."""
    from reminders.notify import render

    real = render.notice_ics

    def attachment(notice: Any, settings: Any, language: str | None = None) -> bytes:
        if language == "ur":
            raise ValueError("a value the ICS library refuses")
        return real(notice, settings, language)

    monkeypatch.setattr(render, "notice_ics", attachment)
    loaded = _five(LOADED)
    notice = _plan_30_notice(loaded)
    problems = _reload_problems(loaded, notice)

    assert problems("az") == []
    (found,) = problems("ur")
    assert "observance 'february-26'" in found
    assert f"for notice {notice.id}, in ur (ValueError: a value the ICS library refuses)" in found
