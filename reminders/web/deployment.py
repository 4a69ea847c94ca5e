"""Many organisations served by one feed server (issue 18): each under ``/o/ID/``.

When config.toml's ``[paths] organisations`` names a folder (config/organisations.py), the feed
server serves each organisation what a deployment of that organisation alone serves at ``/``:
its page (``/o/ID/``, ``/o/ID/LANG/``), its feeds (``/o/ID/all.ics``, ``/o/ID/calendars/CAL.ics``
and their languages' twins), its plans (``/o/ID/plan/YEAR``) and its private calendars behind
its own tokens.  Each is an :class:`~reminders.web.app.Site` of its own, built from the
organisation's ``Loaded`` with its links under ``/o/ID`` (so its page, feeds and plans are the
very bytes one organisation's deployment would serve there), and :class:`DeploymentApp` hands a
request to that site with the ``/o/ID`` prefix taken off: a token is only ever compared with the
tokens of the organisation the path names, so one organisation's token never opens another's
calendar.  The root serves the list of organisations (``/``), the overview plans
(``/plan/YEAR/overview``, plan/overview.py), the icon and ``/healthz``.

**Reload isolation.**  A :class:`Deployment` is one version of everything served; the next one
is made from it by :func:`build_deployment`, which reads again only what changed: every
organisation when config.toml, the shared calendars or the templates changed (their stamp), else
only the organisations whose own files changed (its ``ID.toml``, its calendar folder, its tokens
file), or whose date moved on.  An organisation whose files are rejected keeps its last good
version (logged with its problems; ``/healthz`` shows them), and the others' builds are kept as
they are: the same objects, so the same bytes and ETags.  Nothing of a request path reaches the
file system: an organisation is found by exact dictionary lookup.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any, NamedTuple

from ..config.organisations import (
    ORG_ID,
    Loading,
    Organisation,
    folder_of,
    load_organisation,
    loaded_organisation,
    org_stamp,
    organisation_files,
    problems_of,
)
from ..config.sources import Stat, fingerprint, inputs_time
from ..core.dates import local_date
from ..core.errors import MISSING, ConfigError, Problem, ReminderError
from ..core.model import Calendar
from ..core.settings import Loaded, Settings
from .app import (
    HEALTHZ,
    UNAVAILABLE_REPLIES,
    App,
    FeedState,
    Pages,
    Prepared,
    PreparedPage,
    Receive,
    Reply,
    Scope,
    Send,
    Site,
    build_pages,
    favicon,
    feed_reply,
    headers_too_large,
    html_page,
    plain_reply,
    refuse,
    send_reply,
)
from .feedcache import FeedCache
from .feeds import FeedSet, build_feeds

log = logging.getLogger("reminders")

ORG_PREFIX = "/o/"
ROOT_TEMPLATE = "web/organisations.html"
UNKNOWN_ORG = (
    b"Not Found: there is no organisation of that name here; the organisations are listed at /\n"
)
UNKNOWN_ORG_REPLIES = {head: plain_reply(404, UNKNOWN_ORG, head) for head in (False, True)}


def org_path(org_id: str, path: str = "/") -> str:
    """The URL path of an organisation's ``path``: ``/o/ID/``, ``/o/ID/all.ics``."""
    return f"{ORG_PREFIX}{org_id}{path}"


class OrgBuild(NamedTuple):
    """One good version of an organisation: what its site serves."""

    org: Organisation
    loaded: Loaded  # as served: its links under /o/ID
    feeds: FeedSet
    pages: Pages
    at: datetime  # when it was loaded (UTC)


class OrgState(NamedTuple):
    """An organisation in one version of the deployment: its last good version, and the
    problems of its files as they were last read (none when the good version is theirs)."""

    id: str
    path: str
    org: Organisation  # as last read (settings None when its file has problems)
    stamp: tuple[Stat, ...]  # its own files, as last read
    good: OrgBuild | None  # served; None when it never loaded
    problems: tuple[Problem, ...] = ()  # each names its file
    failed_at: datetime | None = None

    @property
    def problem_texts(self) -> list[str]:
        return [str(p) for p in self.problems]


