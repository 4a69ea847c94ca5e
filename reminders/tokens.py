"""Secret tokens for private calendars: from the environment or a file, compared in constant time.

An entry is ``CALENDAR=TOKEN``: the id of a private calendar and a token of 16 to 128 URL-safe
characters (``reminders token`` makes one).  Entries are separated by white space or commas in the
environment variable (``[feed] tokens_env``), and one per line in the file (``[feed] tokens_file``,
where ``#`` starts a comment).  A calendar may have several tokens at once, so a token can be
rotated: add the new one, hand it out, remove the old one.

Messages never show a token: a bad entry is shown with its token replaced by its length.
"""

from __future__ import annotations

import hmac
import os
import re
from collections.abc import Mapping, Sequence

from .errors import ConfigError, Problem
from .model import Calendar
from .settings import Feed

TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")
EXPECTED = (
    "CALENDAR=TOKEN, where CALENDAR is the id of a private calendar and TOKEN has 16 to 128 "
    "letters, digits, '-' or '_' (make one with 'reminders token')"
)

Tokens = dict[str, tuple[str, ...]]  # calendar id -> valid tokens


def masked(entry: str) -> str:
    """An entry as messages may show it: the calendar id, never the token."""
    calendar, sep, token = entry.partition("=")
    return f"{calendar}=<{len(token)} characters>" if sep else f"<{len(entry)} characters>"


def parse_tokens(
    entries: Sequence[tuple[int | None, str]], source: str
) -> tuple[Tokens, list[Problem]]:
    """``(line, entry)`` pairs into tokens per calendar, and a problem per malformed entry."""
    found: Tokens = {}
    problems = []
    for number, (line, entry) in enumerate(entries, start=1):
        calendar, sep, token = entry.partition("=")
        if not sep or not calendar or not TOKEN.fullmatch(token):
            key = "" if line else f"entry {number}"
            problems.append(Problem(source, key, masked(entry), EXPECTED, line))
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
        from .resources import shown_path

        shown = shown_path(feed.tokens_file)
        try:
            with open(feed.tokens_file, encoding="utf-8") as handle:
                lines = handle.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(
                [
                    Problem(
                        shown,
                        "",
                        None,
                        f"a readable tokens file ({reason}); see [feed] tokens_file",
                    )
                ]
            ) from None
        file_entries: list[tuple[int | None, str]] = []
        for number, raw in enumerate(lines, start=1):
            entry = raw.split("#", 1)[0].strip()
            if entry:
                file_entries.append((number, entry))
        entries.append((shown, file_entries))
    private = {c.id for c in calendars if not c.public}
    tokens: Tokens = {}
    problems: list[Problem] = []
    for source, items in entries:
        found, bad = parse_tokens(items, source)
        problems += bad
        for calendar, values in found.items():
            if calendar not in private:
                known = ", ".join(sorted(private)) or "none (no calendar has public = false)"
                what = (
                    "a public calendar" if any(c.id == calendar for c in calendars) else "unknown"
                )
                problems.append(
                    Problem(
                        source,
                        "",
                        None,
                        f"tokens only for private calendars; {calendar!r} is {what}; "
                        f"private calendars: {known}",
                    )
                )
                continue
            tokens[calendar] = (*tokens.get(calendar, ()), *values)
    if problems:
        raise ConfigError(problems)
    return tokens


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


def tokens_file_stat(feed: Feed) -> list[str]:
    """The tokens file, for the watchers' fingerprint (an edit rotates tokens without a restart)."""
    return [feed.tokens_file] if feed.tokens_file and os.path.exists(feed.tokens_file) else []
