"""The words of each language but English, one table per language (az, ru, tr, ur).

core/words.py writes them; CLDR (core/cldr.py) decides which form a count or an ordinal takes.
The program's sentences are in the gettext catalogs (``reminders/locale/<lang>/LC_MESSAGES/``,
edited by translators, docs/languages.md); these tables keep the counted words and ordinal
endings every output composes ("5 дней", "37-ci"), each form under its CLDR category, which a
sentence of a catalog then holds as a placeholder. English is written in words.py itself.
"""

from __future__ import annotations

from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ANNIVERSARY = "anniversary"  # what an ordinal counts unless told: "37-я годовщина"


class Language(NamedTuple):
    """One language's words, each form under its CLDR category (``one``, ``few``, ``many``,
    ``other`` ...; the categories a language has are CLDR's, tests/test_languages.py checks
    that every one is written).

    ``ordinal``: the suffix of an ordinal numeral by ordinal category (Azerbaijani ``37-ci``);
    ``agree``: instead, the suffix by the noun it goes with, where the noun's gender and case
    decide it (Russian ``37-я годовщина``, ``37-й день``); ``nouns``: a counted word's forms by
    plural category, keyed by its English singular; ``phrases``: fixed text, or a template
    where ``{x}`` is the counted noun ("5 дней"), or forms by category where ``{n}`` is the
    number."""

    script: str  # the script the words are written in: a tag naming another one gets English
    ordinal: Mapping[str, str]
    agree: Mapping[str, str]
    nouns: Mapping[str, Mapping[str, str]]
    phrases: Mapping[str, str | Mapping[str, str]]


# No native speaker has reviewed these yet (like the catalogs' entries marked unreviewed).
LANGUAGES: Mapping[str, Language] = {
    "az": Language(
        script="Latn",
        # Vowel harmony with the numeral's last word: bir-inci, altı-ncı, üç-üncü, otuz-uncu.
        ordinal={"one": "-ci", "many": "-cı", "few": "-cü", "other": "-cu"},
        agree={},
        nouns={
            "day": {"one": "gün", "other": "gün"},
            "working day": {"one": "iş günü", "other": "iş günü"},
            "hour": {"one": "saat", "other": "saat"},
            "minute": {"one": "dəqiqə", "other": "dəqiqə"},
            "year": {"one": "il", "other": "il"},
            "h": {"one": "saat", "other": "saat"},
            "min": {"one": "dəq", "other": "dəq"},
        },
        phrases={
            "today": "bu gün",
            "tomorrow": "sabah",
            "yesterday": "dünən",
            "on the day": "həmin gün",
            "in": "{x} sonra",
            "ago": "{x} əvvəl",
            "lead": "{x} əvvəl",
            "before": "{x} əvvəl",
            "after": "{x} sonra",
        },
    ),
    "ru": Language(
        script="Cyrl",
        ordinal={},
        agree={ANNIVERSARY: "-я", "day": "-й", "year": "-й"},  # годовщина, день, год
        nouns={
            "day": {"one": "день", "few": "дня", "many": "дней", "other": "дня"},
            "working day": {
                "one": "рабочий день",
                "few": "рабочих дня",
                "many": "рабочих дней",
                "other": "рабочего дня",
            },
            "hour": {"one": "час", "few": "часа", "many": "часов", "other": "часа"},
            "minute": {"one": "минута", "few": "минуты", "many": "минут", "other": "минуты"},
            "year": {"one": "год", "few": "года", "many": "лет", "other": "года"},
            "h": {"one": "ч", "few": "ч", "many": "ч", "other": "ч"},
            "min": {"one": "мин", "few": "мин", "many": "мин", "other": "мин"},
        },
        phrases={
            "today": "сегодня",
            "tomorrow": "завтра",
            "yesterday": "вчера",
            "on the day": "в тот же день",
            "in": "через {x}",
            "ago": "{x} назад",
            "lead": "за {x}",
            "before": "за {x} до",
            "after": "через {x} после",
        },
    ),
    "tr": Language(
        script="Latn",
        ordinal={"other": "."},
        agree={},
        nouns={
            "day": {"one": "gün", "other": "gün"},
            "working day": {"one": "iş günü", "other": "iş günü"},
            "hour": {"one": "saat", "other": "saat"},
            "minute": {"one": "dakika", "other": "dakika"},
            "year": {"one": "yıl", "other": "yıl"},
            "h": {"one": "sa.", "other": "sa."},
            "min": {"one": "dk.", "other": "dk."},
        },
        phrases={
            "today": "bugün",
            "tomorrow": "yarın",
            "yesterday": "dün",
            "on the day": "aynı gün",
            "in": "{x} sonra",
            "ago": "{x} önce",
            "lead": "{x} önce",
            "before": "{x} önce",
            "after": "{x} sonra",
        },
    ),
    "ur": Language(
        script="Arab",
        ordinal={"other": "ویں"},  # 37ویں برسی
        agree={},
        nouns={
            "day": {"one": "دن", "other": "دن"},
            "working day": {"one": "کام کا دن", "other": "کام کے دن"},
            "hour": {"one": "گھنٹہ", "other": "گھنٹے"},
            "minute": {"one": "منٹ", "other": "منٹ"},
            "year": {"one": "سال", "other": "سال"},
            "h": {"one": "گھنٹہ", "other": "گھنٹے"},
            "min": {"one": "منٹ", "other": "منٹ"},
        },
        phrases={
            "today": "آج",
            "tomorrow": "آئندہ کل",
            "yesterday": "گزشتہ کل",
            "on the day": "اسی دن",
            "in": {"one": "{n} دن میں", "other": "{n} دنوں میں"},  # the oblique after میں
            "ago": "{x} پہلے",
            "lead": "{x} پہلے",
            "before": "{x} پہلے",
            "after": "{x} بعد",
        },
    ),
}
