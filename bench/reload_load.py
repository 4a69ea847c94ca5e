"""Reload under load: /all.ics requests per second without edits and while calendars are edited.

Requirement: the feed is served at full speed while calendars are edited, and every response is
a complete, valid calendar whose ETag matches its bytes.

For each worker count (``--workers``, default ``1,2``) the script starts ``reminders serve`` on a
copy of the bundled config and calendar (watched every second) and, after a one-second
warm-up, alternates two phases, ``--rounds`` times (so that a change in the load of this shared
machine touches both alike), for ``--duration`` seconds of each in all:

* steady: no edits;
* edits: the calendar is rewritten every ``--edit-every`` seconds (a temporary file, then
  os.replace, as editors save), cycling through three versions that differ in one observance's
  title, so the server rebuilds its feeds about once per watch interval.

The clients are this process: asyncio (uvloop) over raw sockets, ``--connections`` kept-alive
connections (in turn a plain GET, a gzip GET, and a GET conditional on the last ETag) and
``--fresh`` loops that open a new connection per request.  Every answer is checked: a 200 or a
304; a 200's ETag is the project's tag of its bytes (``reminders.web.feeds.etag_of``; ``-gzip`` for
the gzip form, whose bytes must be the project's compression of the plain ones); its bytes are
exactly one of the three versions, built in-process from the same files by the same code, and
each version parses with icalendar; a 304 repeats the ETag sent.  After each edits phase, every
worker must serve the last version (its /healthz revision equals that of an in-process build of
the final files); the time from the last edit until then is reported.  The script exits 1 if any
answer was invalid.

With ``--organisations N`` (issue 18: an edit to one organisation's file changes no answer of
another) the site is instead bench/ministry.py's generated deployment of N organisations, and the
file rewritten is one organisation's (bench/ministry_serve.py's EDITED, the title of its first
event).  Every client then asks in turn for the edited organisation's /o/ID/all.ics and for the
next of the other organisations' /o/ID/all.ics and pages /o/ID/ (the clients share them out, so
that every one is asked for).  The edited feed's answers are checked as above; every other
organisation's must be exactly what an in-process build of the deployment, made by the same code
before the edits, serves (its bytes, their ETag, and a feed's Last-Modified): the report counts
the other organisations' answers that differ, which must be none.

Usage (the project's venv: the checks import the project)::

    .venv/bin/python bench/reload_load.py                      # 20 s per phase, 1 and 2 workers
    .venv/bin/python bench/reload_load.py --duration 5 --workers 2
    .venv/bin/python bench/reload_load.py --organisations 200 --duration 5
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import formatdate
from pathlib import Path

from common import ROOT, header
from ministry import write_ministry
from ministry_serve import EDITED
from ministry_serve import TITLE as EVENT

sys.path.insert(0, str(ROOT))

from reminders.config.load import load
from reminders.web.deployment import Deployment, build_deployment, org_path
from reminders.web.feeds import ALL, FeedSet, Resource, etag_of
from reminders.web.server import current_feeds

SERVING = re.compile(r"serving the feed on http://127\.0\.0\.1:(\d+) ")
TITLE = 'title = "{ordinal} anniversary of the January 20 Tragedy"'
NAMES = ("A", "B", "C")
REBUILT = "feeds rebuilt (a file changed)"  # the server's line, one organisation
ORGS_REBUILT = "organisation(s) rebuilt (a file changed): "  # a deployment's, and their ids


# --- The site and its versions ------------------------------------------------------------------


def make_site(root: Path, watch: int) -> Path:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    for old, new in [
        ('# calendars = "calendars"', 'calendars = "calendars"'),
        ('watch_interval = "PT2S"', f'watch_interval = "PT{watch}S"'),
    ]:
        if old not in text:
            sys.exit(f"config.toml no longer has {old!r}")
        text = text.replace(old, new)
    (root / "calendars").mkdir(parents=True)
    shutil.copy(ROOT / "calendars" / "remembrance.toml", root / "calendars")
    config = root / "config.toml"
    config.write_text(text, encoding="utf-8")
    return config


def version_text(config: Path, name: str) -> str:
    original = (ROOT / "calendars" / "remembrance.toml").read_text(encoding="utf-8")
    if TITLE not in original:
        sys.exit(f"calendars/remembrance.toml no longer has {TITLE!r}")
    return original.replace(TITLE, TITLE[:-1] + f' (version {name})"')


def replace_calendar(config: Path, text: str) -> None:
    target = config.parent / "calendars" / "remembrance.toml"
    temp = config.parent / ".remembrance.toml.tmp"
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)


def built(config: Path) -> FeedSet:
    return current_feeds(str(config), load(str(config), date.today()), {}, datetime.now(UTC))


def versions_of(config: Path) -> dict[bytes, tuple[str, bytes]]:
    """Each version's /all.ics bytes (and their gzip form), built in-process; each must parse
    with icalendar."""
    found: dict[bytes, tuple[str, bytes]] = {}
    for name in NAMES:
        replace_calendar(config, version_text(config, name))
        found.update(version_of(name, built(config).resources[ALL]))
    return found


def version_of(name: str, resource: Resource) -> dict[bytes, tuple[str, bytes]]:
    """Version ``name`` of the edited feed: its bytes, which must parse with icalendar and carry
    the version's title, and their gzip form."""
    import icalendar

    body = resource.body
    events = icalendar.Calendar.from_ical(body).walk("VEVENT")
    if not any(f"(version {name})" in str(e.get("SUMMARY")) for e in events):
        sys.exit(f"version {name} does not carry its title")
    return {body: (name, resource.gzipped)}


