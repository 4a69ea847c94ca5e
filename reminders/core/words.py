"""Words a person reads: dates, weekdays, months, times, durations, numbers, ordinals, plurals.

Every output (the terminal, the notices and their templates' filters, the page, the plan in each
format, the ICS titles and descriptions) writes these through this module, never with its own
``strftime`` or month table; tests/test_words.py greps the package to keep it so.

Every function takes the language, a BCP 47 tag such as ``"en"``, ``"az"`` or ``"ur-PK"`` (the
organisation's ``language`` setting), as a parameter. How a language is written:

* English (``en`` and every regional English, ``en-GB``, ``en-US``): the project's own forms,
  written here without Babel (``Wednesday, 20 January 2027``, ``13:00``, ``37th``), the same
  bytes the golden files hold. ``reminders upcoming`` and ``check`` in English never import
  Babel, and their start-up time is benchmarked (bench/startup.py).
* Every other language CLDR knows: CLDR is the authority, through Babel (core/cldr.py, imported
  inside the functions below, once per process, each locale parsed once): month and weekday
  names, the date forms (each named form below is an LDML pattern for English and a CLDR
  skeleton for the others, so a language gets its own order: ``20 Ocak 2027 Çarşamba``), the
  time of day, the digits of numbers, and the plural and ordinal categories.
* The words themselves ("day", "hour", "in 30 days", "on the day", an ordinal's suffix) are in
  one table per language in core/languages.py (az, ru, tr, ur), each form under its CLDR
  category; the sentences around them are in the gettext catalogs (core/i18n.py,
  ``reminders/locale/<lang>/LC_MESSAGES/``, edited by translators). A language CLDR knows but
  with no table (``fr``) gets CLDR's dates and numbers and English words (and, with no catalog,
  English outputs: :func:`output_language`). A word a table lacks stays English too.
* What the outputs use: :func:`output_language`: a language whose program text is in a bundled
  catalog and whose words are in a table (:data:`OUTPUTS`: en, az, ru, tr, ur), else English
  (an output in another language would be English sentences around French dates), and
  ``check`` says what is missing (:func:`missing`). The functions here write every language
  they are given.

Configuration tokens are not words: the weekday names of a ``weekend`` setting
(``model.WEEKDAYS``) stay English whatever the language.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from .dates import zone
from .languages import ANNIVERSARY, LANGUAGES, Language

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .cldrdata import Pack

ENGLISH = "en"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# The date forms the outputs use, as LDML patterns (what Babel's format_date takes).
LONG = "EEEE, d MMMM y"  # Wednesday, 20 January 2027: notices, the page, the HTML plan
MEDIUM = "EEEE d MMM y"  # Wednesday 20 Jan 2027: the plan's conflicts and notes, its ICS
SHORT = "EEE d MMM y"  # Wed 20 Jan 2027: the HTML plan's year view
TABLE = "EEE dd MMM y"  # Wed 06 Jan 2027: terminal columns (the day padded, so they align)
TABLE_NO_YEAR = "EEE dd MMM"  # Wed 06 Jan: the other zone's day in the terminal
DAY_MONTH = "EEEE d MMMM"  # Wednesday 20 January: the page, beside a time
WEEKDAY_DAY = "EEE d"  # Wed 20: a day in the plan's month picture
MONTH_YEAR = "MMMM y"  # January 2027
MONTH_DAY = "MMMM d"  # January 20: a fixed date's rule

# The same forms for the other languages: a CLDR skeleton (the fields, not their order), which
# each locale turns into its own pattern; LONG is the locale's full date format.
SKELETONS = {
    LONG: "full",
    MEDIUM: "yMMMEEEEd",
    SHORT: "yMMMEd",
    TABLE: "yMMMEdd",
    TABLE_NO_YEAR: "MMMEdd",
    DAY_MONTH: "MMMMEEEEd",
    WEEKDAY_DAY: "Ed",
    MONTH_YEAR: "yMMMM",
    MONTH_DAY: "MMMMd",
}


# Each language's CLDR data (core/cldrdata.py), from the start-up cache (config/langcache.py
# calls remember) or from Babel the first time a language is asked for. core/cldrdata.py itself
# is imported only by a language other than English (the English words are written here).
_PACKS: dict[str, Pack] = {}


def remember(language: str, pack: Pack) -> None:
    """Use ``pack`` for ``language`` (kept from an earlier run), so Babel is not imported."""
    _PACKS[language] = pack


def pack(language: str) -> Pack:
    """The CLDR data of ``language`` (not English); ValueError when CLDR has no such language."""
    found = _PACKS.get(language)
    if found is None:
        from . import cldr

        found = _PACKS[language] = cldr.pack(language, tuple(SKELETONS.values()))
    return found


@lru_cache(maxsize=64)
def is_english(language: str) -> bool:
    """``en``, every regional English (``en-GB``) and "" (no language given): the project's own
    English forms."""
    return not language or language.split("-", 1)[0].lower() == ENGLISH


@lru_cache(maxsize=64)
def _table(language: str) -> Language | None:
    """The words of a tag's language (``ur-PK`` has Urdu's), if they are written and in the
    script the tag names (``az-Cyrl`` has none: the Azerbaijani table is Latin)."""
    if is_english(language):
        return None
    found = LANGUAGES.get(language.split("-", 1)[0].lower())
    if found is None:
        return None
    script = pack(language)["script"]
    return found if script in (None, found.script) else None


# The languages whose program text (the templates' sentences, the page, the plan's headings, the
# feed's fixed words) is in a bundled gettext catalog (reminders/locale/<lang>/LC_MESSAGES/, kept
# complete by tests/test_catalogs.py) and whose words are in core/languages.py, so that an output
# can be written in them from end to end. Another language CLDR knows (``fr``) has neither: its
# outputs are written in English, never English sentences around French dates ("today" beside
# "26 février"), and `check` says what is missing (missing()).
OUTPUTS = frozenset({ENGLISH, "az", "ru", "tr", "ur"})


def output_language(language: str) -> str:
    """The language the outputs are written in for the configured ``language`` ("" is English):
    the language itself where its program text is translated (:data:`OUTPUTS`) and its words are
    written in the script the tag names (``ur-PK`` is Urdu; ``az-Cyrl`` is not: the Azerbaijani
    catalog and words are Latin), else English. Every output passes this, never the setting
    itself, to the functions below; they write any language they are given."""
    if not language or is_english(language):
        return language or ENGLISH
    if language.split("-", 1)[0].lower() not in OUTPUTS or _table(language) is None:
        return ENGLISH
    return language


def missing(language: str) -> str | None:
    """What ``language`` lacks, for ``check`` (None when nothing): ValueError when CLDR has no
    such language."""
    if is_english(language):
        return None
    pack(language)  # ValueError for a tag CLDR does not know
    if output_language(language) == language:
        return None
    base = language.split("-", 1)[0].lower()
    lacks = []
    if base not in OUTPUTS:
        lacks.append(
            f"no catalog of the program's text (reminders/locale/{base}/LC_MESSAGES/reminders.po;"
            f" bundled: {', '.join(sorted(OUTPUTS - {ENGLISH}))})"
        )
    if _table(language) is None:
        if base in LANGUAGES:
            lacks.append(
                f"no word table in the script it names (core/languages.py writes {base} in "
                f"{LANGUAGES[base].script})"
            )
        else:
            lacks.append(
                f"no word table (core/languages.py; written: en, {', '.join(sorted(LANGUAGES))})"
            )
    return (
        f"{language} has {' and '.join(lacks)}: the notices, feeds, page and plan are written "
        f"in English, never half in one language and half in the other (docs/languages.md "
        f"says how to add a language)"
    )


# Each language named in itself, as a list of languages (the page's switcher) names it. CLDR's
# own name is the adjective in lower case for some ("azərbaycan", "русский"); these are the
# names a reader looks for. A language not listed gets CLDR's name, its first letter upper-case.
_AUTONYMS = {"en": "English", "az": "Azərbaycanca", "ru": "Русский", "tr": "Türkçe", "ur": "اردو"}


def autonym(language: str) -> str:
    """The language named in itself: 'English', 'Azərbaycanca', 'Русский', 'Türkçe', 'اردو';
    a regional tag is named as its language (``ur-PK``: 'اردو'), and a language CLDR knows
    but not listed here by CLDR ('Français'). ValueError when CLDR has no such language."""
    primary = language.split("-", 1)[0].lower()
    if is_english(language) or primary in _AUTONYMS:
        return _AUTONYMS[primary or ENGLISH]
    name = str(pack(language)["name"])
    return name[:1].upper() + name[1:]


def direction(language: str) -> str:
    """``"rtl"`` for a language written right to left (Urdu, Arabic, Persian, Hebrew), else
    ``"ltr"``: an HTML output's ``dir``. ValueError when CLDR has no such language."""
    if is_english(language):
        return "ltr"
    return "rtl" if pack(language)["direction"] == "rtl" else "ltr"


