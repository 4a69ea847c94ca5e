"""Rebuild only what changed: each calendar's feed kept from one build to the next.

Ten calendars (the bundled one under ten ids, one of them private); an edit to one calendar
builds that calendar and the combined feed again, and every other feed keeps its bytes, gzip
bytes and ETags (the same objects, not rebuilt).  The gzip forms are assembled from each
calendar's own compressed events: valid gzip, the bytes of the body, the same bytes as a build
without the cache.
"""

from __future__ import annotations

import gc
import gzip
import subprocess
import tracemalloc
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from reminders.core import icsevents
from reminders.core.settings import Loaded
from reminders.web import feedcache
from reminders.web.feedcache import FeedCache
from reminders.web.feeds import ALL, FeedSet, build_feeds, calendar_path

from .conftest import ROOT
from .test_web import load_project

TODAY = date(2026, 12, 1)
BUILT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
INPUTS = int(datetime(2026, 11, 25, tzinfo=UTC).timestamp())


@pytest.fixture(scope="module")
def ten() -> Loaded:
    """The bundled calendar as ten calendars, the last of them private."""
    loaded = load_project(ROOT / "config.toml")
    org = loaded.settings.organisation._replace(languages=("en",))  # one language's feeds
    loaded = loaded._replace(settings=loaded.settings._replace(organisation=org))
    (calendar,) = loaded.calendars
    calendars = tuple(
        calendar._replace(id=f"cal-{n}", name=f"Calendar {n}", public=n < 9) for n in range(10)
    )
    return loaded._replace(calendars=calendars)


def edited(loaded: Loaded, index: int, text: str) -> Loaded:
    """Calendar ``index`` with ``text`` as its first observance's description."""
    calendars = list(loaded.calendars)
    first, *others = calendars[index].observances
    observances = (first._replace(description=text), *others)
    calendars[index] = calendars[index]._replace(observances=observances)
    return loaded._replace(calendars=tuple(calendars))


def build(loaded: Loaded, cache: FeedCache | None, today: date = TODAY) -> FeedSet:
    return build_feeds(loaded, today, {"cal-9": ("secret-token-123456",)}, INPUTS, BUILT, cache)


