"""``reminders export --site DIR``: files that are the bytes the app serves, and nginx serving them.

The in-process tests compare every written file with the app's answer (Starlette's TestClient
over ``reminders.web.app.App``), check the file times, the private calendars, stale files, a failure
half-way and the error messages.  The nginx tests start the Debian package's nginx on the two
configurations printed in docs/web.md (the static copy, and the reverse proxy in front of a real
``reminders serve``), so the documentation stays true.  The placeholders replaced here are the
ones the document tells a reader to replace: the root ``/srv/reminders/site``, ``listen 443 ssl``
and ``listen 80``, and the two certificate paths (a throwaway CA from trustme stands in for the
real certificate); the proxy's ``127.0.0.1:8080`` becomes the port ``serve`` picked."""

from __future__ import annotations

import contextlib
import fcntl
import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import trustme
from starlette.testclient import TestClient

from reminders.config.load import load
from reminders.core.errors import OutputError
from reminders.web.app import App, Site
from reminders.web.feeds import FeedSet
from reminders.web.server import current_feeds
from reminders.web.site import STAGING_PREFIX, export_site

from .conftest import ROOT, TODAY, english_config_text

NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)  # the build time of every export here
PLANS = ["plan", "plan/2026.html", "plan/2027.html"]  # the plans the page links, this year's on
# The page and the plans at /en/ and /en/plan/YEAR too (each configured language's folder).
ENGLISH = ["en", "en/index.html", "en/plan", "en/plan/2026.html", "en/plan/2027.html"]
INPUTS_TIME = int(datetime(2026, 11, 25, 8, 0, tzinfo=UTC).timestamp())  # the files' mtimes
NGINX = "/usr/sbin/nginx"
FEED_HEADERS = (
    "content-type",
    "cache-control",
    "content-disposition",
    "last-modified",
    "vary",
    "x-content-type-options",
)

BOARD = """\
[calendar]
id = "board"
name = "Board dates"
description = "Dates for the board."
timezone = "Asia/Karachi"
public = {public}

[[observance]]
id = "founding"
title = "{{ordinal}} founding day"
date = "03-15"
since = 2010
description = "The day the institute was founded."
"""


# --- Fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled config and calendar, with file times fixed; returns the config."""
    return make_project(tmp_path / "project")


def make_project(folder: Path) -> Path:
    shutil.copytree(ROOT / "calendars", folder / "calendars")
    text = english_config_text()
    assert '# calendars = "calendars"' in text
    config = folder / "config.toml"
    config.write_text(text.replace('# calendars = "calendars"', 'calendars = "calendars"'), "utf-8")
    set_times(folder)
    return config


def set_times(folder: Path) -> None:
    """Every input file and the calendars folder get INPUTS_TIME, so Last-Modified is known."""
    for path in [folder / "config.toml", folder / "calendars", *folder.glob("calendars/*")]:
        os.utime(path, (INPUTS_TIME, INPUTS_TIME))


def add_board(config: Path, public: bool) -> None:
    text = BOARD.format(public=str(public).lower())
    (config.parent / "calendars" / "board.toml").write_text(text, "utf-8")
    set_times(config.parent)


def export(config: Path, site: Path) -> tuple[FeedSet, list[str]]:
    """Export to ``site`` at NOW; return the feeds the app would serve then, and the lines."""
    loaded = load(str(config), TODAY)
    lines = export_site(str(config), loaded, str(site), now=NOW)
    return current_feeds(str(config), loaded, {}, NOW), lines


def app_client(feeds: FeedSet) -> TestClient:
    return TestClient(App(Site(feeds, today=lambda _zone: feeds.today)))


def app_get(client: TestClient, path: str, gzip: bool) -> tuple[dict[str, str], bytes]:
    """The app's headers and raw body bytes (gzip bytes as sent, not decoded)."""
    encoding = "gzip" if gzip else "identity"
    with client.stream("GET", path, headers={"accept-encoding": encoding}) as response:
        assert response.status_code == 200
        return dict(response.headers), b"".join(response.iter_raw())


def listing(site: Path) -> list[str]:
    return sorted(str(p.relative_to(site)) for p in site.rglob("*"))


# --- The files are the app's bytes --------------------------------------------------------


