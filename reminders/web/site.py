"""``reminders export --site DIR``: the feeds and the page as files, byte for byte as served.

For when one machine is not enough: nginx or a CDN serves the folder (docs/web.md has an nginx
configuration that keeps the headers right).  The folder holds exactly what is served::

    index.html                   the page, in the default language
    LANG/index.html              the page in each configured language (/LANG/, the default's too)
    plan/YEAR.html               the yearly plans the page links (this year and the next)
    LANG/plan/YEAR.html          the same plans in each configured language (/LANG/plan/YEAR)
    all.ics, all.ics.gz          the combined feed and its gzip twin
    calendars/ID.ics, ID.ics.gz  each public calendar
    LANG/all.ics, LANG/calendars/ID.ics (and .gz)   the same in each other configured language

The ``.gz`` twins are the very bytes the app sends with ``Content-Encoding: gzip`` (nginx's
``gzip_static`` serves them as they are), and each feed file's modification time is the feed's
Last-Modified, so nginx sends the same Last-Modified as the app.  Private calendars are not
written: their feeds exist only behind tokens, and the export does not even read the tokens.

**Stale files.**  A calendar that was deleted or made private must not stay served, so after
writing, every ``*.ics`` and ``*.ics.gz`` in ``calendars/`` (and in ``LANG/calendars/`` of each
language written) that is not part of this export is removed.  Nothing else is ever deleted:
other files in the folder are left as they are (and the nginx configuration does not serve them).

**A failure half-way leaves no mix.** Each file is first written in full to a temporary file in its
own folder (flushed to disk, modification time set); only when every file is staged are they renamed
into place, and only then are stale files removed. A failure while staging (a full disk, a file or
folder in the way, no permission) removes the temporary files and changes nothing. A rename within
one folder replaces the file in one step, so a reader always sees a whole file, old or new; it can
fail only if someone changes the folder during the export, and then the files renamed so far are new
and the rest old, each of them whole.

**Why not a swap.**  Writing into a temporary sibling folder and swapping it in was the other
choice; it was not taken because two renames of folders leave a moment with no folder at all (nginx
answers 404 then), Linux's atomic exchange is not reachable from Python's standard library, and a
swap would drop whatever else the owner keeps in the folder and reset its ownership and permissions.

Two exports into one folder at once take turns (a lock on the folder itself, so the lock adds no
file). Files whose bytes and time are already right are left untouched, so a periodic export changes
nothing (and a sync to a CDN uploads nothing) until the data changes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from ..core.dates import local_date
from ..core.errors import OutputError, UsageError
from ..core.settings import Loaded
from .feeds import FeedSet

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

STAGING_PREFIX = ".reminders-export-"  # temporary files; a crashed export's are removed next time
FEED_SUFFIXES = (".ics", ".ics.gz")


class SiteFile(NamedTuple):
    """One file of the site: its path inside the folder (``/``-separated), bytes and time."""

    name: str
    data: bytes
    mtime: int  # Unix seconds
    pinned: bool  # True: the time is the feed's Last-Modified and must be exact


def site_files(
    feeds: FeedSet,
    page: bytes,
    now: int,
    plans: Sequence[tuple[int, bytes]] = (),
    languages: Sequence[tuple[str, bytes]] = (),
    language_plans: Sequence[tuple[str, int, bytes]] = (),
) -> list[SiteFile]:
    """Every file of the site for one build: public feeds with their gzip twins (each other
    configured language's under ``LANG/``, as the app serves them), and the page (``page``,
    the default language's; ``languages``: (language, page) of each configured one) and the
    plans (``plans``: (year, page) in the default language; ``language_plans``: (language,
    year, page) in the others).

    The page has no Last-Modified in the app; its file gets ``now`` when its bytes change, so that
    nginx's validators (made from the time and size) change with it.
    """
    files = []
    every = [*feeds.public, *(path for _, paths in feeds.translated for path in paths)]
    for path in every:
        resource = feeds.resources[path]
        name = path.lstrip("/")
        files.append(SiteFile(name, resource.body, resource.last_modified, True))
        files.append(SiteFile(name + ".gz", resource.gzipped, resource.last_modified, True))
    files.append(SiteFile("index.html", page, now, False))
    for language, html in languages:
        files.append(SiteFile(f"{language}/index.html", html, now, False))
    for year, html in plans:
        files.append(SiteFile(f"plan/{year}.html", html, now, False))
    for language, year, html in language_plans:
        files.append(SiteFile(f"{language}/plan/{year}.html", html, now, False))
    return files


def export_site(
    config_path: str, loaded: Loaded, folder: str, now: datetime | None = None
) -> list[str]:
    """Write the site to ``folder``; return one line per file written or removed, for the terminal.

    Raises OutputError (one line, naming the path) when the folder cannot be written.
    """
    from .feeds import feeds_from_files

    if not folder:
        raise UsageError("--site needs a folder, such as --site public")
    now = now or datetime.now(UTC)
    # No tokens: private feeds are not written, so the export never needs the secrets.
    feeds = feeds_from_files(config_path, loaded, {}, now)
    lines = write_site(folder, feeds_site(feeds, now))
    private = sorted(r.calendar for r in feeds.resources.values() if r.private)
    if private:
        lines.append(f"not written (private, served only with a token): {', '.join(private)}")
    return lines


def feeds_site(feeds: FeedSet, now: datetime, prefix: str = "") -> list[SiteFile]:
    """The files of one organisation's site made from its ``feeds`` (:func:`site_files`), each
    under ``prefix`` (``o/ID/`` for an organisation of a deployment)."""
    from ..plan.output import public_plan_html
    from .page import plan_years, render_index

    loaded = feeds.loaded
    settings = loaded.settings
    today = local_date(now, settings.organisation.timezone)
    org = settings.organisation
    pages = [
        (language, render_index(feeds, today, language=language).html) for language in org.languages
    ]
    years = plan_years(today, settings.feed.future_years)
    plans = [(year, public_plan_html(loaded, year)) for year in years]
    # The default's plans are the same bytes at /plan/YEAR and /LANG/plan/YEAR.
    others = [(pages[0][0], year, html) for year, html in plans] + [
        (language, year, public_plan_html(loaded, year, language))
        for language, _ in pages[1:]
        for year in years
    ]
    files = site_files(feeds, pages[0][1], int(now.timestamp()), plans, pages, others)
    return [f._replace(name=prefix + f.name) for f in files] if prefix else files


def export_deployment(
    config_path: str, folder: str, now: datetime | None = None
) -> tuple[list[str], list[str]]:
    """Write the site of every organisation of a deployment (``o/ID/``, as the server serves
    them), the list of organisations (``index.html``) and the overview plans it links
    (``plan/YEAR/overview.html``); return the lines for the terminal and the problems of the
    organisations that could not be written (the others are written all the same)."""
    from .deployment import build_deployment, org_path, overview_page
    from .page import plan_years

    if not folder:
        raise UsageError("--site needs a folder, such as --site public")
    now = now or datetime.now(UTC)
    stamp = int(now.timestamp())
    # No tokens (environ None): private feeds are not written.
    deployment = build_deployment(config_path, None, None, now, report=False)
    files = [SiteFile("index.html", deployment.root.body, stamp, False)]
    base = deployment.base
    today = local_date(now, base.organisation.timezone)
    for year in plan_years(today, base.feed.future_years):
        page = overview_page(deployment, year, today)
        files.append(SiteFile(f"plan/{year}/overview.html", page.body, stamp, False))
    problems: list[str] = [*deployment.problems]
    private = []
    for oid, state in deployment.orgs.items():
        if state.good is None:
            problems += state.problem_texts
            continue
        feeds = state.good.feeds
        files += feeds_site(feeds, now, org_path(oid).lstrip("/"))
        private += [f"{oid}/{r.calendar}" for r in feeds.resources.values() if r.private]
    lines = write_site(folder, files)
    if private:
        shown = ", ".join(sorted(set(private)))
        lines.append(f"not written (private, served only with a token): {shown}")
    return lines, problems


def write_site(folder: str, files: list[SiteFile]) -> list[str]:
    """Stage every file, rename them all into place, then remove stale feed files."""
    _make_folder(folder)
    lines = []
    with _locked(folder):
        for sub in sorted({os.path.dirname(f.name) for f in files} - {""}):
            _make_folder(os.path.join(folder, *sub.split("/")))
        for sub in sorted({"", "calendars"} | {os.path.dirname(f.name) for f in files}):
            _remove_staging_leftovers(os.path.join(folder, *sub.split("/")))
        staged: list[tuple[str, str]] = []
        try:
            for item in files:
                target = os.path.join(folder, *item.name.split("/"))
                if _already_there(target, item):
                    lines.append(f"unchanged {target}")
                    continue
                staged.append((_stage(target, item), target))
                lines.append(f"wrote {target} ({len(item.data)} bytes)")
            for temp, target in staged:
                try:
                    os.replace(temp, target)
                except OSError as exc:
                    raise OutputError(target, exc.strerror or str(exc)) from None
        finally:
            for temp, _ in staged:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(temp)  # only those not renamed: after a failure
        for sub in _feed_folders(files):
            lines += _remove_stale(folder, {f.name for f in files}, sub)
        for sub in {os.path.dirname(f.name) for f in files}:
            _sync_folder(os.path.join(folder, *sub.split("/")) if sub else folder)
    return lines


def _make_folder(path: str) -> None:
    try:
        os.makedirs(path, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        raise OutputError(path, "a file is in the way; expected a folder") from None
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None


@contextlib.contextmanager
def _locked(folder: str) -> Iterator[None]:
    """Hold an exclusive lock on the folder itself while exporting into it."""
    import fcntl

    try:
        handle = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError as exc:
        raise OutputError(folder, exc.strerror or str(exc)) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)  # closing releases the lock


def _already_there(target: str, item: SiteFile) -> bool:
    """Whether ``target`` holds these bytes (and, for a feed, this time): nothing to write."""
    try:
        stat = os.lstat(target)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise OutputError(target, exc.strerror or str(exc)) from None
    import stat as st

    if st.S_ISDIR(stat.st_mode):
        raise OutputError(target, "a folder is in the way; expected a file")
    if not st.S_ISREG(stat.st_mode) or stat.st_size != len(item.data):
        return False
    if item.pinned and int(stat.st_mtime) != item.mtime:
        return False
    try:
        with open(target, "rb") as handle:
            return handle.read() == item.data
    except OSError:
        return False  # unreadable: rewrite it


def _stage(target: str, item: SiteFile) -> str:
    """Write ``item`` to a temporary file beside ``target``, on disk, with its time; its path."""
    import tempfile

    try:
        handle, temp = tempfile.mkstemp(prefix=STAGING_PREFIX, dir=os.path.dirname(target))
    except OSError as exc:
        raise OutputError(target, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(item.data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes 0600; nginx's workers must read it
        os.utime(temp, (item.mtime, item.mtime))
    except OSError as exc:
        os.unlink(temp)
        raise OutputError(target, exc.strerror or str(exc)) from None
    return temp


def _remove_staging_leftovers(folder: str) -> None:
    """Temporary files of an export that was killed before it could clean up (we hold the lock)."""
    with contextlib.suppress(OSError):
        for entry in os.scandir(folder):
            if entry.name.startswith(STAGING_PREFIX) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _feed_folders(files: list[SiteFile]) -> list[str]:
    """``calendars`` and each language's ``LANG/calendars``: where feed files are written."""
    found = {os.path.dirname(f.name) for f in files}
    return sorted({"calendars"} | {sub for sub in found if sub.endswith("/calendars")})


def _remove_stale(folder: str, names: set[str], sub: str = "calendars") -> list[str]:
    """Remove feed files in ``sub`` (``calendars/``, ``az/calendars/``) that this export did
    not write; never anything else."""
    calendars = os.path.join(folder, *sub.split("/"))
    lines = []
    try:
        entries = sorted(os.scandir(calendars), key=lambda e: e.name)
    except FileNotFoundError:
        return []  # no public calendar now, and none before
    except OSError as exc:
        raise OutputError(calendars, exc.strerror or str(exc)) from None
    for entry in entries:
        if not entry.name.endswith(FEED_SUFFIXES) or f"{sub}/{entry.name}" in names:
            continue
        if entry.is_dir(follow_symlinks=False):
            continue
        try:
            os.unlink(entry.path)
        except OSError as exc:
            reason = f"{exc.strerror or exc} (removing a feed that is no longer exported)"
            raise OutputError(entry.path, reason) from None
        lines.append(f"removed {entry.path} (no longer a public calendar)")
    return lines


def _sync_folder(path: str) -> None:
    """Flush the folder's entries (the renames) to disk; a file system without it is no error."""
    with contextlib.suppress(OSError):
        handle = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)
