"""Many organisations served by one feed server (web/deployment.py): each under ``/o/ID/``,
their tokens their own, the list of them at ``/``, the overview plans, a reload that reads and
rebuilds only the organisation whose files changed, and ``export --site`` of them all.

Every server here is a real one (uvicorn on a free port, in-process, on a fixed clock)."""

from __future__ import annotations

import asyncio
import gzip
import json
import logging
import shutil
import urllib.error
import urllib.request
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest

from reminders.cli.run import make_daemon
from reminders.config.organisations import find
from reminders.core.dates import local_date
from reminders.web.feeds import build_feeds
from reminders.web.server import WebService
from reminders.web.site import export_deployment

from .conftest import ROOT, copy_ministry

Cli = Callable[..., tuple[int, str, str]]
T = TypeVar("T")
NOW = datetime(2027, 1, 10, 9, 0, tzinfo=UTC)

STAFF = """\
[calendar]
id = "staff"
name = "{name}"
description = "Internal planning dates"
timezone = "Asia/Baku"
public = false
revised = 2026-11-20T00:00:00Z

[[observance]]
id = "briefing"
title = "{{ordinal}} closed briefing of {name}"
date = "03-15"
since = 2010
description = "Internal only."
"""
TOKENS = {"baku": "baku-token-Qw3Er5Ty7Ui9Op1As2", "islamabad": "isb-token-Zx8Cv6Bn4Mm2Ll0Kk9"}


class Reply:
    def __init__(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def etag(self) -> str:
        return self.headers.get("ETag", "")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any) -> None:
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def fetch(base: str, path: str, headers: Mapping[str, str] | None = None) -> Reply:
    request = urllib.request.Request(base + path, headers=dict(headers or {}))
    try:
        with OPENER.open(request, timeout=10) as response:
            return Reply(response.status, response.headers, response.read())
    except urllib.error.HTTPError as exc:
        return Reply(exc.code, exc.headers, exc.read())


@pytest.fixture
def ministry(tmp_path: Path) -> Path:
    """A copy of the two-organisation example, its paths pointing at the bundled folders, each
    organisation with a private calendar ``staff`` of its own and its own tokens file."""
    folder = copy_ministry(tmp_path / "ministry")
    config = folder / "config.toml"
    text = config.read_text("utf-8")
    text = text.replace('listen = "127.0.0.1:8080"', 'listen = "127.0.0.1:0"')
    config.write_text(text, "utf-8")
    for oid, token in TOKENS.items():
        own = folder / "organisations" / oid
        (own / "calendars").mkdir(parents=True)
        (own / "calendars" / "staff.toml").write_text(STAFF.format(name=f"Staff of {oid}"))
        (own / "tokens.txt").write_text(f"staff={token}\n", "utf-8")
        org = folder / "organisations" / f"{oid}.toml"
        org.write_text(
            org.read_text("utf-8")
            + f'\n[paths]\ncalendars = "{oid}/calendars"\n\n[feed]\n'
            + f'tokens_file = "{oid}/tokens.txt"\n',
            "utf-8",
        )
    return folder


def serve(
    config: Path, scenario: Callable[[WebService, str], Awaitable[T]], watch: bool = True
) -> T:
    """Run ``scenario(service, base URL)`` against a started feed server of ``config``."""

    async def main() -> T:
        service = WebService(str(config), environ={}, clock=lambda: NOW, watch_files=watch)
        await service.start(service.load(), "127.0.0.1:0")
        try:
            return await scenario(service, f"http://{service.address}")
        finally:
            await service.stop()

    return asyncio.run(main())


async def get(base: str, path: str, headers: Mapping[str, str] | None = None) -> Reply:
    return await asyncio.to_thread(fetch, base, path, headers)


# --- What is served -----------------------------------------------------------------------


