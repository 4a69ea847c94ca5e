"""The web app in-process: every route and header rule, validators, gzip, builds, hostile input.

Feeds are built once per module with ``build_feeds`` from fixed times, so every validator is known
exactly.  Starlette's TestClient drives the app for ordinary requests; :func:`call` hands the ASGI
app a scope built as uvicorn builds it, for exact request bytes (paths a client would normalise,
exact header sets).
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import formatdate
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

import pytest
from starlette.testclient import TestClient

from reminders.config.calendars import load_calendars
from reminders.config.config_file import load_config
from reminders.core.ics import export_ics
from reminders.core.settings import Loaded
from reminders.web.app import MAX_HEADER_BYTES, App, Site
from reminders.web.feeds import ALL, FeedSet, build_feeds
from reminders.web.server import current_feeds
from tests.test_ics import events_by_ical, events_by_icalendar

from .conftest import ROOT, TODAY

CALENDAR = "/calendars/remembrance.ics"
INPUTS = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)  # newest input file, as build_feeds is told
BUILT = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
NOW = BUILT
TEXT = "text/plain; charset=utf-8"
FILE_MARKERS = (b"[organisation]", b"root:", b"uid_domain", b"Traceback")


class Reply(NamedTuple):
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes  # as sent: gzip bytes stay compressed


def call(
    app: Any,
    method: str,
    target: str,
    headers: list[tuple[bytes, bytes]] | None = None,
    as_sent: bool = False,
    host: bool = True,
) -> Reply:
    """One request straight into the ASGI app, its path decoded as uvicorn decodes it.

    The body is what uvicorn would put on the wire (nothing for HEAD), or with ``as_sent`` what
    the app handed over.  ``host``: add ``Host: 127.0.0.1`` before ``headers`` (False: exactly
    the headers given, a Host of the caller's choosing or none).
    """
    raw_path, _, query = target.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode("latin-1"),
        "query_string": query.encode("latin-1"),
        "root_path": "",
        "headers": [*([(b"host", b"127.0.0.1")] if host else []), *(headers or [])],
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    if method == "HEAD" and not as_sent:
        body = b""  # uvicorn sends no body in answer to HEAD, whatever the app hands it
    names = {k.decode("latin-1"): v.decode("latin-1") for k, v in start["headers"]}
    return Reply(start["status"], names, body)


def fetch(client: TestClient, method: str, url: str, **headers: str) -> Reply:
    """A request through the TestClient; the body as it came over the wire (not decompressed)."""
    sent = {name.replace("_", "-"): value for name, value in headers.items()}
    with client.stream(method, url, headers=sent) as response:
        body = b"".join(response.iter_raw())
        return Reply(response.status_code, dict(response.headers), body)


def load_project(config: Path) -> Loaded:
    """Config and calendars without the start-up cache (module fixtures run outside a test)."""
    settings = load_config(config)
    return Loaded(settings, load_calendars(settings.calendars_dir, TODAY))


@pytest.fixture(scope="module")
def feeds() -> FeedSet:
    """The repository's config.toml and calendars, built at fixed times."""
    return build_feeds(
        load_project(ROOT / "config.toml"), date(2026, 12, 1), {}, int(INPUTS.timestamp()), BUILT
    )


@pytest.fixture(scope="module")
def app(feeds: FeedSet) -> App:
    return App(Site(feeds))


@pytest.fixture(scope="module")
def client(app: App) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        # No Accept-Encoding unless a test sends one: the identity response is the default.
        del test_client.headers["accept-encoding"]
        yield test_client


# --- The feed's headers ----------------------------------------------------------------------


def test_feed_is_text_calendar_inline_with_cache_and_vary_headers(
    client: TestClient, feeds: FeedSet
) -> None:
    reply = fetch(client, "GET", "/all.ics")
    assert reply.status == 200
    assert reply.body == feeds.resources[ALL].body
    assert reply.body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
    assert reply.headers["content-disposition"] == 'inline; filename="all.ics"'
    assert reply.headers["content-length"] == str(len(reply.body))
    assert reply.headers["cache-control"] == "public, max-age=43200"  # refresh_interval PT12H
    assert reply.headers["vary"] == "accept-encoding"
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "content-encoding" not in reply.headers


@pytest.mark.parametrize(
    ("query", "disposition"),
    [
        ("?download=1", 'attachment; filename="remembrance.ics"'),
        ("?download=yes", 'attachment; filename="remembrance.ics"'),
        ("?download=0", 'inline; filename="remembrance.ics"'),
        ("?other=1", 'inline; filename="remembrance.ics"'),
    ],
)
def test_download_query_asks_for_an_attachment(
    client: TestClient, query: str, disposition: str
) -> None:
    reply = fetch(client, "GET", CALENDAR + query)
    assert reply.status == 200
    assert reply.headers["content-disposition"] == disposition


@pytest.mark.parametrize("path", [ALL, CALENDAR])
def test_etag_is_a_strong_quoted_sha256_of_the_exact_body(client: TestClient, path: str) -> None:
    reply = fetch(client, "GET", path)
    assert reply.headers["etag"] == f'"{hashlib.sha256(reply.body).hexdigest()[:32]}"'


def test_last_modified_is_the_newest_input_time(client: TestClient) -> None:
    # INPUTS is newer than the calendar's `revised` (2026-11-23) and the start of 2026.
    for path in (ALL, CALENDAR):
        reply = fetch(client, "GET", path)
        assert reply.headers["last-modified"] == "Wed, 25 Nov 2026 10:00:00 GMT"


def test_last_modified_is_capped_at_the_build_time() -> None:
    loaded = load_project(ROOT / "config.toml")
    later = int((BUILT + timedelta(days=3)).timestamp())  # an input time in the future
    capped = build_feeds(loaded, date(2026, 12, 1), {}, later, BUILT)
    assert capped.resources[ALL].last_modified == int(BUILT.timestamp())


# --- Validators: If-None-Match and If-Modified-Since ----------------------------------------


@pytest.mark.parametrize(
    "form",
    ["exact", "weak", "in a list", "star", "gzip tag", "two headers' worth"],
)
def test_matching_if_none_match_gives_304(client: TestClient, form: str) -> None:
    full = fetch(client, "GET", ALL)
    tag = full.headers["etag"]
    gzip_tag = fetch(client, "GET", ALL, accept_encoding="gzip").headers["etag"]
    header = {
        "exact": tag,
        "weak": f"W/{tag}",
        "in a list": f'"0000", W/"1111", {tag}',
        "star": "*",
        "gzip tag": gzip_tag,
        "two headers' worth": f'"0000",{tag}',
    }[form]
    reply = fetch(client, "GET", ALL, if_none_match=header)
    assert reply.status == 304
    assert reply.body == b""
    for name in ("etag", "last-modified", "cache-control", "vary"):
        assert reply.headers[name] == full.headers[name]


@pytest.mark.parametrize("header", ['"0000"', 'W/"0000"', '"0000", "1111"', ""])
def test_other_etag_gives_the_full_body(client: TestClient, feeds: FeedSet, header: str) -> None:
    reply = fetch(client, "GET", ALL, if_none_match=header)
    assert reply.status == 200
    assert reply.body == feeds.resources[ALL].body


def test_if_none_match_wins_over_if_modified_since(client: TestClient, feeds: FeedSet) -> None:
    full = fetch(client, "GET", ALL)
    matching_date = full.headers["last-modified"]
    older = "Mon, 02 Nov 2026 10:00:00 GMT"
    reply = fetch(client, "GET", ALL, if_none_match='"0000"', if_modified_since=matching_date)
    assert reply.status == 200
    assert reply.body == feeds.resources[ALL].body
    reply = fetch(client, "GET", ALL, if_none_match=full.headers["etag"], if_modified_since=older)
    assert reply.status == 304
    assert reply.body == b""


@pytest.mark.parametrize(
    ("since", "status"),
    [
        ("Wed, 25 Nov 2026 10:00:00 GMT", 304),  # equal
        ("Wed, 25 Nov 2026 10:00:01 GMT", 304),  # later
        ("Wednesday, 25-Nov-26 10:00:00 GMT", 304),  # RFC 850 form, equal
        ("Fri, 01 Jan 2027 00:00:00 GMT", 304),
        ("Wed, 25 Nov 2026 09:59:59 GMT", 200),  # older: stale
        ("Thu, 01 Jan 1970 00:00:00 GMT", 200),
        ("yesterday", 200),  # garbage is ignored
        ("Wed, 99 Nov 2026 10:00:00 GMT", 200),
        ("", 200),
    ],
)
def test_if_modified_since(client: TestClient, feeds: FeedSet, since: str, status: int) -> None:
    reply = fetch(client, "GET", ALL, if_modified_since=since)
    assert reply.status == status
    assert reply.body == (b"" if status == 304 else feeds.resources[ALL].body)
    assert reply.headers["last-modified"] == "Wed, 25 Nov 2026 10:00:00 GMT"
    assert reply.headers["vary"] == "accept-encoding"


@pytest.mark.parametrize("encoding", ["identity", "gzip"])
def test_head_gives_the_headers_of_get_and_no_body(
    client: TestClient, app: App, encoding: str
) -> None:
    got = fetch(client, "GET", CALENDAR, accept_encoding=encoding)
    head = fetch(client, "HEAD", CALENDAR, accept_encoding=encoding)
    assert head.status == 200
    assert head.body == b""
    assert head.headers == got.headers
    assert int(head.headers["content-length"]) == len(got.body) > 0
    # The feed path does not even hand the server a body to drop.
    sent = call(app, "HEAD", CALENDAR, [(b"accept-encoding", encoding.encode())], as_sent=True)
    assert (sent.status, sent.body) == (200, b"")


# --- gzip --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "gzipped"),
    [
        ("gzip", True),
        ("gzip, deflate, br", True),
        ("br;q=1.0, gzip;q=0.5", True),
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("*;q=0, gzip", True),
        ("gzip;q=0", False),
        ("gzip;q=0.000, *", False),  # an explicit refusal wins over the wildcard
        ("*;q=0", False),
        ("br", False),
        ("identity", False),
        ("gzip;q=nonsense", False),
    ],
)
def test_accept_encoding_decides_gzip(
    client: TestClient, feeds: FeedSet, accept: str, gzipped: bool
) -> None:
    identity = feeds.resources[ALL].body
    reply = fetch(client, "GET", ALL, accept_encoding=accept)
    assert reply.status == 200
    assert reply.headers["vary"] == "accept-encoding"
    assert reply.headers["content-length"] == str(len(reply.body))
    if gzipped:
        assert reply.headers["content-encoding"] == "gzip"
        assert gzip.decompress(reply.body) == identity
        assert len(reply.body) < len(identity) // 4
        assert reply.headers["etag"] == f'"{hashlib.sha256(identity).hexdigest()[:32]}-gzip"'
    else:
        assert "content-encoding" not in reply.headers
        assert reply.body == identity