class Deployment(NamedTuple):
    """One version of everything a deployment of several organisations serves."""

    config_path: str
    folder: str
    base: Settings
    shared: tuple[Calendar, ...]
    shared_stamp: tuple[Stat, ...]
    orgs: dict[str, OrgState]  # by id, sorted
    problems: tuple[str, ...]  # the organisations folder's own
    base_url: str  # the root's links (config.toml's [feed] base_url, or where it listens)
    root: PreparedPage  # "/": the list of organisations
    icon: PreparedPage
    built_at: datetime
    rebuilt: tuple[str, ...]  # the organisations (re)built for this version

    def watched(self, shared: bool) -> tuple[Any, ...]:
        """What the watcher compares (:func:`current_stamp`): the shared files' stamp (when
        ``shared``), and each organisation's files."""
        own = tuple((oid, s.path, s.stamp) for oid, s in self.orgs.items())
        return ((self.shared_stamp if shared else ()), own)


def shared_stamp(config_path: str, base: Settings) -> tuple[Stat, ...]:
    """config.toml, the shared calendars and the templates: a change reloads every organisation."""
    return fingerprint(config_path, base.calendars_dir, base.templates_dir)


def current_stamp(deployment: Deployment, shared: bool) -> tuple[Any, ...]:
    """The files as they are now, in the shape of :meth:`Deployment.watched`."""
    files, _ = organisation_files(deployment.folder)
    own = tuple((oid, path, org_stamp(oid, path)) for oid, path in files)
    ahead = shared_stamp(deployment.config_path, deployment.base) if shared else ()
    return (ahead, own)


def date_moved(deployment: Deployment, now: datetime) -> bool:
    """Whether an organisation's date moved on since its version was built."""
    return any(_day_changed(state, now) for state in deployment.orgs.values())


def _day_changed(state: OrgState, now: datetime) -> bool:
    """Whether the organisation's date moved on since its served version was built."""
    good = state.good
    return good is not None and good.feeds.today != local_date(
        now, good.loaded.settings.organisation.timezone
    )


def build_org(
    shared_changed: int,
    org: Organisation,
    loaded: Loaded,
    environ: Mapping[str, str] | None,
    now: datetime,
    address: str = "",
    cache: FeedCache | None = None,
    checked: set[object] | None = None,
) -> OrgBuild:
    """An organisation's feeds and pages, its links under ``/o/ID``; ``environ`` None: no tokens
    read (``export --site`` writes no private calendar).  ReminderError naming the file.
    ``checked``: the page checks this deployment's build has made (app.build_pages);
    ``shared_changed``: the newest time of config.toml and the shared calendars
    (config.sources.inputs_time), read once per deployment build."""
    from .tokens import load_tokens

    settings = loaded.settings
    feed = settings.feed.linked_to(address) if address else settings.feed
    feed = feed._replace(base_url=feed.base_url + org_path(org.id, ""))
    served = loaded._replace(settings=settings._replace(feed=feed))
    tokens = {} if environ is None else load_tokens(feed, served.calendars, environ)
    today = local_date(now, settings.organisation.timezone)
    changed = max(shared_changed, inputs_time(org.path, org.calendars_dir))
    feeds = build_feeds(served, today, tokens, changed, now, cache)
    return OrgBuild(org, served, feeds, build_pages(feeds, checked), now.astimezone(UTC))