def test_each_organisation_is_served_under_its_prefix_as_it_would_be_alone(
    ministry: Path,
) -> None:
    paths = [
        "/o/baku/",
        "/o/baku/az/",
        "/o/baku/all.ics",
        "/o/baku/calendars/remembrance.ics",
        "/o/baku/plan/2027",
        "/o/islamabad/",
        "/o/islamabad/ur/",
        "/o/islamabad/all.ics",
        "/o/islamabad/ur/all.ics",
        "/o/islamabad/ur/calendars/remembrance.ics",
        "/o/islamabad/ur/plan/2027",
    ]

    async def scenario(service: WebService, base: str) -> tuple[dict[str, Reply], Reply]:
        got = {path: await get(base, path) for path in paths}
        urdu = await get(base, "/o/islamabad/", {"Accept-Language": "ur, en;q=0.5"})
        return got, urdu

    got, urdu = serve(ministry / "config.toml", scenario)
    for path, reply in got.items():
        assert reply.status == 200, path
        assert reply.etag, path
    # The page's links are the organisation's, under its prefix.
    page = got["/o/islamabad/"].body.decode("utf-8")
    assert "/o/islamabad/all.ics" in page
    assert "/o/islamabad/plan/2027" in page
    assert "/o/islamabad/ur/" in page
    assert "/o/baku/" not in page
    assert "Embassy in Islamabad" in page
    # Accept-Language picks the page among the organisation's languages, as at "/".
    assert urdu.headers["Content-Language"] == "ur"
    assert urdu.body == got["/o/islamabad/ur/"].body
    assert "accept-language" in urdu.headers["Vary"].lower()
    # A feed is the bytes a deployment of that organisation alone builds.
    for oid in ("baku", "islamabad"):
        loaded = find(str(ministry / "config.toml"), oid, NOW.date())
        zone = loaded.settings.organisation.timezone
        alone = build_feeds(loaded, local_date(NOW, zone), {}, 0, NOW)
        assert got[f"/o/{oid}/all.ics"].body == alone.resources["/all.ics"].body
    assert b"Roundtable on the 35th anniversary" in got["/o/islamabad/all.ics"].body
    assert b"Roundtable" not in got["/o/baku/all.ics"].body


def test_the_root_lists_the_organisations_and_serves_the_overview(ministry: Path) -> None:
    org = ministry / "organisations" / "baku.toml"
    org.write_text(
        org.read_text("utf-8").replace(
            'name = "Bakı ofisi"', 'name = "Bakı <script>alert(1)</script> & co"'
        ),
        "utf-8",
    )

    async def scenario(service: WebService, base: str) -> dict[str, Reply]:
        paths = ["/", "/plan/2027/overview", "/plan/2099/overview", "/favicon.ico", "/all.ics"]
        return {path: await get(base, path) for path in paths}

    got = serve(ministry / "config.toml", scenario)
    root = got["/"]
    assert root.status == 200
    assert root.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "script-src" not in root.headers["Content-Security-Policy"]
    html = root.body.decode("utf-8")
    assert "Bakı &lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert "<script>alert" not in html
    assert "/o/baku/" in html
    assert "/o/islamabad/" in html
    assert "/o/islamabad/ur/" in html
    assert "اردو" in html
    assert "/plan/2027/overview" in html
    overview = got["/plan/2027/overview"]
    assert overview.status == 200
    assert b"Organisations by observance" in overview.body
    assert b"Embassy in Islamabad" in overview.body
    # Islamabad's roundtable of February 26 is moved to the 25th and falls in Ramadan.
    assert (
        b'<td class="conflict" title="Roundtable on the 35th anniversary of the Khojaly Genocide,'
        b" Thursday 25 Feb 2027 (moved off the day); in Ramadan 1448"
    ) in overview.body
    assert got["/plan/2099/overview"].status == 404
    assert got["/favicon.ico"].status == 200
    # The one organisation's paths are not served at the root of a deployment.
    assert got["/all.ics"].status == 404


def test_the_served_overview_names_a_broken_organisations_file_once_with_each_problem(
    ministry: Path,
) -> None:
    """What the server knows of an organisation it could not load reaches the overview as the
    problems it logged, each naming its file once."""
    from reminders.plan.overview import overview_of
    from reminders.web.deployment import build_deployment, served_each

    org = ministry / "organisations" / "baku.toml"
    org.write_text(org.read_text("utf-8").replace('name = "Bakı ofisi"', "name = 12"), "utf-8")
    deployment = build_deployment(str(ministry / "config.toml"), None, {}, datetime.now(UTC))
    overview = overview_of(
        deployment.base, deployment.shared, served_each(deployment), 2027, date(2026, 12, 7)
    )
    ((oid, problems),) = overview.problems
    assert oid == "baku"
    assert problems == (f"{org}:4: organisation.name: got 12; expected a non-empty string",)
    assert deployment.orgs["baku"].problem_texts == list(problems)


