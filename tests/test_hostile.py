"""Hostile input: random TOML documents and bytes for the loaders, random requests for the web app.

tests/test_properties.py builds documents from the keys of the calendar and config schemas and
checks where each problem is reported.  Here the input is meaner and the property simpler:
whatever the files hold (every TOML type, huge and odd values, the bundled files with keys
replaced, deleted, added and retyped, raw bytes that are not TOML or not UTF-8), the config and
calendar loaders, ``load_runtime`` and ``reminders check`` either succeed or raise the project's
own error naming the file, never another exception and never a traceback.  And whatever a client
sends (paths, methods, headers, query strings), the web app answers below 500, every 200 for a feed
is a calendar that icalendar reads, and a private feed is served only under its token.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import re
import tempfile
import tomllib
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.cli import main
from reminders.config.calendars import (
    CALENDAR_FIELDS,
    EVENT_FIELDS,
    FACT_FIELDS,
    MOMENT_FIELDS,
    OBSERVANCE_FIELDS,
    load_calendars,
)
from reminders.config.channel_options import CHANNEL_FIELDS, TYPES
from reminders.config.config_file import (
    DAEMON_FIELDS,
    FEED_FIELDS,
    LEDGER_FIELDS,
    MILESTONE_FIELDS,
    NOTICE_FIELDS,
    ORGANISATION_FIELDS,
    PATHS_FIELDS,
    PLAN_FIELDS,
    TOP_FIELDS,
    load_config,
)
from reminders.config.resources import shown_path
from reminders.config.schema import Field, Invalid, duration
from reminders.core.errors import EXIT_INVALID, EXIT_OK, InvalidInput, ReminderError
from reminders.notify.channels.base import ChannelError
from reminders.notify.runtime import close_channels, load_runtime
from reminders.web.app import App, Site
from reminders.web.feeds import FeedSet
from reminders.web.server import current_feeds
from tests.test_properties import PLAUSIBLE, dumps
from tests.test_tokens import PRIVATE_CALENDAR, SECRETS
from tests.test_web import NOW, Reply, call, load_project, make_project
from tests.test_web_server import Served, make_site

from .conftest import ROOT, TODAY

# Sized for about 12 s of CPU time for the whole file (the suite's two-minute budget); runs with
# ten times as many examples found nothing more (raise max_examples here to hunt).
LOADER_SETTINGS = settings(
    max_examples=90, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# load_runtime and `reminders check` render every template and build every channel: fewer runs.
WHOLE_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
WEB_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

KeyPath = tuple[str | int, ...]

BUNDLED_CONFIG = tomllib.loads((ROOT / "config.toml").read_text(encoding="utf-8"))
BUNDLED_CALENDAR = tomllib.loads(
    (ROOT / "calendars" / "remembrance.toml").read_text(encoding="utf-8")
)

# --- Random TOML values ----------------------------------------------------------------------

ALL_FIELDS = (
    CALENDAR_FIELDS + OBSERVANCE_FIELDS + FACT_FIELDS + MOMENT_FIELDS + EVENT_FIELDS
    + TOP_FIELDS + ORGANISATION_FIELDS + PATHS_FIELDS + FEED_FIELDS + NOTICE_FIELDS + PLAN_FIELDS
    + MILESTONE_FIELDS + LEDGER_FIELDS + DAEMON_FIELDS + CHANNEL_FIELDS
    + tuple(field for kind in TYPES.values() for field in kind.fields)
)  # fmt: skip
KNOWN_KEYS = sorted({field.name for field in ALL_FIELDS} | {"calendar", "observance", "event"})
KEYS = st.one_of(
    st.sampled_from(KNOWN_KEYS),
    st.text(st.characters(codec="utf-8"), max_size=12),
)

OFFSETS = st.integers(min_value=-1439, max_value=1439).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
CONTROL = st.characters(min_codepoint=0, max_codepoint=0x9F)  # C0, DEL and C1 controls
STRINGS = st.one_of(
    PLAUSIBLE,
    st.text(st.characters(codec="utf-8"), max_size=40),
    st.text(CONTROL, max_size=10),
    # Built by repeating, so that a failure report shows the recipe, not 100 kB of text.
    st.sampled_from(
        [
            ("x", 100_000),
            ("é", 20_000),
            ("\u2028\u2029\x85", 1_000),
            ("a\nb\r\n", 1_000),
            ("{ordinal}", 5_000),
            ("{", 1_000),
        ]
    ).map(lambda recipe: recipe[0] * recipe[1]),
    st.sampled_from(
        [
            "\ufeffBOM",
            "\U0010ffff",
            "\u202eright-to-left",
            "var/\x00outbox",
            "templates\x00",
            "/dev/zero",
            "/dev/stdin",
            "/",
            ".",
            "..",
            "FREQ=YEARLY;INTERVAL=" + "9" * 20,
            "FREQ=YEARLY;COUNT=99999999999",
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "FREQ=YEARLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR;BYMONTH=12",
            "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
            "FREQ=YEARLY;BYYEARDAY=366",
            "FREQ=YEARLY;BYHOUR=25",
            "FREQ=YEARLY;UNTIL=19000101",
            "P" + "9" * 30 + "D",
            "PT" + "9" * 30 + "S",
        ]
    ),
)
INTEGERS = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.integers(),
    st.sampled_from([0, -1, 1, 2**63 - 1, -(2**63), 2**63, 2**64]),
    st.sampled_from([4_000, -4_000]).map(lambda n: 10 ** abs(n) * (1 if n > 0 else -1)),
)
SCALARS = st.one_of(
    STRINGS,
    INTEGERS,
    st.floats(),
    st.sampled_from([float("inf"), float("-inf"), float("nan"), -0.0, 5e-324, 1.7e308, 1e-320]),
    st.booleans(),
    st.dates(),
    st.times(),
    st.datetimes(),
    st.datetimes(timezones=OFFSETS),
    st.sampled_from(
        [
            date(1, 1, 1),
            date(9999, 12, 31),
            datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=23, minutes=59))),
            datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(-timedelta(hours=23))),
            datetime(9999, 12, 31, 23, 59, 59, 999999),
            time(23, 59, 59, 999999),
        ]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),  # arrays, of mixed types too
        st.dictionaries(KEYS, children, max_size=4),  # tables
        st.lists(st.dictionaries(KEYS, children, max_size=3), min_size=1, max_size=3),
    ),
    max_leaves=10,
)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=6)


# --- Near-valid documents: the bundled files, broken a few places at once --------------------


def copy_of(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: copy_of(child) for key, child in value.items()}
    if isinstance(value, list):
        return [copy_of(child) for child in value]
    return value


def children(node: Any) -> Any:
    """(key or index, value) of a table or an array; nothing for a scalar."""
    if isinstance(node, dict):
        return node.items()
    return enumerate(node) if isinstance(node, list) else ()


def paths_in(node: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every key and array item under ``node``."""
    for key, child in children(node):
        yield (*path, key)
        yield from paths_in(child, (*path, key))


