"""Secret tokens for private calendars: from the environment or a file, compared in constant time.

An entry is ``CALENDAR=TOKEN``: the id of a private calendar and a token of 16 to 128 URL-safe
characters (``reminders token`` makes one).  Entries are separated by white space or commas in the
environment variable (``[feed] tokens_env``), and one per line in the file (``[feed] tokens_file``,
where ``#`` starts a comment).  A calendar may have several tokens at once, so a token can be
rotated: add the new one, hand it out, remove the old one.

Messages never show a token: a bad entry is shown with its token replaced by its length, and so
is its calendar part unless it is a calendar's id or too short to be a token (an entry written the
wrong way round, ``TOKEN=CALENDAR``, must not put the token in a log).
"""

from __future__ import annotations

import hmac
import os
import re
import stat
from collections.abc import Collection, Mapping, Sequence

from ..core.errors import ConfigError, Problem
from ..core.model import Calendar
from ..core.settings import Feed

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
SHOWN_ID = re.compile(r"[a-z0-9-]{1,15}")  # shorter than any token: safe to show
EXPECTED = (
    "CALENDAR=TOKEN, where CALENDAR is the id of a private calendar and TOKEN has 16 to 128 "
    "letters, digits, '-' or '_' (make one with 'reminders token')"
)

Tokens = dict[str, tuple[str, ...]]  # calendar id -> valid tokens


def shown_calendar(text: str, known: Collection[str]) -> str:
    """The calendar part of an entry as messages may show it: never text that could be a token."""
    return text if text in known or SHOWN_ID.fullmatch(text) else f"<{len(text)} characters>"


def masked(entry: str, known: Collection[str] = ()) -> str:
    """An entry as messages may show it: the calendar id, never the token."""
    calendar, sep, token = entry.partition("=")
    if not sep:
        return f"<{len(entry)} characters>"
    return f"{shown_calendar(calendar, known)}=<{len(token)} characters>"


def parse_tokens(
    entries: Sequence[tuple[int | None, str]], source: str, calendars: Sequence[Calendar]
) -> tuple[Tokens, list[Problem]]:
    """``(line, entry)`` pairs into tokens per private calendar, and a problem per bad entry."""
    known = {c.id for c in calendars}
    private = {c.id for c in calendars if not c.public}
    found: Tokens = {}
    problems = []
    for number, (line, entry) in enumerate(entries, start=1):
        key = "" if line else f"entry {number}"
        calendar, sep, token = entry.partition("=")
        if not sep or not calendar or not TOKEN.fullmatch(token):
            problems.append(Problem(source, key, masked(entry, known), EXPECTED, line))
            continue
        if calendar not in private:
            listed = ", ".join(sorted(private)) or "none (no calendar has public = false)"
            what = "a public calendar" if calendar in known else "unknown"
            expected = (
                f"tokens only for private calendars; {shown_calendar(calendar, known)!r} is "
                f"{what}; private calendars: {listed}"
            )
            problems.append(Problem(source, key, None, expected, line))
            continue
        found[calendar] = (*found.get(calendar, ()), token)
    return found, problems


def load_tokens(feed: Feed, calendars: Sequence[Calendar], environ: Mapping[str, str]) -> Tokens:
    """Every valid token per private calendar; ConfigError names each bad entry and its source."""
    entries: list[tuple[str, list[tuple[int | None, str]]]] = []
    text = environ.get(feed.tokens_env, "")
    if text.strip():
        entries.append((f"${feed.tokens_env}", [(None, e) for e in re.split(r"[\s,]+", text) if e]))
    if feed.tokens_file:
        from ..config.resources import shown_path

        shown = shown_path(feed.tokens_file)
        file_entries: list[tuple[int | None, str]] = []
        for number, raw in enumerate(_read_lines(feed.tokens_file, shown), start=1):
            entry = raw.split("#", 1)[0].strip()
            if entry:
                file_entries.append((number, entry))
        entries.append((shown, file_entries))
    tokens: Tokens = {}
    problems: list[Problem] = []
    for source, items in entries:
        found, bad = parse_tokens(items, source, calendars)
        problems += bad
        for calendar, values in found.items():
            tokens[calendar] = (*tokens.get(calendar, ()), *values)
    if problems:
        raise ConfigError(problems)
    return tokens


def _read_lines(path: str, shown: str) -> list[str]:
    """The lines of the tokens file; ConfigError if it is not a readable regular UTF-8 file.

    Only a regular file is opened: a FIFO would block the open until a writer comes, and a
    device such as /dev/zero would be read without end.
    """
    try:
        if stat.S_ISREG(os.stat(path).st_mode):
            with open(path, encoding="utf-8") as handle:
                return handle.read().splitlines()
        reason = "not a regular file"
    except OSError as exc:
        reason = exc.strerror or str(exc)
    except UnicodeDecodeError:
        reason = "not UTF-8 text"
    expected = f"a readable tokens file ({reason}); see [feed] tokens_file"
    raise ConfigError([Problem(shown, "", None, expected)])


def token_valid(given: str, valid: Sequence[str]) -> bool:
    """Whether ``given`` is one of ``valid``, comparing with every one in constant time."""
    candidate = given.encode("utf-8", "replace")
    ok = False
    for token in valid:
        ok |= hmac.compare_digest(candidate, token.encode())
    return ok


def new_token() -> str:
    """A fresh token: 32 URL-safe characters (192 bits)."""
    import secrets

    return secrets.token_urlsafe(24)
