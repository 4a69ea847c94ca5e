"""The HTTP feed and page as an ASGI app (served by uvicorn; see server.py).

Feeds take a lean path: a request for a feed is answered from replies prepared when the feed was
built (:class:`Prepared`), with no routing, no Request object and no per-request allocation beyond
the two ASGI messages.  :func:`feed_reply` decides which reply; server.py calls it too, to answer
public feeds inside uvicorn's HTTP protocol, so both paths give the same answer by construction.
Every other path under ``/calendars/`` (private feeds, and what is not there) takes one lean path
too (:func:`admitted`, :func:`refuse`); the page, ``/healthz`` and the plans go through a small
Starlette app, whose 404 and 405 are the lean path's very replies.  The page, the plans and the
icon are prepared like the feeds (:class:`PreparedPage`): gzip and a strong ETag for each
representation, made once per build, and a 304 for a matching If-None-Match.

The header rules (docs/web.md):

* ``Content-Type: text/calendar; charset=utf-8``, ``Content-Disposition: inline`` (``attachment``
  with ``?download=1``), a strong ETag over the bytes, Last-Modified, ``Cache-Control`` matching
  the refresh interval, ``Vary: Accept-Encoding``;
* If-None-Match (weak comparison, ``*``, lists) decides when present; otherwise If-Modified-Since;
  a match is a 304 with the same validators, anything else the full body;
* gzip when Accept-Encoding allows it (prepared once, deterministic);
* request headers over 16 KiB in all (names and values) get a 431, since the HTTP parser sets
  no limit;
* a private calendar is served only with one of its tokens (``?token=`` or
  ``/calendars/{token}/{id}.ics``), compared in constant time; anything else is the same 404 as an
  unknown path (body and headers), so a probe cannot tell a private calendar from none.

No request path reaches the file system: feeds and the page are bytes in memory, found by exact
dictionary lookup.
"""

from __future__ import annotations

import gzip
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import UTC, date, datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qs

from ..core.dates import local_date
from .feeds import FeedSet, Resource, compress, etag_of
from .tokens import token_valid

log = logging.getLogger("reminders")

Headers = list[tuple[bytes, bytes]]
Scope = MutableMapping[str, Any]
Send = Callable[[dict[str, Any]], Any]
Receive = Callable[[], Any]

TEXT = b"text/plain; charset=utf-8"
NOT_FOUND = b"Not Found\n"
NOT_ALLOWED = b"Method Not Allowed\n"
TOO_LARGE = b"Request Header Fields Too Large\n"
# httptools sets no limit on request headers; this one is generous for any calendar client.
MAX_HEADER_BYTES = 16 * 1024
DOWNLOAD_VALUES = ("1", "true", "yes")


def http_date(seconds: int) -> str:
    return formatdate(seconds, usegmt=True)


class Reply(NamedTuple):
    """One whole answer, built once: what ASGI sends, and the same header lines as bytes."""

    status: int
    headers: Headers
    body: bytes  # as sent: empty for HEAD and 304
    lines: bytes  # the headers as HTTP/1.1 lines ("name: value\r\n" each), for a direct write


def reply(status: int, headers: Headers, body: bytes) -> Reply:
    return Reply(status, headers, body, b"".join(b"%s: %s\r\n" % pair for pair in headers))


def plain_reply(status: int, body: bytes, head: bool, extra: Headers | None = None) -> Reply:
    """A short text answer (404, 405, 431); ``head``: the answer to a HEAD, without the body."""
    headers = [
        (b"content-type", TEXT),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        *(extra or ()),
    ]
    return reply(status, headers, b"" if head else body)


# By "is it a HEAD request": the same headers, no body for HEAD.
NOT_FOUND_REPLIES = {head: plain_reply(404, NOT_FOUND, head) for head in (False, True)}

# Before the first build is served (the daemon schedules first and builds the feed meanwhile,
# server.py): every path but /healthz gets a 503 that says why and when to ask again; never a
# 404, which a client or a cache could keep as "this calendar is gone".
BUILDING = b"Service Unavailable: the calendars are being built; try again in a few seconds.\n"
FAILED = b"Service Unavailable: the calendars could not be built; the server's log says why.\n"
RETRY_AFTER = {"building": b"10", "failed": b"60"}  # seconds
UNAVAILABLE_REPLIES = {
    state: {
        head: plain_reply(
            503,
            BUILDING if state == "building" else FAILED,
            head,
            [(b"retry-after", RETRY_AFTER[state]), (b"cache-control", b"no-store")],
        )
        for head in (False, True)
    }
    for state in ("building", "failed")
}
TOO_LARGE_REPLIES = {head: plain_reply(431, TOO_LARGE, head) for head in (False, True)}
NOT_ALLOWED_REPLY = plain_reply(405, NOT_ALLOWED, False, [(b"allow", b"GET, HEAD")])