def test_gzip_bytes_are_the_same_in_every_build(feeds: FeedSet) -> None:
    again = build_feeds(feeds.loaded, feeds.today, {}, int(INPUTS.timestamp()), BUILT)
    for path, resource in feeds.resources.items():
        assert again.resources[path].gzipped == resource.gzipped
        assert again.resources[path].gzip_etag == resource.gzip_etag


def test_vary_is_on_every_feed_response(client: TestClient) -> None:
    tag = fetch(client, "GET", ALL).headers["etag"]
    replies = [
        fetch(client, "GET", ALL),
        fetch(client, "GET", ALL, accept_encoding="gzip"),
        fetch(client, "HEAD", CALENDAR),
        fetch(client, "GET", ALL, if_none_match=tag),
        fetch(client, "GET", CALENDAR + "?download=1", accept_encoding="gzip"),
    ]
    assert [r.headers.get("vary") for r in replies] == ["accept-encoding"] * len(replies)


# --- Other routes, 404 and 405 -------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/nope", "/calendars/nope.ics", "/all.ics/", "/ALL.ICS", "/all.ics.gz", "/calendars/", "/x/y"],
)
def test_unknown_paths_are_a_short_plain_404(client: TestClient, path: str) -> None:
    reply = fetch(client, "GET", path)
    assert reply.status == 404
    assert reply.body == b"Not Found\n"
    assert reply.headers["content-type"] == TEXT
    assert reply.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", [ALL, CALENDAR, "/healthz", "/"])
