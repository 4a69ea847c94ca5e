"""The words in Azerbaijani, Russian, Turkish, Urdu and English (core/words.py), checked against
CLDR as Babel has it, not against the tables they are written from: ordinals by CLDR's ordinal
categories, counted words by its plural categories and unit names, dates in each language; and
the config's language check, and English start-ups that never import Babel."""

from __future__ import annotations

import marshal
import os
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from babel import Locale, localedata
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.dates import format_timedelta
from babel.numbers import format_decimal
from babel.units import format_unit
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.core import cldrdata, words
from reminders.core.languages import LANGUAGES

from .conftest import ROOT, english_config_text

Cli = Callable[..., tuple[int, str, str]]
TRANSLATED = ("az", "ru", "tr", "ur")
# Every language, a regional tag of two, and two CLDR knows without a translation here.
EVERY = ("en", "en-GB", "az", "ru", "tr", "ur", "ur-PK", "fr", "az-Cyrl")
ONE_TO_120 = range(1, 121)

# The issue's suffixes by CLDR ordinal category (issue 17, point 1), and for Russian the ending
# годовщина (feminine nominative) takes.
SUFFIXES = {
    "en": {"one": "st", "two": "nd", "few": "rd", "other": "th"},
    "en-GB": {"one": "st", "two": "nd", "few": "rd", "other": "th"},
    "az": {"one": "-ci", "many": "-cı", "few": "-cü", "other": "-cu"},
    "ru": {"other": "-я"},
    "tr": {"other": "."},
    "ur": {"other": "ویں"},
    "ur-PK": {"other": "ویں"},
}


def cldr(language: str) -> Locale:
    return Locale.parse(language, sep="-")


# --- Ordinals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", sorted(SUFFIXES))
def test_ordinals_1_to_120_follow_cldrs_ordinal_categories(language: str) -> None:
    suffix = SUFFIXES[language]
    categories = {n: cldr(language).ordinal_form(n) for n in ONE_TO_120}
    assert set(categories.values()) == set(suffix)  # each category the issue names occurs
    assert [words.ordinal(n, language) for n in ONE_TO_120] == [
        f"{n}{suffix[categories[n]]}" for n in ONE_TO_120
    ]


# Azerbaijani numerals' last word, whose last vowel the suffix -inci/-ıncı/-üncü/-uncu follows.
AZ_UNITS = ("", "bir", "iki", "üç", "dörd", "beş", "altı", "yeddi", "səkkiz", "doqquz")
AZ_TENS = ("", "on", "iyirmi", "otuz", "qırx", "əlli", "altmış", "yetmiş", "səksən", "doxsan")
HARMONY = {"e": "-ci", "ə": "-ci", "i": "-ci", "a": "-cı", "ı": "-cı", "ö": "-cü", "ü": "-cü",
           "o": "-cu", "u": "-cu"}  # fmt: skip