class Stored:
    """An answer's body kept as its gzip form, with the identity replies inflated on request.

    Nearly every calendar client and browser asks for gzip; the bytes themselves are asked for
    by a few (curl, a script).  So a prepared feed or page holds its gzip form and the size of
    its bytes, and its identity GET reply (by ``variant``: a feed's inline or download one) is
    inflated on the first such request and kept in :data:`INFLATED`, a budget shared by every
    answer of the process; the answer inflated first is forgotten first, and inflated again on
    its next request.  A deployment of 200 organisations holds each feed, page and plan once,
    compressed, instead of twice (bench/RESULTS.md, section 23).
    """

    __slots__ = ("gzipped", "identity", "plain_headers", "size")

    def __init__(self, gzipped: bytes, size: int, plain_headers: list[Headers]) -> None:
        self.gzipped, self.size = gzipped, size
        self.plain_headers = plain_headers  # the identity 200's headers, by variant
        self.identity: list[Reply | None] = [None] * len(plain_headers)

    @property
    def body(self) -> bytes:
        """The bytes, inflated from the gzip form."""
        for answer in self.identity:
            if answer is not None:
                return answer.body
        return gzip.decompress(self.gzipped)

    def inflate(self, variant: int) -> Reply:
        """The identity GET reply of ``variant``, inflated now and kept within the budget."""
        answer = self.identity[variant] = reply(200, self.plain_headers[variant], self.body)
        INFLATED.keep(self, variant)
        return answer

    def forget(self, variant: int) -> None:
        self.identity[variant] = None


class Inflated:
    """The identity bodies inflated from gzip (:class:`Stored`), up to ``budget`` bytes in all;
    past it the ones inflated first are forgotten.  Thread-safe: a build's thread and the
    server's loop may both ask."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.held = 0
        self._kept: dict[tuple[int, int], Stored] = {}  # in the order inflated
        self._lock = threading.Lock()

    def keep(self, stored: Stored, variant: int) -> None:
        with self._lock:
            key = (id(stored), variant)
            if key in self._kept:
                return  # two requests inflated it at once: counted once
            self._kept[key] = stored
            self.held += stored.size
            while self.held > self.budget and len(self._kept) > 1:
                (_, old_variant), old = next(iter(self._kept.items()))
                del self._kept[id(old), old_variant]
                self.held -= old.size
                old.forget(old_variant)


# 8 MiB: every answer of a one-organisation deployment (its five languages' feeds, pages and
# plans come to about 2 MB), and some 130 feeds of a deployment of many.
INFLATED = Inflated(8 * 1024 * 1024)


class Prepared(Stored):
    """A feed resource with every reply built once: 200 by (HEAD, download, gzip), 304 by gzip;
    the identity GETs' bodies are inflated on request (:class:`Stored`)."""

    __slots__ = ("etags", "lm", "lm_http", "not_modified", "replies", "resource")

    def __init__(self, resource: Resource, refresh_seconds: int) -> None:
        self.resource = resource
        self.lm = resource.last_modified
        self.lm_http = http_date(resource.last_modified).encode()
        scope = b"private" if resource.private else b"public"
        cache = b"%s, max-age=%d" % (scope, refresh_seconds)
        common: Headers = [
            (b"last-modified", self.lm_http),
            (b"cache-control", cache),
            (b"vary", b"accept-encoding"),
        ]
        name = resource.filename.encode()
        self.replies: dict[tuple[bool, bool, bool], Reply] = {}
        plain: list[Headers] = []
        for download in (False, True):
            disposition = b'%s; filename="%s"' % (b"attachment" if download else b"inline", name)
            for gz in (False, True):
                tag = resource.gzip_etag if gz else resource.etag
                size = len(resource.gzipped) if gz else resource.size
                headers: Headers = [
                    (b"content-type", b"text/calendar; charset=utf-8"),
                    (b"content-length", str(size).encode()),
                    (b"etag", tag.encode()),
                    *common,
                    (b"content-disposition", disposition),
                    (b"x-content-type-options", b"nosniff"),
                ]
                if gz:
                    headers.append((b"content-encoding", b"gzip"))
                    self.replies[False, download, gz] = reply(200, headers, resource.gzipped)
                else:
                    plain.append(headers)  # the GET's reply: inflated on request
                # HEAD: the headers of the GET, Content-Length included, and no body.
                self.replies[True, download, gz] = reply(200, headers, b"")
        super().__init__(resource.gzipped, resource.size, plain)
        self.not_modified = {
            gz: reply(
                304,
                [(b"etag", (resource.gzip_etag if gz else resource.etag).encode()), *common],
                b"",
            )
            for gz in (False, True)
        }
        self.etags = {resource.etag.encode(), resource.gzip_etag.encode()}

    def etag_matches(self, header: bytes) -> bool:
        return etag_matches(self.etags, header)

    def unmodified_since(self, header: bytes) -> bool:
        if header == self.lm_http:
            return True
        try:
            since = parsedate_to_datetime(header.decode("latin-1"))
        except (TypeError, ValueError, IndexError, OverflowError):
            return False  # an unreadable date is ignored: the full response
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return self.lm <= since.timestamp()


