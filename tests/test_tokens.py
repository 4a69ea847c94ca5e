"""Private calendars: tokens from the environment or a file, their errors, and the feed behind them.

A private calendar is served only under one of its tokens (``?token=`` or
``/calendars/{token}/{id}.ics``); every other request for it is the same 404 as an unknown
calendar, and its name and events appear nowhere else (combined feed, /healthz, the page).
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from reminders.cli import main
from reminders.core.errors import ConfigError
from reminders.core.settings import Loaded
from reminders.web.app import App, Site
from reminders.web.feeds import ALL, FeedSet
from reminders.web.server import current_feeds
from reminders.web.tokens import load_tokens, new_token, token_valid
from tests.test_ics import events_by_ical, events_by_icalendar
from tests.test_web import NOW, PUBLIC_CALENDAR, Reply, call, load_project, make_project

PRIVATE_CALENDAR = """\
[calendar]
id = "staff-roster"
name = "Confidential staff roster"
description = "Internal planning dates"
timezone = "Asia/Karachi"
public = false
revised = 2026-11-20T00:00:00Z

[[observance]]
id = "briefing"
title = "{ordinal} closed briefing on security arrangements"
date = "03-15"
since = 2010
description = "Internal only."
"""

PRIVATE = "/calendars/staff-roster.ics"
OLD = "rotated-out-Zq4vK8mW2pL6nR0tY5"
NEW = "fresh_token_Hx7Jd3Fs9Qa1Wc5Ev8"
FROM_FILE = "from-the-file-Pp3Ll8Kk1Mm6Nn2"
SECRETS = (b"staff-roster", b"Confidential staff roster", b"closed briefing")
CALENDARS = {"open-days.toml": PUBLIC_CALENDAR, "staff-roster.toml": PRIVATE_CALENDAR}
TOKENS_FILE = f"""\
# Tokens for the private feed.
staff-roster={FROM_FILE}   # handed out on 2026-11-30
"""


@pytest.fixture(scope="module")
def by_env(tmp_path_factory: pytest.TempPathFactory) -> FeedSet:
    """Two tokens for the private calendar at once (a rotation), from the environment."""
    config = make_project(tmp_path_factory.mktemp("env"), CALENDARS)
    environ = {"REMINDERS_FEED_TOKENS": f"staff-roster={OLD}, staff-roster={NEW}"}
    return current_feeds(str(config), load_project(config), environ, NOW)


@pytest.fixture(scope="module")
def app(by_env: FeedSet) -> App:
    return App(Site(by_env))


@pytest.fixture(scope="module")
def by_file(tmp_path_factory: pytest.TempPathFactory) -> FeedSet:
    root = tmp_path_factory.mktemp("file")
    (root / "tokens.txt").write_text(TOKENS_FILE, encoding="utf-8")
    config = make_project(root, CALENDARS, 'tokens_file = "tokens.txt"\n')
    return current_feeds(str(config), load_project(config), {}, NOW)


def unknown(app: App, method: str = "GET") -> Reply:
    return call(app, method, "/calendars/no-such-calendar.ics")


# --- Serving with a token ---------------------------------------------------------------------


@pytest.mark.parametrize("token", [OLD, NEW])
def test_each_valid_token_serves_the_private_feed_in_both_url_forms(
    app: App, by_env: FeedSet, token: str
) -> None:
    body = by_env.resources[PRIVATE].body
    for target in (f"{PRIVATE}?token={token}", f"/calendars/{token}/staff-roster.ics"):
        reply = call(app, "GET", target)
        assert reply.status == 200, target
        assert reply.body == body
        assert reply.headers["content-type"] == "text/calendar; charset=utf-8"
        assert reply.headers["cache-control"] == "private, max-age=21600"
        assert reply.headers["content-disposition"] == 'inline; filename="staff-roster.ics"'
    assert b"closed briefing on security arrangements" in body
    assert events_by_icalendar(body) == events_by_ical(body)
    assert len(events_by_icalendar(body)) == 3  # 2026, 2027, 2028


def test_private_feed_validators_head_gzip_and_download_under_a_token(app: App) -> None:
    path_form = f"/calendars/{NEW}/staff-roster.ics"
    full = call(app, "GET", path_form)
    tag = full.headers["etag"].encode()
    not_modified = call(app, "GET", path_form, [(b"if-none-match", tag)])
    assert not_modified.status == 304
    assert not_modified.body == b""
    assert not_modified.headers["cache-control"] == "private, max-age=21600"
    assert call(app, "GET", f"{PRIVATE}?token={OLD}", [(b"if-none-match", tag)]).status == 304
    head = call(app, "HEAD", path_form)
    assert (head.status, head.headers, head.body) == (200, full.headers, b"")
    zipped = call(app, "GET", f"{PRIVATE}?token={NEW}", [(b"accept-encoding", b"gzip")])
    assert gzip.decompress(zipped.body) == full.body
    download = call(app, "GET", f"{path_form}?download=1")
    assert download.headers["content-disposition"] == 'attachment; filename="staff-roster.ics"'


def test_a_token_from_the_tokens_file_serves_the_feed(by_file: FeedSet) -> None:
    app = App(Site(by_file))
    assert call(app, "GET", f"{PRIVATE}?token={FROM_FILE}").status == 200
    assert call(app, "GET", f"/calendars/{FROM_FILE}/staff-roster.ics").status == 200
    assert call(app, "GET", f"{PRIVATE}?token={NEW}").status == 404


def test_a_private_calendar_without_tokens_is_not_served(tmp_path: Path) -> None:
    config = make_project(tmp_path, CALENDARS)
    app = App(Site(current_feeds(str(config), load_project(config), {}, NOW)))
    for token in (OLD, NEW, ""):
        assert call(app, "GET", f"{PRIVATE}?token={token}") == unknown(app)


# --- Anything else is the 404 of an unknown calendar ---------------------------------------------

BAD_TOKENS = {
    "wrong": "wrong-token-Bb2Cc3Dd4Ee5Ff6Gg7",
    "empty": "",
    "prefix": NEW[:-1],
    "longer": NEW + "x",
    "other case": NEW.upper(),
    "too long": NEW * 10,
    "non-ASCII": quote("ключ-" + NEW),
    "percent garbage": "%ZZ%00%ff%",
    "the calendar's id": "staff-roster",
}


@pytest.mark.parametrize("method", ["GET", "HEAD", "POST"])
@pytest.mark.parametrize("case", BAD_TOKENS, ids=list(BAD_TOKENS))
def test_bad_tokens_get_the_404_of_an_unknown_calendar(app: App, case: str, method: str) -> None:
    token = BAD_TOKENS[case]
    expected = unknown(app, method)
    assert expected.status == 404
    # The token form, for an unknown calendar too, is the same 404 (a POST included).
    path_form = call(app, method, f"/calendars/{token}/no-such-calendar.ics")
    assert path_form == expected
    for target, same_as in [
        (f"{PRIVATE}?token={token}", expected),
        (f"/calendars/{token}/staff-roster.ics", path_form),
        (f"/calendars/{token}/staff-roster.ics?token={NEW}", path_form),
    ]:
        reply = call(app, method, target)
        assert reply == same_as, target
        assert not any(secret in reply.body for secret in SECRETS)


def test_a_missing_token_gets_the_404_of_an_unknown_calendar(app: App) -> None:
    for target in (PRIVATE, f"{PRIVATE}?download=1", f"{PRIVATE}?tokens={NEW}", "/calendars//x"):
        assert call(app, "GET", target) == unknown(app)


def test_a_token_does_not_open_a_public_calendar_in_the_token_form(app: App) -> None:
    assert call(app, "GET", f"/calendars/{NEW}/open-days.ics") == unknown(app)
    assert call(app, "GET", f"/calendars/{NEW}/all.ics") == unknown(app)


def test_private_calendar_is_absent_from_the_combined_feed_healthz_and_page(app: App) -> None:
    for target in (ALL, "/calendars/open-days.ics", "/healthz", "/"):
        reply = call(app, "GET", target)
        assert reply.status == 200, target
        for secret in SECRETS:
            assert secret not in reply.body, (target, secret)
    assert b"anniversary of Khojaly" in call(app, "GET", ALL).body


# --- load_tokens: sources, errors, and no secret in any message ---------------------------------


def tokens_for(config: Path, environ: dict[str, str]) -> dict[str, tuple[str, ...]]:
    loaded: Loaded = load_project(config)
    return load_tokens(loaded.settings.feed, loaded.calendars, environ)


def test_tokens_come_from_the_environment_and_the_file_together(tmp_path: Path) -> None:
    (tmp_path / "tokens.txt").write_text(TOKENS_FILE, encoding="utf-8")
    config = make_project(tmp_path, CALENDARS, 'tokens_file = "tokens.txt"\n')
    environ = {"REMINDERS_FEED_TOKENS": f"staff-roster={OLD}\nstaff-roster={NEW}"}
    assert tokens_for(config, environ) == {"staff-roster": (OLD, NEW, FROM_FILE)}


def test_tokens_env_names_another_variable(tmp_path: Path) -> None:
    config = make_project(tmp_path, CALENDARS, 'tokens_env = "STAFF_FEED_TOKENS"\n')
    assert tokens_for(config, {"STAFF_FEED_TOKENS": f"staff-roster={NEW}"}) == {
        "staff-roster": (NEW,)
    }
    assert tokens_for(config, {"REMINDERS_FEED_TOKENS": f"staff-roster={NEW}"}) == {}


SECRET = "Secret-Value_0123456789abcdefXYZ"
HEX = "0123456789abcdef" * 2  # a token that also looks like a calendar id
BAD_ENTRIES = {
    # case: (entry, what the message must say)
    "no '='": (SECRET, "entry 2: got '<32 characters>'; expected CALENDAR=TOKEN"),
    "short token": ("staff-roster=Ab3_x", "got 'staff-roster=<5 characters>'; expected CALENDAR"),
    "bad characters": (
        f"staff-roster={SECRET}!/+",
        "got 'staff-roster=<35 characters>'; expected CALENDAR=TOKEN, where CALENDAR is the id "
        "of a private calendar and TOKEN has 16 to 128 letters, digits, '-' or '_'",
    ),
    "unknown calendar": (
        f"staff-rota={SECRET}",
        "entry 2: tokens only for private calendars; 'staff-rota' is unknown; "
        "private calendars: staff-roster",
    ),
    "public calendar": (
        f"open-days={SECRET}",
        "entry 2: tokens only for private calendars; 'open-days' is a public calendar; "
        "private calendars: staff-roster",
    ),
    "written the wrong way round": (
        f"{SECRET.lower()}=staff-roster",
        "got '<32 characters>=<12 characters>'; expected CALENDAR=TOKEN",
    ),
    "a hex token the wrong way round": (
        f"{HEX}=staff-roster",
        "got '<32 characters>=<12 characters>'; expected CALENDAR=TOKEN",
    ),
}


@pytest.mark.parametrize("case", BAD_ENTRIES, ids=list(BAD_ENTRIES))
def test_bad_entry_in_the_environment_names_source_and_expectation_but_not_the_token(
    tmp_path: Path, case: str
) -> None:
    entry, said = BAD_ENTRIES[case]
    config = make_project(tmp_path, CALENDARS)
    with pytest.raises(ConfigError) as caught:
        tokens_for(config, {"REMINDERS_FEED_TOKENS": f"staff-roster={NEW} {entry}"})
    message = caught.value.message()
    assert message.startswith("1 problem in the configuration:\n  $REMINDERS_FEED_TOKENS: ")
    assert said in message
    for secret in (SECRET, SECRET.lower(), SECRET[:16], HEX, NEW):
        assert secret not in message


@pytest.mark.parametrize("case", BAD_ENTRIES, ids=list(BAD_ENTRIES))
def test_bad_entry_in_the_file_names_file_line_and_expectation_but_not_the_token(
    tmp_path: Path, case: str
) -> None:
    entry, said = BAD_ENTRIES[case]
    (tmp_path / "tokens.txt").write_text(f"# tokens\nstaff-roster={NEW}\n\n{entry}\n", "utf-8")
    config = make_project(tmp_path, CALENDARS, 'tokens_file = "tokens.txt"\n')
    with pytest.raises(ConfigError) as caught:
        tokens_for(config, {})
    message = caught.value.message()
    assert re.search(r"\n  \S*tokens\.txt:4: ", message), message
    assert said.removeprefix("entry 2: ") in message
    assert "entry 2" not in message  # a file's entries are named by their line
    for secret in (SECRET, SECRET.lower(), SECRET[:16], HEX, NEW):
        assert secret not in message


def test_every_bad_entry_is_reported_at_once(tmp_path: Path) -> None:
    config = make_project(tmp_path, CALENDARS)
    entries = " ".join(entry for entry, _said in BAD_ENTRIES.values())
    with pytest.raises(ConfigError) as caught:
        tokens_for(config, {"REMINDERS_FEED_TOKENS": entries})
    assert caught.value.message().startswith(f"{len(BAD_ENTRIES)} problems in the configuration:")


def test_an_unreadable_tokens_file_is_a_config_error(tmp_path: Path) -> None:
    config = make_project(tmp_path, CALENDARS, 'tokens_file = "missing-tokens.txt"\n')
    with pytest.raises(ConfigError, match=r"missing-tokens\.txt: a readable tokens file"):
        tokens_for(config, {})


def test_a_bad_token_entry_stops_the_feed_build(tmp_path: Path) -> None:
    config = make_project(tmp_path, CALENDARS)
    environ = {"REMINDERS_FEED_TOKENS": f"open-days={SECRET}"}
    with pytest.raises(ConfigError) as caught:
        current_feeds(str(config), load_project(config), environ, NOW)
    assert SECRET not in caught.value.message()


# --- token_valid and new tokens ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "valid"),
    [(OLD, True), (NEW, True), ("", False), (NEW[:-1], False), (NEW + "x", False),
     (NEW[1:], False), (NEW.upper(), False), ("wrong-token-Bb2Cc3Dd4Ee5Ff6Gg7", False),
     ("ключ", False), (NEW + "\x00", False)],
)  # fmt: skip
def test_token_valid_right_wrong_prefix_longer(given: str, valid: bool) -> None:
    assert token_valid(given, (OLD, NEW)) is valid


def test_token_valid_compares_with_every_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import hmac

    compared: list[bytes] = []
    real = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append(b)
        return real(a, b)

    monkeypatch.setattr("reminders.web.tokens.hmac.compare_digest", counting)
    tokens = (NEW, OLD, FROM_FILE)
    assert token_valid(NEW, tokens)  # found first, still compared with the other two
    assert compared == [t.encode() for t in tokens]
    compared.clear()
    assert not token_valid("wrong", tokens)
    assert len(compared) == 3
    assert not token_valid(NEW, ())


def test_new_tokens_are_32_url_safe_characters_and_differ() -> None:
    made = {new_token() for _ in range(20)}
    assert len(made) == 20
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", token) for token in made)


def test_token_command_prints_a_fresh_token(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["token"]) == 0
    first = capsys.readouterr().out
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}\n", first)
    assert main(["token"]) == 0
    assert capsys.readouterr().out != first


def test_a_printed_token_is_accepted_in_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main(["token"])
    token = capsys.readouterr().out.strip()
    config = make_project(tmp_path, CALENDARS)
    assert tokens_for(config, {"REMINDERS_FEED_TOKENS": f"staff-roster={token}"}) == {
        "staff-roster": (token,)
    }