def weekday(day: date, language: str, width: str = "wide") -> str:
    """'Wednesday' (``wide``), 'Wed' (``abbreviated``) or 'W' (``narrow``)."""
    _width(width)
    if not is_english(language):
        return str(pack(language)["days"]["stand-alone"][width][day.weekday()])
    return _narrow(_WEEKDAYS[day.weekday()], width)


def month(number: int, language: str, width: str = "wide") -> str:
    """The name of month ``number`` (1-12): 'January', 'Jan' or 'J'."""
    _width(width)
    if not is_english(language):
        return str(pack(language)["months"]["stand-alone"][width][number - 1])
    return _narrow(_MONTHS[number - 1], width)


def _width(width: str) -> None:
    if width not in ("wide", "abbreviated", "narrow"):
        raise ValueError(f"unknown width {width!r}: expected wide, abbreviated or narrow")


def _narrow(name: str, width: str) -> str:
    if width == "abbreviated":
        return name[:3]
    if width == "narrow":
        return name[0]
    return name


@lru_cache(maxsize=8192)  # a plan names each of a year's days many times over
def format_date(day: date, pattern: str, language: str) -> str:
    """``day`` in one of the forms above (an LDML pattern), in ``language``; another pattern is
    taken as LDML as it is."""
    if is_english(language):
        return _english_date(day, pattern)
    from . import cldrdata

    data = pack(language)
    skeleton = SKELETONS.get(pattern)
    own = data["patterns"][skeleton] if skeleton else pattern
    try:
        return cldrdata.format_date(day, own, data)
    except cldrdata.Unsupported:
        from . import cldr

        return cldr.format_date(day, own, language)