def az_last_word(n: int) -> str:
    if n % 10:
        return AZ_UNITS[n % 10]
    if n % 100:
        return AZ_TENS[n % 100 // 10]
    return "yüz"


def test_azerbaijani_ordinals_1_to_120_follow_vowel_harmony() -> None:
    """Independent of CLDR: the suffix's vowel is the last vowel of the numeral as said."""
    for n in ONE_TO_120:
        last_vowel = [c for c in az_last_word(n) if c in HARMONY][-1]
        assert words.ordinal(n, "az") == f"{n}{HARMONY[last_vowel]}", az_last_word(n)


@pytest.mark.parametrize(
    ("language", "number", "expected"),
    [
        ("en", 1, "1st"), ("en", 2, "2nd"), ("en", 3, "3rd"), ("en", 11, "11th"),
        ("en", 37, "37th"), ("en-GB", 112, "112th"),
        ("az", 37, "37-ci"), ("az", 40, "40-cı"), ("az", 43, "43-cü"), ("az", 30, "30-cu"),
        ("az", 1, "1-ci"), ("az", 6, "6-cı"), ("az", 9, "9-cu"), ("az", 100, "100-cü"),
        ("ru", 37, "37-я"), ("tr", 37, "37."), ("ur", 37, "37ویں"), ("ur-PK", 37, "37ویں"),
    ],
)  # fmt: skip
def test_the_issues_ordinals(language: str, number: int, expected: str) -> None:
    assert words.ordinal(number, language) == expected


def test_a_russian_ordinal_takes_the_ending_of_its_noun() -> None:
    assert f"{words.ordinal(37, 'ru')} годовщина" == "37-я годовщина"
    assert words.ordinal(37, "ru", "anniversary") == "37-я"
    assert words.ordinal(37, "ru", "day") == "37-й"  # день
    assert words.ordinal(3, "ru", "year") == "3-й"  # год
    with pytest.raises(ValueError, match="no ordinal in ru for 'week': expected one of"):
        words.ordinal(3, "ru", "week")
    # A language whose ending does not depend on the noun ignores it.
    assert words.ordinal(37, "az", "day") == words.ordinal(37, "az") == "37-ci"


# --- Counted words ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "count", "expected"),
    [
        ("en", 1, "1 day"), ("en", 2, "2 days"), ("en-GB", 0, "0 days"),
        ("az", 1, "1 gün"), ("az", 5, "5 gün"), ("tr", 1, "1 gün"), ("tr", 5, "5 gün"),
        ("ru", 1, "1 день"), ("ru", 2, "2 дня"), ("ru", 5, "5 дней"), ("ru", 11, "11 дней"),
        ("ru", 21, "21 день"), ("ru", 22, "22 дня"), ("ru", 25, "25 дней"),
        ("ru", 111, "111 дней"), ("ru", 0, "0 дней"),
        ("ur", 1, "1 دن"), ("ur", 2, "2 دن"), ("ur-PK", 5, "5 دن"),
    ],
)  # fmt: skip
def test_days_by_plural_category(language: str, count: int, expected: str) -> None:
    assert words.plural(count, "day", language) == expected


@pytest.mark.parametrize(
    ("language", "counts", "expected"),
    [
        ("ru", (1, 2, 5, 11, 21, 22, 25, 111),
         ("час", "часа", "часов", "часов", "час", "часа", "часов", "часов")),
        ("ru", (1, 2, 5, 21), ("минута", "минуты", "минут", "минута")),
        ("ru", (1, 2, 5), ("рабочий день", "рабочих дня", "рабочих дней")),
        ("ru", (1, 3, 5, 21), ("год", "года", "лет", "год")),
        ("ur", (1, 2), ("گھنٹہ", "گھنٹے")),
        ("ur", (1, 2), ("کام کا دن", "کام کے دن")),
    ],
)  # fmt: skip
def test_other_words_by_plural_category(
    language: str, counts: tuple[int, ...], expected: tuple[str, ...]
) -> None:
    word = {
        "час": "hour", "минута": "minute", "рабочий день": "working day", "год": "year",
        "گھنٹہ": "hour", "کام کا دن": "working day",
    }[expected[0]]  # fmt: skip
    assert tuple(words.plural_word(n, word, language) for n in counts) == expected


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_table_writes_every_cldr_category(language: str) -> None:
    """A form for each plural category the language has, and a suffix for each ordinal one."""
    table = LANGUAGES[language]
    plural = cldr(language).plural_form.tags | {"other"}
    for word, forms in table.nouns.items():
        assert set(forms) == plural, word
    for key, phrase in table.phrases.items():
        assert isinstance(phrase, str) or set(phrase) == plural, key
    if not table.agree:
        assert set(table.ordinal) == cldr(language).ordinal_form.tags | {"other"}


