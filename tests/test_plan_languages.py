"""The plan in each of the organisation's languages (issue 17): every format's sentences from the
catalogs, golden files per language, holiday names from python-holidays in the language where it
has them and English where not (and said), LANGUAGE= on the ICS's text, the same UIDs in every
language, and every language rendering every format for any year."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.config.load import load
from reminders.core import words
from reminders.core.settings import Loaded
from reminders.plan import hostcal
from reminders.plan.output import PLAN_FORMATS, make_plan, plan_output
from reminders.plan.plan import holiday_note
from tests.regenerate_golden import (
    PLAN_LANGUAGES,
    every_output_language,
    languages_config,
    plan_language_cases,
    render,
)

from .conftest import GOLDEN, TODAY

LANGUAGES = ("en", *PLAN_LANGUAGES)
WEEKEND = ("Saturday", "Sunday")


@pytest.fixture(autouse=True)
def outputs() -> Iterator[None]:
    """The five languages open to the outputs, as they are once the catalogs are reviewed."""
    with every_output_language():
        yield


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return languages_config(tmp_path_factory.mktemp("languages"))


@pytest.fixture(scope="module")
def loaded(config: Path) -> Loaded:
    return load(str(config), TODAY)


def in_country(loaded: Loaded, country: str) -> Loaded:
    org = loaded.settings.organisation._replace(country=country)
    return loaded._replace(settings=loaded.settings._replace(organisation=org))


CASES = plan_language_cases(Path("CONFIG"))


@pytest.mark.parametrize(("name", "args"), CASES, ids=[name for name, _ in CASES])
def test_plan_in_each_language_matches_golden_file(
    name: str, args: tuple[str, ...], config: Path
) -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    args = tuple(str(config) if arg == "CONFIG" else arg for arg in args)
    assert render(args) == (GOLDEN / name).read_bytes()


def test_the_golden_plans_are_in_their_language() -> None:
    # The headings, as each catalog words them (unreviewed), and the dates in CLDR's forms.
    expected = {
        "az": ("Nümunə səfirlik, İslamabad: 2027 üçün tədbir planı", "Ev sahibi ölkə: PK"),
        "ru": (
            "Пример посольства, Исламабад: план мероприятий на 2027 год",
            "Страна пребывания: PK",
        ),
        "tr": ("Örnek Büyükelçilik, İslamabad: 2027 etkinlik planı", "Ev sahibi ülke: PK"),
        "ur": ("نمونہ سفارت خانہ، اسلام آباد: 2027 کا تقریبات کا منصوبہ", "میزبان ملک: PK"),
    }
    for language, (first, second) in expected.items():
        lines = (GOLDEN / "plan" / f"plan-2027-{language}.txt").read_text("utf-8").splitlines()
        assert lines[0] == first
        assert lines[1].startswith(second)
    html = (GOLDEN / "plan" / "plan-2027-ur.html").read_text("utf-8")
    assert '<html lang="ur" dir="rtl">' in html
    assert "<h1>تقریبات کا منصوبہ 2027</h1>" in html
    assert '<html lang="ru">' in (GOLDEN / "plan" / "plan-2027-ru.html").read_text("utf-8")


def test_the_same_plan_gives_the_same_bytes_in_another_process(config: Path) -> None:
    """Each language's plan, written by a new interpreter with other hash seeds (set and dict
    orders), is the bytes written here: the golden files come from one more process."""
    import subprocess
    import sys

    code = (
        "import sys; from reminders.cli import main; "
        f"sys.exit(main(['--config', {str(config)!r}, 'plan', '2027', '--format', sys.argv[1], "
        "'--language', sys.argv[2]]))"
    )
    for seed, language, fmt in (("1", "ur", "html"), ("2", "ru", "ics"), ("3", "az", "table")):
        env = {**os.environ, "PYTHONHASHSEED": seed, "REMINDERS_CACHE_DIR": "off"}
        done = subprocess.run(
            [sys.executable, "-c", code, fmt, language], capture_output=True, env=env, check=True
        )
        assert done.stdout == plan_output(load(str(config), TODAY), 2027, fmt, language)


def test_pakistan_in_urdu_has_python_holidays_urdu_names(private_cache: Path) -> None:
    host = hostcal.host_calendar("PK", WEEKEND, 2027, language="ur")
    assert host.names_language == "ur_PK"
    assert host.holiday_name(date(2027, 3, 23)) == "یوم پاکستان"
    assert host.holiday_name(date(2027, 8, 14)) == "یوم آزادی"
    # python-holidays' own estimate mark is read as the English one, so the plan marks it alike.
    assert hostcal.holiday_names(host.holiday_name(date(2027, 3, 10)) or "") == (
        ("عید الفطر", True),
    )
    # The structure stays English: the Eids are found in it.
    assert host.holiday(date(2027, 3, 23)) == "Pakistan Day"
    assert [e.name for e in host.eids if e.first.year == 2027] == [
        "Eid al-Fitr 1448",
        "Eid al-Adha 1448",
    ]


def test_azerbaijan_in_azerbaijani_has_azerbaijani_names(private_cache: Path) -> None:
    host = hostcal.host_calendar("AZ", WEEKEND, 2027, language="az")
    assert host.names_language == "az"
    assert host.holiday_name(date(2027, 3, 20)) == "Novruz bayramı"
    assert host.holiday_name(date(2027, 11, 8)) == "Zəfər Günü"
    # "(müşahidə olunur, təxmini)": observed, and an estimate.
    assert hostcal.holiday_names(host.holiday_name(date(2027, 5, 18)) or "") == (
        ("Qurban bayrami (müşahidə olunur)", True),
    )


def test_pakistan_in_russian_falls_back_to_english_and_says_so(
    loaded: Loaded, private_cache: Path
) -> None:
    host = hostcal.host_calendar("PK", WEEKEND, 2027, language="ru")
    assert host.names_language == ""
    assert host.holiday_name(date(2027, 3, 23)) == "Pakistan Day"
    plan = make_plan(loaded, 2027, "ru")
    note = "Названия праздников на английском: в python-holidays нет русских названий для PK."
    assert holiday_note(plan) == note
    assert note in plan_output(loaded, 2027, "table", "ru").decode("utf-8")
    assert note in plan_output(loaded, 2027, "html", "ru").decode("utf-8")
    assert "| Pakistan Day |" in plan_output(loaded, 2027, "md", "ru").decode("utf-8")
    # Where the names are in the plan's language, or it is English, nothing is said.
    assert holiday_note(make_plan(loaded, 2027, "ur")) == ""
    assert holiday_note(make_plan(loaded, 2027, "en")) == ""
    urdu = plan_output(loaded, 2027, "md", "ur").decode("utf-8")
    assert "| یوم پاکستان |" in urdu


def test_the_host_calendar_cache_is_kept_per_language(private_cache: Path) -> None:
    from reminders.plan import hostcache

    urdu = hostcache.host_calendar("PK", WEEKEND, 2027, language="ur")
    english = hostcache.host_calendar("PK", WEEKEND, 2027)
    assert urdu.names
    assert not english.names
    again = hostcache.host_calendar("PK", WEEKEND, 2027, language="ur")  # from the cache
    assert again == urdu == hostcal.host_calendar("PK", WEEKEND, 2027, language="ur")
    assert len(sorted(private_cache.glob("host-*.marshal"))) == 2  # one file per language


def test_the_ics_says_its_language_and_keeps_its_uids(loaded: Loaded) -> None:
    english = plan_output(loaded, 2027, "ics", "en").decode("utf-8")
    russian = plan_output(loaded, 2027, "ics", "ru").decode("utf-8")
    assert "LANGUAGE=" not in english
    uids = re.compile(r"^UID:(.*)$", re.M)
    assert uids.findall(russian) == uids.findall(english) != []
    # The plan's own sentences are Russian; a milestone's SUMMARY is its name and the title,
    # which the bundled config and calendar have in Russian: LANGUAGE=ru.
    assert russian.count("\r\nDESCRIPTION;LANGUAGE=ru:") == len(uids.findall(russian)) + 1
    unfolded = russian.replace("\r\n ", "")
    assert (
        "\r\nNAME;LANGUAGE=ru;VALUE=TEXT:Пример посольства\\, Исламабад: план на 2027" in unfolded
    )
    summary = "\r\nSUMMARY;LANGUAGE=ru:Забронировать зал: 37-я годовщина трагедии 20 Января"
    assert summary in unfolded


def test_the_language_must_be_one_of_the_organisation(config: Path) -> None:
    with pytest.raises(SystemExit, match="exited"):
        render(("--config", str(config), "plan", "2027", "--language", "fr"))


def test_a_language_not_configured_is_refused_with_what_is(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reminders.cli import main

    assert main(["--config", str(config), "plan", "2027", "--language", "de"]) != 0
    err = capsys.readouterr().err
    assert "--language 'de' is not one of the organisation's languages" in err
    assert "expected one of en, az, ru, tr, ur" in err


UNFILLED = re.compile(r"%\(\w+\)|\{\{|\{%|%s")


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    year=st.integers(hostcal.FIRST_YEAR, hostcal.LAST_YEAR),
    language=st.sampled_from(LANGUAGES),
    country=st.sampled_from(("PK", "AZ", "TR", "RU")),
)
def test_every_language_renders_every_format_for_any_year(
    year: int, language: str, country: str, loaded: Loaded
) -> None:
    for fmt in PLAN_FORMATS:
        text = plan_output(in_country(loaded, country), year, fmt, language).decode("utf-8")
        assert not UNFILLED.search(text), (fmt, UNFILLED.search(text))


def test_english_words_never_reach_a_translated_table(loaded: Loaded) -> None:
    # Every sentence the plan writes itself is in the catalogs: a Russian table holds no English
    # word of the program's (the bundled calendar's texts and milestone names aside).
    text = plan_output(loaded, 2027, "table", "ru").decode("utf-8")
    for english in ("conflict", "suggested event date", "milestones:", "Host country",
                    "weekend", "working day", "no conflicts", "next jubilee", " to "):  # fmt: skip
        assert english not in text, english
    assert {"ru"} <= words.OUTPUTS


def test_the_served_plan_page_is_rendered_in_the_language_asked(loaded: Loaded) -> None:
    # What /plan/YEAR serves (web/app.py's plan_page): the default language without one.
    from reminders.plan.output import public_plan_html

    urdu = public_plan_html(loaded, 2027, "ur").decode("utf-8")
    assert '<html lang="ur" dir="rtl">' in urdu
    assert "<h1>تقریبات کا منصوبہ 2027</h1>" in urdu
    assert '<html lang="en">' in public_plan_html(loaded, 2027).decode("utf-8")


def test_the_machine_interface_stays_english_and_the_prose_is_translated(loaded: Loaded) -> None:
    import json

    english = json.loads(plan_output(loaded, 2027, "json", "en"))
    russian = json.loads(plan_output(loaded, 2027, "json", "ru"))
    assert list(russian) == list(english)
    assert list(russian["entries"][0]) == list(english["entries"][0])
    first = russian["entries"][0]
    assert (first["weekday"], first["ordinal"]) == ("Wednesday", "37th")
    assert [c["kind"] for e in russian["entries"] for c in e["conflicts"]] == [
        c["kind"] for e in english["entries"] for c in e["conflicts"]
    ]
    assert russian["host"]["ramadan"][0]["name"] == "Рамадан 1448"
    assert russian["host"]["eids"][0]["name"] == "Ураза-байрам 1448"
    assert first["suggestion"] == "сам этот день, рабочий"
    csv_en = plan_output(loaded, 2027, "csv", "en").decode("utf-8").splitlines()
    csv_ru = plan_output(loaded, 2027, "csv", "ru").decode("utf-8").splitlines()
    assert csv_ru[0] == csv_en[0]  # the header: the columns' names
    assert csv_ru[1].startswith("observance,remembrance:january-20:2027,remembrance,")