# --- A deployment of organisations (--organisations N) ------------------------------------------


def make_deployment(root: Path, watch: int, count: int) -> Path:
    """bench/ministry.py's deployment of ``count`` organisations, watched every ``watch``
    seconds; its config.toml."""
    if count <= int(EDITED.rsplit("-", 1)[1]):
        sys.exit(f"--organisations must be more than {EDITED}'s number")
    config = write_ministry(root, count)
    with config.open("a", encoding="utf-8") as out:
        out.write(f'\n[daemon]\nwatch_interval = "PT{watch}S"\n')
    if EVENT not in edited_file(config).read_text("utf-8"):
        sys.exit(f"bench/ministry.py no longer writes {EVENT!r} for {EDITED}")
    return config


def edited_file(config: Path) -> Path:
    return config.parent / "organisations" / f"{EDITED}.toml"


def replace_organisation(config: Path, name: str) -> None:
    """Version ``name`` of the edited organisation's file, saved as editors do (a temporary
    file in its folder, then os.replace)."""
    target = edited_file(config)
    text = target.read_text("utf-8")
    start = text.index(EVENT[:-1])
    end = text.index("\n", start)
    text = text[:start] + EVENT[:-1] + f' (version {name})"' + text[end:]
    temp = target.parent / f".{target.name}.tmp"
    temp.write_text(text, encoding="utf-8")
    os.replace(temp, target)


def build(config: Path, previous: Deployment | None, address: str) -> Deployment:
    """The deployment as the server listening on ``address`` builds it from these files (the
    same code; from ``previous``, only what changed)."""
    return build_deployment(
        str(config), previous, os.environ, datetime.now(UTC), address, None, False
    )


def deployment_expected(config: Path, address: str) -> tuple[dict[bytes, Versions], Deployment]:
    """What each URL asked for may answer with, by path: the edited organisation's feed one of
    its three versions, every other organisation's feed and page exactly as before the edits;
    and the in-process deployment, last at version A (the edits' first), as the files are."""
    deployment = build(config, None, address)
    expected: dict[bytes, Versions] = {}
    for oid, state in deployment.orgs.items():
        good = state.good
        if good is None:
            sys.exit(f"organisation {oid} did not load: {state.problems}")
        if oid == EDITED:
            continue
        feed = good.feeds.resources[ALL]
        modified = formatdate(feed.last_modified, usegmt=True).encode()
        expected[org_path(oid, ALL).encode()] = Versions({feed.body: ("", feed.gzipped)}, modified)
        page = good.pages.pages[good.loaded.settings.organisation.languages[0]]
        expected[org_path(oid).encode()] = Versions({page.body: ("", page.gzipped)})
    bodies: dict[bytes, tuple[str, bytes]] = {}
    for name in (*NAMES[1:], NAMES[0]):
        replace_organisation(config, name)
        deployment = build(config, deployment, address)
        if deployment.rebuilt != (EDITED,):
            sys.exit(f"the edit rebuilt {deployment.rebuilt}, not {EDITED} alone")
        good = deployment.orgs[EDITED].good
        assert good is not None
        bodies.update(version_of(name, good.feeds.resources[ALL]))
    expected[org_path(EDITED, ALL).encode()] = Versions(bodies)
    return expected, deployment