def test_an_edit_to_one_calendar_builds_that_calendar_and_the_combined_feed_only(
    ten: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = FeedCache()
    first = build(ten, cache)
    assert first.rebuilt == 10
    built: list[str] = []
    making = icsevents.calendar_events

    def counted(calendar, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append(calendar.id)
        return making(calendar, *args, **kwargs)

    monkeypatch.setattr(icsevents, "calendar_events", counted)
    second = build(edited(ten, 3, "Edited: a new description."), cache)
    assert built == ["cal-3"]
    assert second.rebuilt == 1
    for path, before in first.resources.items():
        after = second.resources[path]
        if path in (ALL, calendar_path("cal-3")):
            assert after.etag != before.etag
            assert after.gzip_etag != before.gzip_etag
            assert after.body != before.body
            assert after.gzipped != before.gzipped
        else:  # kept, not rebuilt: the very same bytes
            assert (after.etag, after.gzip_etag) == (before.etag, before.gzip_etag)
            assert after.gzipped is before.gzipped
            assert after.body == before.body
    assert b"Edited: a new description." in second.resources[calendar_path("cal-3")].body
    # The combined feed carries the edited calendar's new events and the others' kept ones.
    combined = second.resources[ALL].body
    assert (
        second.resources[calendar_path("cal-3")]
        .body.split(b"BEGIN:VEVENT", 1)[1]
        .split(b"END:VCALENDAR")[0]
        in combined
    )

    built.clear()
    third = build(edited(ten, 3, "Edited: a new description."), cache)  # nothing changed
    assert built == []
    assert third.rebuilt == 0
    assert all(third.resources[p].gzipped is r.gzipped for p, r in second.resources.items())
    assert third.revision == second.revision


def test_a_new_window_builds_every_calendar_again(ten: Loaded) -> None:
    cache = FeedCache()
    build(ten, cache)
    later = build(ten, cache, date(2027, 1, 1))  # January 1: the window moves on
    assert later.rebuilt == 10
    assert later.first_year == 2027 - ten.settings.feed.past_years


def test_feeds_are_the_same_bytes_with_and_without_the_cache(ten: Loaded) -> None:
    cache = FeedCache()
    build(ten, cache)
    kept = build(edited(ten, 5, "Another text."), cache)
    fresh = build(edited(ten, 5, "Another text."), None)
    for path, resource in fresh.resources.items():
        assert kept.resources[path] == resource


def test_every_gzip_form_is_one_valid_gzip_member_of_the_body(ten: Loaded, tmp_path: Path) -> None:
    feeds = build(ten, None)
    for path, resource in feeds.resources.items():
        assert gzip.decompress(resource.gzipped) == resource.body, path
        # The gzip tool itself (not only Python's reader, which reads several members).
        packed = tmp_path / f"{resource.filename}.gz"
        packed.write_bytes(resource.gzipped)
        done = subprocess.run(["gzip", "-dc", str(packed)], capture_output=True, check=True)
        assert done.stdout == resource.body
    # A calendar's feed compresses as well as gzip does it in one piece (give or take the
    # blocks' ends); the combined feed less well than that only where its calendars repeat
    # each other, as these ten do.
    resource = feeds.resources[calendar_path("cal-0")]
    assert len(resource.gzipped) < 1.05 * len(gzip.compress(resource.body, 9)) + 64


def test_the_combined_feed_is_each_public_calendars_events_in_turn(ten: Loaded) -> None:
    feeds = build(ten, None)
    combined = feeds.resources[ALL].body
    events = [feeds.resources[calendar_path(f"cal-{n}")].body for n in range(9)]
    inner = [
        b"BEGIN:VEVENT" + body.split(b"BEGIN:VEVENT", 1)[1][: -len(b"END:VCALENDAR\r\n")]
        for body in events
    ]
    start = combined.index(b"BEGIN:VEVENT")
    assert combined[start:] == b"".join(inner) + b"END:VCALENDAR\r\n"
    assert b"cal-9" not in combined  # private


def held_by(loaded: Loaded) -> tuple[int, FeedSet]:
    """The bytes a build with a cache leaves allocated, and the build."""
    build(loaded, None)  # imports, VTIMEZONEs and the other caches of a first build, not counted
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        cache = FeedCache()
        feeds = build(loaded, cache)
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    return held, feeds


def test_a_build_holds_its_gzip_bytes_and_the_joined_calendars_events(ten: Loaded) -> None:
    """No icalendar object tree, no list of per-event pieces, no feed's bytes: what a build of
    ten calendars leaves allocated is their feeds' gzip forms, each calendar's deflate stream,
    and the public calendars' events, which the next build's combined feed joins again."""
    held, feeds = held_by(ten)
    plain = sum(r.size for r in feeds.resources.values())
    assert plain == sum(len(r.body) for r in feeds.resources.values())
    assert plain > 900_000
    gzipped = sum(len(r.gzipped) for r in feeds.resources.values())
    events = feeds.resources[ALL].size  # about the public calendars' events
    assert held < events + 2.2 * gzipped, (held, events, gzipped)
    assert held < 0.7 * plain, (held, plain)


def test_one_public_calendar_keeps_only_its_gzip_bytes(ten: Loaded) -> None:
    """A combined feed of one calendar keeps no events: it is rebuilt only with that calendar
    or its own name (then it inflates them), so every feed is held as gzip alone."""
    one = ten._replace(calendars=tuple(c._replace(public=c.id == "cal-0") for c in ten.calendars))
    held, feeds = held_by(one)
    plain = sum(r.size for r in feeds.resources.values())
    gzipped = sum(len(r.gzipped) for r in feeds.resources.values())
    assert held < 2.5 * gzipped, (held, gzipped)
    assert held < plain / 4, (held, plain)


def counted_inflations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """From now on, the size of every deflate stream feedcache inflates, in order."""
    inflated: list[int] = []
    inflating = feedcache.inflate

    def counted(stream: bytes) -> bytes:
        inflated.append(len(stream))
        return inflating(stream)

    monkeypatch.setattr(feedcache, "inflate", counted)
    return inflated


def test_an_edit_inflates_no_kept_calendar_when_the_feed_joins_several(
    ten: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = FeedCache()
    build(ten, cache)
    inflated = counted_inflations(monkeypatch)
    again = build(edited(ten, 3, "Edited: a new description."), cache)
    assert inflated == []
    assert (
        again.resources[ALL].body
        == build(edited(ten, 3, "Edited: a new description."), None).resources[ALL].body
    )


def test_a_combined_feed_of_one_calendar_rebuilt_alone_inflates_it_to_the_same_bytes(
    ten: Loaded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The feed's own name changes: the combined feed is built again from the kept calendar's
    deflate stream, the same bytes as a build without the cache."""
    one = ten._replace(calendars=tuple(c._replace(public=c.id == "cal-0") for c in ten.calendars))
    cache = FeedCache()
    first = build(one, cache)
    inflated = counted_inflations(monkeypatch)
    feed = one.settings.feed._replace(name="Another name")
    renamed = one._replace(settings=one.settings._replace(feed=feed))
    again = build(renamed, cache)
    assert len(inflated) == 1
    assert again.resources[ALL].etag != first.resources[ALL].etag
    fresh = build(renamed, None).resources[ALL]
    assert (again.resources[ALL].body, again.resources[ALL].etag) == (fresh.body, fresh.etag)
    assert again.resources[ALL].gzipped == fresh.gzipped
    assert (
        again.resources[calendar_path("cal-0")].gzipped
        is first.resources[calendar_path("cal-0")].gzipped
    )