def etag_matches(etags: set[bytes], header: bytes) -> bool:
    """If-None-Match's weak comparison: ``*``, or any listed tag, ``W/`` or not."""
    if header in etags:
        return True
    for part in header.split(b","):
        tag = part.strip()
        if tag == b"*":
            return True
        if tag.startswith(b"W/"):
            tag = tag[2:]
        if tag in etags:
            return True
    return False


class PreparedPage(Stored):
    """A page (or the icon) with its replies built once: 200 by (HEAD, gzip), 304 by gzip; the
    identity GET's body is inflated on request (:class:`Stored`).

    Each representation has its own strong ETag (the gzip one the body's hash with ``-gzip``,
    as the feeds'), every reply says ``Vary: Accept-Encoding`` (``vary``: and Accept-Language
    for ``/``, whose language the header picks), and ``Cache-Control: no-cache`` makes browsers
    ask again each time, which a matching If-None-Match answers with a 304.  ``gzipped``: the
    body's gzip form when it is made already (the same page under another Vary).
    """

    __slots__ = ("csp", "etags", "not_modified", "replies")

    def __init__(
        self,
        body: bytes,
        content_type: bytes,
        headers: Headers,
        csp: str = "",
        vary: bytes = b"accept-encoding",
        gzipped: bytes | None = None,
    ) -> None:
        self.csp = csp
        if gzipped is None:
            gzipped = compress(body)
        tags = {False: etag_of(body).encode(), True: etag_of(body, "-gzip").encode()}
        common: Headers = [(b"cache-control", b"no-cache"), (b"vary", vary)]
        self.replies: dict[tuple[bool, bool], Reply] = {}
        self.not_modified: dict[bool, Reply] = {}
        plain: list[Headers] = []
        for gz in (False, True):
            full: Headers = [
                (b"content-type", content_type),
                (b"content-length", str(len(gzipped) if gz else len(body)).encode()),
                (b"etag", tags[gz]),
                *common,
                *headers,
                (b"x-content-type-options", b"nosniff"),
            ]
            if gz:
                full.append((b"content-encoding", b"gzip"))
                self.replies[False, gz] = reply(200, full, gzipped)
            else:
                plain.append(full)  # the GET's reply: inflated on request
            self.replies[True, gz] = reply(200, full, b"")
            self.not_modified[gz] = reply(304, [(b"etag", tags[gz]), *common, *headers], b"")
        super().__init__(gzipped, len(body), plain)
        self.etags = set(tags.values())


def page_reply(page: PreparedPage, method: str, headers: Iterable[tuple[bytes, bytes]]) -> Reply:
    """The answer to a GET or HEAD of a prepared page: 304, or the 200 (gzip when accepted)."""
    inm = encodings = None
    for name, value in headers:
        if name == b"if-none-match":
            inm = value if inm is None else inm + b"," + value
        elif name == b"accept-encoding":
            encodings = value
    gz = encodings is not None and accepts_gzip(encodings)
    if inm is not None and etag_matches(page.etags, inm):
        return page.not_modified[gz]
    if gz or method == "HEAD":
        return page.replies[method == "HEAD", gz]
    return page.identity[0] or page.inflate(0)


PAGE_HEADERS: Headers = [(b"referrer-policy", b"no-referrer")]


NEGOTIATED = b"accept-encoding, accept-language"  # the Vary of "/": the header picks the page


def html_page(
    html: bytes,
    csp: str,
    language: str = "",
    vary: bytes = b"accept-encoding",
    gzipped: bytes | None = None,
) -> PreparedPage:
    """A page for people, under its own strict Content-Security-Policy; ``language``: its
    Content-Language, when it has one; ``gzipped``: its gzip form, when made already."""
    headers = [(b"content-security-policy", csp.encode()), *PAGE_HEADERS]
    if language:
        headers.append((b"content-language", language.encode("ascii")))
    return PreparedPage(html, b"text/html; charset=utf-8", headers, csp, vary, gzipped)


_gzip_answers: dict[bytes, bool] = {}


def accepts_gzip(header: bytes) -> bool:
    """Whether Accept-Encoding allows gzip (``gzip``, ``x-gzip`` or ``*`` with a q above 0)."""
    answer = _gzip_answers.get(header)
    if answer is not None:
        return answer
    answer = False
    if b"gzip" in header.lower() or b"*" in header:
        for part in header.lower().split(b","):
            name, _, params = part.partition(b";")
            if name.strip() not in (b"gzip", b"x-gzip", b"*"):
                continue
            q = 1.0
            for param in params.split(b";"):
                key, _, value = param.partition(b"=")
                if key.strip() == b"q":
                    try:
                        q = float(value.strip())
                    except ValueError:
                        q = 0.0
            answer = q > 0
            if name.strip() != b"*":
                break
    if len(_gzip_answers) < 256:
        _gzip_answers[header] = answer
    return answer