def build_deployment(
    config_path: str,
    previous: Deployment | None,
    environ: Mapping[str, str] | None,
    now: datetime,
    address: str = "",
    caches: dict[str, FeedCache] | None = None,
    report: bool = True,
) -> Deployment:
    """The next version of the deployment (``previous`` None: the first).  Reads again only
    what changed (see the module's text); an organisation whose files are rejected keeps its
    last good version (``report``: and says so in the log).  ConfigError or CalendarError when
    config.toml or a shared calendar is bad (then nothing changes)."""
    from ..config.calendars import load_calendars
    from ..config.config_file import load_config

    # Stamps are taken before the files are read (server.py's load_stamped says why).
    ahead = shared_stamp(config_path, previous.base) if previous is not None else None
    fresh = previous is None or ahead != previous.shared_stamp
    if previous is None or fresh:
        base = load_config(config_path)
        same = previous is not None and (base.calendars_dir, base.templates_dir) == (
            previous.base.calendars_dir,
            previous.base.templates_dir,
        )
        stamp = ahead if same and ahead is not None else shared_stamp(config_path, base)
        folder = folder_of(config_path)
        if folder is None:
            raise ConfigError(
                [
                    Problem(
                        base.source,
                        "paths.organisations",
                        MISSING,
                        "the folder of organisations the server started with (serving one "
                        "organisation instead takes a restart)",
                    )
                ]
            )
        shared = load_calendars(base.calendars_dir, local_date(now, base.organisation.timezone))
    else:
        base, stamp, folder, shared = (
            previous.base,
            previous.shared_stamp,
            previous.folder,
            previous.shared,
        )
    files, problems = organisation_files(folder)
    if problems and report:
        log.error("the organisations folder:\n%s", "\n".join(f"  {p}" for p in problems))
    orgs: dict[str, OrgState] = {}
    rebuilt = []
    checked: set[object] = set()  # the page checks made: once per template folder and language
    shared_changed = 0  # config.toml's and the shared calendars' newest time, read once if needed
    for oid, path in files:
        old = previous.orgs.get(oid) if previous is not None else None
        if (
            old is not None
            and not fresh
            and old.path == path
            and not _day_changed(old, now)
            and org_stamp(oid, path) == old.stamp
        ):
            orgs[oid] = old
            continue
        cache = None if caches is None else caches.setdefault(oid, FeedCache())
        shared_changed = shared_changed or inputs_time(config_path, base.calendars_dir)
        state = _read_org(
            shared_changed, base, shared, oid, path, old, environ, now, address, cache, checked
        )
        if report and state.problems:
            _log_rejected(state, old)
        orgs[oid] = state
        if old is None or state.good is not old.good:
            rebuilt.append(oid)
    if caches is not None:
        for gone in set(caches) - set(orgs):
            del caches[gone]
    base_url = base.feed.linked_to(address).base_url if address else base.feed.base_url
    root, icon = _root_pages(base, orgs, base_url, now)
    return Deployment(
        config_path,
        folder,
        base,
        shared,
        stamp,
        orgs,
        tuple(str(p) for p in problems),
        base_url,
        root,
        icon,
        now.astimezone(UTC),
        tuple(rebuilt),
    )


def _read_org(
    shared_changed: int,
    base: Settings,
    shared: tuple[Calendar, ...],
    oid: str,
    path: str,
    old: OrgState | None,
    environ: Mapping[str, str] | None,
    now: datetime,
    address: str,
    cache: FeedCache | None,
    checked: set[object] | None = None,
) -> OrgState:
    """An organisation read again and built; its problems (and its last good version) when
    its files are rejected."""
    stamp = org_stamp(oid, path)  # before the files are read (build_deployment says why)
    org = load_organisation(base, oid, path)
    good = old.good if old is not None else None
    try:
        zone = org.settings.organisation.timezone if org.settings is not None else "UTC"
        loaded = loaded_organisation(org, shared, local_date(now, zone))
        built = build_org(shared_changed, org, loaded, environ, now, address, cache, checked)
    except Exception as exc:
        if isinstance(exc, ReminderError):
            problems = problems_of(exc, path)
        else:  # unforeseen: still this organisation's alone
            log.exception("organisation %s: its build", oid)
            why = f"its feeds cannot be built: {type(exc).__name__}: {exc}"
            problems = (Problem(path, "", None, why),)
        return OrgState(oid, path, org, stamp, good, problems, now.astimezone(UTC))
    return OrgState(oid, path, org, stamp, built)


def _log_rejected(state: OrgState, old: OrgState | None) -> None:
    log.error(
        "organisation %s rejected (%s); %s:\n%s",
        state.id,
        "its files" if old is None else "its files changed",
        "still serving its last good version" if state.good is not None else "not served",
        "\n".join(f"  {p}" for p in state.problem_texts),
    )


def _root_pages(
    base: Settings, orgs: Mapping[str, OrgState], base_url: str, now: datetime
) -> tuple[PreparedPage, PreparedPage]:
    """``/`` (the list of organisations) and the icon, from the deployment's templates;
    InvalidInput naming the template when either fails."""
    from ..core import words
    from ..core.errors import InvalidInput
    from .page import page_problem, plan_years, render_page

    listed = []
    for oid, state in orgs.items():
        good = state.good
        settings = good.loaded.settings if good is not None else state.org.settings
        org = settings.organisation if settings is not None else None
        languages = org.languages if good is not None and org is not None else ()
        listed.append(
            {
                "id": oid,
                "name": org.name if org is not None else oid,
                "language": org.language if org is not None else "",
                "url": base_url + org_path(oid) if good is not None else "",
                "languages": [
                    {
                        "language": tag,
                        "name": words.autonym(tag),
                        "url": base_url + org_path(oid, f"/{tag}/"),
                    }
                    for tag in languages
                ],
            }
        )
    today = local_date(now, base.organisation.timezone)
    overviews = [
        {"year": year, "url": f"{base_url}/plan/{year}/overview"}
        for year in plan_years(today, base.feed.future_years)
    ]
    context = {
        "deployment": {"name": base.organisation.name},
        "organisations": listed,
        "overviews": overviews,
    }
    folder = base.templates_dir
    try:
        rendered = render_page(folder, context, ROOT_TEMPLATE)
        icon = favicon(folder)
    except Exception as exc:
        problem = page_problem(exc, folder, ROOT_TEMPLATE)
        raise InvalidInput([problem], "list of organisations' template") from None
    return html_page(rendered.html, rendered.csp, "en"), icon


