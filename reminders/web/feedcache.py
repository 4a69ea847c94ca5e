"""Each calendar's feed built once per change of its inputs, and shared with the combined feed.

A calendar's feed is its VCALENDAR head, the VTIMEZONEs its events use, its VEVENTs
(core/icsevents.py) and the end line; the combined feed (``/all.ics``) is its own head, the
VTIMEZONEs of all, and the same VEVENT bytes of each public calendar, calendar after calendar.
So the VEVENTs of a calendar are built once per build and the combined feed only copies them.

Across builds (:class:`FeedCache`, kept by the feed server) a calendar whose inputs did not
change (its record, which holds every value read from its file and its ``revised`` time; the
window; the organisation's UID domain and language; the examples and refresh settings) keeps
its built feed: the same bytes, gzip bytes and ETags, with no work.  After an edit to one
calendar only that calendar and the combined feed are built again.

Kept as gzip: a built feed holds its gzip form, its size and its ETags, not its bytes: nearly
every calendar client asks for gzip, and a deployment of many organisations would otherwise hold
each feed twice (app.Stored inflates the bytes for a client that does not ask for gzip, and keeps
them within a budget).  The combined feed needs its calendars' VEVENT bytes to be hashed; where
it joins two or more calendars (``Builder.joined``), each public calendar keeps them, so that an
edit to one calendar of ten does not inflate the nine others (bench/rebuild.py); a combined feed
of one calendar is rebuilt only with that calendar or its own name, and then inflates it.

gzip: each calendar's VEVENTs are compressed once, as a raw deflate stream that ends in a full
flush (byte-aligned, referring to nothing before it), and a feed's gzip form is the gzip header,
its head compressed the same way, those streams, its end line compressed with the final block,
and the CRC-32 and length of the whole body: one valid gzip member, the same bytes for the same
feed, built without compressing any calendar's events twice.
"""

from __future__ import annotations

import hashlib
import struct
import threading
import zlib
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime, timedelta

from ..core.model import Calendar

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    from ..core.icsevents import Lines
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

# As gzip.compress(data, 9, mtime=0) writes it: deflate, no flags, no time, best compression,
# unknown OS.
GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"


def etag_of(data: bytes, suffix: str = "") -> str:
    return etag_of_parts([data], suffix)