def test_every_file_is_the_bytes_the_app_serves(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    feeds, lines = export(project, site)
    client = app_client(feeds)
    assert listing(site) == [
        "all.ics",
        "all.ics.gz",
        "calendars",
        "calendars/remembrance.ics",
        "calendars/remembrance.ics.gz",
        *ENGLISH,  # the page and plans in each configured language, at /LANG/
        "index.html",
        *PLANS,
    ]
    for path in ("/all.ics", "/calendars/remembrance.ics"):
        file = site / path.lstrip("/")
        _, plain = app_get(client, path, gzip=False)
        headers, gzipped = app_get(client, path, gzip=True)
        assert headers["content-encoding"] == "gzip"
        assert file.read_bytes() == plain
        assert Path(f"{file}.gz").read_bytes() == gzipped
        assert plain.startswith(b"BEGIN:VCALENDAR\r\n")
    assert (site / "index.html").read_bytes() == client.get("/").content
    assert (site / "en" / "index.html").read_bytes() == client.get("/en/").content
    assert f"wrote {site}/all.ics ({len((site / 'all.ics').read_bytes())} bytes)" in lines


def test_file_times_are_the_feeds_last_modified(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    feeds, _ = export(project, site)
    client = app_client(feeds)
    for path in ("/all.ics", "/calendars/remembrance.ics"):
        headers, _ = app_get(client, path, gzip=False)
        served = int(parsedate_to_datetime(headers["last-modified"]).timestamp())
        assert served == INPUTS_TIME  # the newest input file; earlier than NOW, later than revised
        assert os.stat(site / path.lstrip("/")).st_mtime == served
        assert os.stat(site / f"{path.lstrip('/')}.gz").st_mtime == served
    assert os.stat(site / "index.html").st_mtime == NOW.timestamp()


def test_a_second_export_touches_nothing(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    export(project, site)
    before = {name: os.stat(site / name) for name in listing(site)}
    _, lines = export(project, site)
    after = {name: os.stat(site / name) for name in listing(site)}
    assert {n: (s.st_ino, s.st_mtime_ns) for n, s in after.items()} == {
        n: (s.st_ino, s.st_mtime_ns) for n, s in before.items()
    }
    assert lines == [
        f"unchanged {site}/all.ics",
        f"unchanged {site}/all.ics.gz",
        f"unchanged {site}/calendars/remembrance.ics",
        f"unchanged {site}/calendars/remembrance.ics.gz",
        f"unchanged {site}/index.html",
        f"unchanged {site}/en/index.html",
        f"unchanged {site}/plan/2026.html",
        f"unchanged {site}/plan/2027.html",
        f"unchanged {site}/en/plan/2026.html",
        f"unchanged {site}/en/plan/2027.html",
    ]


def test_a_file_with_the_right_bytes_but_another_time_gets_the_feeds_time(
    project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    export(project, site)
    os.utime(site / "all.ics", (NOW.timestamp(), NOW.timestamp()))
    _, lines = export(project, site)
    assert os.stat(site / "all.ics").st_mtime == INPUTS_TIME
    assert f"wrote {site}/all.ics ({os.stat(site / 'all.ics').st_size} bytes)" in lines
    assert f"unchanged {site}/all.ics.gz" in lines


def test_private_calendar_is_not_written(project: Path, tmp_path: Path) -> None:
    add_board(project, public=False)
    site = tmp_path / "site"
    feeds, lines = export(project, site)
    assert "/calendars/board.ics" in feeds.resources  # the app has it, behind a token
    assert not (site / "calendars" / "board.ics").exists()
    assert not (site / "calendars" / "board.ics.gz").exists()
    for name in ("all.ics", "index.html"):
        assert b"Board dates" not in (site / name).read_bytes()
    assert lines[-1] == "not written (private, served only with a token): board"


def test_stale_feed_files_are_removed_and_nothing_else(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "calendars" / "folder.ics").mkdir(parents=True)
    keep = {
        "robots.txt": b"User-agent: *\n",
        "old.ics": b"not under calendars/\n",
        "calendars/notes.txt": b"kept\n",
        "calendars/old.ics.bak": b"kept\n",
    }
    for name, data in keep.items():
        (site / name).write_bytes(data)
    (site / "calendars" / "old.ics").write_bytes(b"BEGIN:VCALENDAR\r\n")
    (site / "calendars" / "old.ics.gz").write_bytes(b"\x1f\x8b")
    _, lines = export(project, site)
    assert not (site / "calendars" / "old.ics").exists()
    assert not (site / "calendars" / "old.ics.gz").exists()
    assert (site / "calendars" / "folder.ics").is_dir()
    for name, data in keep.items():
        assert (site / name).read_bytes() == data
    assert f"removed {site}/calendars/old.ics (no longer a public calendar)" in lines
    assert f"removed {site}/calendars/old.ics.gz (no longer a public calendar)" in lines


def test_a_calendar_made_private_stops_being_served(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    add_board(project, public=True)
    export(project, site)
    assert b"Board dates" in (site / "calendars" / "board.ics").read_bytes()
    add_board(project, public=False)
    feeds, _ = export(project, site)
    assert sorted(p.name for p in (site / "calendars").iterdir()) == [
        "remembrance.ics",
        "remembrance.ics.gz",
    ]
    assert (site / "all.ics").read_bytes() == feeds.resources["/all.ics"].body


def test_only_private_calendars_give_an_empty_combined_feed(project: Path, tmp_path: Path) -> None:
    (project.parent / "calendars" / "remembrance.toml").unlink()
    add_board(project, public=False)
    site = tmp_path / "site"
    feeds, lines = export(project, site)
    assert listing(site) == ["all.ics", "all.ics.gz", *ENGLISH, "index.html", *PLANS]
    combined = (site / "all.ics").read_bytes()
    assert combined == feeds.resources["/all.ics"].body
    assert b"BEGIN:VCALENDAR\r\n" in combined
    assert b"BEGIN:VEVENT" not in combined
    assert lines[-1] == "not written (private, served only with a token): board"


def test_leftovers_of_a_killed_export_are_removed(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "calendars").mkdir(parents=True)
    (site / f"{STAGING_PREFIX}abc123").write_bytes(b"half a file")
    (site / "calendars" / f"{STAGING_PREFIX}def456").write_bytes(b"half a file")
    export(project, site)
    assert not [p for p in site.rglob(f"{STAGING_PREFIX}*")]


def test_an_export_waits_for_one_already_running(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    handle = os.open(site, os.O_RDONLY | os.O_DIRECTORY)
    fcntl.flock(handle, fcntl.LOCK_EX)  # as a running export holds it
    done = threading.Event()
    loaded = load(str(project), TODAY)

    def run() -> None:
        export_site(str(project), loaded, str(site), now=NOW)
        done.set()

    worker = threading.Thread(target=run)
    try:
        worker.start()
        assert not done.wait(0.3)
        assert not (site / "all.ics").exists()
    finally:
        os.close(handle)
    worker.join(10)
    assert done.is_set()
    assert (site / "all.ics").exists()


# --- Failures ---------------------------------------------------------------------------------


def test_a_failure_half_way_changes_nothing(project: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    (site / "calendars" / "remembrance.ics.gz").mkdir(parents=True)  # in the way, late in the list
    (site / "all.ics").write_bytes(b"the previous export\r\n")
    os.utime(site / "all.ics", (1_700_000_000, 1_700_000_000))
    loaded = load(str(project), TODAY)
    gz = site / "calendars" / "remembrance.ics.gz"
    with pytest.raises(OutputError) as raised:
        export_site(str(project), loaded, str(site), now=NOW)
    assert raised.value.message() == f"cannot write {gz}: a folder is in the way; expected a file"
    assert (site / "all.ics").read_bytes() == b"the previous export\r\n"
    assert os.stat(site / "all.ics").st_mtime == 1_700_000_000
    # Only the empty folders are new: folders are made before the files are staged.
    assert listing(site) == [
        *("all.ics", "calendars", "calendars/remembrance.ics.gz", "en", "en/plan", "plan")
    ]


def test_folder_is_a_file(cli: Callable[..., tuple[int, str, str]], project: Path) -> None:
    target = project.parent / "site"
    target.write_text("a file, not a folder")
    code, out, err = cli("--config", str(project), "export", "--site", str(target))
    assert (code, out) == (1, "")
    assert err == f"reminders: cannot write {target}: a file is in the way; expected a folder\n"


def test_folder_inside_a_file(cli: Callable[..., tuple[int, str, str]], project: Path) -> None:
    target = project / "site"  # project is config.toml, a file
    code, _, err = cli("--config", str(project), "export", "--site", str(target))
    assert code == 1
    assert err == f"reminders: cannot write {target}: a file is in the way; expected a folder\n"


def test_calendars_folder_is_a_file(
    cli: Callable[..., tuple[int, str, str]], project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "calendars").write_text("in the way")
    code, _, err = cli("--config", str(project), "export", "--site", str(site))
    assert code == 1
    assert err == (
        f"reminders: cannot write {site}/calendars: a file is in the way; expected a folder\n"
    )
    assert listing(site) == ["calendars"]  # calendars/ is the first folder made (in name order)


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_folder_not_writable(
    cli: Callable[..., tuple[int, str, str]], project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    (site / "calendars").mkdir(parents=True)
    site.chmod(0o555)
    try:
        code, _, err = cli("--config", str(project), "export", "--site", str(site))
    finally:
        site.chmod(0o755)
    assert code == 1
    assert err == f"reminders: cannot write {site}/all.ics: Permission denied\n"


@pytest.mark.skipif(os.geteuid() != 0, reason="test_folder_not_writable covers other users")
@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is absent")
def test_folder_not_writable_for_root_without_its_override(project: Path, tmp_path: Path) -> None:
    """Root with no capabilities obeys the permission bits, so the message is the real one."""
    site = tmp_path / "site"
    (site / "calendars").mkdir(parents=True)
    site.chmod(0o555)
    try:
        done = subprocess.run(
            [
                *("setpriv", "--inh-caps=-all", "--bounding-set=-all", "--"),
                *(sys.executable, "-m", "reminders", "--config", str(project)),
                *("export", "--site", str(site)),
            ],
            capture_output=True,
            text=True,
            timeout=30,
        )
    finally:
        site.chmod(0o755)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == f"reminders: cannot write {site}/en: Permission denied\n"
    assert listing(site) == ["calendars"]


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        (["--from", "2027"], "--from"),
        (["--to", "2030"], "--to"),
        (["--calendar", "remembrance"], "--calendar"),
        (["-o", "out.ics"], "--output"),
        (["--examples"], "--examples/--no-examples"),
        (["--no-examples"], "--examples/--no-examples"),
    ],
)
def test_site_with_window_or_output_options_is_a_usage_error(
    cli: Callable[..., tuple[int, str, str]],
    project: Path,
    tmp_path: Path,
    extra: list[str],
    named: str,
) -> None:
    site = tmp_path / "site"
    code, out, err = cli("--config", str(project), "export", "--site", str(site), *extra)
    assert (code, out) == (2, "")
    assert err == (
        "reminders: --site writes the feeds as served ([feed] settings: window, examples); "
        f"expected no {named} with it\n"
    )
    assert not site.exists()


def test_empty_folder_name_is_a_usage_error(
    cli: Callable[..., tuple[int, str, str]], project: Path
) -> None:
    code, _, err = cli("--config", str(project), "export", "--site", "")
    assert code == 2
    assert err == "reminders: --site needs a folder, such as --site public\n"


def test_cli_export_writes_and_reports(
    cli: Callable[..., tuple[int, str, str]], project: Path, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    code, out, err = cli("--config", str(project), "export", "--site", str(site))
    assert (code, out) == (0, "")
    size = len((site / "calendars" / "remembrance.ics").read_bytes())
    assert f"wrote {site}/calendars/remembrance.ics ({size} bytes)\n" in err
    assert err.count("\n") == 10
    code, _, err = cli("--config", str(project), "export", "--site", str(site))
    assert code == 0
    assert err.startswith(f"unchanged {site}/all.ics\n")


# --- A real nginx on the configuration in docs/web.md -------------------------------------------


def doc_block(heading: str) -> str:
    """The first ```nginx block after ``heading`` in docs/web.md."""
    text = (ROOT / "docs" / "web.md").read_text("utf-8")
    assert heading in text
    found = re.search(r"```nginx\n(.*?)```", text.split(heading, 1)[1], flags=re.DOTALL)
    assert found is not None, f"no nginx block after {heading!r}"
    return found.group(1)


def substituted(block: str, replacements: dict[str, str]) -> str:
    for placeholder, value in replacements.items():
        assert block.count(placeholder) == 1, f"docs/web.md should have {placeholder!r} once"
        block = block.replace(placeholder, value)
    return block


def nginx_conf(folder: Path, server: str, access_log: str = "off") -> Path:
    """A minimal nginx.conf around ``server`` that runs unprivileged, with every path in folder."""
    (folder / "reminders.conf").write_text(server, "utf-8")
    temps = "\n".join(
        f"    {kind}_temp_path {folder}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off;\nmaster_process off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log;\nevents {{}}\n"
        f"http {{\n    access_log {access_log};\n{temps}\n"
        f"    include {folder}/reminders.conf;\n}}\n",
        "utf-8",
    )
    return conf


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Nginx:
    """A running nginx: TLS and plain ports, and a client context trusting its certificate."""

    def __init__(self, tls_port: int, http_port: int, context: ssl.SSLContext) -> None:
        self.tls_port = tls_port
        self.http_port = http_port
        self.context = context

    def get(
        self, path: str, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and raw body; no decoding of any kind."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.tls_port, context=self.context)
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            body = response.read()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, body
        finally:
            conn.close()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    authority = trustme.CA()
    pem = tmp_path_factory.mktemp("tls") / "server.pem"
    authority.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return pem, context


@pytest.fixture(scope="module")
def nginx_site(
    tmp_path_factory: pytest.TempPathFactory, certificate: tuple[Path, ssl.SSLContext]
) -> Iterator[tuple[Nginx, Path, FeedSet]]:
    """The bundled calendar exported to a folder, served by nginx on the documented config.

    Beside the export: a file outside the folder, a file inside it that is not part of the site,
    and a link in ``calendars/`` that leads outside; none of them may be served.
    """
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"{NGINX} is absent (Debian package nginx); the static site is untested")
    tmp_path = tmp_path_factory.mktemp("nginx-site")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("REMINDERS_CACHE_DIR", "off")  # module scope: before the per-test cache
        project = make_project(tmp_path / "project")
        site = tmp_path / "site"
        feeds, _ = export(project, site)
    secret = tmp_path / "secret.txt"
    secret.write_text("outside the site folder\n")
    (site / "notes.txt").write_text("inside, but not part of the site\n")
    (site / "calendars" / "outside.ics").symlink_to(secret)
    pem, context = certificate

    def server(tls_port: int, http_port: int) -> str:
        return substituted(
            doc_block("### nginx for the static copy"),
            {
                "root /srv/reminders/site;": f"root {site};",
                "listen 443 ssl;": f"listen 127.0.0.1:{tls_port} ssl;",
                "listen 80;": f"listen 127.0.0.1:{http_port};",
                "/etc/ssl/certs/calendar.example.org.pem": str(pem),
                "/etc/ssl/private/calendar.example.org.key": str(pem),
            },
        )

    with run_nginx(tmp_path / "nginx", context, server) as nginx:
        yield nginx, site, feeds


@contextlib.contextmanager
def run_nginx(
    runtime: Path,
    context: ssl.SSLContext,
    server: Callable[[int, int], str],
    access_log: str = "off",
) -> Iterator[Nginx]:
    """Run nginx on ``server(tls_port, http_port)`` until the block ends; stop it in any case."""
    runtime.mkdir()
    for attempt in range(3):  # a free port can be taken between the probe and nginx's bind
        tls_port, http_port = free_port(), free_port()
        conf = nginx_conf(runtime, server(tls_port, http_port), access_log)
        log = runtime / "error.log"
        process = subprocess.Popen(
            [NGINX, "-p", str(runtime), "-c", str(conf), "-e", str(log)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        try:
            if wait_for_port(process, tls_port):
                yield Nginx(tls_port, http_port, context)
                return
        finally:
            stop(process)
        errors = log.read_text("utf-8", "replace") if log.exists() else ""
        if "Address already in use" not in errors or attempt == 2:
            pytest.fail(f"nginx did not start:\n{errors}")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wait_for_port(process: subprocess.Popen[bytes], port: int) -> bool:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.02)
    return False


@pytest.mark.parametrize("path", ["/all.ics", "/calendars/remembrance.ics"])
def test_nginx_serves_the_apps_bytes_and_headers(
    nginx_site: tuple[Nginx, Path, FeedSet], path: str
) -> None:
    nginx, _, feeds = nginx_site
    client = app_client(feeds)
    for gzip in (False, True):
        app_headers, app_body = app_get(client, path, gzip)
        encoding = {"accept-encoding": "gzip"} if gzip else {}
        status, headers, body = nginx.get(path, encoding)
        assert status == 200
        assert body == app_body
        assert headers.get("content-encoding") == app_headers.get("content-encoding")
        for name in FEED_HEADERS:
            assert headers[name] == app_headers[name], name
        assert "accept-ranges" not in headers
    name = path.rsplit("/", 1)[1]
    for value, disposition in [
        ("1", "attachment"),
        ("true", "attachment"),
        ("yes", "attachment"),
        ("0", "inline"),
        ("TRUE", "inline"),
    ]:
        _, headers, _ = nginx.get(f"{path}?download={value}")
        app_headers = client.get(f"{path}?download={value}").headers
        assert headers["content-disposition"] == app_headers["content-disposition"], value
        assert headers["content-disposition"] == f'{disposition}; filename="{name}"'


@pytest.mark.parametrize("path", ["/all.ics", "/calendars/remembrance.ics"])
def test_nginx_answers_304_to_its_validators(
    nginx_site: tuple[Nginx, Path, FeedSet], path: str
) -> None:
    nginx, _, feeds = nginx_site
    for gzip in ({}, {"accept-encoding": "gzip"}):
        _, headers, _ = nginx.get(path, gzip)
        status, again, body = nginx.get(path, {**gzip, "if-none-match": headers["etag"]})
        assert (status, body) == (304, b"")
        assert again["etag"] == headers["etag"]
        assert again["cache-control"] == headers["cache-control"]
        assert again["last-modified"] == headers["last-modified"]
    # If-Modified-Since: the same answer as the app's, equal to, after and before Last-Modified.
    client = app_client(feeds)
    _, headers, _ = nginx.get(path)
    dates = {
        headers["last-modified"]: 304,
        "Tue, 01 Dec 2026 09:30:00 GMT": 304,
        "Mon, 02 Nov 2026 08:00:00 GMT": 200,
    }
    for since, expected in dates.items():
        status, _, body = nginx.get(path, {"if-modified-since": since})
        assert status == expected, since
        assert client.get(path, headers={"if-modified-since": since}).status_code == expected
        assert body.startswith(b"BEGIN:VCALENDAR") if expected == 200 else body == b""


def test_nginx_serves_the_page(nginx_site: tuple[Nginx, Path, FeedSet]) -> None:
    nginx, site, feeds = nginx_site
    page = app_client(feeds).get("/")
    status, headers, body = nginx.get("/", {"accept-encoding": "identity"})
    assert status == 200
    assert body == (site / "index.html").read_bytes() == page.content
    for name in ("content-type", "cache-control", "referrer-policy", "x-content-type-options"):
        assert headers[name] == page.headers[name], name
    # The app's policy, with the inline blocks allowed in general instead of pinned by hash.
    hashes = re.compile(r"'sha256-[^']+'(?: 'sha256-[^']+')*")
    policy = page.headers["content-security-policy"]
    assert hashes.search(policy)
    assert headers["content-security-policy"] == hashes.sub("'unsafe-inline'", policy)


def test_nginx_serves_the_page_of_each_language(nginx_site: tuple[Nginx, Path, FeedSet]) -> None:
    nginx, site, feeds = nginx_site
    page = app_client(feeds).get("/en/")
    status, headers, body = nginx.get("/en/", {"accept-encoding": "identity"})
    assert status == 200
    assert body == (site / "en" / "index.html").read_bytes() == page.content
    for name in ("content-type", "cache-control", "referrer-policy", "x-content-type-options"):
        assert headers[name] == page.headers[name], name
    for path in ("/en", "/fr/", "/en/index.html", "/plan/"):  # only what was exported, as named
        assert nginx.get(path)[0] == 404, path


def test_nginx_serves_the_yearly_plans(nginx_site: tuple[Nginx, Path, FeedSet]) -> None:
    nginx, site, _ = nginx_site
    status, headers, body = nginx.get("/plan/2027", {"accept-encoding": "identity"})
    assert status == 200
    assert body == (site / "plan" / "2027.html").read_bytes()
    assert b"Event plan 2027" in body
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert headers["content-security-policy"].startswith("default-src 'none'; style-src ")
    assert nginx.get("/plan/2031")[0] == 404  # not exported
    status, _, body = nginx.get("/en/plan/2027", {"accept-encoding": "identity"})
    assert (status, body) == (200, (site / "en" / "plan" / "2027.html").read_bytes())
    assert nginx.get("/fr/plan/2027")[0] == 404
    assert nginx.get("/plan/2027.html")[0] == 404  # only the page's own address


@pytest.mark.parametrize(
    "path",
    [
        "/config.toml",
        "/../x",
        "/calendars/",
        "/calendars",
        "/index.html",
        "/all.ics.gz",
        "/healthz",
        "/notes.txt",
        "/calendars/outside.ics",
        "/calendars/%2e%2e/secret.txt",
        "/calendars/remembrance.ics/",
    ],
)
def test_nginx_serves_nothing_else(nginx_site: tuple[Nginx, Path, FeedSet], path: str) -> None:
    nginx, _, _ = nginx_site
    status, _, body = nginx.get(path)
    assert status in (400, 403, 404)
    assert b"outside the site folder" not in body
    assert b"inside, but not part" not in body
    assert b"BEGIN:VCALENDAR" not in body
    assert b"Index of" not in body


def test_nginx_plain_http_redirects_to_https(nginx_site: tuple[Nginx, Path, FeedSet]) -> None:
    nginx, _, _ = nginx_site
    conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port)
    try:
        conn.request("GET", "/all.ics", headers={"host": "calendar.example.org"})
        response = conn.getresponse()
        response.read()
    finally:
        conn.close()
    assert response.status == 301
    assert response.getheader("location") == "https://calendar.example.org/all.ics"


TOKEN = "proxy-test-token-Zq4vK8mW2pL6"


@pytest.fixture
def served(project: Path) -> Iterator[int]:
    """``reminders serve`` on a free port, with a private calendar and its token; the port."""
    add_board(project, public=False)
    command = [sys.executable, "-m", "reminders", "--config", str(project)]
    process = subprocess.Popen(
        [*command, "serve", "--listen", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "REMINDERS_FEED_TOKENS": f"board={TOKEN}"},
    )
    try:
        assert process.stderr is not None
        port = None
        deadline = time.monotonic() + 20
        while port is None and time.monotonic() < deadline:
            line = process.stderr.readline().decode("utf-8", "replace")
            if not line:
                break
            found = re.search(r"serving the feed on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        assert port is not None, "reminders serve did not say where it listens"
        yield port
    finally:
        stop(process)


def plain_get(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def test_reverse_proxy_sample_passes_the_apps_answers_and_logs_no_token(
    tmp_path: Path, certificate: tuple[Path, ssl.SSLContext], served: int
) -> None:
    if not os.access(NGINX, os.X_OK):
        pytest.skip(f"{NGINX} is absent (Debian package nginx); the proxy sample is untested")
    pem, context = certificate
    block = doc_block("## Behind a reverse proxy")
    assert block.count("proxy_pass http://127.0.0.1:8080;") == 2
    block = block.replace("127.0.0.1:8080;", f"127.0.0.1:{served};")

    def server(tls_port: int, http_port: int) -> str:
        return substituted(
            block,
            {
                "listen 443 ssl;": f"listen 127.0.0.1:{tls_port} ssl;",
                "listen 80;": f"listen 127.0.0.1:{http_port};",
                "/etc/ssl/certs/calendar.example.org.pem": str(pem),
                "/etc/ssl/private/calendar.example.org.key": str(pem),
            },
        )

    runtime = tmp_path / "proxy"
    with run_nginx(runtime, context, server, access_log=f"{runtime}/access.log") as nginx:
        for path in ("/all.ics", "/calendars/remembrance.ics"):
            for encoding in ("identity", "gzip"):
                asked = {"accept-encoding": encoding}
                status, direct, body = plain_get(served, path, asked)
                assert (status, nginx.get(path, asked)[2]) == (200, body)
                _, headers, _ = nginx.get(path, asked)
                for name in (*FEED_HEADERS, "etag", "content-encoding"):
                    assert headers.get(name) == direct.get(name), name
                status, _, body = nginx.get(path, {**asked, "if-none-match": direct["etag"]})
                assert (status, body) == (304, b"")
        status, _, body = nginx.get(f"/calendars/board.ics?token={TOKEN}")
        assert status == 200
        assert b"Board dates" in body
        assert nginx.get("/calendars/board.ics?token=wrong-token-0123456789")[0] == 404
    logged = (runtime / "access.log").read_text("utf-8")
    assert '"GET /all.ics HTTP/1.1" 200' in logged
    assert "board" not in logged
    assert TOKEN not in logged
