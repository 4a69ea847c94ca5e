"""Serving the feed and page: ``reminders serve`` on its own, and inside the daemon's event loop.

:class:`WebService` owns one uvicorn server on a socket it binds itself (so a taken port is a
clear error, and port 0 picks a free one), the :class:`~reminders.web.app.Site` it serves, and a
watcher that rebuilds the feeds when the data changes, when a tokens file changes and when the
organisation's date moves on (the page counts days; on January 1 the window of years moves).
Builds run in a worker thread and are swapped in whole; a build that fails (a broken calendar
after an edit) is logged and the previous feeds stay up.  Under ``serve --workers N`` each forked
worker process runs :func:`serve_forever` on the supervisor's socket (workers.py).

``serve`` builds the feeds before it serves, so a configuration that cannot be served stops it.
The daemon schedules first: it binds (a taken port still stops its start before anything is
sent), serves /healthz at once and every other path as a 503 with Retry-After, and builds the
feeds in the background once its notices are scheduled (:meth:`WebService.build_in_background`);
/healthz says ``"feed": {"state": "building"}``, then ``"ready"``, or ``"failed"`` with the
message until a build succeeds (app.FeedState).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable, Coroutine, Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any, NamedTuple, TypeVar

from ..config.sources import Stat, fingerprint
from ..core.dates import local_date
from ..core.errors import ReminderError
from ..core.settings import Loaded
from .feedcache import FeedCache
from .feeds import FeedSet, feeds_from_files
from .protocol import http_protocol

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .app import Pages
    from .deployment import Deployment
    from .guard import Guard

log = logging.getLogger("reminders")
T = TypeVar("T")

DATE_CHECK = 30.0  # seconds between checks of the organisation's date


class ServeError(ReminderError):
    """The feed cannot listen where it was told to."""


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


def bind(listen: str) -> socket.socket:
    """A listening TCP socket on HOST:PORT (port 0: a free one); ServeError if it cannot be had."""
    host, port = split_listen(listen)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _, address = infos[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ServeError(
            f"cannot listen on {listen}: {exc.strerror or exc}; expected a local address "
            "for [feed] listen or --listen, such as 127.0.0.1:8080"
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        raise ServeError(
            f"cannot listen on {listen}: {exc.strerror or exc}; expected a free address "
            "for [feed] listen or --listen (port 0 picks any free port)"
        ) from None
    sock.setblocking(False)
    return sock


def shown_address(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """Run ``main`` on uvloop where it is installed (faster sockets), else on asyncio's loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def off_loop(func: Callable[..., T], *args: Any) -> T:
    """``func(*args)`` in a thread of its own, a daemon thread: a build can take many seconds
    (bench/daemon.py, case 1: 17 s), and a stop meanwhile (SIGTERM) must not wait for a result
    nobody will use, as it would for a thread of the loop's executor (asyncio.run joins them).
    The build is pure computation on bytes in memory, so nothing is left half-written."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: Any, error: BaseException | None) -> None:
        if done.done():  # the awaiting task was cancelled (a stop)
            return
        if error is None:
            done.set_result(result)
        else:
            done.set_exception(error)

    def work() -> None:
        result: Any = None
        error: BaseException | None = None
        try:
            result = func(*args)
        except BaseException as exc:  # handed to the awaiting task, which decides
            error = exc
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits any more
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=work, name="feed-build", daemon=True).start()
    return await done


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn's server, leaving the signals to the daemon or to ``serve``."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    return Server


def current_feeds(
    config_path: str,
    loaded: Loaded,
    environ: Mapping[str, str],
    now: datetime,
    cache: FeedCache | None = None,
) -> FeedSet:
    """The feeds as they are to be served at ``now``: tokens read, window from the local date;
    with ``cache``, the calendars that did not change since the last build are not built again."""
    from .tokens import load_tokens

    tokens = load_tokens(loaded.settings.feed, loaded.calendars, environ)
    return feeds_from_files(config_path, loaded, tokens, now, cache)


class WebService:
    """The feed server of one config: build, serve, rebuild on change, stop."""

    def __init__(
        self,
        config_path: str,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        health: Callable[[], dict[str, Any]] | None = None,
        watch_files: bool = True,
        direct: bool = True,
        label: str = "",
    ) -> None:
        self.config_path = config_path
        self.environ = os.environ if environ is None else environ
        self.clock = clock or (lambda: datetime.now(UTC))
        self.health = health
        self.watch_files = watch_files  # False in the daemon, which reloads and calls refresh()
        self.direct = direct  # public feeds answered in the HTTP protocol (False: all by ASGI)
        self.label = label  # "worker 2 (pid 4711)" under `serve --workers`, for the log lines
        self.keep_alive = 15  # seconds an idle kept-alive connection stays open
        self.head_timeout: float | None = None  # seconds; None: [feed] head_timeout
        self.guard: Guard | None = None
        self.loaded: Loaded | None = None
        self.site: Any = None
        self.server: Any = None
        self.sock: socket.socket | None = None
        self.address = ""
        self.tasks: list[asyncio.Task[Any]] = []
        self.stamp: tuple[Stat, ...] = ()
        self.building = False
        self.again: tuple[Loaded | None, str] | None = None  # a refresh asked for mid-build
        self.generation = 0  # counts installs: a build begun before one is not swapped in
        self.settled = asyncio.Event()  # set once the first build is served, or has failed
        self.cache = FeedCache()  # each calendar's built feed, kept until its inputs change
        # Several organisations (config.toml's [paths] organisations; deployment.py): known at
        # start().  Then the service reads the deployment itself, whatever Loaded it is given
        # (config.toml's), and keeps a feed cache per organisation.
        self.many = False
        self.caches: dict[str, FeedCache] = {}
        self.watched: tuple[Any, ...] = ()  # the deployment's files as last read (_watch)

    # --- Building ---------------------------------------------------------------------------

    def today(self, loaded: Loaded) -> date:
        return self.today_in(loaded.settings.organisation.timezone)

    def today_in(self, zone: str) -> date:
        """The date in ``zone`` by this service's clock: the feeds' and the page's."""
        return local_date(self.clock(), zone)

    def build(self, loaded: Loaded) -> FeedSet:
        """Tokens read, every feed built; raises ReminderError (bad tokens) without side effects.

        Once bound, links that [feed] base_url does not fix point where the server listens.
        """
        if self.address:
            feed = loaded.settings.feed.linked_to(self.address)
            loaded = loaded._replace(settings=loaded.settings._replace(feed=feed))
        return current_feeds(self.config_path, loaded, self.environ, self.clock(), self.cache)

    def build_site(self, loaded: Loaded) -> tuple[FeedSet, Pages]:
        """Every feed, and the page, the icon and this year's plan made from them and checked
        (web.build_pages); ReminderError naming the file and line if any of it fails."""
        from .app import build_pages

        feeds = self.build(loaded)
        return feeds, build_pages(feeds)

    def prepare(
        self, loaded: Loaded
    ) -> tuple[FeedSet | Deployment, Pages | Deployment, tuple[Stat, ...]]:
        """Every feed and page built from ``loaded`` (:meth:`build_site`), and the stamp to
        install them with; ReminderError naming the file if any of it fails.  Nothing is
        swapped: the daemon builds the rest of a reload meanwhile and installs it all at once
        (:meth:`install`).  For several organisations, the deployment's next version, read by
        the service itself (twice: as the feeds and as the pages)."""
        if self.many:  # (the daemon's reload, with config.toml's Loaded): every organisation
            deployment = self.build_deployment()
            return deployment, deployment, ()
        stamp = self._stamp(loaded)
        feeds, pages = self.build_site(loaded)
        return feeds, pages, stamp

    def install(
        self,
        loaded: Loaded,
        feeds: FeedSet | Deployment,
        pages: Pages | Deployment,
        stamp: tuple[Stat, ...],
        why: str,
    ) -> None:
        """Serve ``feeds`` and ``pages`` (from :meth:`prepare`) from now on; no await, so nothing
        runs between this and the daemon's own swap.  A rebuild still in flight is then not
        swapped in."""
        from .deployment import Deployment

        self.generation += 1
        if isinstance(feeds, Deployment):
            self._swap_many(feeds, why)
            return
        assert not isinstance(pages, Deployment)
        self._swap(loaded, feeds, pages, stamp, why)

    def _swap(
        self, loaded: Loaded, feeds: FeedSet, pages: Pages, stamp: tuple[Stat, ...], why: str
    ) -> None:
        self.loaded, self.stamp = loaded, stamp
        if self.guard is not None:
            self.guard.set_timeout(self._head_timeout(loaded))
        served = self.site.feeds
        self.site.update(feeds, pages)
        if served is None:  # the first build served (the daemon's start, or its reload)
            self._serving(loaded, feeds)
        elif feeds.revision != served.revision:
            log.info(
                "%sfeeds rebuilt (%s): revision %s, %d of %d calendar(s) built again",
                self.prefix,
                why or "reload",
                feeds.revision,
                feeds.rebuilt,
                len(loaded.calendars),
            )
            self._warn_untokened(feeds)

    def build_deployment(self) -> Deployment:
        """The next version of a deployment of several organisations, from the one served:
        only the organisations whose files changed are read and built again (deployment.py)."""
        from .deployment import build_deployment

        previous = self.site.deployment if self.site is not None else None
        return build_deployment(
            self.config_path, previous, self.environ, self.clock(), self.address, self.caches
        )

    def _swap_many(self, deployment: Deployment, why: str) -> None:
        self.loaded = Loaded(deployment.base, deployment.shared)
        self.watched = deployment.watched(self.watch_files)
        if self.guard is not None:
            self.guard.set_timeout(self._head_timeout(self.loaded))
        first = self.site.deployment is None
        self.site.update(deployment)
        if first:
            self._serving_many(deployment)
        elif deployment.rebuilt:
            log.info(
                "%sorganisation(s) rebuilt (%s): %s",
                self.prefix,
                why or "reload",
                ", ".join(deployment.rebuilt),
            )

    def _serving_many(self, deployment: Deployment) -> None:
        self.settled.set()
        good = [oid for oid, one in deployment.orgs.items() if one.good is not None]
        broken = [oid for oid in deployment.orgs if oid not in good]
        what = f"{len(good)} organisation(s) under /o/ID/: {', '.join(good) or 'none'}" + (
            f"; not loaded: {', '.join(broken)}" if broken else ""
        )
        if self.label:
            log.info("%s ready on %s (%s)", self.label, self.address, what)
        else:
            log.info("serving the feed on http://%s (%s)", self.address, what)
        for one in deployment.orgs.values():
            if one.good is not None:
                self._warn_untokened(one.good.feeds)

    def _stamp(self, loaded: Loaded) -> tuple[Stat, ...]:
        from ..config.cache import file_stats

        settings = loaded.settings
        # The tokens file too: an edit rotates tokens without a restart.
        stamp = file_stats([settings.feed.tokens_file] if settings.feed.tokens_file else [])
        if self.watch_files:
            stamp += fingerprint(self.config_path, settings.calendars_dir, settings.templates_dir)
        return stamp

    def load(self) -> Loaded:
        from ..config.load import load

        return load(self.config_path, self.clock().date())

    def load_stamped(self) -> tuple[Loaded, tuple[Stat, ...]]:
        """The files loaded, and their stamp taken *before* reading them.

        A stamp taken after loading could already show an edit that the loaded values miss; the
        watcher would then see no change and serve the older data until the next edit.  Taken
        before, such an edit only causes one more rebuild.  Where the files are comes from a
        first load (the second is then a start-up cache hit unless a file changed meanwhile).
        """
        stamp = self._stamp(self.load())
        return self.load(), stamp

    # --- Serving ----------------------------------------------------------------------------

    async def start(
        self,
        loaded: Loaded,
        listen: str | None = None,
        sock: socket.socket | None = None,
        stamp: tuple[Stat, ...] | None = None,
        *,
        build_first: bool = True,
    ) -> None:
        """Bind (or take ``sock``, already listening), build the feeds, and start serving;
        ReminderError if either cannot be done.  ``stamp``: see :meth:`load_stamped`.

        ``build_first=False`` (the daemon): bind and serve, but build nothing yet; every path
        but /healthz answers 503 until :meth:`build_in_background` has built the feeds.
        """
        from ..config.organisations import folder_of
        from .app import App, Site
        from .deployment import DeploymentApp, DeploymentSite

        path = self.config_path
        self.many = folder_of(path) is not None
        self.stamp = self._stamp(loaded) if stamp is None else stamp
        # Bound first: without [feed] base_url the links follow the address really listened on
        # (--listen, or the free port that port 0 picked), see build().
        own = sock is None
        self.sock = sock if sock is not None else bind(listen or loaded.settings.feed.listen)
        self.address = shown_address(self.sock)
        if self.many:
            self.site = DeploymentSite(None, self.health, self.today_in, since=self.clock())
        if build_first:
            try:
                if self.many:
                    deployment = await asyncio.to_thread(self.build_deployment)
                else:
                    feeds, pages = await asyncio.to_thread(self.build_site, loaded)
            except BaseException:
                if own:
                    self.sock.close()
                self.sock = None
                raise
            if not self.many:
                self.site = Site(feeds, self.health, self.today_in, pages)
        elif not self.many:
            self.site = Site(None, self.health, self.today_in, since=self.clock())
        self.loaded = loaded
        import uvicorn

        from .guard import Guard, open_file_limit

        self.guard = Guard.for_limit(self._head_timeout(loaded), open_file_limit(), self.label)
        self.guard.watch_accept(asyncio.get_running_loop())
        config = uvicorn.Config(
            DeploymentApp(self.site) if self.many else App(self.site),
            lifespan="off",
            access_log=False,  # request lines could carry private-feed tokens
            server_header=False,
            log_config=None,
            http=http_protocol(self.site if self.direct else None, self.guard),
            timeout_keep_alive=self.keep_alive,
        )
        self.server = _server_class()(config)
        self.tasks.append(asyncio.ensure_future(self.server.serve(sockets=[self.sock])))
        while not self.server.started:
            if self.tasks[0].done():
                self.tasks[0].result()  # raises what stopped it
                raise ServeError(f"the feed server on {self.address} stopped while starting")
            await asyncio.sleep(0.01)
        self.tasks.append(asyncio.ensure_future(self._watch()))
        self.tasks.append(asyncio.ensure_future(self._sweep(self.guard)))
        if build_first and self.many:
            self._swap_many(deployment, "start")
        elif build_first:
            self._serving(loaded, feeds)
        else:
            log.info(
                "%slistening on http://%s; the feed answers 503 until it is built",
                self.prefix,
                self.address,
            )

    def build_in_background(self) -> None:
        """The first build, after ``start(build_first=False)``: in a thread, while the event loop
        goes on (the daemon's jobs, /healthz).  Nothing to do if feeds were installed meanwhile
        (a daemon's reload): building the start's data then would only be thrown away.  A
        refresh or reload asked for while it runs is not lost (:meth:`refresh`, generation)."""
        if self.site.feeds is None and not self.building:
            assert self.loaded is not None, "build_in_background() before start()"
            self.tasks.append(asyncio.ensure_future(self.refresh(self.loaded, "start")))

    async def ready(self) -> str:
        """Wait for the first build to be served or to fail; its state (app.FeedState)."""
        await self.settled.wait()
        state: str = self.site.state.state
        return state

    def _serving(self, loaded: Loaded, feeds: FeedSet) -> None:
        """Say, once, that the feed is served and where."""
        self.settled.set()
        private = [c.id for c in loaded.calendars if not c.public]
        what = f"{len(feeds.public)} feed(s), years {feeds.first_year}-{feeds.last_year}" + (
            f"; private: {', '.join(private)}" if private else ""
        )
        if self.label:  # under `serve --workers` the supervisor says where it serves, once
            log.info("%s ready on %s (%s)", self.label, self.address, what)
        else:
            log.info("serving the feed on http://%s (%s)", self.address, what)
        self._warn_untokened(feeds)

    async def refresh(self, loaded: Loaded | None = None, why: str = "") -> bool:
        """Rebuild (from ``loaded``, or by loading the files again) and swap; False if it failed.

        A refresh asked for while a build runs is not lost: the latest such request runs once
        that build is done (the build in flight may have read the files before the change that
        prompted it), and this call returns False.
        """
        if self.building:
            self.again = (loaded, why)
            return False
        done = await self._refresh(loaded, why)
        while self.again is not None:
            (loaded, why), self.again = self.again, None
            done = await self._refresh(loaded, why)
        return done

    async def _refresh(self, loaded: Loaded | None, why: str) -> bool:
        self.building = True
        # Taken before the files are read (see load_stamped); after a rejected build too, so
        # that the watcher tries again only once the files change again.
        basis = loaded if loaded is not None else self.loaded
        assert basis is not None, "refresh() before start()"
        stamp = self._stamp(basis)
        generation = self.generation
        try:
            if self.many:
                deployment = await off_loop(self.build_deployment)
            else:
                if loaded is None:
                    loaded = await asyncio.to_thread(self.load)
                feeds, pages = await off_loop(self.build_site, loaded)
        except Exception as exc:
            if self.generation != generation:
                return False  # a newer version was installed meanwhile: this one is moot
            if isinstance(exc, ReminderError):
                message = exc.message()
            elif self.site.feeds is None:  # unforeseen, and nothing is served yet: said, too
                log.exception("%sthe feed's first build", self.prefix)
                message = f"the feed cannot be built: {type(exc).__name__}: {exc}"
            else:
                raise  # (the watcher logs it with its traceback)
            self.stamp = stamp
            if self.many and self.site.deployment is not None:
                self.watched = self._watched_now(self.site.deployment)
            self._rejected(why, message)
            return False
        finally:
            self.building = False
        if self.generation != generation:
            return False  # a newer version was installed while this one was built
        if self.many:
            self._swap_many(deployment, why)
            return True
        assert loaded is not None
        self._swap(loaded, feeds, pages, stamp, why)
        return True

    def _watched_now(self, deployment: Deployment) -> tuple[Any, ...]:
        from .deployment import current_stamp

        return current_stamp(deployment, self.watch_files)

    def _rejected(self, why: str, message: str) -> None:
        if self.site.feeds is not None:
            log.error(
                "%sfeed rebuild (%s) rejected, still serving the previous feeds:\n%s",
                self.prefix,
                why or "reload",
                message,
            )
            return
        self.site.failed(message, self.clock())
        self.settled.set()
        log.error(
            "%sthe feed cannot be built (%s); every path but /healthz answers 503 until a "
            "build succeeds (fix the files: the daemon's reload, or an edit of the tokens "
            "file, builds it again):\n%s",
            self.prefix,
            why or "reload",
            message,
        )

    @property
    def prefix(self) -> str:
        return f"{self.label}: " if self.label else ""

    def _warn_untokened(self, feeds: FeedSet) -> None:
        for resource in feeds.resources.values():
            if resource.private and not resource.tokens and not resource.language:
                log.warning(
                    "private calendar %r has no token, so it is not served; add "
                    "'%s=TOKEN' to $%s or the tokens file",
                    resource.calendar,
                    resource.calendar,
                    feeds.loaded.settings.feed.tokens_env,
                )

    def _head_timeout(self, loaded: Loaded) -> float:
        if self.head_timeout is not None:
            return self.head_timeout
        return loaded.settings.feed.head_timeout.total_seconds()

    async def _sweep(self, guard: Guard) -> None:
        """Close the connections that have waited too long on their clients (guard.py)."""
        loop = asyncio.get_running_loop()
        connections = self.server.server_state.connections
        while True:
            await asyncio.sleep(guard.step)
            try:
                guard.sweep(connections, loop.time())
            except Exception:  # the sweep must outlive anything one connection does
                log.exception("%sconnection sweep", self.prefix)

    async def _watch(self) -> None:
        """Rebuild when the files (serve) or the tokens file change, or the date moves on."""
        waited = 0.0
        while True:
            loaded = self.loaded
            assert loaded is not None
            every = loaded.settings.daemon.watch_interval.total_seconds()
            step = min(every, DATE_CHECK) if every > 0 else DATE_CHECK
            await asyncio.sleep(step)
            waited += step
            try:
                if self.many:
                    await self._watch_many(every > 0, waited >= DATE_CHECK)
                    if waited >= DATE_CHECK:
                        waited = 0.0
                elif every > 0 and self._stamp(loaded) != self.stamp:
                    await self.refresh(None if self.watch_files else loaded, "a file changed")
                elif waited >= DATE_CHECK:
                    waited = 0.0
                    feeds = self.site.feeds
                    if feeds is not None and self.today(loaded) != feeds.today:
                        await self.refresh(loaded, "the date changed")
            except Exception:  # the watcher must outlive any one failed rebuild
                log.exception("feed watcher")

    async def _watch_many(self, files: bool, date_check: bool) -> None:
        """A deployment's watch: an organisation's own files always (the daemon watches only
        config.toml's), the shared ones too under ``serve``; and each organisation's date."""
        from .deployment import date_moved

        deployment = self.site.deployment
        if deployment is None:
            return
        if files:
            now = await asyncio.to_thread(self._watched_now, deployment)
            if now != self.watched:
                await self.refresh(None, "a file changed")
                return
        if date_check and date_moved(deployment, self.clock()):
            await self.refresh(None, "the date changed")

    async def stop(self) -> None:
        for task in self.tasks[1:]:
            task.cancel()
        if self.server is not None:
            self.server.should_exit = True
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.tasks = []
        if self.sock is not None:
            self.sock.close()