# --- The server -----------------------------------------------------------------------------------


class Server:
    def __init__(self, python: str, config: Path, workers: int, log: Path) -> None:
        argv = [python, "-m", "reminders", "--config", str(config), "serve",
                "--listen", "127.0.0.1:0", "--workers", str(workers)]  # fmt: skip
        self.argv = " ".join(["reminders", *argv[3:]]).replace(str(config.parent) + "/", "")
        self.workers = workers
        self.log = log
        # This tree's code, as the checks in this process use it (a worktree without its venv).
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env["PYTHONPATH"] = str(ROOT)
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(
                argv, cwd=config.parent, env=env, stdin=subprocess.DEVNULL,
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 300  # a deployment of many organisations builds first
        while not (found := SERVING.search(self.text())):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"the server did not start:\n{self.text()[-2000:]}")
            time.sleep(0.05)
        self.port = int(found.group(1))

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def rebuilt(self) -> list[str]:
        """The log's lines that say a file's change was built: one per build of each worker."""
        return [
            line for line in self.text().splitlines() if REBUILT in line or ORGS_REBUILT in line
        ]

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


# --- The clients ----------------------------------------------------------------------------------


@dataclass
class Tally:
    statuses: Counter[int] = field(default_factory=Counter)
    versions: Counter[str] = field(default_factory=Counter)
    invalid: int = 0  # not 200/304, not a version, a broken connection
    mismatches: int = 0  # an ETag that is not the one of the bytes sent (or the one sent)
    others: int = 0  # answers for organisations not edited (--organisations)
    others_different: int = 0  # of those, the ones not exactly as before the edits
    client_cpu: float = 0.0  # CPU seconds of this process (the clients) during the phase
    examples: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.statuses.total()

    def bad(self, kind: str, text: str) -> None:
        if kind == "etag":
            self.mismatches += 1
        else:
            self.invalid += 1
        if len(self.examples) < 5:
            self.examples.append(text)


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, path: bytes, extra: bytes
) -> tuple[int, dict[bytes, bytes], bytes]:
    writer.write(b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra + b"\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
    length = int(headers.get(b"content-length", b"0"))
    body = await reader.readexactly(length) if status != 304 and length else b""
    return status, headers, body


class Versions:
    """The expected answers of one URL: each version's plain and gzip bytes and their ETags
    (and the Last-Modified every answer must carry, when it is fixed)."""

    def __init__(self, bodies: dict[bytes, tuple[str, bytes]], modified: bytes = b"") -> None:
        self.plain = {body: (name, etag_of(body)) for body, (name, _) in bodies.items()}
        self.zipped = {
            zipped: (name, etag_of(body, "-gzip")) for body, (name, zipped) in bodies.items()
        }
        self.modified = modified


class Site:
    """What the clients ask for: the edited feed (the one URL of the one-organisation site),
    and in a deployment every other organisation's URLs too, shared out among the clients."""

    def __init__(self, expected: dict[bytes, Versions], edited: bytes) -> None:
        self.expected = expected
        self.edited = edited
        self.others = [path for path in expected if path != edited]

    def turn(self, client: int, clients: int) -> list[bytes]:
        """The URLs client number ``client`` asks for, over and over: the edited feed, then one
        of its share of the others, and so on."""
        if not self.others:
            return [self.edited]
        share = self.others[client::clients] or [self.others[client % len(self.others)]]
        return [path for other in share for path in (self.edited, other)]


def check(
    tally: Tally, site: Site, path: bytes, status: int, headers: dict[bytes, bytes], raw: bytes,
    sent: bytes,
) -> bytes:  # fmt: skip
    """Record one answer; returns its ETag (b"" if none)."""
    versions = site.expected[path]
    other = path != site.edited
    before = tally.invalid + tally.mismatches
    tally.statuses[status] += 1
    etag = headers.get(b"etag", b"")
    if versions.modified and headers.get(b"last-modified") != versions.modified:
        tally.bad("invalid", f"{path!r}: Last-Modified {headers.get(b'last-modified')!r}")
    if status == 304:
        if etag != sent:
            tally.bad("etag", f"{path!r}: 304 with ETag {etag!r} for If-None-Match {sent!r}")
    elif status != 200:
        tally.bad("invalid", f"{path!r}: status {status}")
        etag = b""
    else:
        zipped = headers.get(b"content-encoding") == b"gzip"
        # Bytes equal to a version's are that version; anything else is invalid, and its tag
        # is still checked against the bytes that were sent.
        found = (versions.zipped if zipped else versions.plain).get(raw)
        if found is None:
            body = gzip.decompress(raw) if zipped else raw
            expected = etag_of(body, "-gzip") if zipped else etag_of(body)
            tally.bad("invalid", f"{path!r}: a 200 of {len(body)} bytes, none of its versions")
        else:
            name, expected = found
            if not other:
                tally.versions[name] += 1
        if etag.decode() != expected:
            tally.bad("etag", f"{path!r}: ETag {etag!r} for bytes whose tag is {expected}")
    if other:
        tally.others += 1
        tally.others_different += int(tally.invalid + tally.mismatches > before)
    return etag


async def kept_alive(port: int, until: float, site: Site, turn: list[bytes], tally: Tally) -> None:
    """One connection; each URL asked for in turn as a gzip GET, a GET conditional on its last
    ETag, and a plain GET."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    held: dict[bytes, bytes] = {}
    turns: Counter[bytes] = Counter()
    try:
        while time.monotonic() < until:
            for path in turn:
                turns[path] += 1
                extra = sent = b""
                if turns[path] % 3 == 1:
                    extra = b"Accept-Encoding: gzip\r\n"
                elif turns[path] % 3 == 2 and path in held:
                    sent = held[path]
                    extra = b"If-None-Match: " + sent + b"\r\n"
                status, headers, raw = await exchange(reader, writer, path, extra)
                etag = check(tally, site, path, status, headers, raw, sent)
                if etag and not etag.endswith(b'-gzip"'):
                    held[path] = etag
                if time.monotonic() >= until:
                    break
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        tally.bad("invalid", f"kept-alive connection: {exc!r}")
    finally:
        writer.close()


async def fresh(port: int, until: float, site: Site, turn: list[bytes], tally: Tally) -> None:
    while time.monotonic() < until:
        for path in turn:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                try:
                    status, headers, raw = await exchange(
                        reader, writer, path, b"Connection: close\r\n"
                    )
                    check(tally, site, path, status, headers, raw, b"")
                finally:
                    writer.close()
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                tally.bad("invalid", f"new connection: {exc!r}")
            if time.monotonic() >= until:
                break


async def load_for(port: int, seconds: float, connections: int, loops: int, site: Site) -> Tally:
    tally = Tally()
    until = time.monotonic() + seconds
    clients = connections + loops
    await asyncio.gather(
        *(kept_alive(port, until, site, site.turn(n, clients), tally) for n in range(connections)),
        *(
            fresh(port, until, site, site.turn(connections + n, clients), tally)
            for n in range(loops)
        ),
    )
    return tally


def run_clients(
    server_pid: int, port: int, seconds: float, connections: int, loops: int, site: Site
) -> tuple[Tally, float, float]:
    new_loop: Callable[[], asyncio.AbstractEventLoop] = asyncio.new_event_loop
    try:
        import uvloop

        new_loop = uvloop.new_event_loop
    except ImportError:
        pass
    started, cpu, own = time.monotonic(), server_cpu(server_pid), time.process_time()
    with asyncio.Runner(loop_factory=new_loop) as runner:
        tally = runner.run(load_for(port, seconds, connections, loops, site))
    tally.client_cpu = time.process_time() - own
    return tally, time.monotonic() - started, server_cpu(server_pid) - cpu


def server_cpu(pid: int) -> float:
    """CPU seconds (user + system) of the server and its workers so far (Linux /proc)."""
    pids = [pid]
    try:
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return 0.0
    ticks = 0
    for each in pids:
        try:
            fields = Path(f"/proc/{each}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def health(port: int) -> dict[str, object]:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        found: dict[str, object] = json.loads(connection.getresponse().read())
        return found
    finally:
        connection.close()


# --- Main -----------------------------------------------------------------------------------------


@dataclass
class Row:
    """One worker count, one phase: the sum of its rounds."""

    workers: int
    phase: str
    seconds: float = 0.0
    cpu: float = 0.0  # CPU seconds of the server's processes during the phase
    tally: Tally = field(default_factory=Tally)
    rebuilds: int = 0
    others_rebuilt: int = 0  # rebuild lines naming an organisation not edited (--organisations)
    rates: list[float] = field(default_factory=list)  # req/s of each round
    converged: list[float] = field(default_factory=list)  # s from the last edit, per round
    edits: int = 0

    @property
    def rate(self) -> float:
        return self.tally.total / self.seconds

    def add(self, tally: Tally, seconds: float, cpu: float) -> None:
        self.seconds += seconds
        self.cpu += cpu
        self.rates.append(tally.total / seconds)
        mine = self.tally
        mine.statuses += tally.statuses
        mine.versions += tally.versions
        mine.invalid += tally.invalid
        mine.mismatches += tally.mismatches
        mine.others += tally.others
        mine.others_different += tally.others_different
        mine.client_cpu += tally.client_cpu
        mine.examples += tally.examples[: 5 - len(mine.examples)]


def measure(args: argparse.Namespace, workers: int, tmp: Path) -> list[Row]:
    """Rounds of a steady phase then an edits phase (interleaved, so that a change in the
    machine's load touches both alike), each edits phase followed by the check that every
    worker serves the last version."""
    folder = tmp / f"site-{workers}"
    deployment: Deployment | None = None
    if args.organisations:
        config = make_deployment(folder, args.watch, args.organisations)

        def rewrite(name: str) -> None:
            replace_organisation(config, name)

    else:
        config = make_site(folder, args.watch)
        site = Site({ALL.encode(): Versions(versions_of(config))}, ALL.encode())

        def rewrite(name: str) -> None:
            replace_calendar(config, version_text(config, name))

    rewrite(NAMES[0])
    server = Server(args.python, config, workers, tmp / f"serve-{workers}.log")
    print(f"server: {server.argv}  (pid {server.proc.pid})", flush=True)
    address = f"127.0.0.1:{server.port}"
    if args.organisations:
        expected, deployment = deployment_expected(config, address)
        site = Site(expected, org_path(EDITED, ALL).encode())

    def final_revision(last: str) -> object:
        """The revision of an in-process build of the files as they are, which must be the
        last version's."""
        nonlocal deployment
        if deployment is not None:
            deployment = build(config, deployment, address)
            good = deployment.orgs[EDITED].good
            assert good is not None
            resource, revision = good.feeds.resources[ALL], good.feeds.revision
        else:
            feeds = built(config)
            resource, revision = feeds.resources[ALL], feeds.revision
        if site.expected[site.edited].plain.get(resource.body, ("?",))[0] != last:
            sys.exit("the in-process build of the final files is not the last version")
        return revision

    def converge(revision: object) -> None:
        """Until every worker serves ``revision`` (its /healthz says so)."""
        deadline = time.monotonic() + 30
        current: dict[object, object] = {}  # worker -> the revision it serves
        while len(current) < workers or set(current.values()) != {revision}:
            if time.monotonic() > deadline:
                sys.exit(f"the workers did not all reach the last version: {current}")
            found = health(server.port)
            if deployment is not None:
                orgs = found["organisations"]
                assert isinstance(orgs, dict)
                current[found.get("worker", 0)] = orgs[EDITED]["revision"]
            else:
                current[found.get("worker", 0)] = found["revision"]

    def clients(seconds: float) -> tuple[Tally, float, float]:
        return run_clients(
            server.proc.pid, server.port, seconds, args.connections, args.fresh, site
        )

    each = args.duration / args.rounds
    steady, edited = Row(workers, "steady"), Row(workers, "edits")
    edits = [0, 0.0]  # how many so far, and when the last one was made

    def edit(stop: threading.Event) -> None:
        while not stop.wait(args.edit_every):
            count = int(edits[0]) + 1
            rewrite(NAMES[count % len(NAMES)])
            edits[:] = [count, time.monotonic()]

    try:
        if deployment is not None:
            converge(final_revision(NAMES[0]))  # the versions' builds above served and done
        clients(1.0)  # warm-up
        for _ in range(args.rounds):
            steady.add(*clients(each))
            stop = threading.Event()
            editor = threading.Thread(target=edit, args=(stop,))
            before = len(server.rebuilt())
            editor.start()
            try:
                edited.add(*clients(each))
            finally:
                stop.set()
                editor.join()
            converge(final_revision(NAMES[int(edits[0]) % len(NAMES)]))
            edited.converged.append(time.monotonic() - edits[1])
            lines = server.rebuilt()[before:]
            edited.rebuilds += len(lines)
            edited.others_rebuilt += sum(
                1 for line in lines if ORGS_REBUILT in line and not line.endswith(": " + EDITED)
            )
        edited.edits = int(edits[0])
    finally:
        code = server.stop()
    if code != 0:
        sys.exit(f"the server exited with {code}:\n{server.text()[-2000:]}")
    return [steady, edited]


def report(rows: list[Row], organisations: int) -> None:
    print()
    print("| workers | phase | s | requests | req/s (rounds) | CPU server / clients | 200 | 304 "
          "| invalid | ETag mismatches | versions seen (200s) | edits | rebuilds (all workers) "
          "| every worker on the last version, s after the last edit |")  # fmt: skip
    print(
        "| ---: | --- | ---: | ---: | ---: | ---: " + "| ---: " * 4 + "| --- | ---: | ---: | ---: |"
    )
    for row in rows:
        t = row.tally
        seen = ", ".join(f"{k} {v}" for k, v in sorted(t.versions.items()))
        rounds = ", ".join(f"{r:.0f}" for r in row.rates)
        converged = ", ".join(f"{c:.1f}" for c in row.converged) or "-"
        print(
            f"| {row.workers} | {row.phase} | {row.seconds:.0f} | {t.total} "
            f"| {row.rate:.0f} ({rounds}) "
            f"| {row.cpu / row.seconds:.2f} / {t.client_cpu / row.seconds:.2f} "
            f"| {t.statuses[200]} | {t.statuses[304]} | {t.invalid} | {t.mismatches} | {seen} "
            f"| {row.edits or '-'} | {row.rebuilds if row.phase == 'edits' else '-'} "
            f"| {converged} |"
        )
    print()
    for workers in sorted({r.workers for r in rows}):
        pair = {r.phase: r for r in rows if r.workers == workers}
        steady, edited = pair["steady"], pair["edits"]
        ratios = [e / s for s, e in zip(steady.rates, edited.rates, strict=True)]
        print(
            f"{workers} worker(s): req/s with edits / without = {edited.rate / steady.rate:.2f} "
            f"(rounds {min(ratios):.2f}-{max(ratios):.2f})"
        )
    if organisations:
        print(f"\n{organisations} organisations; edited: {EDITED} (its /o/{EDITED}/all.ics the "
              "versions seen); the others' /o/ID/all.ics and /o/ID/:")  # fmt: skip
        for row in rows:
            t = row.tally
            print(
                f"{row.workers} worker(s), {row.phase}: other organisations' answers different: "
                f"{t.others_different} of {t.others}"
                + (
                    f"; rebuild lines naming another organisation: {row.others_rebuilt}"
                    if row.phase == "edits"
                    else ""
                )
            )
    print("(CPU: CPU seconds per second of the phase, of the server's processes and of the")
    print(" clients, which are this one process; 1.00 is one core)")
    problems = [e for r in rows for e in r.tally.examples]
    if problems:
        print("\nINVALID ANSWERS, for example:\n  " + "\n  ".join(problems))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable, help="runs the server (this one)")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per phase (20)")
    parser.add_argument("--rounds", type=int, default=4, help="a phase is cut in rounds (4)")
    parser.add_argument("--workers", default="1,2", help="worker counts to measure (1,2)")
    parser.add_argument("--connections", type=int, default=12, help="kept-alive ones (12)")
    parser.add_argument("--fresh", type=int, default=4, help="new-connection loops (4)")
    parser.add_argument("--edit-every", type=float, default=0.5, help="seconds (0.5)")
    parser.add_argument("--watch", type=int, default=1, help="watch_interval, seconds (1)")
    parser.add_argument(
        "--organisations",
        type=int,
        default=0,
        metavar="N",
        help="serve bench/ministry.py's deployment of N organisations and edit one (off: 0)",
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    header(
        "reload under load",
        args.python,
        f"\nper phase {args.duration:g} s in {args.rounds} rounds; "
        f"{args.connections} kept-alive connections + "
        f"{args.fresh} new-connection loops; an edit every {args.edit_every:g} s; "
        f"watch_interval PT{args.watch}S; "
        + (
            f"bench/ministry.py's deployment of {args.organisations} organisations, "
            f"{EDITED}'s file edited"
            if args.organisations
            else "bundled config and calendar"
        ),
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmp = Path(tempfile.mkdtemp(prefix="reminders-reload-bench-"))
    os.environ["REMINDERS_CACHE_DIR"] = str(tmp / "cache")
    rows: list[Row] = []
    try:
        for workers in counts:
            rows += measure(args, workers, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    report(rows, args.organisations)
    if any(r.tally.invalid or r.tally.mismatches or r.others_rebuilt for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
