"""A configured language: a BCP 47 tag of a language CLDR knows (``[organisation] language``
and ``languages``, and a channel's, notice rule's or milestone's ``language``)."""

from __future__ import annotations

from typing import Any

from ..core import words
from .langcache import prepare
from .schema import Invalid, matching

LANGUAGE_EXPECTED = "a BCP 47 language tag that CLDR knows, such as 'en', 'az', 'ru' or 'ur-PK'"
_language_form = matching(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*", LANGUAGE_EXPECTED)


def language_tag(value: Any) -> str:
    """A BCP 47 tag of a language CLDR knows (Babel, asked for any tag but English's): it
    becomes the Content-Language of e-mails and the lang of HTML pages, and chooses the words
    (core/words.py). A known language with no translation yet is valid; ``check`` warns."""
    tag = str(_language_form(value))
    prepare(tag)  # CLDR's data of the language from the start-up cache: Babel not imported
    try:
        words.missing(tag)
    except ValueError:
        raise Invalid(LANGUAGE_EXPECTED) from None
    return tag


_LOCALE_DATA: list[str] = []  # Babel's locale-data folder, found once


def _locale_data() -> str:
    if not _LOCALE_DATA:
        import os
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec("babel")  # finds the package without importing it
        origin = spec.origin if spec is not None and spec.origin else ""
        _LOCALE_DATA.append(os.path.join(os.path.dirname(origin), "locale-data"))
    return _LOCALE_DATA[0]


def translation_tag(value: Any) -> str:
    """The language of a calendar's translation table (``[observance.translations.az]``): a
    BCP 47 tag whose language CLDR has (``az``, ``ur-PK``). Looked up in Babel's locale data
    by file name, without importing Babel or making the language's pack: a calendar of any
    languages loads as fast in English (bench/startup.py)."""
    import os

    tag = str(_language_form(value))
    language = tag.split("-", 1)[0].lower()
    if not os.path.exists(os.path.join(_locale_data(), f"{language}.dat")):
        raise Invalid(LANGUAGE_EXPECTED)
    return tag