def test_other_methods_are_a_405_naming_get_and_head(
    client: TestClient, method: str, path: str
) -> None:
    reply = fetch(client, method, path)
    assert reply.status == 405
    assert reply.headers["allow"] == "GET, HEAD"
    assert reply.body == b"Method Not Allowed\n"
    assert reply.headers["content-type"] == TEXT


def test_healthz_reports_revision_build_years_and_feeds(client: TestClient, feeds: FeedSet) -> None:
    reply = fetch(client, "GET", "/healthz")
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["cache-control"] == "no-store"
    health = json.loads(reply.body)
    assert health["status"] == "ok"
    assert health["revision"] == feeds.revision
    assert len(health["revision"]) == 16
    assert health["built"] == "2026-12-01T12:00:00+00:00"
    assert health["years"] == [2025, 2031]
    assert health["feeds"] == [ALL, CALENDAR]


def test_page_is_html_with_security_headers(client: TestClient) -> None:
    reply = fetch(client, "GET", "/")
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/html; charset=utf-8"
    assert reply.headers["content-security-policy"]
    assert reply.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize("path", ["/", "/en/", "/plan/2027"])
def test_pages_are_gzipped_with_a_strong_etag_per_representation(
    client: TestClient, path: str
) -> None:
    plain = fetch(client, "GET", path)
    packed = fetch(client, "GET", path, accept_encoding="gzip, deflate, br")
    assert (plain.status, packed.status) == (200, 200)
    assert "content-encoding" not in plain.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert gzip.decompress(packed.body) == plain.body
    assert len(packed.body) < len(plain.body) // 3
    assert packed.headers["content-length"] == str(len(packed.body))
    digest = hashlib.sha256(plain.body).hexdigest()[:32]
    assert plain.headers["etag"] == f'"{digest}"'
    assert packed.headers["etag"] == f'"{digest}-gzip"'
    for reply in (plain, packed):
        # "/" is the page in the language Accept-Language picks: a cache keeps one per language
        vary = "accept-encoding, accept-language" if path == "/" else "accept-encoding"
        assert reply.headers["vary"] == vary
        assert reply.headers["cache-control"] == "no-cache"
        assert reply.headers["content-type"] == "text/html; charset=utf-8"
        assert reply.headers["content-security-policy"].startswith("default-src 'none'")
        assert reply.headers["referrer-policy"] == "no-referrer"
        assert reply.headers["x-content-type-options"] == "nosniff"
    # Revalidation: each representation's own tag gives a 304 with that tag, without a body.
    for reply, accept in ((plain, "identity"), (packed, "gzip")):
        again = fetch(
            client, "GET", path, accept_encoding=accept, if_none_match=reply.headers["etag"]
        )
        assert (again.status, again.body) == (304, b"")
        assert again.headers["etag"] == reply.headers["etag"]
        assert again.headers["vary"] == vary
    changed = fetch(client, "GET", path, if_none_match='"something-else"')
    assert (changed.status, changed.body) == (200, plain.body)
    head = fetch(client, "HEAD", path, accept_encoding="gzip")
    assert (head.status, head.body) == (200, b"")
    assert head.headers["content-length"] == packed.headers["content-length"]


