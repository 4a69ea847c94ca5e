"""A calendar in the reader's language: the one seam every output (feed, notices, page, plan) uses.

A calendar file writes its texts in one language (``[calendar] language``, English unless told)
and may give each text item its texts in other languages beside it
(``[observance.translations.az]``, docs/calendar-format.md). The API, pure and cheap to call
again::

    from reminders.core import translate

    shown = translate.calendar_in(calendar, "az")
    # The same record types, ids, dates, rules and sources; every text that has an Azerbaijani
    # translation is Azerbaijani, every other text is left in the calendar's own language.
    # Cached per calendar object and language; the calendar's own language (or a calendar with
    # no Azerbaijani text at all) gives ``calendar`` itself. Occurrences, ICS, notices, page and
    # plan work on it unchanged (occurrences.occurrences(..) fills an Azerbaijani title's
    # {ordinal} in Azerbaijani: the title's own language decides).

    translate.text_language(shown, item, "title")  # -> "az", or "en" where it was not translated
    # ``item`` is ``shown`` itself or one of its observances, facts, moments or events (also as
    # reached through an occurrence: occurrence.calendar, .observance, .event, a TimedMoment's
    # .moment); ``key`` one of TEXT_KEYS[type(item)]. This is the language the text is actually
    # written in: the ICS writes it as LANGUAGE=, the page as lang=, where it is not the
    # language of the surrounding output.

    translate.translation_of(item, "az")  # -> the Translation (translator, reviewed) or None
    translate.missing(calendar, "az")     # -> every text with no, or an unreviewed, translation

A text with no translation is never dropped nor guessed: it is shown in the calendar's own
language, and ``text_language`` says so, so that every output marks it (docs/calendar-format.md,
"Translations"; ``reminders check`` lists such texts per configured language).

A language tag matches a translation written for the same tag (letter case aside) or, failing
that, for its language alone: ``ur-PK`` reads ``[... .translations.ur]``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .model import Calendar, Event, Fact, Moment, Observance, Translation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from .settings import Feed, MilestoneRule, Organisation
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

Item = Calendar | Observance | Fact | Moment | Event

# The keys a translation may give, per record type (a fact's source is cited as it is).
TEXT_KEYS: dict[type, tuple[str, ...]] = {
    Calendar: ("name", "description"),
    Observance: ("title", "description"),
    Fact: ("text",),
    Moment: ("name", "description"),
    Event: ("title", "venue", "description"),
}


def base(language: str) -> str:
    """The language subtag of a tag, lower-cased: ``ur-PK`` -> ``ur``."""
    return language.split("-", 1)[0].lower()


def translation_of(
    item: Item | MilestoneRule | Organisation | Feed, language: str
) -> Translation | None:
    """``item``'s translation into ``language``: the one written for that tag, else the one for
    its language alone (``ur`` for ``ur-PK``), else None. ``item`` is a calendar's or one of the
    configuration's records with translations (:func:`config_text`)."""
    if not item.translations:
        return None
    for found in item.translations:  # the tag as the file writes it: the usual case
        if found.language == language:
            return found
    wanted = language.lower()
    fallback = None
    short = base(language)
    for found in item.translations:
        tag = found.language.lower()
        if tag == wanted:
            return found
        if tag == short:
            fallback = found
    return fallback


def config_text(
    item: MilestoneRule | Organisation | Feed, key: str, language: str, default: str
) -> tuple[str, str]:
    """A text the configuration writes (a ``[[milestone]]``'s ``name``, ``[organisation]``'s
    ``name``, ``[feed]``'s ``name`` and ``description``) in ``language``, and the language it
    is written in: its translation (``[feed.translations.ur]``), else as written, in the
    organisation's default language ``default`` (a milestone's: that of the file that names it)
    as the outputs write that language (words.output_language: a configuration whose language
    has no catalog is taken as written in English, as all its outputs are)."""
    found = translation_of(item, language)
    if found is not None:
        for name, text in found.texts:
            if name == key:
                return text, found.language
    from .words import output_language

    written = getattr(item, "name_language", "") or default
    return getattr(item, key), output_language(written)


def mark(text: str, language: str, spoken: str) -> str:
    """``text``, written in ``language``, as part of a text in ``spoken``: marked ``[xx] ``
    where it is in another language (a feed's description, a plan's milestone), never passed
    off as ``spoken``."""
    return text if same_language(language, spoken) else f"[{language}] {text}"


def same_language(one: str, other: str) -> bool:
    """``en`` and ``en-GB``, ``ur`` and ``ur-PK``: the same language for a calendar's texts."""
    return one == other or base(one) == base(other)


def text_language(calendar: Calendar, item: Item, key: str) -> str:
    """The language ``item``'s text ``key`` is written in, in ``calendar`` as ``calendar_in``
    gave it: the translation's language where it had one, else the calendar's own."""
    shown = calendar.shown
    if shown:
        found = translation_of(item, shown)
        if found is not None:
            for name, _ in found.texts:
                if name == key:
                    return found.language
    return calendar.language


