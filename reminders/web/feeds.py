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
from collections.abc import Hashable, Mapping
from datetime import UTC, date, datetime, time

from ..core.dates import local_date, wall_time
from ..core.errors import ReminderError
from ..core.model import Calendar
from ..core.settings import Loaded
from ..core.translate import calendar_in
from .feedcache import Builder, Built, FeedCache
from .feedcache import etag_of as etag_of  # where the app and the tests take it from

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ALL = "/all.ics"


class Resource(NamedTuple):
    """One feed: its URL path, gzip bytes, the size of its bytes and validators (the bytes
    themselves are kept only as their gzip form: feedcache.py)."""

    path: str  # "/all.ics" or "/calendars/{id}.ics"
    calendar: str  # the calendar id; "" for the combined feed
    name: str
    description: str
    size: int  # of the bytes
    gzipped: bytes  # gzip of the bytes, deterministic (no file name, no time stamp)
    etag: str  # '"<hash>"', strong, over body
    gzip_etag: str  # '"<hash of body>-gzip"': the body's hash, tagged for its gzip form
    last_modified: int  # Unix seconds
    private: bool = False  # served only under one of ``tokens``
    tokens: tuple[str, ...] = ()  # a private calendar's valid tokens (none: not served at all)
    language: str = ""  # the language of a feed at /LANG/...; "" for the default language's

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[1]

    @property
    def body(self) -> bytes:
        """The feed's bytes, inflated from its gzip form."""
        return gzip.decompress(self.gzipped)


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
    rebuilt: int = 0  # calendars whose events this build made (the others' were kept)
    # The public feeds of each configured language but the default, as ``public`` has them
    # (``/az/all.ics``, ``/az/calendars/{id}.ics``), in the order of [organisation] languages.
    translated: tuple[tuple[str, tuple[str, ...]], ...] = ()


class FeedError(ReminderError):
    """A feed cannot be built from data that passed the checks (the message names the file)."""


def _why(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def calendar_path(calendar_id: str, language: str = "") -> str:
    """``/calendars/{id}.ics``, or ``/{language}/calendars/{id}.ics`` in another language than
    the default."""
    return (
        f"/{language}/calendars/{calendar_id}.ics" if language else f"/calendars/{calendar_id}.ics"
    )


def all_path(language: str = "") -> str:
    """``/all.ics``, or ``/{language}/all.ics`` in another language than the default."""
    return f"/{language}{ALL}" if language else ALL


def window(loaded: Loaded, today: date) -> tuple[int, int]:
    feed = loaded.settings.feed
    return today.year - feed.past_years, today.year + feed.future_years


def compress(data: bytes) -> bytes:
    """gzip with no name and no time stamp, so the same bytes always compress alike (what the
    page and the plans are sent as; a feed's gzip form is assembled by feedcache.assemble).

    Level 6, zlib's default: a plan page of 136 KB compresses in half the time of level 9 and
    3% larger (14.3 KB against 13.8 KB), and a deployment builds a page and a plan per
    organisation and language (bench/RESULTS.md, section 22)."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def feeds_from_files(
    config_path: str,
    loaded: Loaded,
    tokens: Mapping[str, tuple[str, ...]],
    now: datetime,
    cache: FeedCache | None = None,
) -> FeedSet:
    """The feeds of ``loaded`` as they are served at ``now``: the window from the organisation's
    local date, Last-Modified from the newest of the files they were read from."""
    from ..config.sources import inputs_time

    settings = loaded.settings
    today = local_date(now, settings.organisation.timezone)
    changed = inputs_time(config_path, settings.calendars_dir)
    return build_feeds(loaded, today, tokens, changed, now, cache)


def build_feeds(
    loaded: Loaded,
    today: date,
    tokens: Mapping[str, tuple[str, ...]],
    inputs_changed: int,
    built_at: datetime,
    cache: FeedCache | None = None,
) -> FeedSet:
    """Build the combined feed and one feed per calendar (private ones carry their tokens).

    ``inputs_changed`` is the newest modification time (Unix seconds) of the files the data was
    read from; ``built_at`` caps Last-Modified (a date in the future is never sent).  With a
    ``cache`` (the feed server's), a calendar whose inputs did not change since the last build
    keeps its bytes and is not built again (feedcache.py).
    """
    from ..core.ics import feed_of

    settings = loaded.settings
    first, last = window(loaded, today)
    year_start = wall_time(date(today.year, 1, 1), time(0, 0), settings.organisation.timezone)
    cap = int(built_at.timestamp())

    def stamp(calendars: tuple[Calendar, ...]) -> int:
        newest = max(
            [inputs_changed, int(year_start.timestamp())]
            + [int(c.revised.timestamp()) for c in calendars]
        )
        return min(newest, cap)

    feed = settings.feed
    resources: dict[str, Resource] = {}
    used: dict[Hashable, Built] = {}
    rebuilt = 0
    translated: list[tuple[str, tuple[str, ...]]] = []
    from ..core.icsevents import Lines

    lines = Lines()  # what every language's VEVENTs share (times, stamps, UIDs), made once
    # Every language's feeds are built with the default's (docs/web.md, "Languages"): the same
    # steps, so a request for any of them is answered from prepared bytes alike.
    for index, language in enumerate(settings.organisation.languages):
        tag = "" if index == 0 else language
        public, info = feed_of(loaded, None, language)
        builder = Builder(
            first, last, info.uid_domain, info.language, feed.include_examples, info.refresh,
            cache, info.default, lines, joined=len(public) > 1,
        )  # fmt: skip
        own = {}
        for calendar in loaded.calendars:
            shown = calendar_in(calendar, info.language)
            own[calendar.id] = (shown, _built(builder, shown))
        combined = builder.combined(
            info.name, info.description, public, [own[c.id][1] for c in public],
            info.head_languages(),
        )  # fmt: skip
        used.update(builder.used)
        rebuilt += builder.built
        path = all_path(tag)
        resources[path] = _resource(
            path, "", info.name, info.description, combined, stamp(public), language=tag
        )
        for calendar in loaded.calendars:
            shown, built = own[calendar.id]
            path = calendar_path(calendar.id, tag)
            valid = () if calendar.public else tuple(tokens.get(calendar.id, ()))
            resources[path] = _resource(
                path,
                calendar.id,
                shown.name,
                shown.description,
                built,
                stamp((calendar,)),
                not calendar.public,
                valid,
                tag,
            )
        if tag:
            paths = (all_path(tag), *(calendar_path(c.id, tag) for c in public))
            translated.append((tag, paths))
    if cache is not None:
        cache.keep(used)
    public = tuple(c for c in loaded.calendars if c.public)
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
        rebuilt,
        tuple(translated),
    )


def _built(builder: Builder, calendar: Calendar) -> Built:
    """One calendar's feed; a failure names the calendar's file."""
    try:
        return builder.calendar(calendar)
    except ReminderError:
        raise
    except Exception as exc:  # a library refusing a value the checks let through
        raise FeedError(
            f"{calendar.source}: the feed of calendar {calendar.id!r} cannot be built: {_why(exc)}"
        ) from exc


def _resource(
    path: str,
    calendar: str,
    name: str,
    description: str,
    built: Built,
    last_modified: int,
    private: bool = False,
    tokens: tuple[str, ...] = (),
    language: str = "",
) -> Resource:
    return Resource(
        path,
        calendar,
        name,
        description,
        built.size,
        built.gzipped,
        built.etag,
        built.gzip_etag,
        last_modified,
        private,
        tokens,
        language,
    )