@pytest.mark.parametrize("language", TRANSLATED)
def test_days_hours_and_minutes_are_cldrs_unit_names(language: str) -> None:
    """The tables' words for 0 to 120 days, hours and minutes are CLDR's own long unit names,
    and the terminal's short ones its short names."""
    for n in range(121):
        for word, unit in (("day", "duration-day"), ("hour", "duration-hour"),
                           ("minute", "duration-minute")):  # fmt: skip
            assert words.plural(n, word, language) == format_unit(n, unit, "long", locale=language)
        if n < 60:
            short = format_unit(n, "duration-minute", "short", locale=language)
            assert words.minutes(timedelta(minutes=n), language) == short
    hours = format_unit(2, "duration-hour", "short", locale=language)
    rest = format_unit(5, "duration-minute", "short", locale=language)
    assert words.minutes(timedelta(minutes=125), language) == f"{hours} {rest}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_days_to_go_are_cldrs_relative_days(language: str) -> None:
    """'in 30 days' and '3 days ago' as CLDR's relative time writes them (past Urdu excepted:
    CLDR has '3 دنوں پہلے', the tables the direct case '3 دن پہلے', as the press writes it)."""
    for n in range(2, 121):
        for days in (n, -n):
            if language == "ur" and days < 0:
                continue
            expected = format_timedelta(
                timedelta(days=days),
                granularity="day",
                threshold=10**9,
                add_direction=True,
                locale=language,
            )
            assert words.when(days, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", ("today", "tomorrow", "yesterday", "in 30 days", "3 days ago", "on the day",
                "7 days before", "2 working days before", "1 day after")),
        ("az", ("bu gün", "sabah", "dünən", "30 gün sonra", "3 gün əvvəl", "həmin gün",
                "7 gün əvvəl", "2 iş günü əvvəl", "1 gün sonra")),
        ("ru", ("сегодня", "завтра", "вчера", "через 30 дней", "3 дня назад", "в тот же день",
                "за 7 дней", "за 2 рабочих дня до", "через 1 день после")),
        ("tr", ("bugün", "yarın", "dün", "30 gün sonra", "3 gün önce", "aynı gün",
                "7 gün önce", "2 iş günü önce", "1 gün sonra")),
        ("ur", ("آج", "آئندہ کل", "گزشتہ کل", "30 دنوں میں", "3 دن پہلے", "اسی دن",
                "7 دن پہلے", "2 کام کے دن پہلے", "1 دن بعد")),
    ],
)  # fmt: skip
def test_the_phrases(language: str, expected: tuple[str, ...]) -> None:
    assert (
        *(words.when(days, language) for days in (0, 1, -1, 30, -3)),
        words.days_before(0, language),
        words.days_before(7, language),
        words.days_apart(2, language, "working day"),
        words.days_apart(-1, language),
    ) == expected


def test_durations() -> None:
    span = timedelta(minutes=150)
    assert [words.duration_text(span, lang) for lang in ("en", "az", "ru", "tr", "ur")] == [
        "2 hours 30 minutes", "2 saat 30 dəqiqə", "2 часа 30 минут", "2 saat 30 dakika",
        "2 گھنٹے 30 منٹ",
    ]  # fmt: skip
    assert words.duration_text(timedelta(minutes=1), "ru") == "1 минута"


# --- Dates, times, numbers --------------------------------------------------------------------

JANUARY_20 = date(2027, 1, 20)


@pytest.mark.parametrize(
    ("language", "long", "month_year", "table"),
    [
        ("en", "Wednesday, 20 January 2027", "January 2027", "Sat 06 Mar 2027"),
        ("en-GB", "Wednesday, 20 January 2027", "January 2027", "Sat 06 Mar 2027"),
        ("az", "Çərşənbə, 20 yanvar 2027", "yanvar 2027", "Ş., 06 mar 2027"),
        ("ru", "среда, 20 января 2027\u202fг.", "январь 2027\u202fг.",
         "сб, 06 мар. 2027\u202fг."),
        ("tr", "20 Ocak 2027 Çarşamba", "Ocak 2027", "06 Mar 2027 Cmt"),
        ("ur", "بدھ، 20 جنوری، 2027", "جنوری 2027", "ہفتہ، 06 مارچ، 2027"),
        ("ur-PK", "بدھ، 20 جنوری، 2027", "جنوری 2027", "ہفتہ، 06 مارچ، 2027"),
        ("fr", "mercredi 20 janvier 2027", "janvier 2027", "sam. 06 mars 2027"),
    ],
)  # fmt: skip
def test_dates_in_each_language(language: str, long: str, month_year: str, table: str) -> None:
    """Each language's own order and names (CLDR): the long form is its full date, a month
    alone is in the nominative (Russian январь, not января), and the terminal's day padded."""
    assert words.long_date(JANUARY_20, language) == long
    assert words.format_date(JANUARY_20, words.MONTH_YEAR, language) == month_year
    assert words.format_date(date(2027, 3, 6), words.TABLE, language) == table