def feed_reply(
    prepared: Prepared, method: str, query: bytes, headers: Iterable[tuple[bytes, bytes]]
) -> Reply:
    """What to answer to a request for a feed whose token (if it is private) has been checked.

    ``headers`` are the request's headers with lower-case names, as ASGI and uvicorn's protocol
    hold them; ``query`` the raw query string.  405 for a method other than GET and HEAD, 431
    above MAX_HEADER_BYTES of headers, 304 when If-None-Match matches (or, without it,
    If-Modified-Since is not older than Last-Modified), else the 200, gzip when accepted and as
    an attachment with ``?download=1``.  Synchronous and without I/O, so that the ASGI
    path and server.py's direct path share it.
    """
    if method != "GET" and method != "HEAD":
        return NOT_ALLOWED_REPLY
    head = method == "HEAD"
    inm = ims = encodings = None
    size = 0
    for name, value in headers:
        size += len(name) + len(value)
        if name == b"if-none-match":
            inm = value if inm is None else inm + b"," + value
        elif name == b"if-modified-since":
            ims = value
        elif name == b"accept-encoding":
            encodings = value
    if size > MAX_HEADER_BYTES:
        return TOO_LARGE_REPLIES[head]
    gz = encodings is not None and accepts_gzip(encodings)
    if (inm is not None and prepared.etag_matches(inm)) or (
        inm is None and ims is not None and prepared.unmodified_since(ims)
    ):
        return prepared.not_modified[gz]
    download = bool(query) and _param(query, "download") in DOWNLOAD_VALUES
    if gz or head:
        return prepared.replies[head, download, gz]
    return prepared.identity[download] or prepared.inflate(download)


async def send_reply(send: Send, answer: Reply) -> None:
    await send({"type": "http.response.start", "status": answer.status, "headers": answer.headers})
    await send({"type": "http.response.body", "body": answer.body})


class FeedState(NamedTuple):
    """What /healthz says of the feed (``"feed"``): ``state`` is ``"building"`` (the first
    build runs; every other path answers 503), ``"ready"`` (served; a later rebuild that fails
    leaves it so, with the previous feeds) or ``"failed"`` (the first build failed: 503 until a
    build succeeds); ``since`` when that began; ``error`` the failed build's message."""

    state: str
    since: datetime | None
    error: str | None = None

    def health(self) -> dict[str, Any]:
        """The ``"feed"`` entry of /healthz."""
        since = None if self.since is None else self.since.isoformat()
        return {"state": self.state, "since": since, "error": self.error}