def test_an_unknown_organisation_is_a_clear_404(ministry: Path) -> None:
    async def scenario(service: WebService, base: str) -> dict[str, Reply]:
        paths = ["/o/nowhere/", "/o/nowhere/all.ics", "/o/BAKU/", "/o/..%2f/", "/o//", "/o/baku"]
        return {path: await get(base, path) for path in paths}

    got = serve(ministry / "config.toml", scenario)
    for path in ("/o/nowhere/", "/o/nowhere/all.ics", "/o/BAKU/", "/o/..%2f/", "/o//"):
        assert got[path].status == 404, path
        assert b"no organisation of that name" in got[path].body, path
    moved = got["/o/baku"]
    assert (moved.status, moved.headers["Location"]) == (308, "/o/baku/")


def test_a_token_opens_its_own_organisations_calendar_only(ministry: Path) -> None:
    baku, isb = TOKENS["baku"], TOKENS["islamabad"]
    cases = {
        f"/o/baku/calendars/staff.ics?token={baku}": 200,
        f"/o/baku/calendars/{baku}/staff.ics": 200,
        f"/o/islamabad/calendars/staff.ics?token={isb}": 200,
        f"/o/islamabad/calendars/{isb}/staff.ics": 200,
        # The other organisation's token, in both forms: the one 404 of an unknown path.
        f"/o/islamabad/calendars/staff.ics?token={baku}": 404,
        f"/o/islamabad/calendars/{baku}/staff.ics": 404,
        f"/o/baku/calendars/staff.ics?token={isb}": 404,
        f"/o/baku/calendars/{isb}/staff.ics": 404,
        "/o/baku/calendars/staff.ics": 404,
    }

    async def scenario(service: WebService, base: str) -> dict[str, Reply]:
        return {path: await get(base, path) for path in [*cases, "/o/baku/missing.ics"]}

    got = serve(ministry / "config.toml", scenario)
    for path, status in cases.items():
        assert got[path].status == status, path
    assert b"Staff of baku" in got[f"/o/baku/calendars/{baku}/staff.ics"].body
    assert b"Staff of islamabad" in got[f"/o/islamabad/calendars/{isb}/staff.ics"].body
    refused = got[f"/o/islamabad/calendars/{baku}/staff.ics"]
    assert refused.body == got["/o/baku/missing.ics"].body == b"Not Found\n"


# --- Reload isolation ---------------------------------------------------------------------

WATCHED = ["/o/baku/", "/o/baku/all.ics", "/o/islamabad/", "/o/islamabad/all.ics"]


async def snapshot(base: str) -> dict[str, tuple[int, bytes, str]]:
    out = {}
    for path in WATCHED:
        reply = await get(base, path, {"Accept-Encoding": "gzip"})
        body = gzip.decompress(reply.body) if reply.headers.get("Content-Encoding") else reply.body
        out[path] = (reply.status, body, reply.etag)
    return out