def _english_date(day: date, pattern: str) -> str:
    out = []
    for token in _tokens(pattern):
        if token == "EEEE":
            out.append(_WEEKDAYS[day.weekday()])
        elif token == "EEE":
            out.append(_WEEKDAYS[day.weekday()][:3])
        elif token == "MMMM":
            out.append(_MONTHS[day.month - 1])
        elif token == "MMM":
            out.append(_MONTHS[day.month - 1][:3])
        elif token == "dd":
            out.append(f"{day.day:02d}")
        elif token == "d":
            out.append(str(day.day))
        elif token == "y":
            out.append(str(day.year))
        else:
            out.append(token)
    return "".join(out)


@lru_cache(maxsize=64)
def _tokens(pattern: str) -> tuple[str, ...]:
    """'EEEE, d MMMM y' -> ('EEEE', ', ', 'd', ' ', 'MMMM', ' ', 'y'): runs of one letter, and
    what lies between them."""
    out: list[str] = []
    for char in pattern:
        if (out and (char == out[-1][-1]) and (char.isalpha() == out[-1][-1].isalpha())) or (
            out and not char.isalpha() and not out[-1][-1].isalpha()
        ):
            out[-1] += char
        else:
            out.append(char)
    known = {"EEEE", "EEE", "MMMM", "MMM", "dd", "d", "y"}
    for token in out:
        if token[0].isalpha() and token not in known:
            raise ValueError(f"unknown date field {token!r} in {pattern!r}")
    return tuple(out)


def long_date(day: date, language: str) -> str:
    """'Wednesday, 20 January 2027'."""
    return format_date(day, LONG, language)


def medium_date(day: date, language: str) -> str:
    """'Wednesday 20 Jan 2027': the plan's conflicts and reasons, and its ICS."""
    return format_date(day, MEDIUM, language)


def clock(value: datetime | time, language: str) -> str:
    """'13:00' (the locale's own short time in another language: Urdu '1:00 PM')."""
    if not is_english(language):
        from . import cldrdata

        moment = time(value.hour, value.minute)
        try:
            return cldrdata.clock(moment, pack(language))
        except cldrdata.Unsupported:
            from . import cldr

            return cldr.clock(moment, language)
    return f"{value.hour:02d}:{value.minute:02d}"


def number(value: int, language: str) -> str:
    """'37', '1000' (no grouping: anniversaries, counts and years read as written)."""
    if is_english(language):
        return str(value)
    from . import cldrdata

    try:
        return cldrdata.number(value, pack(language))
    except cldrdata.Unsupported:
        from . import cldr

        return cldr.number(value, language)