class Site:
    """What the app serves now.  ``update`` swaps in a new build as one assignment.

    Made with ``feeds=None``, it serves nothing but /healthz (a 503 for every other path) until
    the first ``update``; ``since``: when that first build began.
    """

    def __init__(
        self,
        feeds: FeedSet | None,
        health: Callable[[], dict[str, Any]] | None = None,
        today: Callable[[str], date] | None = None,
        pages: Pages | None = None,
        since: datetime | None = None,
    ) -> None:
        self.health_extra = health
        self.today = today or _today_in
        self.feeds: FeedSet | None = None
        self.state = FeedState("building", since)
        self.prepared: dict[str, Prepared] = {}
        # (revision, date, {(language, negotiated): page}): the page in each language, as
        # "/LANG/" and as "/" (negotiated: Vary names Accept-Language), for one build and day
        self._page: tuple[str, date, dict[tuple[str, bool], PreparedPage]] | None = None
        self._good: dict[str, PreparedPage] = {}  # the last page that rendered, by language
        # (revision, year) -> page; None: the configuration cannot make that plan
        # (revision, year, language) -> page; None: the configuration cannot make that plan
        self._plans: dict[tuple[str, int, str], PreparedPage | None] = {}
        self._icon: PreparedPage | None = None
        self._plan_lock = threading.Lock()  # one plan built at a time (see plan())
        if feeds is not None:
            self.update(feeds, pages)

    def update(self, feeds: FeedSet, pages: Pages | None = None) -> None:
        """Serve ``feeds`` and, when given, the ``pages`` built and checked with them
        (:func:`build_pages`: the feed server always gives them, so that the first request of
        a build is served from what was checked).  Without them the page, the icon and the
        plans are made on their first request (as in tests of the feeds alone)."""
        refresh = int(feeds.loaded.settings.feed.refresh_interval.total_seconds())
        prepared = {path: Prepared(r, refresh) for path, r in feeds.resources.items()}
        page = None
        if pages is not None:
            made = {(language, False): one for language, one in pages.pages.items()}
            page = (feeds.revision, pages.today, made)
        plans: dict[tuple[str, int, str], PreparedPage | None] = {}
        if pages is not None:
            default = feeds.loaded.settings.organisation.language
            plans.update(
                ((feeds.revision, year, default), plan) for year, plan in pages.plans.items()
            )
        # Plain assignments; a request sees the old build or the new one.  The page is rendered
        # again even when the feeds are the same: a rebuild may follow a template edit.
        self.prepared, self.feeds, self._page, self._plans = prepared, feeds, page, plans
        self._icon = None if pages is None else pages.icon
        if pages is not None:
            self._good = dict(pages.pages)
        self.state = FeedState("ready", feeds.built_at)

    def failed(self, error: str, at: datetime) -> None:
        """A build failed with ``error``: before the first one is served, the site says so
        (503s, /healthz); once feeds are served, they stay, and so does "ready"."""
        if self.feeds is None:
            self.state = FeedState("failed", at, error)

    def built(self) -> FeedSet:
        """The feeds served; the App answers 503 before there are any, so the page, the icon
        and the plans are asked for only once there are."""
        feeds = self.feeds
        if feeds is None:
            raise RuntimeError("the feeds are not built yet")
        return feeds

    def languages(self) -> tuple[str, ...]:
        """The languages the page is served in (``[organisation] languages``, default first)."""
        org = self.built().loaded.settings.organisation
        return org.languages

    def page(self, language: str = "", negotiated: bool = False) -> PreparedPage:
        """The index page in ``language`` ("" the default) with its Content-Security-Policy,
        rendered once per build, day and language; ``negotiated``: as ``/`` serves it (the same
        bytes, ``Vary: Accept-Encoding, Accept-Language``)."""
        from .page import render_index

        feeds = self.built()
        language = language or self.languages()[0]
        today = self.today(feeds.loaded.settings.organisation.timezone)
        cached = self._page
        if cached is None or cached[0] != feeds.revision or cached[1] != today:
            cached = self._page = (feeds.revision, today, {})
        made = cached[2]
        found = made.get((language, negotiated))
        if found is not None:
            return found
        plain = made.get((language, False))
        if plain is None:
            try:
                rendered = render_index(feeds, today, language=language)
            except Exception as exc:  # a template edited into a broken state: the last page
                good = self._good.get(language)
                if good is None:
                    raise
                log.error(
                    "the page's template fails (%s: %s); serving the last good page; "
                    "'reminders check' shows where",
                    type(exc).__name__,
                    exc,
                )
                plain = good
            else:
                plain = html_page(rendered.html, rendered.csp, language)
                self._good[language] = plain
            made[language, False] = plain
        if not negotiated:
            return plain
        twin = made[language, True] = html_page(
            plain.body, plain.csp, language, NEGOTIATED, plain.gzipped
        )
        return twin

    def icon(self) -> PreparedPage | None:
        """``/favicon.ico``, made with the build (:func:`build_pages`), or on the first request
        of a build made without its pages; None (a 404) when its template fails."""
        icon = self._icon
        if icon is None:
            try:
                icon = self._icon = favicon(self.built().loaded.settings.templates_dir)
            except Exception as exc:  # a template edited into a broken state: never a 500
                log.error(
                    "the icon's template fails (%s: %s); /favicon.ico answers 404; "
                    "'reminders check' shows where",
                    type(exc).__name__,
                    exc,
                )
                return None
        return icon

    def plan(self, year: int, language: str = "") -> PreparedPage | None:
        """The yearly plan page of ``year`` (public calendars only) in ``language`` (one of
        the organisation's; "" its default) and its policy; None for a year outside the feed's
        window (so at most one plan per year of the window and language is ever built for a
        build).  Built on the first request and kept for this build; called in a worker
        thread, it builds one plan at a time, and a plan asked for while it is being built is
        built once (the others wait for it)."""
        feeds = self.built()
        if not serves_plan(feeds, year):
            return None
        language = language or feeds.loaded.settings.organisation.language
        plans, key = self._plans, (feeds.revision, year, language)  # update() swaps in a new dict
        if key in plans:
            return plans[key]
        with self._plan_lock:
            if key not in plans:
                built = self._build_plan(feeds, year, language)
                if self.feeds is feeds:  # else update() ran meanwhile: not for the new build
                    plans[key] = built
                return built
            return plans[key]

    def _build_plan(self, feeds: FeedSet, year: int, language: str) -> PreparedPage | None:
        """The plan page, or None (a 404, remembered for the build) when the configuration
        cannot make one: a country python-holidays does not know, a weekend of seven days, a
        plan template that fails, whatever it raises.  That is said once in the log, never as
        a 500.  (This year's plan is made with the build, :func:`build_pages`, and a failure
        there rejects the build; the other years of the window are made here, when asked.)"""
        from ..core.errors import ReminderError

        try:
            return plan_page(feeds, year, language)
        except Exception as exc:
            why = (
                exc.message() if isinstance(exc, ReminderError) else f"{type(exc).__name__}: {exc}"
            )
            default = language == feeds.loaded.settings.organisation.language
            path = f"/plan/{year}" if default else f"/{language}/plan/{year}"
            log.error("the plan of %d cannot be made (%s answers 404): %s", year, path, why)
            return None

    def health(self) -> dict[str, Any]:
        """``status`` is the server's (it answers); ``feed`` the feed's (:class:`FeedState`);
        the data revision, when it was built, its years and public feeds are null (and no
        feeds) until the first build is served."""
        feeds = self.feeds
        out: dict[str, Any] = {
            "status": "ok",
            "feed": self.state.health(),
            "revision": None,
            "built": None,
            "last_modified": None,
            "years": None,
            "feeds": [],
        }
        if feeds is not None:
            out.update(
                revision=feeds.revision,
                built=feeds.built_at.isoformat(timespec="seconds"),
                last_modified=datetime.fromtimestamp(feeds.last_modified, UTC).isoformat(),
                years=[feeds.first_year, feeds.last_year],
                feeds=list(feeds.public),
            )
        if self.health_extra is not None:
            out.update(self.health_extra())
        return out