class Role(NamedTuple):
    """How one worker process of ``serve --workers`` (workers.py) runs :func:`serve_forever`."""

    label: str  # "worker 2 (pid 4711)", at the head of its log lines
    sock: socket.socket  # the supervisor's listening socket, shared by every worker
    health: Callable[[], dict[str, Any]]  # what /healthz adds: which worker answered
    ready: Callable[[], None]  # called once the worker serves
    orphaned: Callable[[], bool]  # true once the supervisor is gone: the worker stops then


ORPHAN_CHECK = 1.0  # seconds between a worker's checks that its supervisor still runs


async def serve_forever(config_path: str, listen: str | None, role: Role | None = None) -> int:
    """``reminders serve``: the feed and page alone, until SIGTERM or Ctrl-C; SIGHUP reloads."""
    service = WebService(
        config_path,
        health=role.health if role else None,
        label=role.label if role else "",
    )
    loaded, stamp = await asyncio.to_thread(service.load_stamped)
    await service.start(loaded, listen, role.sock if role else None, stamp)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stopping.set)
    pending: set[asyncio.Task[Any]] = set()

    def later(work: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.ensure_future(work)
        pending.add(task)
        task.add_done_callback(pending.discard)

    loop.add_signal_handler(signal.SIGHUP, lambda: later(service.refresh(None, "SIGHUP")))
    if role is not None:
        role.ready()
        later(_until_orphaned(role, stopping))
    await stopping.wait()
    log.info("%sstopping the feed server", service.prefix)
    await service.stop()
    log.info("%sstopped", service.prefix)
    return 0


async def _until_orphaned(role: Role, stopping: asyncio.Event) -> None:
    """Stop a worker whose supervisor is gone (killed with SIGKILL, say), so that no worker
    holds the port with nobody to stop it."""
    while not stopping.is_set():
        await asyncio.sleep(ORPHAN_CHECK)
        if role.orphaned():
            log.error("%s: the supervisor is gone; stopping", role.label)
            stopping.set()


def serve(config_path: str, listen: str | None) -> int:
    return run_loop(serve_forever(config_path, listen))