def test_names_times_and_numbers() -> None:
    assert [words.month(1, lang) for lang in ("az", "ru", "tr", "ur")] == [
        "yanvar", "январь", "Ocak", "جنوری",
    ]  # fmt: skip
    assert [words.weekday(JANUARY_20, lang) for lang in ("az", "ru", "tr", "ur")] == [
        "Çərşənbə", "среда", "Çarşamba", "بدھ",
    ]  # fmt: skip
    assert words.weekday(JANUARY_20, "tr", "abbreviated") == "Çar"
    assert words.clock(time(13, 5), "az") == "13:05"
    assert words.clock(time(13, 5), "ur") == "1:05 PM"  # CLDR: Urdu writes a 12-hour clock
    assert words.number(10000, "ru") == "10000"  # no grouping, in every language
    start = datetime(2027, 1, 20, 23, 30, tzinfo=ZoneInfo("Asia/Baku"))
    assert words.both_zones(start, start, "Asia/Karachi", "ru") == (
        "23:30 Asia/Baku = 00:30 Asia/Karachi, чт, 21 янв."
    )


IN_ENGLISH = (
    ": the notices, feeds, page and plan are written in English, never half in one language and "
    "half in the other (docs/languages.md says how to add a language)"
)
NO_CATALOG = (
    "{0} has no catalog of the program's text (reminders/locale/{0}/LC_MESSAGES/reminders.po; "
    "bundled: az, ru, tr, ur) and no word table (core/languages.py; written: en, az, ru, tr, ur)"
)


def test_a_language_without_a_translation_has_cldrs_dates_and_english_words() -> None:
    assert words.missing("fr") == NO_CATALOG.format("fr") + IN_ENGLISH
    assert words.output_language("fr") == "en"
    # The Azerbaijani catalog and table are in Latin script: none for Cyrillic.
    assert words.missing("az-Cyrl") == (
        "az-Cyrl has no word table in the script it names (core/languages.py writes az in Latn)"
        + IN_ENGLISH
    )
    assert words.output_language("az-Cyrl") == "en"
    # The bundled languages (a catalog and a word table each) are outputs of their own.
    for tag in ("az", "az-Latn", "ur-PK", "ru", "tr", "ur"):
        assert words.missing(tag) is None
        assert words.output_language(tag) == tag
    assert [words.missing(tag) for tag in ("en", "en-GB")] == [None, None]
    assert [words.output_language(tag) for tag in ("", "en", "en-GB")] == ["en", "en", "en-GB"]
    assert words.ordinal(2, "") == "2nd"  # no language given: English, never an error
    assert words.plural(2, "day", "fr") == "2 days"
    assert words.ordinal(2, "fr") == "2nd"
    assert words.long_date(JANUARY_20, "fr") == "mercredi 20 janvier 2027"
    for tag in ("french", "xx", "und"):
        with pytest.raises(ValueError, match="unknown language"):
            words.missing(tag)


# The first example of a language asks Babel for its data: no deadline.
@settings(deadline=None)
@given(
    st.integers(min_value=0, max_value=10_000),
    st.sampled_from(EVERY),
    st.sampled_from(["day", "hour", "minute", "working day", "year", "notice"]),
)
def test_every_function_writes_something_for_every_language_and_count(
    count: int, language: str, word: str
) -> None:
    day = date(2000, 1, 1) + timedelta(days=count)
    moment = datetime(2027, 1, 20, count % 24, count % 60, tzinfo=ZoneInfo("Asia/Baku"))
    texts = [
        words.ordinal(count, language),
        words.number(count, language),
        words.plural(count, word, language),
        words.plural_word(count, word, language),
        words.when(count, language),
        words.when(-count, language),
        words.days_before(count, language),
        words.days_apart(count, language),
        words.days_apart(-count, language, "working day"),
        words.minutes(timedelta(minutes=count), language),
        words.duration_text(timedelta(minutes=count), language),
        words.month(count % 12 + 1, language),
        words.weekday(day, language, "narrow"),
        words.clock(moment, language),
        words.both_zones(moment, moment + timedelta(minutes=count), "Pacific/Apia", language),
        *(words.format_date(day, form, language) for form in words.SKELETONS),
    ]
    assert all(text.strip() for text in texts), texts
    assert words.number(count, language) in words.plural(count, word, language)