def tables_in(node: Any, path: KeyPath = ()) -> Iterator[KeyPath]:
    """Every table (the document's own included), where a key can be added."""
    if isinstance(node, dict):
        yield path
    for key, child in children(node):
        yield from tables_in(child, (*path, key))


def at(document: Any, path: KeyPath) -> Any:
    for part in path:
        document = document[part]
    return document


def retyped(value: Any) -> list[Any]:
    """The same value as other TOML types."""
    out: list[Any] = [[value], {"value": value}]
    if isinstance(value, list):
        out += [value[0] if value else {}, value * 2, []]
    elif isinstance(value, dict):
        out += [list(value.values()), list(value)]
    elif isinstance(value, bool):
        out += [int(value), str(value).lower()]
    elif isinstance(value, int):
        out += [str(value), -value, value * 10**6, float(value) if abs(value) < 2**1000 else 1e308]
    elif isinstance(value, str):
        out += [len(value), value.upper(), value * 3, value[:1], " " + value + " "]
    elif isinstance(value, date | time):
        out += [value.isoformat()]
    return out


@st.composite
def broken(draw: st.DrawFn, valid: dict[str, Any]) -> dict[str, Any]:
    """``valid`` with one to four keys replaced, deleted, added, retyped or array items doubled."""
    document = copy_of(valid)
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        action = draw(st.sampled_from(["replace", "delete", "add", "retype", "double"]))
        paths = list(paths_in(document))
        if action == "add" or not paths:
            table = at(document, draw(st.sampled_from(list(tables_in(document)))))
            table[draw(KEYS)] = draw(VALUES)
            continue
        path = draw(st.sampled_from(paths))
        parent, last = at(document, path[:-1]), path[-1]
        if action == "replace":
            parent[last] = draw(VALUES)
        elif action == "delete":
            del parent[last]
        elif action == "retype":
            parent[last] = draw(st.sampled_from(retyped(parent[last])))
        elif isinstance(parent, list):  # double: the same item twice (duplicate ids)
            parent.insert(draw(st.integers(0, len(parent))), copy_of(parent[last]))
    return document


# --- Raw text: the TOML parser's corners, spliced into the bundled files ---------------------