def test_an_edit_of_one_organisation_rebuilds_it_alone(
    ministry: Path, caplog: pytest.LogCaptureFixture
) -> None:
    isb = ministry / "organisations" / "islamabad.toml"
    baku = ministry / "organisations" / "baku.toml"

    async def scenario(service: WebService, base: str) -> dict[str, Any]:
        seen: dict[str, Any] = {"before": await snapshot(base)}
        first = service.site.deployment
        isb.write_text(
            isb.read_text("utf-8").replace("Roundtable on the 35th", "Conference on the 35th"),
            "utf-8",
        )
        # What the watcher compares sees the edit (it then refreshes, as here).
        seen["noticed"] = service._watched_now(first) != service.watched
        assert await service.refresh(None, "a file changed")
        seen["rebuilt"] = service.site.deployment.rebuilt
        seen["edited"] = await snapshot(base)
        seen["same_baku"] = service.site.deployment.orgs["baku"].good is first.orgs["baku"].good
        # Baku's file broken: rejected, logged, its last good version still served.
        caplog.clear()
        baku.write_text('[organisation]\nname = "Bakı"\ntimezone = "Asia/Bakuu"\n', "utf-8")
        await service.refresh(None, "a file changed")
        seen["broken"] = await snapshot(base)
        seen["log"] = caplog.text
        seen["health"] = json.loads((await get(base, "/healthz")).body)
        seen["noticed_after"] = service._watched_now(service.site.deployment) != service.watched
        return seen

    with caplog.at_level(logging.INFO, logger="reminders"):
        seen = serve(ministry / "config.toml", scenario)
    before, edited, broken = seen["before"], seen["edited"], seen["broken"]
    assert seen["noticed"]
    assert seen["rebuilt"] == ("islamabad",)
    assert seen["same_baku"]
    for path in ("/o/baku/", "/o/baku/all.ics"):
        assert edited[path] == before[path], path  # the very bytes and ETag
        assert broken[path] == before[path], path
    assert edited["/o/islamabad/all.ics"][2] != before["/o/islamabad/all.ics"][2]
    assert b"Conference on the 35th" in edited["/o/islamabad/all.ics"][1]
    assert broken["/o/islamabad/all.ics"] == edited["/o/islamabad/all.ics"]
    assert "organisation baku rejected" in seen["log"]
    assert "still serving its last good version" in seen["log"]
    assert "baku.toml:3: organisation.timezone: got 'Asia/Bakuu'" in seen["log"]
    orgs = seen["health"]["organisations"]
    assert orgs["baku"]["state"] == "stale"
    assert orgs["baku"]["loaded"] == NOW.isoformat(timespec="seconds")
    assert any("Asia/Bakuu" in p for p in orgs["baku"]["problems"])
    assert orgs["islamabad"]["state"] == "ready"
    assert orgs["islamabad"]["problems"] == []
    assert seen["health"]["feed"]["state"] == "ready"
    assert not seen["noticed_after"]  # the broken file is not read again until it changes


@pytest.mark.parametrize("which", ["calendar", "tokens"])
def test_an_edit_of_an_organisations_own_folder_rebuilds_it_alone(
    ministry: Path, which: str
) -> None:
    own = ministry / "organisations" / "islamabad"
    new_token = "isb-new-token-Aa1Ss2Dd3Ff4Gg5Hh6"

    async def scenario(service: WebService, base: str) -> tuple[Any, ...]:
        before = await snapshot(base)
        if which == "calendar":
            staff = own / "calendars" / "staff.toml"
            staff.write_text(staff.read_text("utf-8").replace("Staff of", "Team of"), "utf-8")
        else:
            (own / "tokens.txt").write_text(f"staff={new_token}\n", "utf-8")
        noticed = service._watched_now(service.site.deployment) != service.watched
        assert await service.refresh(None, "a file changed")
        token = new_token if which == "tokens" else TOKENS["islamabad"]
        staff = await get(base, f"/o/islamabad/calendars/{token}/staff.ics")
        old = await get(base, f"/o/islamabad/calendars/{TOKENS['islamabad']}/staff.ics")
        after = await snapshot(base)
        return noticed, service.site.deployment.rebuilt, before, after, staff, old

    noticed, rebuilt, before, after, staff, old = serve(ministry / "config.toml", scenario)
    assert noticed
    assert rebuilt == ("islamabad",)
    for path in ("/o/baku/", "/o/baku/all.ics"):
        assert after[path] == before[path], path
    assert staff.status == 200
    if which == "calendar":
        assert b"Team of islamabad" in staff.body
    else:
        assert old.status == 404  # the rotated-out token


def test_the_server_and_the_daemon_see_the_same_edits_of_an_organisations_folder(
    ministry: Path,
) -> None:
    """Any file of ``organisations/ID/`` is the organisation's (config.organisations.org_stamp,
    which the daemon's reload reads too): the feed server rebuilds it alone."""
    from reminders.web.deployment import build_deployment

    config = str(ministry / "config.toml")
    now = datetime.now(UTC)
    first = build_deployment(config, None, {}, now)
    (ministry / "organisations" / "islamabad" / "notes.txt").write_text("venue: hall A\n", "utf-8")
    second = build_deployment(config, first, {}, now)
    assert second.rebuilt == ("islamabad",)
    assert second.orgs["baku"] is first.orgs["baku"]


