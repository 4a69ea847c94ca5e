"""The HTTP feed and page as an ASGI app (served by uvicorn; see server.py).

Feeds take a lean path: a request for a feed is answered from header lists and bytes prepared when
the feed was built (:class:`Prepared`), with no routing, no Request object and no per-request
allocation beyond the two ASGI messages.  Everything else (the page, ``/healthz``, feeds with a
token in the path, every 404 and 405) goes through a small Starlette app.

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

import json
import logging
from collections.abc import Callable, MutableMapping
from datetime import UTC, date, datetime
from email.utils import formatdate, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qs

from .feeds import FeedSet, Resource
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


class Prepared:
    """A feed resource with every response's header list built once."""

    __slots__ = ("body", "etags", "gzipped", "headers", "lm", "lm_http", "not_modified", "resource")

    def __init__(self, resource: Resource, refresh_seconds: int) -> None:
        self.resource = resource
        self.body = resource.body
        self.gzipped = resource.gzipped
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
        self.headers: dict[tuple[bool, bool], Headers] = {}
        for download in (False, True):
            disposition = b'%s; filename="%s"' % (b"attachment" if download else b"inline", name)
            for gz in (False, True):
                body = self.gzipped if gz else self.body
                tag = resource.gzip_etag if gz else resource.etag
                headers: Headers = [
                    (b"content-type", b"text/calendar; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"etag", tag.encode()),
                    *common,
                    (b"content-disposition", disposition),
                    (b"x-content-type-options", b"nosniff"),
                ]
                if gz:
                    headers.append((b"content-encoding", b"gzip"))
                self.headers[download, gz] = headers
        self.not_modified = {
            gz: [(b"etag", (resource.gzip_etag if gz else resource.etag).encode()), *common]
            for gz in (False, True)
        }
        self.etags = {resource.etag.encode(), resource.gzip_etag.encode()}

    def etag_matches(self, header: bytes) -> bool:
        """If-None-Match's weak comparison: ``*``, or any listed tag, ``W/`` or not."""
        if header in self.etags:
            return True
        for part in header.split(b","):
            tag = part.strip()
            if tag == b"*":
                return True
            if tag.startswith(b"W/"):
                tag = tag[2:]
            if tag in self.etags:
                return True
        return False

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


async def plain(
    send: Send, status: int, body: bytes, method: str, extra: Headers | None = None
) -> None:
    headers = [
        (b"content-type", TEXT),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        *(extra or ()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


class Site:
    """What the app serves now.  ``update`` swaps in a new build as one assignment."""

    def __init__(
        self,
        feeds: FeedSet,
        health: Callable[[], dict[str, Any]] | None = None,
        today: Callable[[str], date] | None = None,
    ) -> None:
        self.health_extra = health
        self.today = today or _today_in
        self.feeds = feeds
        self.prepared: dict[str, Prepared] = {}
        self._page: tuple[str, date, bytes, str] | None = None
        self._good: tuple[bytes, str] | None = None  # the last page that rendered
        self.update(feeds)

    def update(self, feeds: FeedSet) -> None:
        refresh = int(feeds.loaded.settings.feed.refresh_interval.total_seconds())
        prepared = {path: Prepared(r, refresh) for path, r in feeds.resources.items()}
        # Plain assignments; a request sees the old build or the new one.  The page is rendered
        # again even when the feeds are the same: a rebuild may follow a template edit.
        self.prepared, self.feeds, self._page = prepared, feeds, None

    def page(self) -> tuple[bytes, str]:
        """The index page's bytes and Content-Security-Policy, rendered once per build and day."""
        from .webpage import render_index

        feeds = self.feeds
        today = self.today(feeds.loaded.settings.organisation.timezone)
        cached = self._page
        if cached is not None and cached[0] == feeds.revision and cached[1] == today:
            return cached[2], cached[3]
        try:
            rendered = render_index(feeds, today)
        except Exception as exc:  # a template edited into a broken state: keep the last page
            if self._good is None:
                raise
            log.error(
                "the page's template fails (%s: %s); serving the last good page; "
                "'reminders check' shows where",
                type(exc).__name__,
                exc,
            )
            return self._good
        self._page = (feeds.revision, today, rendered.html, rendered.csp)
        self._good = (rendered.html, rendered.csp)
        return self._good

    def health(self) -> dict[str, Any]:
        feeds = self.feeds
        out: dict[str, Any] = {
            "status": "ok",
            "revision": feeds.revision,
            "built": feeds.built_at.isoformat(timespec="seconds"),
            "last_modified": datetime.fromtimestamp(feeds.last_modified, UTC).isoformat(),
            "years": [feeds.first_year, feeds.last_year],
            "feeds": list(feeds.public),
        }
        if self.health_extra is not None:
            out.update(self.health_extra())
        return out


def _today_in(tz_name: str) -> date:
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(tz_name)).date()


class App:
    """The ASGI callable: feeds first, then the Starlette app for everything else."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.fallback = _starlette(self)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            prepared = self.site.prepared.get(scope["path"])
            if prepared is not None:
                token = None
                query = scope["query_string"]
                if prepared.resource.private:
                    token = _param(query, "token") if query else None
                    if token is None or not token_valid(token, prepared.resource.tokens):
                        await plain(send, 404, NOT_FOUND, scope["method"])
                        return
                await self.feed(prepared, scope, send, query)
                return
            if sum(len(n) + len(v) for n, v in scope["headers"]) > MAX_HEADER_BYTES:
                await plain(send, 431, TOO_LARGE, scope["method"])
                return
        await self.fallback(scope, receive, send)

    async def feed(self, prepared: Prepared, scope: Scope, send: Send, query: bytes) -> None:
        method = scope["method"]
        if method != "GET" and method != "HEAD":
            await plain(send, 405, NOT_ALLOWED, method, [(b"allow", b"GET, HEAD")])
            return
        download = bool(query) and _param(query, "download") in DOWNLOAD_VALUES
        inm = ims = encodings = None
        size = 0
        for name, value in scope["headers"]:
            size += len(name) + len(value)
            if name == b"if-none-match":
                inm = value if inm is None else inm + b"," + value
            elif name == b"if-modified-since":
                ims = value
            elif name == b"accept-encoding":
                encodings = value
        if size > MAX_HEADER_BYTES:
            await plain(send, 431, TOO_LARGE, method)
            return
        gz = encodings is not None and accepts_gzip(encodings)
        if (inm is not None and prepared.etag_matches(inm)) or (
            inm is None and ims is not None and prepared.unmodified_since(ims)
        ):
            await send(
                {"type": "http.response.start", "status": 304, "headers": prepared.not_modified[gz]}
            )
            await send({"type": "http.response.body", "body": b""})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": prepared.headers[download, gz],
            }
        )
        body = b"" if method == "HEAD" else (prepared.gzipped if gz else prepared.body)
        await send({"type": "http.response.body", "body": body})


def _param(query: bytes, name: str) -> str | None:
    values = parse_qs(query.decode("latin-1"), keep_blank_values=True).get(name)
    return values[-1] if values else None


def _starlette(app: App) -> Any:
    """The page, /healthz and path-token feeds; Starlette's plain 404 and 405 for the rest."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    site = app.site

    async def index(request: Request) -> Response:
        html, csp = site.page()
        return Response(
            html,
            media_type="text/html; charset=utf-8",
            headers={
                "cache-control": "no-cache",
                "content-security-policy": csp,
                "referrer-policy": "no-referrer",
                "x-content-type-options": "nosniff",
            },
        )

    async def healthz(request: Request) -> Response:
        body = json.dumps(site.health(), sort_keys=True).encode() + b"\n"
        return Response(
            body,
            media_type="application/json",
            headers={"cache-control": "no-store", "x-content-type-options": "nosniff"},
        )

    async def token_feed(request: Request) -> Any:
        scope = request.scope
        token, name = request.path_params["token"], request.path_params["name"]
        prepared = site.prepared.get(f"/calendars/{name}")
        if (
            prepared is None
            or not prepared.resource.private
            or not token_valid(token, prepared.resource.tokens)
        ):
            raise HTTPException(404)
        return _Sent(lambda send: app.feed(prepared, scope, send, scope["query_string"]))

    async def refused(request: Request, exc: Exception) -> Response:
        # The same bytes and headers as the lean path's 404 and 405, so that an unknown calendar
        # and a private one without its token cannot be told apart.
        status = exc.status_code if isinstance(exc, HTTPException) else 404
        headers = {"x-content-type-options": "nosniff"}
        if status == 405 and isinstance(exc, HTTPException) and exc.headers:
            # Starlette joins a set: sorted, the header is the same in every process.
            allowed = exc.headers.get("Allow", "").split(", ")
            headers["allow"] = ", ".join(sorted(allowed))
        body = NOT_ALLOWED if status == 405 else NOT_FOUND
        return Response(body, status, headers, media_type="text/plain; charset=utf-8")

    return Starlette(
        exception_handlers={404: refused, 405: refused},
        routes=[
            Route("/", index, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/calendars/{token}/{name}", token_feed, methods=["GET", "HEAD"]),
        ],
    )


class _Sent:
    """A Starlette response that hands ``send`` to the lean feed path."""

    def __init__(self, respond: Callable[[Send], Any]) -> None:
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.respond(send)
