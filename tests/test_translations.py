"""A calendar's own texts in other languages: the file's ``translations`` tables, their
validation, and ``translate.calendar_in`` / ``text_language``, the seam every output uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from reminders.config.calendars import load_calendars
from reminders.core import translate
from reminders.core.errors import CalendarError
from reminders.core.model import Calendar, Translation
from reminders.core.occurrences import occurrences, title_for
from tests.conftest import TODAY

NOW = datetime(2026, 11, 23, 6, tzinfo=UTC)

LANGUAGE_EXPECTED = "a BCP 47 language tag that CLDR knows, such as 'en', 'az', 'ru' or 'ur-PK'"

SOURCE = """\
[calendar]
id = "sample"
name = "Sample days"
description = "Days to remember."
timezone = "Asia/Baku"
revised = 2026-11-23T00:00:00Z

[calendar.translations.az]
name = "Nümunə günlər"
translator = "test translator"
reviewed = true

[[observance]]
id = "january-20"
title = "{ordinal} anniversary of the January 20 Tragedy"
date = "01-20"
since = 1990
description = "The night of 19 to 20 January 1990."

[observance.translations.az]
title = "20 Yanvar faciəsinin {ordinal} ildönümü"
description = "1990-cı il 19-dan 20 yanvara keçən gecə."
translator = "test translator"

[observance.translations.ru]
title = "{number}-я годовщина трагедии 20 Января"
translator = "test translator"
reviewed = false

[[observance.fact]]
text = "Around 150 civilians were killed."
source = "APA news agency, 20 January 2024"

[observance.fact.translations.az]
text = "Təxminən 150 dinc sakin həlak oldu."
translator = "test translator"

[[observance.fact]]
text = "Flags are lowered."
source = "APA news agency, 20 January 2024"

[[observance.moment]]
id = "minute-of-silence"
name = "Minute of silence"
time = "12:00"
duration = "PT1M"

[observance.moment.translations.az]
name = "Bir dəqiqəlik sükut"
translator = "test translator"

[[event]]
id = "roundtable"
title = "Roundtable"
observance = "january-20"
start = 2027-01-20T15:00:00
duration = "PT2H"
venue = "Main Hall"