FRAGMENTS = st.sampled_from(
    [
        "[calendar]",
        "[[observance]]",
        "[[observance.moment]]",
        "[[event]]",
        "[feed]",
        "[[notice]]",
        "[[channel]]",
        "[organisation]",
        "[a.b.c]",
        "[[a]]\n[a]",
        'id = "x"',
        "since = 0x7fff_ffff_ffff_ffff",
        "since = 0o777",
        "since = 0b1010",
        "since = +1_990",
        "x = 1e400",
        "x = -nan",
        "x = +inf",
        "date = 1979-05-27T07:32:00-08:00",
        "date = 1979-05-27 07:32:00.999999999",
        "time = 07:32:00.123456789",
        "start = 0001-01-01T00:00:00",
        "revised = 9999-12-31T23:59:59-23:59",
        "revised = 0001-01-01T00:00:00+23:59",
        'title = """multi\nline {ordinal}"""',
        "title = '''literal {'''",
        'name = "\\u0000"',
        'name = "\\U0010FFFF"',
        'name = "\\U00110000"',
        'name = "\\uD800"',
        "a.b.c.d = 1",
        '"quoted key" = 1',
        "= 1",
        "x = ",
        "x = [1, 'a', {b = 2}, [3], 1979-05-27]",
        "\ufeff",
        "\r\n",
        "\x00",
        "# comment \x7f",
    ]
)
# (head, repeated, count, tail): long lines, built when drawn so that reports stay short.
LONG_FRAGMENTS = st.sampled_from(
    [
        ("past_years = ", "9", 5_000, ""),  # more digits than Python turns into an int
        ("past_years = -", "9", 4_400, ""),
        ("since = 1", "_0", 4_300, ""),
        ("x = ", "[", 5_000, ""),  # nesting deeper than Python's recursion limit
        ("x = ", "{a = ", 2_000, "1"),
        ("x = ", "[", 300, "]" * 300),
        ("[", "a.", 300, "b]"),  # (tomllib takes quadratic time in the parts of a key)
        ("", "a.", 300, "b = 1"),
        ('title = "', "{ordinal}", 10_000, '"'),
    ]
).map(lambda parts: parts[0] + parts[1] * parts[2] + parts[3])
RAW_LINES = st.one_of(FRAGMENTS, LONG_FRAGMENTS, st.text(st.characters(codec="utf-8"), max_size=30))


@st.composite
def spliced(draw: st.DrawFn, source: str) -> bytes:
    """``source`` with a few lines replaced or inserted: TOML fragments, random text or bytes."""
    lines = source.split("\n")
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        where = draw(st.integers(min_value=0, max_value=len(lines)))
        new = draw(RAW_LINES)
        if draw(st.booleans()) and where < len(lines):
            lines[where] = new
        else:
            lines.insert(where, new)
    data = "\n".join(lines).encode("utf-8")
    if draw(st.booleans()):  # raw bytes, UTF-8 or not
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:cut] + draw(st.binary(min_size=1, max_size=8)) + data[cut:]
    return data


CONFIG_TEXT = (ROOT / "config.toml").read_text(encoding="utf-8")
CALENDAR_TEXT = (ROOT / "calendars" / "remembrance.toml").read_text(encoding="utf-8")
RAW_DOCUMENTS = st.one_of(
    st.binary(max_size=300),
    st.lists(RAW_LINES, max_size=8).map(lambda lines: "\n".join(lines).encode("utf-8")),
)


# --- Running the loaders ---------------------------------------------------------------------


def as_bytes(document: dict[str, Any] | bytes) -> bytes:
    return document if isinstance(document, bytes) else dumps(document).encode("utf-8")


def assert_names_file(error: InvalidInput, shown: str) -> None:
    """Every problem is about ``shown``, and the message says so on each of its lines."""
    assert error.problems
    for problem in error.problems:
        assert problem.file == shown, problem
        assert problem.expected
    lines = error.message().split("\n")
    assert len(lines) == len(error.problems) + 1  # one line per problem: no line break leaks
    assert all(line.startswith(f"  {shown}") for line in lines[1:]), lines


def load_config_bytes(data: bytes) -> None:
    """Load ``data`` as a config: it loads, or the error names the file (any other exception,
    ReminderError or not, fails the test)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "config.toml"
        path.write_bytes(data)
        try:
            load_config(path)
        except InvalidInput as exc:
            error = exc
        else:
            return
    assert_names_file(error, shown_path(path))


def load_calendar_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calendar.toml"
        path.write_bytes(data)
        try:
            load_calendars(folder, TODAY)
        except InvalidInput as exc:
            error = exc
        else:
            return
    assert_names_file(error, shown_path(path))


def safe_folders(document: Any) -> Any:
    """Channel folders kept inside the test's folder: `check` and load_runtime create them."""
    if isinstance(document, dict):
        for key, child in document.items():
            if key == "folder" and isinstance(child, str):
                document[key] = "outbox-" + child.replace("/", "_").replace("\\", "_")
            else:
                safe_folders(child)
    elif isinstance(document, list):
        for child in document:
            safe_folders(child)
    return document


def project_with(config: Any, calendar: dict[str, Any] | bytes, folder: Path) -> Path:
    """config.toml (its calendars in ./calendars) and calendars/remembrance.toml in ``folder``."""
    if isinstance(config, dict):
        config = safe_folders(copy_of(config))
        paths = config.get("paths")
        if isinstance(paths, dict) and "calendars" not in paths:
            paths["calendars"] = "calendars"
    (folder / "calendars").mkdir()
    (folder / "calendars" / "remembrance.toml").write_bytes(as_bytes(calendar))
    path = folder / "config.toml"
    path.write_bytes(as_bytes(config))
    return path


def with_calendars_here(config: dict[str, Any]) -> dict[str, Any]:
    config = copy_of(config)
    config["paths"] = {"calendars": "calendars"}
    return config


