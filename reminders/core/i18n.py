"""Program text in the reader's language: the gettext catalogs of reminders/locale/.

A sentence the program writes (a template's ``{% trans %}`` or ``_()``, and a sentence in Python
such as the plan's headings or a conflict's reason) is looked up here by its English text, the
msgid. Python marks its sentences with the two functions below, which ``pybabel extract`` finds
by name (the keywords ``t:2`` and ``nt:2,3``, in pyproject.toml's ``[tool.babel]``)::

    from ..core.i18n import t, nt
    t(language, "Conflicts")
    nt(language, "%(n)s event", "%(n)s events", count) % {"n": count}

English reads no catalog and imports no ``gettext`` module: the msgid is the English text itself,
so the English outputs and their golden files are unchanged. A language whose catalog lacks a
sentence gets the English sentence (gettext's fallback); tests/test_catalogs.py keeps every
bundled catalog complete, so that no output is half in one language and half in the other.

``reminders/locale/reminders.pot`` lists every marked sentence; each language has
``reminders/locale/<lang>/LC_MESSAGES/reminders.po`` (edited by translators) and its compiled
``.mo`` beside it, shipped in the package (docs/languages.md).
"""

from __future__ import annotations

import os
from typing import Any

from . import words

LOCALE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "locale")
DOMAIN = "reminders"

_catalogs: dict[tuple[str, str], Any] = {}


def translations(language: str) -> Any:
    """The catalog of ``language`` (a gettext translations object; one without the language's
    file translates nothing), None for English. Read once per process and folder."""
    if words.is_english(language):
        return None
    key = (LOCALE_DIR, language)
    found = _catalogs.get(key)
    if found is None:
        import gettext

        tag = language.replace("-", "_")
        found = gettext.translation(
            DOMAIN, LOCALE_DIR, languages=[tag, tag.split("_", 1)[0].lower()], fallback=True
        )
        _catalogs[key] = found
    return found


def t(language: str, message: str) -> str:
    """``message`` (English) in ``language``."""
    catalog = translations(language)
    return message if catalog is None else str(catalog.gettext(message))


def nt(language: str, singular: str, plural: str, count: int) -> str:
    """The form of ``singular``/``plural`` (English) for ``count`` in ``language``, by the
    language's plural rule (the catalog's Plural-Forms, from CLDR)."""
    catalog = translations(language)
    if catalog is None:
        return singular if count == 1 else plural
    return str(catalog.ngettext(singular, plural, count))