[event.translations.az]
title = "Dəyirmi masa"
venue = "Əsas zal"
translator = "test translator"
reviewed = true
"""


def load(tmp_path: Path, source: str) -> tuple[Calendar, ...]:
    folder = tmp_path / "calendars"
    folder.mkdir(exist_ok=True)
    (folder / "sample.toml").write_text(source, encoding="utf-8")
    return load_calendars(folder, TODAY)


def problems(tmp_path: Path, source: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CalendarError) as caught:
        load(tmp_path, source)
    return [str(p) for p in caught.value.problems]


def test_the_file_records_each_translation_with_its_translator_and_review(
    tmp_path: Path,
) -> None:
    (calendar,) = load(tmp_path, SOURCE)
    assert calendar.language == "en"
    assert calendar.shown == ""
    assert calendar.translations == (
        Translation("az", (("name", "Nümunə günlər"),), "test translator", True),
    )
    (observance,) = calendar.observances
    assert observance.translations == (
        Translation(
            "az",
            (
                ("title", "20 Yanvar faciəsinin {ordinal} ildönümü"),
                ("description", "1990-cı il 19-dan 20 yanvara keçən gecə."),
            ),
            "test translator",
            False,
        ),
        Translation(
            "ru",
            (("title", "{number}-я годовщина трагедии 20 Января"),),
            "test translator",
            False,
        ),
    )
    assert observance.facts[0].translations[0].texts == (
        ("text", "Təxminən 150 dinc sakin həlak oldu."),
    )
    assert observance.facts[1].translations == ()
    assert observance.moments[0].translations[0].texts == (("name", "Bir dəqiqəlik sükut"),)
    assert calendar.events[0].translations[0].reviewed is True


def test_calendar_in_puts_every_translated_text_in_the_language_and_keeps_the_rest(
    tmp_path: Path,
) -> None:
    (calendar,) = load(tmp_path, SOURCE)
    shown = translate.calendar_in(calendar, "az")
    assert shown.shown == "az"
    assert (shown.name, shown.description) == ("Nümunə günlər", "Days to remember.")
    (observance,) = shown.observances
    assert observance.title == "20 Yanvar faciəsinin {ordinal} ildönümü"
    assert observance.facts[0].text == "Təxminən 150 dinc sakin həlak oldu."
    assert observance.facts[0].source == "APA news agency, 20 January 2024"  # cited as it is
    assert observance.facts[1].text == "Flags are lowered."
    assert observance.facts[1] is calendar.observances[0].facts[1]
    assert observance.moments[0].name == "Bir dəqiqəlik sükut"
    assert (shown.events[0].title, shown.events[0].venue) == ("Dəyirmi masa", "Əsas zal")
    # ids, dates and rules are the calendar's own: the same UIDs in every language
    assert [o.id for o in shown.observances] == ["january-20"]
    assert observance.rule == calendar.observances[0].rule
    # which language each text is actually written in
    lang = translate.text_language
    assert lang(shown, shown, "name") == "az"
    assert lang(shown, shown, "description") == "en"
    assert lang(shown, observance, "title") == "az"
    assert lang(shown, observance.facts[0], "text") == "az"
    assert lang(shown, observance.facts[0], "source") == "en"
    assert lang(shown, observance.facts[1], "text") == "en"
    assert lang(shown, observance.moments[0], "description") == "en"
    assert lang(shown, shown.events[0], "venue") == "az"
    assert lang(calendar, calendar.observances[0], "title") == "en"


def test_calendar_in_is_cached_and_the_own_language_is_the_calendar_itself(
    tmp_path: Path,
) -> None:
    (calendar,) = load(tmp_path, SOURCE)
    assert translate.calendar_in(calendar, "en") is calendar
    assert translate.calendar_in(calendar, "en-GB") is calendar
    assert translate.calendar_in(calendar, "az") is translate.calendar_in(calendar, "az")
    assert translate.calendar_in(calendar, "tr") is calendar  # nothing written in Turkish
    shown = translate.calendar_in(calendar, "az")
    assert translate.calendar_in(shown, "az") is shown
    with pytest.raises(ValueError, match="already in az"):
        translate.calendar_in(shown, "ru")


def test_a_regional_tag_reads_its_language_s_translation(tmp_path: Path) -> None:
    (calendar,) = load(tmp_path, SOURCE)
    shown = translate.calendar_in(calendar, "az-AZ")
    assert shown.observances[0].title.startswith("20 Yanvar")
    assert translate.text_language(shown, shown.observances[0], "title") == "az"


def test_the_title_s_ordinal_is_written_in_the_title_s_language(tmp_path: Path) -> None:
    (calendar,) = load(tmp_path, SOURCE)
    window = (date(2027, 1, 1), date(2028, 1, 1))
    titles = {
        language: [
            o.title for o in occurrences([translate.calendar_in(calendar, language)], *window)
        ]
        for language in ("en", "az", "ru")
    }
    assert titles == {
        "en": ["37th anniversary of the January 20 Tragedy", "Roundtable"],
        "az": ["20 Yanvar faciəsinin 37-ci ildönümü", "Dəyirmi masa"],
        "ru": ["37-я годовщина трагедии 20 Января", "Roundtable"],
    }
    az = translate.calendar_in(calendar, "az")
    assert title_for(az.observances[0], 2030, az) == "20 Yanvar faciəsinin 40-cı ildönümü"
    assert title_for(az.observances[0], 2030) == "20 Yanvar faciəsinin 40th ildönümü"


def test_missing_lists_untranslated_and_unreviewed_texts(tmp_path: Path) -> None:
    (calendar,) = load(tmp_path, SOURCE)
    found = [(m.text.path, m.translation is not None) for m in translate.missing(calendar, "az")]
    assert found == [
        (("calendar", "description"), False),
        (("observance", 0, "title"), True),
        (("observance", 0, "description"), True),
        (("observance", 0, "fact", 0, "text"), True),
        (("observance", 0, "fact", 1, "text"), False),
        (("observance", 0, "moment", 0, "name"), True),
    ]
    assert translate.missing(calendar, "en") == []
    assert len(translate.missing(calendar, "tr")) == len(list(translate.texts(calendar))) == 9


def test_a_file_written_in_another_language_says_so(tmp_path: Path) -> None:
    source = SOURCE.replace(
        'timezone = "Asia/Baku"\n', 'timezone = "Asia/Baku"\nlanguage = "ru"\n', 1
    )
    source = source.replace("[observance.translations.ru]", "[observance.translations.en]")
    source = source.replace("{number}-я годовщина трагедии 20 Января", "{number} years on")
    (calendar,) = load(tmp_path, source)
    assert calendar.language == "ru"
    assert translate.calendar_in(calendar, "ru") is calendar
    english = translate.calendar_in(calendar, "en")
    assert english.observances[0].title == "{number} years on"
    assert translate.text_language(english, english.events[0], "title") == "ru"


def bad(replace: str, by: str) -> str:
    assert replace in SOURCE
    return SOURCE.replace(replace, by, 1)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            bad("[observance.translations.ru]", "[observance.translations.french]"),
            "calendars/sample.toml:25: observance 'january-20'.translations.french: got 'french'; "
            f"expected {LANGUAGE_EXPECTED}, naming a table of translated texts",
        ),
        (
            bad("[observance.translations.ru]", "[observance.translations.en-GB]"),
            "calendars/sample.toml:25: observance 'january-20'.translations.en-GB: got 'en-GB'; "
            "expected a language other than the calendar's own (en)",
        ),
        (
            bad("reviewed = false\n", 'reviewed = "no"\n'),
            "calendars/sample.toml:28: observance 'january-20'.translations.ru.reviewed: got 'no'; "
            "expected true or false",
        ),
        (
            bad('title = "{number}-я', 'titel = "{number}-я'),
            "calendars/sample.toml:26: observance 'january-20'.translations.ru.titel: "
            "unknown key; expected a known key (title, description, translator, reviewed)",
        ),
        (
            bad("{number}-я годовщина", "{number}-я годовщина {year}"),
            "calendars/sample.toml:26: observance 'january-20'.translations.ru.title: "
            "got '{number}-я годовщина {year} трагедии 20 Января'; expected a title with the "
            "placeholders of the original ({ordinal}; {ordinal} and {number} may stand for "
            "each other)",
        ),
        (
            bad("{number}-я годовщина", "Годовщина"),
            "calendars/sample.toml:26: observance 'january-20'.translations.ru.title: "
            "got 'Годовщина трагедии 20 Января'; expected a title with the "
            "placeholders of the original ({ordinal}; {ordinal} and {number} may stand for "
            "each other)",
        ),
        (
            bad("{number}-я годовщина", "{count}-я годовщина"),
            "calendars/sample.toml:26: observance 'january-20'.translations.ru.title: "
            "got '{count}-я годовщина трагедии 20 Января'; expected a title whose only "
            "placeholders are {ordinal}, {number}, {year}, {since}",
        ),
        (
            bad(
                'venue = "Əsas zal"\ntranslator = "test translator"\n',
                'venue = "Əsas zal"\n',
            ),
            "calendars/sample.toml:60: event 'roundtable'.translations.az.translator: "
            "missing; expected who translated it, such as 'A. Aliyev' or 'draft, not reviewed'",
        ),
        (
            bad('text = "Təxminən 150 dinc sakin həlak oldu."\n', ""),
            "calendars/sample.toml:34: observance 'january-20'.fact[1].translations.az: "
            "missing; expected at least one of text",
        ),
        (
            bad('name = "Bir dəqiqəlik sükut"', 'name = "Bir\\ndəqiqə"'),
            "calendars/sample.toml:49: observance 'january-20'.moment[1].translations.az.name: "
            "got 'Bir\\ndəqiqə'; expected one line of text, without line breaks, tabs or other "
            "control characters (this has U+000A, a line break, at character 4)",
        ),
    ],
)
def test_a_bad_translation_names_file_line_key_value_and_expectation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, expected: str
) -> None:
    assert problems(tmp_path, source, monkeypatch) == [expected]


def test_the_calendar_language_must_be_a_language_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = SOURCE.replace(
        'timezone = "Asia/Baku"\n', 'timezone = "Asia/Baku"\nlanguage = "english"\n', 1
    )
    assert problems(tmp_path, source, monkeypatch) == [
        f"calendars/sample.toml:6: calendar.language: got 'english'; expected {LANGUAGE_EXPECTED}"
    ]


def test_check_lists_every_untranslated_and_unreviewed_text_per_configured_language(
    project: Callable[..., Path],
    cli: Callable[..., tuple[int, str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = project({"sample.toml": SOURCE})
    text = config.read_text("utf-8").replace(
        'uid_domain = "test.example.org"\n',
        'uid_domain = "test.example.org"\nlanguages = ["en", "az"]\n',
    )
    config.write_text(text, "utf-8")
    monkeypatch.chdir(config.parent)
    code, out, err = cli("check", "--config", "config.toml")
    assert code == 0, err
    assert "All checks passed" in out
    warnings = [line for line in err.splitlines() if "calendars/sample.toml" in line]
    assert warnings == [
        "warning: calendars/sample.toml: calendar 'sample' in az: 2 text(s) with no "
        "translation, 4 unreviewed; a text with no translation is shown in en (the calendar's "
        "language) and marked as en (ICS LANGUAGE=, HTML lang=), never passed off as another "
        "language",
        "warning: calendars/sample.toml:4: calendar.description: no az translation; shown in "
        "en, marked as such",
        "warning: calendars/sample.toml:21: observance 'january-20'.translations.az.title: "
        "the az translation is not reviewed (translator: test translator)",
        "warning: calendars/sample.toml:22: observance 'january-20'.translations.az.description: "
        "the az translation is not reviewed (translator: test translator)",
        "warning: calendars/sample.toml:35: observance 'january-20'.fact[1].translations.az.text: "
        "the az translation is not reviewed (translator: test translator)",
        "warning: calendars/sample.toml:39: observance 'january-20'.fact[2].text: no az "
        "translation; shown in en, marked as such",
        "warning: calendars/sample.toml:49: "
        "observance 'january-20'.moment[1].translations.az.name: the az translation is not "
        "reviewed (translator: test translator)",
    ]


def test_the_daemon_s_start_says_one_line_per_language(tmp_path: Path) -> None:
    (calendar,) = load(tmp_path, SOURCE)
    assert translate.summary([calendar], ("en", "az", "ru", "tr")) == [
        "az: 2 text(s) with no translation, shown in their calendar's language and marked as "
        "such; 4 translation(s) not reviewed (reminders check lists them)",
        "ru: 8 text(s) with no translation, shown in their calendar's language and marked as "
        "such; 1 translation(s) not reviewed (reminders check lists them)",
        "tr: 9 text(s) with no translation, shown in their calendar's language and marked as "
        "such (reminders check lists them)",
    ]


def test_the_daemon_logs_the_summary_at_its_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio
    import logging

    from reminders.notify.daemon import Daemon
    from tests.test_daemon_schedule import CONFIG

    load(tmp_path, SOURCE)
    config = CONFIG.format(tz="Asia/Baku").replace(
        'uid_domain = "test.example.org"\n',
        'uid_domain = "test.example.org"\nlanguages = ["en", "az"]\n',
    )
    (tmp_path / "config.toml").write_text(config, "utf-8")

    async def run() -> None:
        daemon = Daemon(str(tmp_path / "config.toml"), environ={}, clock=lambda: NOW)
        await daemon.start()
        daemon.stopping.set()
        await daemon.shutdown()

    with caplog.at_level(logging.INFO, logger="reminders"):
        asyncio.run(run())
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("translations:")]
    assert lines == [
        "translations: az: 2 text(s) with no translation, shown in their calendar's language and "
        "marked as such; 4 translation(s) not reviewed (reminders check lists them)"
    ]