# --- What is written without Babel, from a language's pack (core/cldrdata.py) --------------

# The five languages, and others with other scripts, digits, clocks and plural rules.
PACKED = (
    "az", "ru", "tr", "ur", "ur-PK", "en-IN", "fr", "de", "ar", "fa", "hi", "bn", "mr", "zh",
    "ja", "ko", "pl", "cy", "he", "th", "my", "am", "lt", "ga", "sw", "az-Cyrl",
)  # fmt: skip


# The first example of a language asks Babel for its data: no deadline.
@settings(deadline=None)
@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)), st.sampled_from(PACKED))
def test_the_packs_dates_are_babels(day: date, language: str) -> None:
    """Every named form, written from the pack, is what Babel writes with the same pattern;
    a field the pack does not write goes to Babel (never in the five languages)."""
    pack = words.pack(language)
    for skeleton in words.SKELETONS.values():
        pattern = pack["patterns"][skeleton]
        try:
            ours = cldrdata.format_date(day, pattern, pack)
        except cldrdata.Unsupported:
            assert language not in (*TRANSLATED, "ur-PK"), pattern
            ours = words.format_date(day, pattern, language)  # through Babel
        assert ours == babel_date(day, pattern, locale=cldr(language)), (skeleton, pattern)


# Every width of the fields the pack writes, beyond those the named forms use.
FIELDS = (
    "E", "EE", "EEE", "EEEE", "EEEEE", "ccc", "cccc", "ccccc",
    "M", "MM", "MMM", "MMMM", "MMMMM", "L", "LL", "LLL", "LLLL", "LLLLL",
    "d", "dd", "y", "yy", "yyyy",
)  # fmt: skip


@pytest.mark.parametrize("language", PACKED)
def test_the_packs_fields_are_babels_at_every_width(language: str) -> None:
    pack = words.pack(language)
    for day in (date(2027, 1, 6), date(2028, 12, 31)):
        for field in FIELDS:
            expected = babel_date(day, field, locale=cldr(language))
            assert cldrdata.format_date(day, field, pack) == expected, field


TIME_FIELDS = ("H", "HH", "k", "kk", "h", "hh", "K", "KK", "m", "mm", "a", "aa", "aaa")
# Fields the pack leaves to Babel: other widths (or none CLDR has), other fields.
NOT_WRITTEN = ("c", "cc", "ddd", "HHH", "kkk", "hhh", "KKK", "mmm", "aaaa", "G", "B")


@pytest.mark.parametrize("language", ["az", "ur", "ja", "en-IN"])
def test_the_packs_time_fields_are_babels_at_every_width(language: str) -> None:
    """Midnight is 0 or 24 (``H``, ``k``), 12 or 0 (``h``, ``K``); and a quote written twice."""
    pack = words.pack(language)
    for hour in (0, 1, 11, 12, 13, 23):
        moment = time(hour, 5)
        for field in TIME_FIELDS:
            expected = babel_time(moment, field, locale=cldr(language))
            assert cldrdata.clock(moment, dict(pack, time=field)) == expected, (field, hour)
    day = date(2027, 1, 20)
    assert cldrdata.format_date(day, "d''", pack) == babel_date(day, "d''", locale=cldr(language))
    for field in NOT_WRITTEN:
        with pytest.raises(cldrdata.Unsupported, match=f"pattern field '{field}'"):
            cldrdata.format_date(day, field, pack)
        with pytest.raises(cldrdata.Unsupported, match=f"pattern field '{field}'"):
            cldrdata.clock(time(13, 5), dict(pack, time=field))


