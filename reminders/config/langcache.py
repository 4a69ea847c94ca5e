"""The CLDR data of the organisation's language, kept in the start-up cache.

Importing Babel and loading one locale's data costs about 30 ms, which would put ``reminders
upcoming`` in Azerbaijani past 6x ``python -I -S -c pass`` (bench/RESULTS.md, "Issue 17
groundwork"). core/cldr.py makes the pack of a language (names, patterns, digits, plural and
ordinal rules: core/cldrdata.py) once; it is kept here under the version of Babel, cldr.py and
the date forms words asks for, by the cache's own mechanism (config/cache.py: a key that differs
is a miss, files are replaced whole, a failure changes nothing but speed), and handed to words
at every load. English needs none.
"""

from __future__ import annotations

import os

from ..core import words
from . import cache

CLDR_CODE = os.path.join(os.path.dirname(words.__file__), "cldr.py")  # not imported: it is Babel


def prepare(language: str) -> None:
    """Hand words the pack of ``language``: from the cache, else made (with Babel) and kept.
    A language CLDR does not know is left to words, which raises when it is asked for it."""
    if words.is_english(language):
        return
    # Named for this installation too: two of them sharing a cache folder keep a file each.
    path = cache.entry_path("cldr", f"{language} {CLDR_CODE}")
    made_by = cache.code_key(CLDR_CODE, ("babel",)) if path is not None else None
    if path is None or made_by is None:
        return
    wanted = {**made_by, "language": language, "forms": tuple(words.SKELETONS.values())}
    found = cache.recall(path, wanted)
    if isinstance(found, dict):
        words.remember(language, found)
        return
    try:
        made = words.pack(language)
    except ValueError:
        return
    cache.keep(path, wanted, made)