def served_each(deployment: Deployment) -> list[Loading]:
    """Each organisation as served (its last good version), for the overview plan."""
    return [
        Loading(s.good.org, s.good.loaded, ())
        if s.good is not None
        else Loading(s.org, None, s.problems)
        for s in deployment.orgs.values()
    ]


def overview_page(deployment: Deployment, year: int, today: date) -> PreparedPage:
    """``/plan/YEAR/overview``: the overview plan's HTML of what is served."""
    from ..plan.overview import html, overview_of
    from .page import content_security_policy

    overview = overview_of(deployment.base, deployment.shared, served_each(deployment), year, today)
    text = html(overview)
    return html_page(text.encode("utf-8"), content_security_policy(text))


class DeploymentSite:
    """What the app serves now for a deployment of several organisations: a
    :class:`~reminders.web.app.Site` per organisation, and the root's pages.  ``update`` swaps
    a new version in; an organisation whose build is the same object as before keeps its site
    untouched (its prepared replies, so its bytes and ETags)."""

    def __init__(
        self,
        deployment: Deployment | None,
        health: Callable[[], dict[str, Any]] | None = None,
        today: Callable[[str], date] | None = None,
        since: datetime | None = None,
    ) -> None:
        self.health_extra = health
        self.today = today or (lambda zone: local_date(datetime.now(UTC), zone))
        self.deployment: Deployment | None = None
        self.state = FeedState("building", since)
        self.sites: dict[str, Site] = {}
        # Every organisation's feeds by their full path (/o/ID/all.ics): the lean path's and
        # the protocol's lookup (protocol.py), as one organisation's Site.prepared is.
        self.prepared: dict[str, Prepared] = {}
        self._overviews: dict[int, PreparedPage | None] = {}  # by year, for this version
        self._lock = threading.Lock()
        if deployment is not None:
            self.update(deployment)

    @property
    def feeds(self) -> Deployment | None:
        """The version served (None before the first): what server.py asks of a Site."""
        return self.deployment

    def update(self, deployment: Deployment) -> None:
        sites: dict[str, Site] = {}
        for oid, state in deployment.orgs.items():
            site = self.sites.get(oid)
            if site is None:
                site = Site(None, None, self.today, since=deployment.built_at)
            good = state.good
            if good is not None and site.feeds is not good.feeds:
                site.update(good.feeds, good.pages)
            elif good is None:
                site.failed("\n".join(state.problem_texts), state.failed_at or deployment.built_at)
            sites[oid] = site
        prepared = {
            org_path(oid, path): one
            for oid, site in sites.items()
            for path, one in site.prepared.items()
        }
        self.sites, self.prepared, self._overviews = sites, prepared, {}
        self.deployment = deployment
        self.state = FeedState("ready", deployment.built_at)

    def failed(self, error: str, at: datetime) -> None:
        if self.deployment is None:
            self.state = FeedState("failed", at, error)

    def overview(self, year: int) -> PreparedPage | None:
        """The overview plan of ``year`` (a year of config.toml's feed window that a plan can
        cover), made on its first request for this version; None: not served."""
        from ..plan.hostcal import FIRST_YEAR, LAST_YEAR

        deployment = self.deployment
        if deployment is None:
            return None
        feed = deployment.base.feed
        today = self.today(deployment.base.organisation.timezone)
        first = max(today.year - feed.past_years, FIRST_YEAR)
        if not first <= year <= min(today.year + feed.future_years, LAST_YEAR):
            return None
        with self._lock:
            if year not in self._overviews:
                try:
                    made: PreparedPage | None = overview_page(deployment, year, today)
                except Exception as exc:
                    log.error("the overview plan of %d cannot be made: %s", year, exc)
                    made = None
                if self.deployment is deployment:
                    self._overviews[year] = made
                return made
            return self._overviews[year]

    def health(self) -> dict[str, Any]:
        """``feed`` as one organisation's /healthz says it; ``organisations``: each one's state
        (``ready``; ``stale``: its files were rejected, its last good version is served;
        ``failed``: it never loaded), last good load, revision and problems."""
        deployment = self.deployment
        out: dict[str, Any] = {
            "status": "ok",
            "feed": self.state.health(),
            "built": None,
            "organisations": {},
            "problems": [],
        }
        if deployment is not None:
            orgs = {}
            for oid, one in deployment.orgs.items():
                good = one.good
                orgs[oid] = {
                    "state": "failed" if good is None else "stale" if one.problems else "ready",
                    "loaded": None if good is None else good.at.isoformat(timespec="seconds"),
                    "revision": None if good is None else good.feeds.revision,
                    "problems": one.problem_texts,
                    "rejected": None
                    if one.failed_at is None
                    else one.failed_at.isoformat(timespec="seconds"),
                }
            out.update(
                built=deployment.built_at.isoformat(timespec="seconds"),
                organisations=orgs,
                problems=list(deployment.problems),
            )
        if self.health_extra is not None:
            out.update(self.health_extra())
        return out