@pytest.mark.parametrize("language", PACKED)
def test_the_packs_times_of_day_are_babels(language: str) -> None:
    pack = words.pack(language)
    for minute in range(0, 24 * 60, 7):
        moment = time(minute // 60, minute % 60)
        expected = babel_time(moment, pack["time"], locale=cldr(language))
        try:
            assert cldrdata.clock(moment, pack) == expected
        except cldrdata.Unsupported:
            assert language not in (*TRANSLATED, "ur-PK"), pack["time"]


@pytest.mark.parametrize("language", PACKED)
def test_the_packs_numbers_are_babels(language: str) -> None:
    for value in (*range(0, 10_001, 37), 10_000, -1, -7, -120):
        expected = format_decimal(value, locale=cldr(language), group_separator=False)
        assert cldrdata.number(value, words.pack(language)) == expected


def test_the_packs_categories_are_babels_in_every_language_cldr_has() -> None:
    """Each distinct set of plural and ordinal rules of CLDR's languages, read by cldrdata, for
    0 to 1200 and numbers where rules look at thousands and millions."""
    rules = {}
    for ident in localedata.locale_identifiers():
        if "_" not in ident:
            where = Locale.parse(ident)
            for form in (where.plural_form, where.ordinal_form):
                rules.setdefault(tuple(sorted(form.rules.items())), form)
    assert len(rules) > 50
    numbers = (*range(1201), 10_000, 10_001, 100_000, 1_000_000, 2_000_000, 1_000_001)
    for written, form in rules.items():
        pack = {"plural": written}
        assert [cldrdata.plural_category(n, pack) for n in numbers] == [form(n) for n in numbers], (
            written
        )


def test_a_plural_rule_cldrdata_cannot_read_is_refused() -> None:
    pack = {"plural": (("one", "n is 1"),)}
    with pytest.raises(ValueError, match="a CLDR plural rule this module does not read: 'n is 1'"):
        cldrdata.plural_category(1, pack)


def test_a_pack_is_plain_data_for_the_cache() -> None:
    pack = words.pack("ur-PK")
    assert marshal.loads(marshal.dumps(pack)) == pack
    assert (pack["script"], pack["digits"]) == (None, "0123456789")


def test_an_unsupported_field_is_written_by_babel() -> None:
    with pytest.raises(cldrdata.Unsupported, match="pattern field 'G'"):
        cldrdata.format_date(JANUARY_20, "d MMMM y G", words.pack("az"))
    assert words.format_date(JANUARY_20, "d MMMM y G", "az") == "20 yanvar 2027 b.e."


def test_a_time_of_day_the_pack_cannot_write_is_babels() -> None:
    """Traditional Chinese writes its short time with the day period ``B`` (``Bh:mm``)."""
    one_pm = time(13, 5)
    with pytest.raises(cldrdata.Unsupported, match="pattern field 'B'"):
        cldrdata.clock(one_pm, words.pack("zh-Hant"))
    assert words.clock(one_pm, "zh-Hant") == babel_time(one_pm, "short", locale="zh_Hant")
    assert words.clock(one_pm, "zh-Hant") == "下午1:05"


def test_a_negative_number_the_pack_cannot_write_is_babels(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pack whose locale's minus sign was not found (no CLDR locale today; a cached pack made
    by another Babel could be one) has Babel write negative numbers."""
    pack = dict(words.pack("ur"), minus=None)
    monkeypatch.setitem(words._PACKS, "ur", pack)
    with pytest.raises(cldrdata.Unsupported, match="negative"):
        cldrdata.number(-7, pack)
    assert words.number(-7, "ur") == format_decimal(-7, locale="ur") == "-7"
    assert words.number(7, "ur") == "7"


# --- The config's language, and English start-ups without Babel -------------------------------


def config_in(folder: Path, language: str) -> Path:
    text = english_config_text()
    assert 'language = "en"' in text
    path = folder / "config.toml"
    path.write_text(text.replace('language = "en"', f'language = "{language}"'), "utf-8")
    return path


def test_check_warns_for_a_language_without_translation(cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("--config", str(config_in(tmp_path, "fr")), "check")
    assert code == 0, err
    assert "All checks passed" in out
    # (The calendar's texts with no translation follow: tests/test_translations.py.)
    said = [line for line in err.splitlines() if line.startswith("warning: organisation.")]
    assert said == ["warning: organisation.language: " + NO_CATALOG.format("fr") + IN_ENGLISH]
    # A bundled language, regional or not, has its catalog and its words: check says only that
    # no native speaker has reviewed its sentences.
    for tag in ("ur-PK", "az"):
        code, _, err = cli("--config", str(config_in(tmp_path, tag)), "check")
        assert code == 0
        said = [line for line in err.splitlines() if line.startswith("warning: organisation.")]
        base = tag.split("-")[0]
        count = len(translated_ids(base))
        assert said == [
            f"warning: organisation.language: {tag}: {count} of the {count} program sentences in "
            f"reminders/locale/{base}/LC_MESSAGES/reminders.po are not reviewed by a native "
            "speaker (marked '# unreviewed'; docs/languages.md says how to mark them reviewed)"
        ], said


def translated_ids(language: str) -> list[object]:
    """The msgids of a bundled catalog (Babel's reader: not the code under test)."""
    from babel.messages.pofile import read_po

    with (ROOT / "reminders" / "locale" / language / "LC_MESSAGES" / "reminders.po").open(
        "rb"
    ) as f:
        return [m.id for m in read_po(f) if m.id]


def test_a_reviewed_sentence_is_not_counted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reminders.cli.check import catalog_unreviewed
    from reminders.core import i18n

    source = ROOT / "reminders" / "locale" / "ur" / "LC_MESSAGES" / "reminders.po"
    folder = tmp_path / "locale" / "ur" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    text = source.read_text("utf-8")
    (folder / "reminders.po").write_text(
        text.replace("# unreviewed\n", "# reviewed: A. Reviewer, 2026-12-07\n", 1), "utf-8"
    )
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(tmp_path / "locale"))
    found = catalog_unreviewed("ur-PK")
    assert found is not None
    total = len(translated_ids("ur"))
    assert found[1:] == (total - 1, total)
    (folder / "reminders.po").write_text(
        text.replace("# unreviewed\n", "# reviewed: A, B\n"), "utf-8"
    )
    assert catalog_unreviewed("ur") is None


def test_check_refuses_what_is_not_a_language(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("--config", str(config_in(tmp_path, "french")), "check")
    assert code != 0
    assert (
        "config.toml:9: organisation.language: got 'french'; expected a BCP 47 language tag "
        "that CLDR knows, such as 'en', 'az', 'ru' or 'ur-PK'"
    ) in err


def imports_babel(folder: Path, *commands: str, asked: str = "'babel' in sys.modules") -> bool:
    """Run the commands in a new interpreter (each twice: a cache miss, then a hit) and say
    whether Babel was imported (or what ``asked``, a Python expression, says)."""
    script = (
        "import sys\n"
        "from reminders.cli import main\n"
        f"for argv in {[c.split() for c in commands]!r}:\n"
        "    for _ in range(2):\n"
        "        assert main(['--config', 'config.toml', *argv]) == 0, argv\n"
        f"print({asked})\n"
    )
    env = {**os.environ, "REMINDERS_CACHE_DIR": str(folder / "cache")}
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return {"True": True, "False": False}[done.stdout.splitlines()[-1]]


@pytest.mark.slow
def test_upcoming_and_check_in_english_do_not_import_babel(tmp_path: Path) -> None:
    config_in(tmp_path, "en-GB")
    assert not imports_babel(tmp_path, "upcoming", "check", "upcoming --days 1000")
    # Nor reads a catalog: English is the msgids themselves (core/i18n.py). (The gettext
    # module itself is imported by argparse, whatever the language.)
    # (core/i18n.py may not even be imported: then no catalog was read either.)
    read = (
        "'reminders.core.i18n' in sys.modules"
        " and bool(sys.modules['reminders.core.i18n']._catalogs)"
    )
    assert not imports_babel(tmp_path, "upcoming", "check", asked=read)
    config_in(tmp_path, "ur")
    assert imports_babel(tmp_path, "check", asked=read)  # the same question can say yes


@pytest.mark.slow
def test_another_language_imports_babel_once(tmp_path: Path) -> None:
    """The first run in Azerbaijani asks Babel, and the start-up cache keeps what it said: the
    next run writes the same Azerbaijani without importing Babel (bench/startup.py: 6x)."""
    config_in(tmp_path, "az")
    assert imports_babel(tmp_path, "upcoming")
    assert not imports_babel(tmp_path, "upcoming", "check")
    assert list((tmp_path / "cache").glob("cldr-*.marshal"))


# --- languages, and the language of a channel, a notice rule and a milestone -------------------


def config_with(folder: Path, org: str = "", channel: str = "", notice: str = "") -> Path:
    """The bundled config with extra lines in [organisation], the outbox channel and plan-30."""
    text = english_config_text()
    text = re.sub(r"^languages = .*\n", "", text, count=1, flags=re.MULTILINE)
    text = text.replace('language = "en"\n', f'language = "en"\n{org}\n', 1)
    text = text.replace('folder = "var/outbox"\n', f'folder = "var/outbox"\n{channel}\n', 1)
    text = text.replace('id = "plan-30"\n', f'id = "plan-30"\n{notice}\n', 1)
    path = folder / "config.toml"
    path.write_text(text, "utf-8")
    return path


def test_languages_default_to_the_language_alone(tmp_path: Path) -> None:
    from reminders.config.config_file import load_config

    settings = load_config(config_with(tmp_path))
    assert settings.organisation.languages == ("en",)
    assert settings.organisation.language_for("", "") == "en"


def test_languages_put_the_default_first_and_name_each_output(tmp_path: Path) -> None:
    from reminders.config.config_file import load_config

    settings = load_config(
        config_with(
            tmp_path,
            org='languages = ["ur", "az", "en", "ur"]',
            channel='language = "ur"',
            notice='language = "az"',
        )
    )
    org = settings.organisation
    assert org.languages == ("en", "ur", "az")
    rule = settings.rule("plan-30")
    channel = settings.channel("outbox")
    assert rule is not None
    assert channel is not None
    assert (rule.language, channel.language) == ("az", "ur")
    assert org.language_for(channel.language, rule.language) == "ur"  # the channel's wins
    assert org.language_for("", rule.language) == "az"


def test_languages_add_the_default_and_a_language_not_configured_is_refused(
    tmp_path: Path,
) -> None:
    from reminders.config.config_file import load_config
    from reminders.core.errors import ConfigError

    # The default is always one of them, first, listed or not.
    settings = load_config(config_with(tmp_path, org='languages = ["ur"]'))
    assert settings.organisation.languages == ("en", "ur")
    with pytest.raises(ConfigError) as raised:
        load_config(
            config_with(
                tmp_path,
                org='languages = ["en", "ur"]',
                channel='language = "tr"',
                notice='language = "french"',
            )
        )
    shown = [str(p) for p in raised.value.problems]
    assert any(
        "notice[1].language: got 'french'; expected a BCP 47 language tag" in s for s in shown
    ), shown
    assert any(
        "channel[1].language: got 'tr'; expected one of the organisation's languages "
        "(organisation.languages: en, ur)" in s
        for s in shown
    ), shown


@pytest.mark.parametrize(
    ("language", "name", "direction"),
    [
        ("en", "English", "ltr"),
        ("en-GB", "English", "ltr"),
        ("az", "Azərbaycanca", "ltr"),
        ("ru", "Русский", "ltr"),
        ("tr", "Türkçe", "ltr"),
        ("ur", "اردو", "rtl"),
        ("ur-PK", "اردو", "rtl"),
        ("fr", "Français", "ltr"),  # CLDR's own name, its first letter upper-case
        ("fa", "فارسی", "rtl"),
        ("he", "עברית", "rtl"),
    ],
)
def test_each_language_is_named_in_itself_with_its_direction(
    language: str, name: str, direction: str
) -> None:
    assert words.autonym(language) == name
    assert words.direction(language) == direction


def test_a_tag_cldr_does_not_know_has_no_name_and_no_direction() -> None:
    with pytest.raises(ValueError, match="unknown language 'french'"):
        words.autonym("french")
    with pytest.raises(ValueError, match="unknown language 'french'"):
        words.direction("french")


@pytest.mark.parametrize(
    ("language", "baku", "karachi"),
    [
        ("en", "Baku", "Karachi"),
        ("az", "Bakı", "Karaçi"),
        ("ru", "Баку", "Карачи"),
        ("tr", "Bakü", "Karaçi"),
        ("ur", "باکو", "کراچی"),
        ("ur-PK", "باکو", "کراچی"),
    ],
)
def test_a_zones_place_is_named_in_the_language(language: str, baku: str, karachi: str) -> None:
    assert words.place("Asia/Baku", language) == baku
    assert words.place("Asia/Karachi", language) == karachi


def test_a_zone_cldr_names_no_city_of_keeps_its_own_name() -> None:
    assert words.place("UTC", "az") == "UTC"
    assert words.place("America/Argentina/Buenos_Aires", "en") == "Buenos Aires"