PROJECT_DOCUMENTS = st.one_of(
    st.tuples(broken(with_calendars_here(BUNDLED_CONFIG)), st.just(BUNDLED_CALENDAR)),
    st.tuples(st.just(with_calendars_here(BUNDLED_CONFIG)), broken(BUNDLED_CALENDAR)),
    st.tuples(broken(with_calendars_here(BUNDLED_CONFIG)), broken(BUNDLED_CALENDAR)),
)


# --- The loaders: properties -----------------------------------------------------------------


def test_the_bundled_documents_go_through_the_writer_and_load(tmp_path: Path) -> None:
    """The near-valid documents start from files that load: every problem is one made here."""
    config = project_with(with_calendars_here(BUNDLED_CONFIG), BUNDLED_CALENDAR, tmp_path)
    runtime = load_runtime(str(config), TODAY, {})
    close_channels(runtime.channels)
    assert [c.id for c in runtime.calendars] == ["remembrance"]
    assert [rule.id for rule in runtime.settings.notices] == [
        "plan-30",
        "confirm-7",
        "press-1",
        "day-of",
    ]


@LOADER_SETTINGS
@given(document=st.one_of(DOCUMENTS, broken(BUNDLED_CONFIG)))
def test_any_config_document_loads_or_is_a_config_error(document: dict[str, Any]) -> None:
    load_config_bytes(as_bytes(safe_folders(document)))


@LOADER_SETTINGS
@given(document=st.one_of(DOCUMENTS, broken(BUNDLED_CALENDAR)))
def test_any_calendar_document_loads_or_is_a_calendar_error(document: dict[str, Any]) -> None:
    load_calendar_bytes(as_bytes(document))


@LOADER_SETTINGS
@given(data=st.one_of(RAW_DOCUMENTS, spliced(CONFIG_TEXT)))
def test_any_bytes_as_a_config_load_or_are_a_config_error(data: bytes) -> None:
    load_config_bytes(data)


@LOADER_SETTINGS
@given(data=st.one_of(RAW_DOCUMENTS, spliced(CALENDAR_TEXT)))
def test_any_bytes_as_a_calendar_load_or_are_a_calendar_error(data: bytes) -> None:
    load_calendar_bytes(data)


def named_places(folder: Path, config: Any) -> tuple[str, ...]:
    """What a load_runtime problem may name: a file in the project's folder, the bundled
    calendars and templates, or a folder the config names in [paths]."""
    places = [folder, ROOT / "calendars", ROOT / "templates"]
    paths = config.get("paths") if isinstance(config, dict) else None
    if isinstance(paths, dict):
        places += [folder / v for v in paths.values() if isinstance(v, str) and v.strip()]
    return tuple(shown_path(place) for place in places)