def plan_page(feeds: FeedSet, year: int, language: str | None = None) -> PreparedPage:
    """The plan of ``year`` as served, from the public calendars of ``feeds``, in ``language``
    (one of the organisation's; None: its default); raises what making it raises."""
    from ..plan.output import public_plan_html
    from .page import content_security_policy

    html = public_plan_html(feeds.loaded, year, language)
    return html_page(html, content_security_policy(html.decode("utf-8")))


def serves_plan(feeds: FeedSet, year: int) -> bool:
    """Whether /plan/YEAR is served for ``year``: a year of the feed's window that a plan can
    cover (plan.hostcal's FIRST_YEAR to LAST_YEAR)."""
    from ..plan.hostcal import FIRST_YEAR, LAST_YEAR

    return max(feeds.first_year, FIRST_YEAR) <= year <= min(feeds.last_year, LAST_YEAR)


class Pages(NamedTuple):
    """What a build serves besides the feeds, made from the same data and checked with them."""

    today: date  # the organisation's date the page was rendered for (the feeds')
    pages: dict[str, PreparedPage]  # "/LANG/" (and "/"): the page in each configured language
    icon: PreparedPage  # "/favicon.ico"
    plans: dict[int, PreparedPage]  # this year's plan, when the feed's window holds it


def build_pages(feeds: FeedSet, checked: set[object] | None = None) -> Pages:
    """The page, the icon and this year's plan of ``feeds``, each rendered as it will be served;
    InvalidInput naming the file and line (as ``reminders check`` names it) when any fails.

    The feed server builds them with every build (start, reload, rebuild), before anything is
    switched over, so that no configuration reaches a request unchecked: a first request never
    meets a template that does not render, nor an ``[organisation] country`` python-holidays
    does not know.  The plans of the window's other years are made on their first request
    (docs/web.md); their failure is the site's 404.  Cost: bench/RESULTS.md.

    ``checked`` (a deployment's build of its organisations, which share the templates): the
    check render of the page without plans is made once per template folder, language list and
    plan window, not once per organisation; each organisation's page as served is still
    rendered, and so checked, with its own data.
    """
    from ..core.errors import ConfigError, InvalidInput, ReminderError
    from ..plan.hostcal import country_problems
    from .page import INDEX, check_page, page_problem, plan_years, render_index

    settings = feeds.loaded.settings
    folder = settings.templates_dir
    country = country_problems(settings)
    if country:
        raise ConfigError(country)
    # The page as served shows its plans when the window has a plan year: then that render is
    # the check's "with plans" one, and the check renders the page without plans alone.
    shows_plans = bool(plan_years(feeds.today, settings.feed.future_years))
    key = (folder, settings.organisation.languages, shows_plans)
    if checked is None or key not in checked:
        problems = check_page(feeds.loaded, feeds.today, sample=not shows_plans)
        if problems:
            raise InvalidInput(problems, "web page's templates")
        if checked is not None:
            checked.add(key)
    pages: dict[str, PreparedPage] = {}
    for language in settings.organisation.languages:
        try:
            rendered = render_index(feeds, feeds.today, language=language)
        except Exception as exc:
            # Every language's problems, as the whole check finds them (``reminders check``).
            problems = check_page(feeds.loaded, feeds.today) if shows_plans else []
            problems = problems or [page_problem(exc, folder, INDEX)]
            raise InvalidInput(problems, "web page's templates") from None
        pages[language] = html_page(rendered.html, rendered.csp, language)
    try:
        icon = favicon(folder)
    except Exception as exc:
        raise InvalidInput([page_problem(exc, folder, ICON)], "web page's templates") from None
    plans: dict[int, PreparedPage] = {}
    year = feeds.today.year
    if serves_plan(feeds, year):
        try:
            plans[year] = plan_page(feeds, year)
        except ReminderError:
            raise  # (it names the file and what to do)
        except Exception as exc:
            from ..plan.html import INDEX as PLAN

            problem = page_problem(exc, folder, PLAN)
            raise InvalidInput([problem], f"plan of {year} (/plan/{year})") from None
    return Pages(feeds.today, pages, icon, plans)