def test_favicon_is_the_pages_icon_from_the_templates(client: TestClient) -> None:
    icon = fetch(client, "GET", "/favicon.ico")
    assert icon.status == 200
    assert icon.headers["content-type"] == "image/svg+xml"
    assert icon.headers["content-security-policy"] == "default-src 'none'"
    assert icon.body == (ROOT / "templates" / "web" / "icon.svg").read_bytes()
    assert icon.body.startswith(b'<svg xmlns="http://www.w3.org/2000/svg"')
    again = fetch(client, "GET", "/favicon.ico", if_none_match=icon.headers["etag"])
    assert again.status == 304
    # The page carries the same icon inline, so browsers need not ask for it.
    page = fetch(client, "GET", "/").body.decode("utf-8")
    assert f'href="data:image/svg+xml,{quote(icon.body.decode(), safe="/")}"' in page


# --- Feeds are the export ------------------------------------------------------------------------


@pytest.mark.parametrize("path", [ALL, CALENDAR])
def test_feed_is_the_export_of_its_window_and_parses_in_both_parsers(
    client: TestClient, feeds: FeedSet, cli: Any, path: str
) -> None:
    body = fetch(client, "GET", path).body
    calendar = feeds.resources[path].calendar or None
    assert (feeds.first_year, feeds.last_year) == (2025, 2031)
    assert body == export_ics(feeds.loaded, 2025, 2031, calendar, None)
    args = ["--config", str(ROOT / "config.toml"), "export", "--from", "2025", "--to", "2031"]
    code, out, _err = cli(*args, *(["--calendar", calendar] if calendar else []))
    assert code == 0
    assert out.encode("utf-8") == body
    by_icalendar = events_by_icalendar(body)
    assert by_icalendar == events_by_ical(body)  # ical is strict: out-of-spec input raises
    assert len(by_icalendar) == body.count(b"BEGIN:VEVENT\r\n") == 4 * 7 + 7 + 1