@WHOLE_SETTINGS
@given(documents=PROJECT_DOCUMENTS)
def test_load_runtime_on_broken_files_loads_or_raises_a_reminder_error(
    documents: tuple[Any, Any],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        config = project_with(*documents, folder)
        error: ReminderError
        try:
            runtime = load_runtime(str(config), TODAY, {})
        except (ChannelError, InvalidInput) as exc:
            error = exc
        else:
            close_channels(runtime.channels)
            return
        places = named_places(folder, tomllib.loads(config.read_text(encoding="utf-8")))
    if isinstance(error, ChannelError):  # a channel that cannot work names itself
        assert error.message().startswith(f"channel {error.channel_id!r}: ")
    else:
        assert isinstance(error, InvalidInput)
        for problem in error.problems:
            assert problem.file.startswith(places), (problem, places)


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@WHOLE_SETTINGS
@given(
    documents=st.one_of(
        PROJECT_DOCUMENTS, st.tuples(spliced(CONFIG_TEXT), st.just(BUNDLED_CALENDAR))
    )
)
def test_check_on_broken_files_exits_1_with_the_problems_and_no_traceback(
    documents: tuple[Any, Any],
) -> None:
    with tempfile.TemporaryDirectory() as name:
        config = project_with(*documents, Path(name))
        code, out, err = run_cli("--config", str(config), "check")
    assert "Traceback" not in out + err
    if code == EXIT_OK:
        # Only warnings (the Urdu of the bundled config is unreviewed), never a problem.
        assert all(line.startswith("warning: ") for line in err.splitlines()), err
        assert out.splitlines()[-1].startswith("All checks passed: ")
    else:
        assert code == EXIT_INVALID, (code, err)
        assert out == ""
        head, *lines = err.splitlines()
        assert re.fullmatch(r"\d+ problems? found:", head), err
        assert lines, err
        assert all(line.startswith("  ") for line in lines), err


@LOADER_SETTINGS
@given(field=st.sampled_from(ALL_FIELDS), value=VALUES)
def test_every_field_parser_returns_or_says_what_it_expected(field: Field, value: Any) -> None:
    """A parser given any TOML value returns, or raises Invalid with the words of a message."""
    try:
        field.parse(value)
    except Invalid as exc:
        expected = exc.expected
    else:
        return
    assert expected
    assert "\n" not in expected


# --- The web app: random requests --------------------------------------------------------------

TOKEN = "hostile-test-token-Qw3Er5Ty7Ui9"
PRIVATE_PATH = "/calendars/staff-roster.ics"
FEED_PATHS = ("/all.ics", "/calendars/remembrance.ics", PRIVATE_PATH)
STATUSES = {200, 304, 404, 405, 431}  # everything the app answers on purpose


@pytest.fixture(scope="module")
def hostile_feeds(tmp_path_factory: pytest.TempPathFactory) -> FeedSet:
    """The bundled calendar (public) and a private one with TOKEN."""
    calendars = {"remembrance.toml": CALENDAR_TEXT, "staff-roster.toml": PRIVATE_CALENDAR}
    config = make_project(tmp_path_factory.mktemp("hostile"), calendars)
    environ = {"REMINDERS_FEED_TOKENS": f"staff-roster={TOKEN}"}
    return current_feeds(str(config), load_project(config), environ, NOW)


@pytest.fixture(scope="module")
def hostile_app(hostile_feeds: FeedSet) -> App:
    return App(Site(hostile_feeds))


SEGMENT_WORDS = (
    "", ".", "..", "calendars", "all.ics", "remembrance.ics", "staff-roster.ics",
    "healthz", "plan", "2027", "99999999999999999999", "-1", TOKEN, TOKEN[:-1],
    "%2e%2e", "%2E", "%2f", "%2F..%2F", "%00", "%ff", "%c0%ae", "%", "%%", "%zz", "%u002e",
    "\\..\\", ";", ";token=" + TOKEN, "*", "index.html", "favicon.ico",
)  # fmt: skip
SEGMENTS = st.one_of(
    st.sampled_from(SEGMENT_WORDS),
    st.text(st.characters(codec="utf-8"), max_size=12).map(lambda t: quote(t, safe="")),
    st.text(st.characters(codec="utf-8"), max_size=12).map(lambda t: quote(t, safe="/%;=&?")),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=12),
    st.sampled_from([("a", 10_000), ("%2e%2e%2f", 2_000), ("/", 500)]).map(
        lambda recipe: recipe[0] * recipe[1]
    ),
)
KNOWN_TARGETS = st.sampled_from(
    [
        "/", "/all.ics", "/calendars/remembrance.ics", PRIVATE_PATH, "/healthz",
        f"/calendars/{TOKEN}/staff-roster.ics", f"/calendars/{TOKEN}/remembrance.ics",
        "/plan/2027", "/plan/1924", "/plan/2077", "/plan/0", "/plan/" + "9" * 5_000,
    ]
)  # fmt: skip
PATHS = st.one_of(
    KNOWN_TARGETS,
    st.tuples(KNOWN_TARGETS, SEGMENTS).map(lambda parts: parts[0] + parts[1]),
    st.tuples(KNOWN_TARGETS, SEGMENTS).map(lambda parts: parts[1] + parts[0]),
    st.lists(SEGMENTS, min_size=1, max_size=5).map(lambda parts: "/" + "/".join(parts)),
)
QUERY_KEYS = st.one_of(
    st.sampled_from(["token", "download", "TOKEN", "token[]", "token ", "x", ""]),
    st.text(st.characters(codec="utf-8"), max_size=6),
)
QUERY_VALUES = st.one_of(
    st.sampled_from([TOKEN, TOKEN.upper(), TOKEN + "x", " " + TOKEN, "1", "yes", "true", "0", ""]),
    st.text(st.characters(codec="utf-8"), max_size=12),
)
QUERIES = st.one_of(
    st.just(""),
    st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=4).map(
        lambda pairs: "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)
    ),
    # As a client may send it: unencoded, odd separators, stray percent signs, Latin-1 bytes.
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=40),
    st.sampled_from([f"token={TOKEN}&token=", f"token=&token={TOKEN}", "token", "=", "&&", "%"]),
)
METHODS = st.one_of(
    st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE"]),
    st.sampled_from(["CONNECT", "get", "PROPFIND", "REPORT", "BREW", "M-SEARCH"]),
    st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=10),
)
NAMED_HEADERS = (
    b"if-none-match", b"if-modified-since", b"accept-encoding", b"range", b"host",
    b"if-range", b"if-match", b"content-length", b"transfer-encoding", b"cookie",
    b"authorization", b"x-forwarded-for", b"forwarded", b"expect", b"connection",
    b"upgrade", b"content-type", b"accept",
)  # fmt: skip
HEADER_NAMES = st.one_of(
    st.sampled_from(NAMED_HEADERS),
    st.from_regex(rb"[a-z0-9!#$%&'*+.^_`|~-]{1,20}", fullmatch=True),
)
# Field values as an HTTP parser passes them: no CR, LF or NUL, any other byte.
HEADER_BYTES = st.binary(max_size=40).map(
    lambda data: data.replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")
)
NASTY_VALUES = (
    b"*", b"W/*", b'W/"', b'"', b",,,", b'"x", W/"y", *', b"gzip", b"x-gzip;q=1e999",
    b"gzip;q=nan", b"gzip;q=-1", b"gzip;q=", b"*;q=inf", b";;;", b"gzip;;q=0.5;q",
    b"Sat, 01 Jan 10000 00:00:00 GMT", b"Mon, 01 Jan 0001 00:00:00 +9999", b"-1",
    b"Tue, 30 Feb 2027 25:61:61 GMT", b"Thu, 01 Jan 1970 00:00:00 -2400", b"0",
    b"Sun, 06 Nov 1994 08:49:37 GMT", b"Sunday, 06-Nov-94 08:49:37 GMT", b"99999999999",
    b"Sun Nov  6 08:49:37 1994", b"bytes=0-0", b"bytes=-1", b"bytes=99999999999999999999-",
    b"bytes=5-1,2-3", b"bytes=", b"chunked", b"-5", b"100-continue", b"h2c",
    b"\xff\xfe", b"\xc3\x28", b"[::1]:99999", b"example.org:-1", b"", b" ", b"\t",
)  # fmt: skip
HEADER_VALUES = st.one_of(
    st.sampled_from(NASTY_VALUES),
    HEADER_BYTES,
    st.sampled_from([(b"a", 16_000), (b'"x",', 5_000), (b"W/", 3_000)]).map(
        lambda recipe: recipe[0] * recipe[1]
    ),
)
HEADERS = st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=6)


