"""Where the page's links point: ``[feed] base_url``, or, without it, where the server listens.

Changing ``[feed] listen`` (or starting with ``--listen``) must move every Subscribe, webcal://,
Google and Outlook link with it; a ``base_url`` that names this machine on another port is a
warning of ``reminders check``.
"""

from __future__ import annotations

import re
import socket
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from reminders.config.config_file import load_config
from reminders.config.resources import bundled

from .conftest import ROOT, english_config_text
from .daemon_harness import Daemon, Project, Rule, kill_leftovers, soon
from .test_web_server import Served, make_site


def config_with(tmp_path: Path, listen: str, base_url: str | None = None) -> Path:
    text = english_config_text()
    text = re.sub(r'(?m)^listen = ".*"$', f'listen = "{listen}"', text)
    if base_url is not None:
        text = text.replace("[feed]\n", f'[feed]\nbase_url = "{base_url}"\n')
    path = tmp_path / "config.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("listen", "links"),
    [
        ("127.0.0.1:9090", "http://127.0.0.1:9090"),
        ("localhost:8181", "http://localhost:8181"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),
        ("[::]:8080", "http://[::1]:8080"),
        ("[::1]:8443", "http://[::1]:8443"),
    ],
)
def test_without_base_url_the_links_follow_listen(tmp_path: Path, listen: str, links: str) -> None:
    feed = load_config(config_with(tmp_path, listen)).feed
    assert (feed.base_url, feed.base_url_given) == (links, False)
    # Once the server knows where it really listens (--listen, port 0), the links go there.
    assert feed.linked_to("127.0.0.1:45678").base_url == "http://127.0.0.1:45678"


def test_a_set_base_url_is_used_as_it_is(tmp_path: Path) -> None:
    feed = load_config(config_with(tmp_path, "127.0.0.1:9090", "https://cal.example.org/")).feed
    assert (feed.base_url, feed.base_url_given) == ("https://cal.example.org", True)
    assert feed.linked_to("127.0.0.1:45678") == feed


def test_the_bundled_config_leaves_base_url_to_listen() -> None:
    feed = load_config(bundled("config.toml")).feed
    assert (feed.listen, feed.base_url, feed.base_url_given) == (
        "127.0.0.1:8080",
        "http://127.0.0.1:8080",
        False,
    )


@pytest.mark.parametrize(
    ("listen", "base_url", "warned"),
    [
        ("127.0.0.1:9090", "http://127.0.0.1:8080", True),
        ("127.0.0.1:9090", "http://localhost:8080/feeds", True),
        ("0.0.0.0:9090", "http://[::1]:8080", True),
        ("192.0.2.7:8080", "http://127.0.0.1:8080", True),  # listens elsewhere than loopback
        ("127.0.0.1:80", "http://localhost", False),  # port 80 is http's own
        ("127.0.0.1:8080", "http://127.0.0.1:8080", False),
        ("0.0.0.0:8080", "http://localhost:8080", False),
        ("127.0.0.1:9090", "https://calendar.example.org", False),  # a proxy in front
    ],
)
def test_check_warns_when_a_loopback_base_url_is_not_where_listen_listens(
    tmp_path: Path,
    cli: Callable[..., tuple[int, str, str]],
    listen: str,
    base_url: str,
    warned: bool,
) -> None:
    code, out, err = cli("--config", str(config_with(tmp_path, listen, base_url)), "check")
    assert code == 0, err
    assert "All checks passed" in out
    warning = (
        f"warning: {tmp_path / 'config.toml'}: feed.base_url {base_url.rstrip('/')!r} is on "
        f"this machine but not where feed.listen {listen!r} listens, so every Subscribe, "
        "webcal, Google and Outlook link misses the server; remove base_url to have the links "
        "follow listen, or make the two agree"
    )
    if warned:
        assert err == warning + "\n"
    else:
        assert "warning" not in err


def test_check_does_not_warn_without_base_url(
    tmp_path: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = cli("--config", str(config_with(tmp_path, "127.0.0.1:9191")), "check")
    assert (code, err) == (0, "")


def page_links(html: str) -> set[str]:
    """Every absolute link of the page to this service (href values, decoded enough to see
    the address inside the Google and Outlook links)."""
    text = html.replace("%3A", ":").replace("%2F", "/")
    return set(re.findall(r"(?:webcal|https?)://(?:127\.0\.0\.1|localhost)(?::\d+)?", text))


@pytest.mark.slow
def test_serve_listen_moves_every_link_of_the_page(tmp_path: Path) -> None:
    """The bundled config (listen 127.0.0.1:8080, no base_url) served with --listen on port 0:
    every link on the page, and in the plan links, names the port really listened on."""
    (tmp_path / "cache").mkdir()
    served = Served(make_site(tmp_path / "site"), tmp_path / "cache")
    try:
        status, _, body = served.request("GET", "/")
        assert status == 200
        html = body.decode("utf-8")
        port = served.port
        assert page_links(html) == {f"webcal://127.0.0.1:{port}", f"http://127.0.0.1:{port}"}
        assert f"webcal://127.0.0.1:{port}/all.ics" in html
        assert f"http://127.0.0.1:{port}/plan/" in html
        assert ":8080" not in html
    finally:
        served.stop()


@pytest.fixture
def no_daemon_left_running() -> Iterator[None]:
    yield
    kill_leftovers()


@pytest.mark.slow
@pytest.mark.usefixtures("no_daemon_left_running")
def test_run_listen_overrides_the_config_and_moves_the_links(tmp_path: Path) -> None:
    project = Project(tmp_path)
    # [feed] listen names a port that is taken: only --listen lets the daemon start.
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        taken = holder.getsockname()[1]
        project.write([Rule("later", soon(3600))], listen=f"127.0.0.1:{taken}")
        daemon = Daemon(project, args=["--listen", "127.0.0.1:0"])
        base = daemon.feed_url()
        with urllib.request.urlopen(f"{base}/", timeout=10) as response:
            html = response.read().decode("utf-8")
        assert daemon.stop() == 0
    port = int(base.rsplit(":", 1)[1])
    assert port != taken
    assert page_links(html) == {f"webcal://127.0.0.1:{port}", f"http://127.0.0.1:{port}"}


def test_the_docs_and_the_bundled_config_say_links_follow_listen() -> None:
    text = english_config_text()
    assert re.search(r"(?m)^base_url", text) is None
    docs = (ROOT / "docs" / "configuration.md").read_text("utf-8")
    assert "Unset, the links follow where the server really listens" in docs


@pytest.mark.slow
@pytest.mark.usefixtures("no_daemon_left_running")
def test_run_listen_without_a_feed_is_a_usage_error(tmp_path: Path) -> None:
    project = Project(tmp_path)
    project.write([Rule("later", soon(3600))], daemon={"serve_feed": False})
    code, log = Daemon(project, args=["--listen", "127.0.0.1:0"]).exited()
    assert code == 2
    assert (
        "reminders: --listen 127.0.0.1:0: this daemon serves no feed ([daemon] serve_feed = "
        "false); expected no --listen, or serve_feed = true"
    ) in log
    assert "Traceback" not in log
    assert project.outbox_files() == []