class DeploymentApp:
    """The ASGI callable of a deployment of several organisations: public feeds first (by
    their full path), then ``/o/ID/...`` handed to that organisation's
    :class:`~reminders.web.app.App` with the prefix taken off, then the root's own paths."""

    def __init__(self, root: DeploymentSite) -> None:
        self.root = root
        self.apps: dict[str, App] = {}
        self.fallback = _root_starlette(root)

    def app_for(self, oid: str, site: Site) -> App:
        app = self.apps.get(oid)
        if app is None or app.site is not site:
            app = self.apps[oid] = App(site)
        return app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            prepared = self.root.prepared.get(path)
            if prepared is not None and not prepared.resource.private:
                answer = feed_reply(
                    prepared, scope["method"], scope["query_string"], scope["headers"]
                )
                await send_reply(send, answer)
                return
            if self.root.deployment is None and path != HEALTHZ:
                await refuse(scope, send, UNAVAILABLE_REPLIES[self.root.state.state])
                return
            if path.startswith(ORG_PREFIX):
                oid, slash, rest = path[len(ORG_PREFIX) :].partition("/")
                site = self.root.sites.get(oid) if ORG_ID.fullmatch(oid) else None
                if site is None:
                    await refuse(scope, send, UNKNOWN_ORG_REPLIES)
                elif not slash:  # "/o/ID": its page is "/o/ID/" (a relative redirect)
                    await send_reply(send, _moved(oid, scope["method"] == "HEAD"))
                else:
                    inner = dict(scope)
                    inner["path"] = "/" + rest
                    inner["raw_path"] = inner["path"].encode("utf-8")
                    await self.app_for(oid, site)(inner, receive, send)
                return
            if headers_too_large(scope["headers"]):
                await refuse(scope, send)
                return
        await self.fallback(scope, receive, send)


def _moved(oid: str, head: bool) -> Reply:
    body = b"Moved Permanently\n"
    return plain_reply(308, body, head, [(b"location", org_path(oid).encode("ascii"))])


def _root_starlette(root: DeploymentSite) -> Any:
    """The root's pages: the list of organisations, the overview plans, the icon, /healthz."""
    from starlette.concurrency import run_in_threadpool
    from starlette.exceptions import HTTPException
    from starlette.requests import Request

    from .app import health_response, lean_starlette, page_response, year_param

    def served() -> Deployment:
        deployment = root.deployment
        if deployment is None:  # (the app answers 503 before the first version)
            raise HTTPException(404)
        return deployment

    async def index(request: Request) -> Any:
        return page_response(request, served().root)

    async def icon(request: Request) -> Any:
        return page_response(request, served().icon)

    async def overview(request: Request) -> Any:
        return page_response(request, await run_in_threadpool(root.overview, year_param(request)))

    async def healthz(request: Request) -> Any:
        return health_response(root.health())

    return lean_starlette(
        {"/": index, HEALTHZ: healthz, "/favicon.ico": icon, "/plan/{year}/overview": overview}
    )