@lru_cache(maxsize=4096)  # a plan asks for the same few hundred thousands of times
def ordinal(value: int, language: str, noun: str = ANNIVERSARY) -> str:
    """'1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '101st', '111th', '112th';
    az '37-ci', '40-cı'; ru '37-я' (for ``noun``: годовщина, and '37-й' for "day"); tr '37.';
    ur '37ویں'. A language with no table: English suffixes on its own digits."""
    table = _table(language)
    if table is None:
        if value % 100 in (11, 12, 13):
            suffix = "th"
        else:
            suffix = {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    elif table.agree:
        if noun not in table.agree:
            raise ValueError(
                f"no ordinal in {language} for {noun!r}: expected one of "
                + ", ".join(sorted(table.agree))
            )
        suffix = table.agree[noun]
    else:
        from . import cldrdata

        suffix = table.ordinal[cldrdata.ordinal_category(value, pack(language))]
    return f"{number(value, language)}{suffix}"


def _forms(count: int, forms: Mapping[str, str], language: str) -> str:
    from . import cldrdata

    return forms[cldrdata.plural_category(count, pack(language))]


def plural(count: int, word: str, language: str, many: str = "") -> str:
    """'1 event', '2 events'; ``many`` when the plural is not ``word`` + 's'. Russian '1 день',
    '2 дня', '5 дней'."""
    return f"{number(count, language)} {plural_word(count, word, language, many)}"


def plural_word(count: int, word: str, language: str, many: str = "") -> str:
    """'event' for 1, 'events' otherwise: the word alone, for a sentence that puts the count
    elsewhere. A word the language's table lacks stays English."""
    table = _table(language)
    if table is not None and word in table.nouns:
        return _forms(count, table.nouns[word], language)
    if count == 1:
        return word
    return many or f"{word}s"


def _phrase(key: str, count: int, noun: str, language: str) -> str | None:
    """The language's phrase ``key`` around ``count`` ``noun``; None in English (or with no
    table)."""
    table = _table(language)
    if table is None:
        return None
    text = table.phrases[key]
    if isinstance(text, str):
        return text.replace("{x}", plural(count, noun, language))
    return _forms(count, text, language).replace("{n}", number(count, language))


def _fixed(key: str, language: str) -> str | None:
    table = _table(language)
    if table is None:
        return None
    text = table.phrases[key]
    assert isinstance(text, str)
    return text


def minutes(span: timedelta, language: str) -> str:
    """'45 min', '1 h', '1 h 30 min': a moment's length in a terminal column."""
    total = int(span.total_seconds() // 60)
    hours, rest = divmod(total, 60)
    if _table(language) is not None:
        parts = [plural(hours, "h", language)] if hours else []
        if rest or not hours:
            parts.append(plural(rest, "min", language))
        return " ".join(parts)
    if total < 60:
        return f"{number(total, language)} min"
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def duration_text(span: timedelta, language: str) -> str:
    """'1 minute', '30 minutes', '1 hour', '1 hour 30 minutes'."""
    hours, rest = divmod(int(span.total_seconds() // 60), 60)
    parts = [plural(hours, "hour", language)] if hours else []
    if rest or not hours:
        parts.append(plural(rest, "minute", language))
    return " ".join(parts)


def when(days: int, language: str) -> str:
    """'today', 'tomorrow', 'in 30 days', 'yesterday', '3 days ago'."""
    named = {0: "today", 1: "tomorrow", -1: "yesterday"}.get(days)
    if named:
        return _fixed(named, language) or named
    text = _phrase("in" if days > 0 else "ago", abs(days), "day", language)
    if text is not None:
        return text
    return (
        f"in {plural(days, 'day', language)}"
        if days > 0
        else f"{plural(-days, 'day', language)} ago"
    )


def days_before(days: int, language: str) -> str:
    """'on the day', '1 day before', '7 days before': a notice's lead."""
    if days == 0:
        return _fixed("on the day", language) or "on the day"
    return _phrase("lead", days, "day", language) or f"{plural(days, 'day', language)} before"


def days_apart(days: int, language: str, unit: str = "day") -> str:
    """'1 day before', '3 days after' (``days`` > 0 is before); ``unit`` 'working day' too."""
    side = "before" if days > 0 else "after"
    return _phrase(side, abs(days), unit, language) or (
        f"{plural(abs(days), unit, language)} {side}"
    )


def place(tz_name: str, language: str) -> str:
    """The place a zone is named after: 'Asia/Baku' -> 'Baku'; in another language CLDR's name
    of the zone's city (az 'Bakı', ru 'Баку', ur 'باکو'), or the English one where CLDR has
    none."""
    if not is_english(language):
        found = pack(language)["cities"].get(tz_name)
        if found:
            return str(found)
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def both_zones(start: datetime, end: datetime, home: str, language: str) -> str:
    """'12:00 Asia/Baku (13:00 Asia/Karachi)', or one zone when they are the same."""
    origin = str(start.tzinfo)
    first = clock(start, language)
    text = (
        f"{first}-{clock(end, language)} {origin}"
        if end - start >= timedelta(minutes=10)
        else f"{first} {origin}"
    )
    if origin == home:
        return text
    local = start.astimezone(zone(home))
    other = local.date()
    day = ""
    if other != start.date():
        shown = format_date(other, TABLE_NO_YEAR, language)
        day = f" on {shown}" if _table(language) is None else f", {shown}"
    return f"{text} = {clock(local, language)} {home}{day}"
