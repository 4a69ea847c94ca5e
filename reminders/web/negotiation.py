"""Which of the configured languages a visitor reads: the ``Accept-Language`` header of ``/``.

The header lists language ranges with a weight each (``ur-PK, ur;q=0.9, en;q=0.8``; no weight is
1, ``q=0`` is "not this one"). The ranges are tried from the heaviest (in the header's order
among equals), and each against the organisation's languages (``[organisation] languages``):

1. as written, letter case aside, and then shortened from the end, as RFC 4647's lookup does:
   ``ur-PK`` is ``ur-PK``, else ``ur``; ``az-Latn-AZ`` is ``az-Latn``, else ``az``;
2. else the first configured language with the same language subtag: ``ur`` finds ``ur-PK``;
3. ``*`` is the default language.

A header that names none of them, names them only with ``q=0``, cannot be read, or is missing
gives the default language (the first configured). The answer is always one of the configured
languages (tests/test_page_languages.py checks it for any header).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from ..core.translate import base


def negotiate(header: bytes | str | None, languages: Sequence[str]) -> str:
    """The configured language (one of ``languages``, the default first) that ``header`` asks
    for most; the default when it asks for none of them."""
    if not languages:
        raise ValueError("no language is configured")
    if not header:
        return languages[0]
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    return _negotiate(text, tuple(languages))


@lru_cache(maxsize=256)  # browsers send a few headers, the same each time
def _negotiate(header: str, languages: tuple[str, ...]) -> str:
    for wanted in ranges(header):
        found = match(wanted, languages)
        if found is not None:
            return found
    return languages[0]


def ranges(header: str) -> list[str]:
    """The header's language ranges with a weight above 0, lower-cased, heaviest first (the
    header's order among equals). A weight that is not a number from 0 to 1 is 0."""
    weighed = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        weight = 1.0
        for param in params.split(";"):
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
                if not 0.0 <= weight <= 1.0:  # also NaN
                    weight = 0.0
        if weight > 0:
            weighed.append((-weight, index, tag))
    weighed.sort()
    return [tag for _, _, tag in weighed]


def match(wanted: str, languages: tuple[str, ...]) -> str | None:
    """The configured language a range ``wanted`` (lower-case) names, or None."""
    if wanted == "*":
        return languages[0]
    lowered = [language.lower() for language in languages]
    tag = wanted
    while tag:
        if tag in lowered:
            return languages[lowered.index(tag)]
        tag = tag.rpartition("-")[0]
    primary = base(wanted)
    for language in languages:
        if base(language) == primary:
            return language
    return None