def has_token(target: str) -> bool:
    """Whether the request is one of the two documented forms of the private feed's URL with its
    token: ``/calendars/staff-roster.ics?token=TOKEN`` or ``/calendars/TOKEN/staff-roster.ics``."""
    raw_path, _, query = target.partition("?")
    path = unquote(raw_path)  # as uvicorn hands the path over
    if path == f"/calendars/{TOKEN}/staff-roster.ics":
        return True
    given_token = parse_qs(query, keep_blank_values=True).get("token", [""])[-1]
    return path == PRIVATE_PATH and given_token == TOKEN


def request(app: App, method: str, target: str, headers: list[tuple[bytes, bytes]]) -> Reply:
    """One request into the ASGI app as uvicorn hands it over: the path percent-decoded, the
    headers as sent (a Host of the client's choosing, or none), the body as sent."""
    return call(app, method, target, headers, as_sent=True, host=False)


def ics_of(reply: Reply) -> bytes:
    """The body, decompressed when it was sent gzipped."""
    gzipped = reply.headers.get("content-encoding") == "gzip"
    return gzip.decompress(reply.body) if gzipped else reply.body


@WEB_SETTINGS
@given(method=METHODS, path=PATHS, query=QUERIES, headers=HEADERS)
def test_any_request_is_answered_below_500_and_never_leaks_the_private_feed(
    hostile_app: App, method: str, path: str, query: str, headers: list[tuple[bytes, bytes]]
) -> None:
    target = f"{path}?{query}" if query else path
    reply = request(hostile_app, method, target, headers)
    assert reply.status in STATUSES, (reply.status, reply.body[:200])
    body = ics_of(reply) if reply.status == 200 else reply.body
    if any(secret in body for secret in SECRETS):
        assert has_token(target), target
    if reply.headers.get("content-type", "").startswith("text/calendar") and reply.body:
        calendar = icalendar.Calendar.from_ical(body)
        assert calendar.name == "VCALENDAR"
        assert calendar.walk("VEVENT")
    if reply.status >= 400:
        assert len(reply.body) < 100  # a short message, never a page or a file


@WEB_SETTINGS
@given(query=QUERIES, headers=HEADERS, head=st.booleans())
def test_a_feed_with_any_query_and_headers_is_served_or_refused_in_few_ways(
    hostile_app: App, query: str, headers: list[tuple[bytes, bytes]], head: bool
) -> None:
    """The feed paths themselves, with every header the lean path reads: the public feed is
    always there (200 or 304, 431 for headers over the limit), the private one only with its
    token (else the very answer of an unknown calendar: 404, or 431), and a 200 is the feed's
    own bytes."""
    for path in FEED_PATHS:
        target = f"{path}?{query}" if query else path
        reply = request(hostile_app, "HEAD" if head else "GET", target, headers)
        resource = hostile_app.site.feeds.resources[path]
        if path == PRIVATE_PATH and not has_token(target):
            unknown = target.replace(PRIVATE_PATH, "/calendars/no-such-calendar.ics")
            assert reply == request(hostile_app, "HEAD" if head else "GET", unknown, headers)
            assert reply.status in (404, 431), target
            continue
        assert reply.status in (200, 304, 431), (path, reply.status)
        if reply.status == 200 and not head:
            assert ics_of(reply) == resource.body


# --- A real server: what only uvicorn's parser and the direct feed path see -------------------


def responses(data: bytes) -> list[tuple[int, dict[str, str], bytes]]:
    """The HTTP/1.1 responses in ``data``, in order (bodies by Content-Length)."""
    out = []
    while data:
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        size = int(headers.get("content-length", "0"))
        out.append((int(status_line.split(" ")[1]), headers, rest[:size]))
        data = rest[size:]
    return out