def etag_of_parts(parts: Sequence[bytes | memoryview], suffix: str = "") -> str:
    """The strong ETag of the bytes ``parts`` make together (without joining them): a hash of
    the bytes, ``suffix`` before the closing quote."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return f'"{digest.hexdigest()[:32]}{suffix}"'


def deflate(data: bytes | memoryview, last: bool = False) -> bytes:
    """Raw deflate of ``data`` at level 9, as gzip does it; ending in a full flush (a part
    that the next part's stream can follow) or, with ``last``, in the final block."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS, 8, 0)
    stream = compressor.compress(data)
    return stream + compressor.flush(zlib.Z_FINISH if last else zlib.Z_FULL_FLUSH)


def inflate(stream: bytes) -> bytes:
    """The bytes of a raw deflate stream that ends in a full flush (:func:`deflate`'s)."""
    return zlib.decompressobj(-zlib.MAX_WBITS).decompress(stream)


class Built(NamedTuple):
    """One feed, built: its gzip form, the size and ETags of its bytes, and what the combined
    feed reuses."""

    size: int  # of the bytes (the identity body)
    gzipped: bytes
    etag: str
    gzip_etag: str
    deflated: bytes  # the VEVENTs as a raw deflate stream ending in a full flush
    tzids: frozenset[str]
    # The VEVENTs' bytes, for the combined feed: as Builder.calendar returns it, and as it is
    # kept where the combined feed joins two or more calendars (see the module's text).
    events: bytes | memoryview = b""


def assemble(
    head: bytes, first: int, last: int, parts: Sequence[tuple[bytes | memoryview, bytes]],
    tzids: frozenset[str],
) -> Built:  # fmt: skip
    """A feed from its head and its calendars' VEVENTs (each with its deflate stream): its
    bytes are hashed, checksummed and counted part by part, never joined into one copy."""
    from ..core.ics import END, timezones  # icalendar: only what builds feeds imports it

    start = head + b"".join(timezones(tzids, first, last))
    pieces = [start, *(data for data, _ in parts), END]
    crc = size = 0
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
        size += len(piece)
    gzipped = b"".join(
        [
            GZIP_HEADER,
            deflate(start),
            *(stream for _, stream in parts),
            deflate(END, last=True),
            struct.pack("<II", crc, size & 0xFFFFFFFF),
        ]
    )
    etag = etag_of_parts(pieces)  # the gzip form's tag is the bytes' hash too (hashed once)
    return Built(size, gzipped, etag, f'{etag[:-1]}-gzip"', b"", tzids)


class FeedCache:
    """Built feeds by their inputs, from one build to the next (thread-safe).

    Each build looks its feeds up (:meth:`get`) and then keeps exactly what it used
    (:meth:`keep`): what an edit replaced is dropped with the build that replaced it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kept: dict[Hashable, Built] = {}

    def get(self, key: Hashable) -> Built | None:
        with self._lock:
            return self._kept.get(key)

    def keep(self, used: dict[Hashable, Built]) -> None:
        with self._lock:
            self._kept = dict(used)


class Builder:
    """The feeds of one build: each calendar's, then the combined one from theirs."""

    def __init__(
        self, first: int, last: int, domain: str, language: str, examples: bool,
        refresh: timedelta, cache: FeedCache | None, default: str = "",
        lines: Lines | None = None, joined: bool = False,
    ) -> None:  # fmt: skip
        self.first, self.last = first, last
        self.domain, self.language, self.examples = domain, language, examples
        self.default = default  # the organisation's default language ("": ``language``)
        self.lines = lines  # the VEVENT lines of no language, shared with the other languages
        self.refresh = refresh
        self.cache = cache
        self.joined = joined  # the combined feed joins two or more calendars: keep their events
        self.used: dict[Hashable, Built] = {}
        self.built = 0  # calendars whose VEVENTs this build made (the others were kept)

    def _key(self, *what: object) -> Hashable:
        settings = (self.domain, self.language, self.default, self.examples, self.refresh)
        return (*what, self.first, self.last, settings)

    def _kept(self, key: Hashable) -> Built | None:
        found = self.cache.get(key) if self.cache is not None else None
        if found is not None:
            self.used[key] = found
        return found

    def calendar(self, calendar: Calendar) -> Built:
        """A calendar's own feed (head from its name, description and ``revised``), the
        calendar as ``translate.calendar_in`` put it in the builder's language."""
        key = self._key("calendar", calendar)
        found = self._kept(key)
        if found is not None:
            return found
        from ..core.ics import FeedInfo, calendar_head  # icalendar: only what builds feeds
        from ..core.icsevents import calendar_events
        from ..core.translate import text_language

        piece = calendar_events(
            calendar, self.first, self.last, self.domain, self.language, self.examples,
            self.default, self.lines,
        )  # fmt: skip
        self.built += 1
        info = FeedInfo(
            calendar.name, calendar.description, self.domain, self.refresh, self.language,
            self.default, text_language(calendar, calendar, "name"),
            text_language(calendar, calendar, "description"),
        )  # fmt: skip
        head = calendar_head(
            calendar.name, calendar.description, calendar.revised, self.refresh,
            info.head_languages(),
        )  # fmt: skip
        stream = deflate(piece.data)
        built = assemble(head, self.first, self.last, [(piece.data, stream)], piece.tzids)
        kept = self.used[key] = built._replace(
            deflated=stream, events=piece.data if self.joined and calendar.public else b""
        )
        return kept._replace(events=piece.data)  # for this build's combined feed

    def combined(
        self,
        name: str,
        description: str,
        calendars: Sequence[Calendar],
        built: Sequence[Built],
        languages: tuple[str, str] = ("", ""),
    ) -> Built:
        """The combined feed of ``calendars`` (built: their own feeds, in the same order);
        ``languages``: the LANGUAGE= of its name and description ("" for none)."""
        key = self._key("all", name, description, tuple(calendars), languages)
        found = self._kept(key)
        if found is not None:
            return found
        from ..core.ics import calendar_head

        stamp = max((c.revised for c in calendars), default=datetime(2000, 1, 1, tzinfo=UTC))
        head = calendar_head(name, description, stamp, self.refresh, languages)
        tzids = frozenset().union(*(b.tzids for b in built))
        parts = [(b.events or inflate(b.deflated), b.deflated) for b in built]
        found = self.used[key] = assemble(head, self.first, self.last, parts, tzids)
        return found