ICON = "web/icon.svg"


def favicon(templates_dir: str) -> PreparedPage:
    """``/favicon.ico``: the pages' icon (templates/web/icon.svg, which the pages also carry
    inline), for what asks the conventional path: a browser showing a feed, a bookmark."""
    from ..config.templates import layered_environment

    svg = layered_environment(templates_dir).get_template(ICON).render().encode("utf-8")
    return PreparedPage(
        svg, b"image/svg+xml", [(b"content-security-policy", b"default-src 'none'")]
    )


def _today_in(tz_name: str) -> date:
    return local_date(datetime.now(UTC), tz_name)


class App:
    """The ASGI callable: feeds first, then the Starlette app for everything else."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.fallback = _starlette(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path = scope["path"]
            prepared = self.site.prepared.get(path)
            if prepared is not None and not prepared.resource.private:
                await self.feed(prepared, scope, send, scope["query_string"])
                return
            if self.site.feeds is None and path != HEALTHZ:
                await refuse(scope, send, UNAVAILABLE_REPLIES[self.site.state.state])
                return
            if prepared is not None or calendars_part(path)[1]:
                await self.calendar(scope, send)
                return
            if headers_too_large(scope["headers"]):
                await send_reply(send, TOO_LARGE_REPLIES[scope["method"] == "HEAD"])
                return
        await self.fallback(scope, receive, send)

    async def calendar(self, scope: Scope, send: Send) -> None:
        """Any path under /calendars/ that is not a public feed: a private feed for a holder of
        its token, else the one refusal (404, or 431 for headers over the limit) that every
        unknown path gets, after the same steps whether or not such a calendar exists."""
        prepared = admitted(self.site.prepared, scope["path"], scope["query_string"])
        if prepared is not None:
            await self.feed(prepared, scope, send, scope["query_string"])
            return
        await refuse(scope, send)

    async def feed(self, prepared: Prepared, scope: Scope, send: Send, query: bytes) -> None:
        """Answer a feed request (its token checked) through ASGI; see :func:`feed_reply`."""
        await send_reply(send, feed_reply(prepared, scope["method"], query, scope["headers"]))


CALENDARS = "/calendars/"
HEALTHZ = "/healthz"
# Compared with when a request names no private calendar, so that it takes the steps of one
# that does; it matches nothing (admitted() returns None for such a request whatever the token).
NO_TOKENS: tuple[str, ...] = ("not-a-calendar-token-but-as-long-as-one",)


def calendars_part(path: str) -> tuple[str, str]:
    """``("", "/calendars/...")`` for a path under /calendars/, ``("/az", "/calendars/...")``
    for one under a language's (``/az/calendars/...``), else ``("", "")``."""
    if path.startswith(CALENDARS):
        return "", path
    slash = path.find("/", 1)
    if slash > 1 and path.startswith(CALENDARS, slash):
        return path[:slash], path[slash:]
    return "", ""


def admitted(prepared: dict[str, Prepared], path: str, query: bytes) -> Prepared | None:
    """The private feed a request may have, or None: one path for every such request.

    The token comes from ``?token=`` or from the path (``/calendars/{token}/{id}.ics``, in a
    language ``/{lang}/calendars/{token}/{id}.ics``); it is
    compared in constant time with the calendar's tokens, or with NO_TOKENS when the path names
    no private calendar, so that an unknown calendar, a public one asked for by the path form
    and a private one with a wrong or missing token take the same steps to the same refusal.
    """
    found = prepared.get(path)
    language, rest = calendars_part(path)
    given, slash, name = rest[len(CALENDARS) :].partition("/")
    if found is None and slash and "/" not in name:
        token: str | None = given
        found = prepared.get(language + CALENDARS + name)
    else:
        token = _param(query, "token") if query else None
    if found is None or not found.resource.private:
        found, tokens = None, NO_TOKENS
    else:
        tokens = found.resource.tokens
    if token is None:
        return None
    return found if token_valid(token, tokens) else None


async def refuse(
    scope: Scope, send: Send, replies: Mapping[bool, Reply] = NOT_FOUND_REPLIES
) -> None:
    """The one answer to a path that is not served: ``replies`` by "is it a HEAD request" (the
    404, or before the first build is served the 503 of UNAVAILABLE_REPLIES), or 431 for
    headers over the limit."""
    head = scope["method"] == "HEAD"
    if headers_too_large(scope["headers"]):
        await send_reply(send, TOO_LARGE_REPLIES[head])
    else:
        await send_reply(send, replies[head])