def test_a_new_day_rebuilds_each_organisation_whose_date_moved(ministry: Path) -> None:
    """Islamabad (UTC+5) and Baku (UTC+4): at 19:30 UTC Islamabad is past midnight and Baku
    is not; half an hour later both are."""
    from reminders.web.deployment import build_deployment, date_moved

    config = str(ministry / "config.toml")
    first = build_deployment(config, None, {}, datetime(2026, 12, 7, 18, 0, tzinfo=UTC))
    same = build_deployment(config, first, {}, datetime(2026, 12, 7, 18, 30, tzinfo=UTC))
    assert same.rebuilt == ()
    at = datetime(2026, 12, 7, 19, 30, tzinfo=UTC)
    assert date_moved(first, at)
    one = build_deployment(config, first, {}, at)
    assert one.rebuilt == ("islamabad",)
    moved = one.orgs["islamabad"].good
    assert moved is not None
    assert moved.feeds.today == date(2026, 12, 8)
    both = build_deployment(config, one, {}, datetime(2026, 12, 7, 20, 30, tzinfo=UTC))
    assert both.rebuilt == ("baku",)
    assert not date_moved(both, datetime(2026, 12, 7, 20, 30, tzinfo=UTC))


def test_an_edit_of_config_toml_rebuilds_every_organisation(ministry: Path) -> None:
    config = ministry / "config.toml"

    async def scenario(service: WebService, base: str) -> tuple[tuple[str, ...], Reply]:
        config.write_text(
            config.read_text("utf-8").replace(
                'name = "Ministry of Foreign Affairs"', 'name = "Ministry of Culture"'
            ),
            "utf-8",
        )
        assert await service.refresh(None, "a file changed")
        return service.site.deployment.rebuilt, await get(base, "/")

    rebuilt, root = serve(config, scenario)
    assert rebuilt == ("baku", "islamabad")
    assert b"Ministry of Culture" in root.body