# --- Builds: revision and Last-Modified move with the data ---------------------------------------

PUBLIC_CALENDAR = """\
[calendar]
id = "open-days"
name = "Open remembrance days"
description = "Public days for the feed tests"
timezone = "Asia/Baku"
revised = 2026-11-20T00:00:00Z

[[observance]]
id = "khojaly"
title = "{ordinal} anniversary of Khojaly"
date = "02-26"
since = 1992
description = "A public test day."
"""

PROJECT_CONFIG = """\
[organisation]
name = "Test Institute"
timezone = "Asia/Karachi"
uid_domain = "test.example.org"

[paths]
calendars = "calendars"

[feed]
name = "Test feed"
past_years = 0
future_years = 2
refresh_interval = "PT6H"
"""

T0 = int(datetime(2026, 11, 25, 8, 0, tzinfo=UTC).timestamp())
T1 = int(datetime(2026, 11, 28, 8, 0, tzinfo=UTC).timestamp())


def make_project(root: Path, calendars: dict[str, str], extra: str = "") -> Path:
    """config.toml and calendars/ under ``root``, every input file dated T0."""
    folder = root / "calendars"
    folder.mkdir(exist_ok=True)
    for name, text in calendars.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    config = root / "config.toml"
    config.write_text(PROJECT_CONFIG + extra, encoding="utf-8")
    for path in (config, folder, *folder.iterdir()):
        os.utime(path, (T0, T0))
    return config


def test_revision_and_last_modified_move_forward_when_a_calendar_changes(
    tmp_path: Path,
) -> None:
    config = make_project(tmp_path, {"open-days.toml": PUBLIC_CALENDAR})
    first = current_feeds(str(config), load_project(config), {}, NOW)
    assert first.resources[ALL].last_modified == T0
    source = tmp_path / "calendars" / "open-days.toml"
    source.write_text(PUBLIC_CALENDAR.replace("of Khojaly", "of the Khojaly tragedy"), "utf-8")
    os.utime(source, (T1, T1))
    second = current_feeds(str(config), load_project(config), {}, NOW)
    for path in (ALL, "/calendars/open-days.ics"):
        before, after = first.resources[path], second.resources[path]
        assert b"of the Khojaly tragedy" in after.body
        assert after.body != before.body
        assert after.etag != before.etag
        assert after.last_modified == T1 > before.last_modified
    assert second.revision != first.revision
    headers = fetch(TestClient(App(Site(second))), "GET", ALL).headers
    assert headers["last-modified"] == formatdate(T1, usegmt=True)


def test_last_modified_moves_forward_when_the_window_enters_a_new_year(tmp_path: Path) -> None:
    config = make_project(tmp_path, {"open-days.toml": PUBLIC_CALENDAR})
    loaded = load_project(config)
    december = current_feeds(str(config), loaded, {}, NOW)
    january = current_feeds(str(config), loaded, {}, datetime(2027, 1, 1, 12, 0, tzinfo=UTC))
    assert (december.first_year, january.first_year) == (2026, 2027)
    new_year_in_karachi = int(datetime(2026, 12, 31, 19, 0, tzinfo=UTC).timestamp())
    assert january.resources[ALL].last_modified == new_year_in_karachi > T0
    assert january.resources[ALL].body != december.resources[ALL].body
    assert january.revision != december.revision