def headers_too_large(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether a request's headers pass MAX_HEADER_BYTES (names and values; feed_reply counts
    the same while it reads them)."""
    return sum(len(name) + len(value) for name, value in headers) > MAX_HEADER_BYTES


def _param(query: bytes, name: str) -> str | None:
    values = parse_qs(query.decode("latin-1"), keep_blank_values=True).get(name)
    return values[-1] if values else None


def page_response(request: Any, page: PreparedPage | None) -> Any:
    """A prepared page's reply to a Starlette request: gzip when accepted, 304 for a matching
    If-None-Match (the lean path's bytes); the 404 when there is no page."""
    if page is None:
        from starlette.exceptions import HTTPException

        raise HTTPException(404)
    answer = page_reply(page, request.scope["method"], request.scope["headers"])
    return _Sent(lambda send: send_reply(send, answer))


def year_param(request: Any) -> int:
    """The ``{year}`` of a plan's path: four digits at most, else a 404. Read here, not by
    Starlette's int convertor: int() raises ValueError (a 500) on a number of thousands of
    digits, and no plan has more than four."""
    from starlette.exceptions import HTTPException

    text = request.path_params["year"]
    if not (text.isascii() and text.isdigit() and len(text) <= 4):
        raise HTTPException(404)
    return int(text)


def health_response(health: dict[str, Any]) -> Any:
    """``/healthz``: the health as JSON, never cached."""
    from starlette.responses import Response

    body = json.dumps(health, sort_keys=True).encode() + b"\n"
    return Response(
        body,
        media_type="application/json",
        headers={"cache-control": "no-store", "x-content-type-options": "nosniff"},
    )


async def refused(request: Any, exc: Exception) -> Any:
    """Starlette's 404 and 405 as the very replies of the lean path (refuse()), so that every
    404 is the same bytes (every route takes GET and HEAD, and nothing else)."""
    from starlette.exceptions import HTTPException

    status = exc.status_code if isinstance(exc, HTTPException) else 404
    if status == 405:
        return _Sent(lambda send: send_reply(send, NOT_ALLOWED_REPLY))
    return _Sent(lambda send: refuse(request.scope, send))


def _starlette(app: App) -> Any:
    """The page, /healthz and the plans; the lean path's 404 and 405 for the rest."""
    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    site = app.site

    async def index(request: Request) -> Any:
        """The page in the language the visitor's Accept-Language picks (negotiation.py)."""
        from .negotiation import negotiate

        wanted = None
        for name, value in request.scope["headers"]:
            if name == b"accept-language":
                wanted = value if wanted is None else wanted + b"," + value
        language = negotiate(wanted, site.languages())
        return page_response(request, site.page(language, negotiated=True))

    async def in_language(request: Request) -> Any:
        """``/LANG/``: the page in a configured language, named explicitly."""
        language = request.path_params["language"]
        if language not in site.languages():
            raise HTTPException(404)
        return page_response(request, site.page(language))

    async def icon(request: Request) -> Any:
        return page_response(request, site.icon())

    async def plan(request: Request) -> Any:
        from starlette.concurrency import run_in_threadpool

        year = year_param(request)
        # A plan of a large calendar takes a while to build: not on the event loop.
        language = request.path_params.get("language", "")
        if language and language not in site.languages():
            raise HTTPException(404)
        return page_response(request, await run_in_threadpool(site.plan, year, language))

    async def healthz(request: Request) -> Any:
        return health_response(site.health())

    return lean_starlette(
        {
            "/": index,
            HEALTHZ: healthz,
            "/favicon.ico": icon,
            "/plan/{year}": plan,
            "/{language}/": in_language,
            "/{language}/plan/{year}": plan,
        }
    )


def lean_starlette(routes: dict[str, Callable[[Any], Any]]) -> Any:
    """A Starlette app of GET (and HEAD) ``routes`` whose 404 and 405 are the lean path's."""
    from starlette.applications import Starlette
    from starlette.routing import Route

    fallback = Starlette(
        exception_handlers={404: refused, 405: refused},
        routes=[Route(path, endpoint, methods=["GET"]) for path, endpoint in routes.items()],
    )
    # Starlette would answer "/healthz/" with a redirect to a URL built from the request's Host
    # header (any host a client names, and http:// behind a TLS proxy).  A path is served as
    # written or not at all, as on the lean path, where "/all.ics/" is a 404.
    fallback.router.redirect_slashes = False
    return fallback


class _Sent:
    """A Starlette response that hands ``send`` to the lean feed path."""

    def __init__(self, respond: Callable[[Send], Any]) -> None:
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.respond(send)