# (id of the calendar, language) -> (the calendar, the calendar in that language). The calendar
# is kept to check that the id is still its (an id can be reused once an object is gone).
_CACHE: dict[tuple[int, str], tuple[Calendar, Calendar]] = {}
_CACHE_SIZE = 256


def calendar_in(calendar: Calendar, language: str) -> Calendar:
    """``calendar`` with every text that has a translation into ``language`` in that language
    (see the module's docstring). ``calendar`` must be as the file wrote it, or already in
    ``language``."""
    if not language or same_language(language, calendar.language):
        return calendar
    if calendar.shown:
        if calendar.shown == language:
            return calendar
        raise ValueError(
            f"calendar {calendar.id!r} is already in {calendar.shown}; "
            "put the calendar as its file writes it into another language"
        )
    key = (id(calendar), language)
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is calendar:
        return cached[1]
    result = _translate(calendar, language)
    if len(_CACHE) >= _CACHE_SIZE:
        _CACHE.clear()  # calendars reloaded many times over: start again
    _CACHE[key] = (calendar, result)
    return result


def _texts(item: Item, language: str) -> dict[str, Any] | None:
    found = translation_of(item, language)
    return dict(found.texts) if found is not None else None


def _translate(calendar: Calendar, language: str) -> Calendar:
    changed = False
    observances = []
    for observance in calendar.observances:
        new = _observance(observance, language)
        changed = changed or new is not observance
        observances.append(new)
    events = []
    for event in calendar.events:
        given = _texts(event, language)
        if given:
            event = event._replace(**given)
            changed = True
        events.append(event)
    own = _texts(calendar, language)
    if not changed and not own:
        return calendar  # nothing of it is written in that language
    return calendar._replace(
        **(own or {}),
        observances=tuple(observances),
        events=tuple(events),
        shown=language,
    )


def _observance(observance: Observance, language: str) -> Observance:
    changes: dict[str, Any] = dict(_texts(observance, language) or {})
    facts = tuple(
        fact._replace(**given) if (given := _texts(fact, language)) else fact
        for fact in observance.facts
    )
    if any(new is not old for new, old in zip(facts, observance.facts, strict=True)):
        changes["facts"] = facts
    moments = tuple(
        moment._replace(**given) if (given := _texts(moment, language)) else moment
        for moment in observance.moments
    )
    if any(new is not old for new, old in zip(moments, observance.moments, strict=True)):
        changes["moments"] = moments
    return observance._replace(**changes) if changes else observance


class Text(NamedTuple):
    """One text of a calendar, where its file has it: ``path`` is its key path in the file
    (``("observance", 0, "fact", 2, "text")``, indexes from 0), for messages and lines."""

    path: tuple[str | int, ...]
    item: Item
    key: str
    value: str


def texts(calendar: Calendar) -> Iterator[Text]:
    """Every non-empty text of ``calendar`` that a translation can give, in file order."""

    def of(path: tuple[str | int, ...], item: Item) -> Iterator[Text]:
        for key in TEXT_KEYS[type(item)]:
            value = getattr(item, key)
            if value:
                yield Text((*path, key), item, key, value)

    yield from of(("calendar",), calendar)
    for o_index, observance in enumerate(calendar.observances):
        path: tuple[str | int, ...] = ("observance", o_index)
        yield from of(path, observance)
        for f_index, fact in enumerate(observance.facts):
            yield from of((*path, "fact", f_index), fact)
        for m_index, moment in enumerate(observance.moments):
            yield from of((*path, "moment", m_index), moment)
    for e_index, event in enumerate(calendar.events):
        yield from of(("event", e_index), event)


class Missing(NamedTuple):
    """A text with no translation into a language (``translation`` None), or an unreviewed one."""

    text: Text
    language: str
    translation: Translation | None


def missing(calendar: Calendar, language: str) -> list[Missing]:
    """Every text of ``calendar`` (as its file writes it) that has no translation into
    ``language``, or only an unreviewed one; nothing for the calendar's own language."""
    if same_language(language, calendar.language):
        return []
    found = []
    for text in texts(calendar):
        translation = translation_of(text.item, language)
        if translation is None or not any(key == text.key for key, _ in translation.texts):
            found.append(Missing(text, language, None))
        elif not translation.reviewed:
            found.append(Missing(text, language, translation))
    return found


def summary(calendars: Iterable[Calendar], languages: Iterable[str]) -> list[str]:
    """One line per language of ``languages`` in which some text of ``calendars`` has no, or an
    unreviewed, translation (for the daemon's start; ``reminders check`` lists the texts)."""
    lines = []
    calendars = tuple(calendars)
    for language in languages:
        found = [item for calendar in calendars for item in missing(calendar, language)]
        if not found:
            continue
        untranslated = sum(item.translation is None for item in found)
        unreviewed = len(found) - untranslated
        parts = []
        if untranslated:
            parts.append(
                f"{untranslated} text(s) with no translation, shown in their calendar's "
                "language and marked as such"
            )
        if unreviewed:
            parts.append(f"{unreviewed} translation(s) not reviewed")
        lines.append(f"{language}: {'; '.join(parts)} (reminders check lists them)")
    return lines