def test_two_builds_of_the_same_data_agree(tmp_path: Path) -> None:
    # Two workers built at different moments, one of them in another process with another hash
    # seed: the same bytes, validators and revision, so a load balancer may mix them.
    config = make_project(tmp_path, {"open-days.toml": PUBLIC_CALENDAR})
    loaded = load_project(config)
    one = current_feeds(str(config), loaded, {}, NOW)
    two = current_feeds(str(config), loaded, {}, NOW + timedelta(minutes=5))
    assert one.built_at != two.built_at
    assert one.revision == two.revision
    for path, resource in one.resources.items():
        other = two.resources[path]
        assert (other.body, other.etag, other.last_modified) == (
            resource.body,
            resource.etag,
            resource.last_modified,
        )
    script = textwrap.dedent(
        f"""
        import json
        from datetime import datetime
        from tests.test_web import load_project
        from reminders.web.server import current_feeds
        from pathlib import Path
        config = Path({str(config)!r})
        now = datetime.fromisoformat({(NOW + timedelta(hours=1)).isoformat()!r})
        feeds = current_feeds(str(config), load_project(config), {{}}, now)
        print(json.dumps([feeds.revision, {{p: [r.etag, r.last_modified]
                          for p, r in feeds.resources.items()}}]))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONHASHSEED": "7"},
        timeout=60,
    )
    revision, validators = json.loads(done.stdout)
    assert revision == one.revision
    assert validators == {p: [r.etag, r.last_modified] for p, r in one.resources.items()}


# --- Hostile input -------------------------------------------------------------------------------

HOSTILE_PATHS = [
    "/calendars/../config.toml",
    "/calendars/%2e%2e/config.toml",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/calendars/..%2fconfig.toml",
    "/calendars/%2e%2e%2f%2e%2e%2fconfig.toml",
    "//etc/passwd",
    "/calendars/remembrance.ics/..",
    "/calendars/remembrance.ics%00",
    "/calendars/remembrance.ics%00.ics",
    "/config.toml?x=%00",
    "/calendars/%00/remembrance.ics",
    "/calendars/..%5c..%5cconfig.toml",
    "/templates/web/",
    "/" + "a" * 10_000,
    "/calendars/" + "%2e%2e%2f" * 1_000 + "etc/passwd",
]


@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("target", HOSTILE_PATHS, ids=lambda t: t[:40])
def test_hostile_paths_are_a_plain_404(app: App, method: str, target: str) -> None:
    reply = call(app, method, target)
    assert reply.status == 404
    assert reply.headers["content-type"] == TEXT
    assert reply.headers["content-length"] == "10"
    assert reply.body == (b"" if method == "HEAD" else b"Not Found\n")
    assert not any(marker in reply.body for marker in FILE_MARKERS)


def test_nul_in_a_feed_query_is_ignored(app: App, feeds: FeedSet) -> None:
    reply = call(app, "GET", "/all.ics?download=%00&x=\x00")
    assert reply.status == 200
    assert reply.headers["content-disposition"] == 'inline; filename="all.ics"'
    assert reply.body == feeds.resources[ALL].body


@pytest.mark.parametrize("path", [ALL, CALENDAR, "/healthz", "/", "/nope"])
@pytest.mark.parametrize("size", [100_000, 1 << 20])
def test_huge_request_headers_are_a_431(app: App, path: str, size: int) -> None:
    reply = call(app, "GET", path, [(b"x-big", b"a" * size)])
    assert reply.status == 431
    assert reply.body == b"Request Header Fields Too Large\n"
    assert reply.headers["content-type"] == TEXT


def test_headers_up_to_the_limit_are_served(app: App, feeds: FeedSet) -> None:
    # call() adds "host: 127.0.0.1" (13 bytes); names and values count, nothing else.
    room = MAX_HEADER_BYTES - len("host127.0.0.1") - len("x-pad")
    assert call(app, "GET", ALL, [(b"x-pad", b"a" * room)]).status == 200
    assert call(app, "GET", "/healthz", [(b"x-pad", b"a" * room)]).status == 200
    assert call(app, "GET", ALL, [(b"x-pad", b"a" * (room + 1))]).status == 431
    assert call(app, "GET", "/healthz", [(b"x-pad", b"a" * (room + 1))]).status == 431


def test_a_thousand_headers(app: App, feeds: FeedSet) -> None:
    small = [(b"x-h%d" % i, b"1") for i in range(1000)]  # about 7 kB: served
    reply = call(app, "GET", ALL, small)
    assert reply.status == 200
    assert reply.body == feeds.resources[ALL].body
    large = [(b"x-filler-%04d" % i, b"0123456789abcdef") for i in range(1000)]  # 30 kB
    assert call(app, "GET", ALL, large).status == 431
    assert call(app, "GET", "/", large).status == 431