def get(target: bytes, *headers: bytes, close: bool = False) -> bytes:
    lines = [b"GET " + target + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return b"\r\n".join([*lines, *([b"Connection: close"] if close else [])]) + b"\r\n\r\n"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`reminders serve` on the repository's config with a private calendar beside the public."""
    root = tmp_path_factory.mktemp("served-hostile")
    config = make_site(root / "site")
    (root / "site" / "calendars" / "staff-roster.toml").write_text(PRIVATE_CALENDAR, "utf-8")
    server = Served(config, root, {"REMINDERS_FEED_TOKENS": f"staff-roster={TOKEN}"})
    yield server
    server.stop()


@pytest.mark.slow
def test_serve_refuses_what_the_in_process_app_never_sees(served: Served) -> None:
    """Bytes that are not ASCII in the path, the private feed asked for without its token in
    several spellings, a trailing slash with a foreign Host, and validators no client sends,
    pipelined on the direct feed path: no 5xx, no redirect, no private byte, no traceback."""
    unknown = responses(served.raw(get(b"/calendars/no-such-calendar.ics", close=True)))[0]
    assert unknown[0] == 404
    for target in [
        b"/calendars/staff-roster.ics",
        b"/calendars/staff-roster.ics?token=" + TOKEN.upper().encode(),
        b"/calendars/staff-roster.ics?TOKEN=" + TOKEN.encode(),
        b"/calendars/staff-roster.ics?token%00=" + TOKEN.encode(),
        b"/calendars/staff%2Droster.ics",
        b"/calendars/" + TOKEN.encode() + b"x/staff-roster.ics",
        b"/calendars/" + TOKEN.encode() + b"/staff-roster.ics/",
    ]:
        status, headers, body = responses(served.raw(get(target, close=True)))[0]
        assert (status, body) == (404, unknown[2]), target
        assert "location" not in headers
    answer = served.raw(get(b"/calendars/\xc3\xa9/\xff.ics", close=True))
    assert answer == b"" or responses(answer)[0][0] in (400, 404), answer[:200]
    status, headers, _body = responses(
        served.raw(get(b"/healthz/", b"Host: evil.example", close=True))
    )[0]
    assert (status, "location" in headers) == (404, False)

    nasty = [
        b"If-Modified-Since: Sat, 01 Jan 10000 00:00:00 GMT",
        b"If-Modified-Since: Mon, 01 Jan 0001 00:00:00 +9999",
        b"Accept-Encoding: gzip;q=nan",
        b"Range: bytes=0-0",
        b"If-None-Match: W/",
        b"If-None-Match: " + b'"x",' * 1000,
        b"Accept-Encoding: \xff\xfe",
    ]
    pipelined = b"".join(get(b"/calendars/remembrance.ics", header) for header in nasty)
    found = responses(served.raw(pipelined + get(b"/calendars/remembrance.ics", close=True)))
    assert [status for status, _, _ in found] == [200] * (len(nasty) + 1)
    for _status, headers, body in found:
        assert "content-encoding" not in headers
        assert icalendar.Calendar.from_ical(body).walk("VEVENT")
        assert not any(secret in body for secret in SECRETS)

    status, _headers, body = responses(
        served.raw(get(b"/calendars/staff-roster.ics?token=" + TOKEN.encode(), close=True))
    )[0]
    assert status == 200  # the private feed is there, under its token
    assert b"closed briefing" in body
    assert not any("Traceback" in line or "Exception" in line for line in served.lines)


# --- Found by the properties above: each input as it was found ---------------------------------


def problems_of(error: InvalidInput) -> list[str]:
    return [str(problem) for problem in error.problems]


def test_a_number_of_5000_digits_is_a_toml_problem_on_its_line(tmp_path: Path) -> None:
    # tomllib let Python's ValueError (more than 4300 digits in an int) through read_toml.
    path = tmp_path / "config.toml"
    path.write_text(CONFIG_TEXT.replace("past_years = 1", "past_years = " + "9" * 5_000), "utf-8")
    line = CONFIG_TEXT.split("\n").index("past_years = 1") + 1
    with pytest.raises(InvalidInput) as caught:
        load_config(path)
    assert problems_of(caught.value) == [
        f"{shown_path(path)}:{line}:14: TOML syntax error: a number too long to read; expected "
        "whole numbers of at most 64 bits, such as 1990 (this one has 5000 digits)"
    ]


def test_arrays_nested_5000_deep_are_a_toml_problem(tmp_path: Path) -> None:
    # tomllib recursed until Python's RecursionError.
    (tmp_path / "calendar.toml").write_text("x = " + "[" * 5_000, "utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_calendars(tmp_path, TODAY)
    assert problems_of(caught.value) == [
        f"{shown_path(tmp_path / 'calendar.toml')}: TOML syntax error: arrays or inline tables "
        "nested hundreds of levels deep (a few do)"
    ]


def test_check_on_a_config_tomllib_cannot_read_lists_it_without_a_traceback(
    tmp_path: Path,
) -> None:
    # `check` looks for the calendars in a config that failed: that second read raised too.
    for bad in ("past_years = " + "9" * 5_000, "past_years = " + "[" * 5_000):
        path = tmp_path / "config.toml"
        path.write_text(CONFIG_TEXT.replace("past_years = 1", bad), "utf-8")
        code, out, err = run_cli("--config", str(path), "check")
        assert (code, out) == (EXIT_INVALID, "")
        assert err.startswith(f"1 problem found:\n  {shown_path(path)}")
        assert ": TOML syntax error: " in err
        assert "Traceback" not in err


@pytest.mark.parametrize(
    "value",
    ["P" + "9" * 5_000 + "D", "PT" + "9" * 4_301 + "S"],
    ids=["5000-digit days", "4301-digit seconds"],
)
def test_a_duration_of_thousands_of_digits_is_invalid(value: str) -> None:
    # int() of the digits raised ValueError inside the duration parser.
    with pytest.raises(Invalid, match=r"at most 999999999 days"):
        duration(value)


def test_an_rrule_interval_of_5000_digits_is_a_calendar_problem(tmp_path: Path) -> None:
    # rrule_check called int() on the INTERVAL before any guard; dateutil's own message quoted
    # the whole number.  The bound on INTERVAL now refuses it before any conversion.
    rule = "FREQ=YEARLY;BYMONTH=5;BYDAY=2SU;INTERVAL=" + "9" * 5_000
    source = CALENDAR_TEXT.replace('date = "01-20"', f'rrule = "{rule}"', 1)
    (tmp_path / "remembrance.toml").write_text(source, "utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_calendars(tmp_path, TODAY)
    (problem,) = caught.value.problems
    assert problem.key == "observance 'january-20'.rrule"
    assert problem.expected == (
        "an RRULE whose INTERVAL is a whole number from 1 to 100, such as 'INTERVAL=1'"
    )


@pytest.mark.parametrize(
    ("section", "key", "value"),
    [
        ("channel", "folder", "var/\\u0000outbox"),  # os.makedirs raised ValueError
        ("paths", "templates", "templates\\u0000"),
        ("feed", "tokens_file", "tokens\\u0000.txt"),  # open() raised ValueError
    ],
)
def test_a_nul_in_a_path_is_a_config_problem(
    tmp_path: Path, section: str, key: str, value: str
) -> None:
    table = BUNDLED_CONFIG[section]
    document = copy_of(BUNDLED_CONFIG)
    (document[section][0] if isinstance(table, list) else document[section])[key] = "PLACEHOLDER"
    path = tmp_path / "config.toml"
    path.write_text(dumps(document).replace('"PLACEHOLDER"', f'"{value}"'), "utf-8")
    with pytest.raises(InvalidInput) as caught:
        load_config(path)
    where = f"{section}[1].{key}" if isinstance(table, list) else f"{section}.{key}"
    (problem,) = [p for p in caught.value.problems if p.key == where]
    assert problem.value == value.replace("\\u0000", "\x00")
    code, _out, err = run_cli("--config", str(path), "check")
    assert code == EXIT_INVALID
    assert f": {where}: got " in err
    assert "Traceback" not in err


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_a_tokens_file_that_is_not_a_regular_file_is_refused_without_reading_it(
    tmp_path: Path, special: str
) -> None:
    # /dev/zero was read without end and a FIFO blocked open(): `check` never returned.
    if special == "fifo":
        os.mkfifo(tmp_path / "tokens.fifo")
        special = str(tmp_path / "tokens.fifo")
    config = make_project(tmp_path, {"staff-roster.toml": PRIVATE_CALENDAR})
    with config.open("a", encoding="utf-8") as handle:
        handle.write(f'tokens_file = "{special}"\n')
    code, out, err = run_cli("--config", str(config), "check")
    assert (code, out) == (EXIT_INVALID, "")
    assert err == (
        f"1 problem found:\n  {shown_path(special)}: a readable tokens file (not a regular file); "
        "see [feed] tokens_file\n"
    )


def test_a_trailing_slash_is_a_404_not_a_redirect_to_the_host_header(hostile_app: App) -> None:
    # Starlette redirected "/healthz/" to http://<the request's Host>/healthz (a 307).
    for target in ["/healthz/", "/plan/2027/", f"/calendars/{TOKEN}/staff-roster.ics" + "/" * 500]:
        reply = request(hostile_app, "GET", target, [(b"host", b"evil.example")])
        assert (reply.status, reply.body) == (404, b"Not Found\n"), target
        assert "location" not in reply.headers


def test_a_plan_year_of_5000_digits_is_a_404(hostile_app: App) -> None:
    # Starlette's int convertor raised ValueError: a 500.
    for method in ("GET", "HEAD"):
        reply = request(hostile_app, method, "/plan/" + "9" * 5_000, [])
        assert reply.status == 404
    assert request(hostile_app, "GET", "/plan/99999", []).status == 404
    assert request(hostile_app, "GET", "/plan/" + quote("٢٠٢٧"), []).status == 404  # Arabic-Indic
    assert request(hostile_app, "GET", "/plan/2027", []).status == 200
