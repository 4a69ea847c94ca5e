"""The feed's resources: each calendar's ICS bytes and the combined feed, built once per change.

``build_feeds`` is pure: it takes the loaded data, the organisation's ``today`` (which fixes the
window of years), the tokens, the newest input file time and the build time, and returns a
:class:`FeedSet`.  The web app (app.py) serves those bytes as they are, and ``export --site``
(site.py) writes the same bytes to files, so nginx and the app serve byte-identical feeds.

Validators are deterministic, so several workers (or a worker and nginx) agree on them:

* the ETag is a hash of the bytes (its gzip form has its own, ``-gzip`` suffixed, tag);
* Last-Modified is the newest of the input files' modification times (config, calendar files and
  their folder), each calendar's ``revised`` time and the start of the window's current year (the
  window moves on January 1), capped at the build time: whenever the bytes change, one of those has
  moved forward.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime, time

from ..core.dates import local_date, wall_time
from ..core.errors import ReminderError
from ..core.model import Calendar
from ..core.settings import Loaded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ALL = "/all.ics"


class Resource(NamedTuple):
    """One feed: its URL path, bytes, gzip bytes and validators."""

    path: str  # "/all.ics" or "/calendars/{id}.ics"
    calendar: str  # the calendar id; "" for the combined feed
    name: str
    description: str
    body: bytes
    gzipped: bytes  # gzip of body, deterministic (no file name, no time stamp)
    etag: str  # '"<hash>"', strong, over body
    gzip_etag: str  # '"<hash of body>-gzip"': the body's hash, tagged for its gzip form
    last_modified: int  # Unix seconds
    private: bool = False  # served only under one of ``tokens``
    tokens: tuple[str, ...] = ()  # a private calendar's valid tokens (none: not served at all)

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[1]


class FeedSet(NamedTuple):
    """Every feed of one build, by URL path, and what the page and /healthz show about it."""

    loaded: Loaded
    today: date  # in the organisation's time zone
    first_year: int
    last_year: int
    resources: dict[str, Resource]  # URL path -> resource (public and private)
    public: tuple[str, ...]  # paths of the public feeds, combined first
    revision: str  # a hash over every resource's ETag: the same data gives the same revision
    built_at: datetime  # UTC, when this build was made (informational)
    last_modified: int  # the newest Last-Modified of any resource


class FeedError(ReminderError):
    """A feed cannot be built from data that passed the checks (the message names the file)."""


def _why(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def calendar_path(calendar_id: str) -> str:
    return f"/calendars/{calendar_id}.ics"


def window(loaded: Loaded, today: date) -> tuple[int, int]:
    feed = loaded.settings.feed
    return today.year - feed.past_years, today.year + feed.future_years


def etag_of(data: bytes, suffix: str = "") -> str:
    return f'"{hashlib.sha256(data).hexdigest()[:32]}{suffix}"'


def compress(data: bytes) -> bytes:
    """gzip with no name and no time stamp, so the same bytes always compress alike."""
    return gzip.compress(data, compresslevel=9, mtime=0)


def feeds_from_files(
    config_path: str, loaded: Loaded, tokens: Mapping[str, tuple[str, ...]], now: datetime
) -> FeedSet:
    """The feeds of ``loaded`` as they are served at ``now``: the window from the organisation's
    local date, Last-Modified from the newest of the files they were read from."""
    from ..config.sources import inputs_time

    settings = loaded.settings
    today = local_date(now, settings.organisation.timezone)
    changed = inputs_time(config_path, settings.calendars_dir)
    return build_feeds(loaded, today, tokens, changed, now)


def build_feeds(
    loaded: Loaded,
    today: date,
    tokens: Mapping[str, tuple[str, ...]],
    inputs_changed: int,
    built_at: datetime,
) -> FeedSet:
    """Build the combined feed and one feed per calendar (private ones carry their tokens).

    ``inputs_changed`` is the newest modification time (Unix seconds) of the files the data was
    read from; ``built_at`` caps Last-Modified (a date in the future is never sent).
    """
    from ..core.ics import export_ics

    first, last = window(loaded, today)
    year_start = wall_time(
        date(today.year, 1, 1), time(0, 0), loaded.settings.organisation.timezone
    )
    cap = int(built_at.timestamp())

    def stamp(calendars: tuple[Calendar, ...]) -> int:
        newest = max(
            [inputs_changed, int(year_start.timestamp())]
            + [int(c.revised.timestamp()) for c in calendars]
        )
        return min(newest, cap)

    def built(calendar: Calendar | None) -> bytes:
        """One feed's bytes; a failure names the calendar's file (or the config's)."""
        try:
            return export_ics(loaded, first, last, calendar.id if calendar else None, None)
        except ReminderError:
            raise
        except Exception as exc:  # a library refusing a value the checks let through
            source = calendar.source if calendar else loaded.settings.source
            what = f"calendar {calendar.id!r}" if calendar else "the combined calendar"
            raise FeedError(f"{source}: the feed of {what} cannot be built: {_why(exc)}") from exc

    feed = loaded.settings.feed
    resources: dict[str, Resource] = {}
    public = tuple(c for c in loaded.calendars if c.public)
    # Each calendar first, so that a failure names the calendar's own file.
    bodies = {calendar.id: built(calendar) for calendar in loaded.calendars}
    body = built(None)
    resources[ALL] = _resource(ALL, "", feed.name, feed.description, body, stamp(public), False, ())
    for calendar in loaded.calendars:
        path = calendar_path(calendar.id)
        body = bodies[calendar.id]
        valid = () if calendar.public else tuple(tokens.get(calendar.id, ()))
        resources[path] = _resource(
            path,
            calendar.id,
            calendar.name,
            calendar.description,
            body,
            stamp((calendar,)),
            not calendar.public,
            valid,
        )
    revision = hashlib.sha256(
        "\n".join(f"{p} {r.etag} {r.last_modified}" for p, r in sorted(resources.items())).encode()
    ).hexdigest()[:16]
    return FeedSet(
        loaded,
        today,
        first,
        last,
        resources,
        (ALL, *(calendar_path(c.id) for c in public)),
        revision,
        built_at.astimezone(UTC),
        max(r.last_modified for r in resources.values()),
    )


def _resource(
    path: str,
    calendar: str,
    name: str,
    description: str,
    body: bytes,
    last_modified: int,
    private: bool,
    tokens: tuple[str, ...],
) -> Resource:
    gzipped = compress(body)
    return Resource(
        path,
        calendar,
        name,
        description,
        body,
        gzipped,
        etag_of(body),
        etag_of(body, "-gzip"),
        last_modified,
        private,
        tokens,
    )