def test_a_broken_config_toml_keeps_everything_served(
    ministry: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = ministry / "config.toml"

    async def scenario(service: WebService, base: str) -> tuple[bool, dict[str, Any], Any]:
        before = await snapshot(base)
        config.write_text(config.read_text("utf-8") + "\n[feed]\nnope = 1\n", "utf-8")
        done = await service.refresh(None, "a file changed")
        return done, before, await snapshot(base)

    with caplog.at_level(logging.INFO, logger="reminders"):
        done, before, after = serve(config, scenario)
    assert not done
    assert after == before
    assert "rejected, still serving the previous feeds" in caplog.text


def test_a_new_organisation_file_is_served_after_a_reload(ministry: Path) -> None:
    async def scenario(service: WebService, base: str) -> tuple[int, int, tuple[str, ...]]:
        absent = (await get(base, "/o/tbilisi/")).status
        (ministry / "organisations" / "tbilisi.toml").write_text(
            '[organisation]\nname = "Tbilisi office"\ncountry = "GE"\ntimezone = "Asia/Tbilisi"\n',
            "utf-8",
        )
        assert service._watched_now(service.site.deployment) != service.watched
        await service.refresh(None, "a file changed")
        return absent, (await get(base, "/o/tbilisi/")).status, service.site.deployment.rebuilt

    absent, present, rebuilt = serve(ministry / "config.toml", scenario)
    assert (absent, present, rebuilt) == (404, 200, ("tbilisi",))


def test_the_daemon_serves_every_organisation(ministry: Path) -> None:
    """The daemon hands its feed server config.toml's Loaded; the server reads the deployment
    itself, builds it in the background and shows each organisation in /healthz."""

    async def scenario() -> tuple[Reply, Reply, dict[str, Any]]:
        daemon = make_daemon(str(ministry / "config.toml"), environ={}, clock=lambda: NOW)
        await daemon.start()
        try:
            assert daemon.web is not None
            assert await daemon.web.ready() == "ready"
            base = f"http://{daemon.web.address}"
            feed = await get(base, "/o/baku/all.ics")
            root = await get(base, "/")
            health = json.loads((await get(base, "/healthz")).body)
            return feed, root, health
        finally:
            daemon.stopping.set()
            await daemon.shutdown()

    feed, root, health = asyncio.run(scenario())
    assert feed.status == 200
    assert b"BEGIN:VCALENDAR" in feed.body
    assert root.status == 200
    assert sorted(health["organisations"]) == ["baku", "islamabad"]
    assert "scheduler" in health


# --- Export -------------------------------------------------------------------------------


def test_export_site_writes_every_organisation_as_served(cli: Cli, ministry: Path) -> None:
    out = ministry / "public"
    config = str(ministry / "config.toml")
    code, _, err = cli("--config", config, "export", "--site", str(out))
    assert code == 0, err
    assert (out / "index.html").is_file()
    assert b"/o/islamabad/" in (out / "index.html").read_bytes()
    for name in (
        "o/baku/index.html",
        "o/baku/az/index.html",
        "o/baku/all.ics",
        "o/baku/all.ics.gz",
        "o/baku/calendars/remembrance.ics",
        "o/islamabad/ur/all.ics",
        "o/islamabad/ur/calendars/remembrance.ics",
        "plan/2027/overview.html",
    ):
        assert (out / name).is_file(), name
    # Private calendars are never written.
    assert not list(out.rglob("staff.ics*"))
    assert "not written (private, served only with a token): baku/staff, islamabad/staff" in err

    async def scenario(service: WebService, base: str) -> dict[str, bytes]:
        paths = ["/o/baku/all.ics", "/o/islamabad/ur/all.ics", "/plan/2027/overview"]
        return {path: (await get(base, path)).body for path in paths}

    # The same bytes as served, on the same clock.
    served = serve(ministry / "config.toml", scenario)
    export_deployment(config, str(out), NOW)
    assert (out / "o/islamabad/ur/all.ics").read_bytes() == served["/o/islamabad/ur/all.ics"]
    assert (out / "o/baku/all.ics").read_bytes() == served["/o/baku/all.ics"]
    assert (out / "plan/2027/overview.html").read_bytes() == served["/plan/2027/overview"]


def test_export_site_of_one_organisation_writes_it_alone(cli: Cli, ministry: Path) -> None:
    out = ministry / "baku-site"
    config = str(ministry / "config.toml")
    code, _, err = cli("--config", config, "export", "--org", "baku", "--site", str(out))
    assert code == 0, err
    assert (out / "all.ics").is_file()
    assert (out / "index.html").is_file()
    assert not (out / "o").exists()


def test_export_site_writes_the_others_when_one_organisation_is_broken(
    cli: Cli, ministry: Path
) -> None:
    (ministry / "organisations" / "baku.toml").write_text(
        '[organisation]\ntimezone = "Asia/Bakuu"\n', "utf-8"
    )
    out = ministry / "public"
    code, _, err = cli("--config", str(ministry / "config.toml"), "export", "--site", str(out))
    assert code == 1
    assert "reminders: not written: " in err
    assert "organisation.timezone: got 'Asia/Bakuu'" in err
    assert (out / "o/islamabad/all.ics").is_file()
    assert not (out / "o/baku").exists()


def test_a_page_template_broken_without_plans_rejects_every_organisation(
    ministry: Path, tmp_path: Path
) -> None:
    """A deployment's build checks the page's templates once for all its organisations (they
    share them): a mistake that only the page without plans meets (the served pages have
    plans) still rejects each organisation's build, with the template's file and line."""
    from reminders.web.deployment import build_deployment

    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    index = templates / "web" / "index.html"
    index.write_text(
        index.read_text("utf-8") + "{% if not plans %}{{ no_such_thing }}{% endif %}\n", "utf-8"
    )
    config = ministry / "config.toml"
    config.write_text(
        config.read_text("utf-8").replace(f'"{ROOT / "templates"}"', f'"{templates}"'), "utf-8"
    )
    built = build_deployment(str(config), None, {}, NOW, "127.0.0.1:8080", {}, False)
    assert sorted(built.orgs) == ["baku", "islamabad"]
    for state in built.orgs.values():
        assert state.good is None, state.id
        assert any(
            f"{index}:" in problem and "'no_such_thing' is undefined" in problem
            for problem in state.problem_texts
        ), state.problems
