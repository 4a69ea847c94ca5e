"""Control characters: refused in every single line of text at ``check``, kept as text (line feeds,
tabs) and escaped wherever several lines are written, and escaped in every log line.

A line break, a carriage return or an escape sequence in a title once passed ``check``, then broke
the ICS attachment of every notice of that observance and forged lines in the log; a bare CR in a
calendar's name reached the feed as a content line of its own.  The single lines of text are the
fields listed here; the properties run over every C0 and C1 control, DEL, the Unicode line and
paragraph separators and the bidi embeddings, overrides and isolates.
"""

from __future__ import annotations

import email
import email.policy
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reminders.cli.logs import HumanFormatter, JsonFormatter
from reminders.config.calendars import item_names
from reminders.config.schema import ONE_LINE, SOME_TEXT, key_name
from tests.test_properties import (
    PROPERTY_SETTINGS,
    VALID_CALENDAR,
    VALID_CONFIG,
    KeyPath,
    _copy,
    _parent,
    assert_key_line,
    dumps,
    load_calendar_text,
    load_config_text,
)

C0 = [chr(code) for code in range(0x20)]
C1 = [chr(code) for code in range(0x80, 0xA0)]
SEPARATORS = ["\u2028", "\u2029"]
BIDI = [chr(code) for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))]
NOT_IN_A_LINE = [*C0, "\x7f", *C1, *SEPARATORS, *BIDI]
NOT_IN_TEXT = [c for c in [*C0, "\x7f", *C1] if c not in "\n\t"]
KEPT_IN_TEXT = ["\n", "\t", *SEPARATORS, *BIDI]

# Text on either side of the character: letters, so that nothing is stripped or parsed away.
AROUND = st.text(st.sampled_from("abcXYZ çəğıöşü"), min_size=1, max_size=8).map(
    lambda s: "A" + s + "z"
)

CALENDAR = _copy(VALID_CALENDAR)
CALENDAR["observance"][0]["moment"][0]["description"] = "What is done."
CALENDAR["event"][0]["description"] = "What happens."
CONFIG = _copy(VALID_CONFIG)
CONFIG["feed"]["description"] = "The feed's description."
CONFIG["notice"] = [
    {
        "id": "day-of",
        "before": 0,
        "template": "day-of",
        "channels": ["outbox"],
        "description": "The day",
    }
]
CONFIG["channel"] = [{"id": "outbox", "type": "file", "folder": "outbox"}]
CONFIG["milestone"] = [{"id": "book-venue", "name": "Book the venue", "working_days": 30}]

# Every single line of text a person reads, in the calendars and in the config.
CALENDAR_LINES: list[KeyPath] = [
    ("calendar", "name"),
    ("calendar", "description"),
    ("observance", 0, "title"),
    ("observance", 1, "rrule"),
    ("observance", 0, "fact", 0, "source"),
    ("observance", 0, "moment", 0, "name"),
    ("event", 0, "title"),
    ("event", 0, "venue"),
]
CONFIG_LINES: list[KeyPath] = [
    ("organisation", "name"),
    ("feed", "name"),
    ("feed", "description"),
    ("notice", 0, "description"),
    ("milestone", 0, "name"),
    ("channel", 0, "id"),
]
# Text of several lines.
CALENDAR_TEXTS: list[KeyPath] = [
    ("observance", 0, "description"),
    ("observance", 0, "fact", 0, "text"),
    ("observance", 0, "moment", 0, "description"),
    ("event", 0, "description"),
]


def with_value(document: dict[str, Any], path: KeyPath, value: str) -> dict[str, Any]:
    changed = _copy(document)
    _parent(changed, path)[path[-1]] = value
    if path == ("channel", 0, "id"):
        del changed["notice"]  # its channels name the channel by its id, which is now wrong
    return changed


def the_only_problem(path: KeyPath, value: str, is_config: bool) -> Any:
    document = with_value(CONFIG if is_config else CALENDAR, path, value)
    source = dumps(document)
    _, problems = (load_config_text if is_config else load_calendar_text)(source)
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.key == key_name(path, None if is_config else item_names(document))
    assert_key_line(source, problem, str(path[-1]), present=True)
    return problem


def test_the_documents_load_as_they_are() -> None:
    assert load_calendar_text(dumps(CALENDAR))[1] == []
    assert load_config_text(dumps(CONFIG))[1] == []


@PROPERTY_SETTINGS
@given(
    where=st.sampled_from([(p, False) for p in CALENDAR_LINES] + [(p, True) for p in CONFIG_LINES]),
    char=st.sampled_from(NOT_IN_A_LINE),
    before=AROUND,
    after=AROUND,
)
def test_a_control_character_in_a_single_line_is_a_problem_on_its_line(
    where: tuple[KeyPath, bool], char: str, before: str, after: str
) -> None:
    path, is_config = where
    if path[-1] == "rrule":
        before, after = "FREQ=YEARLY;BYMONTH=5", ";BYDAY=2SU"
    problem = the_only_problem(path, before + char + after, is_config)
    assert problem.value == before + char + after
    assert problem.expected.startswith(ONE_LINE + f" (this has U+{ord(char):04X}, ")
    assert problem.expected.endswith(f", at character {len(before) + 1})")
    assert "\n" not in str(problem)
    assert char not in str(problem)  # the message shows it escaped, on one line


@PROPERTY_SETTINGS
@given(
    path=st.sampled_from(CALENDAR_TEXTS),
    char=st.sampled_from(NOT_IN_TEXT),
    before=AROUND,
    after=AROUND,
)
def test_a_control_character_in_text_is_a_problem_on_its_line(
    path: KeyPath, char: str, before: str, after: str
) -> None:
    problem = the_only_problem(path, before + char + after, False)
    assert problem.expected.startswith(SOME_TEXT + f" (this has U+{ord(char):04X}, ")
    assert char not in str(problem)


@PROPERTY_SETTINGS
@given(
    path=st.sampled_from(CALENDAR_TEXTS),
    chars=st.lists(st.sampled_from(KEPT_IN_TEXT), min_size=1, max_size=4),
    before=AROUND,
)
def test_line_breaks_tabs_and_bidi_controls_are_text_in_a_description(
    path: KeyPath, chars: list[str], before: str
) -> None:
    value = before + before.join(chars) + before
    assert load_calendar_text(dumps(with_value(CALENDAR, path, value)))[1] == []


# --- Text of several lines, as it is written ----------------------------------------------------

TEXT = "First line,\nsecond line;\tand a tab.\u2028After U+2028: \u202bمتن\u202c done."


def project_with_text(tmp_path: Path, project: Callable[..., Path]) -> Path:
    calendar = _copy(CALENDAR)
    observance = calendar["observance"][0]
    observance["description"] = TEXT
    observance["fact"][0]["text"] = TEXT
    observance["moment"][0]["description"] = TEXT
    calendar["event"][0]["description"] = TEXT
    config = project({"text.toml": dumps(calendar)}, examples=True)
    rules = (
        '\n[[notice]]\nid = "day-of"\nbefore = 0\ntemplate = "day-of"\nchannels = ["mail"]\n'
        '\n[[channel]]\nid = "mail"\ntype = "email"\nhost = "localhost"\n'
        'sender = "events@example.org"\nrecipients = ["team@example.org"]\n'
    )
    config.write_text(config.read_text("utf-8") + rules, encoding="utf-8")
    return config


def test_text_of_several_lines_passes_check_and_is_escaped_in_every_output(
    tmp_path: Path, project: Callable[..., Path], cli: Callable[..., tuple[int, str, str]]
) -> None:
    config = project_with_text(tmp_path, project)
    code, out, err = cli("--config", str(config), "check")
    assert (code, err) == (0, ""), err

    # The feed: the text comes back from its DESCRIPTION, and no line holds a bare control.
    target = tmp_path / "all.ics"
    assert cli("--config", str(config), "export", "-o", str(target))[0] == 0
    data = target.read_bytes()
    assert_content_lines(data)
    descriptions = [
        str(event["DESCRIPTION"])
        for event in icalendar.Calendar.from_ical(data).walk("VEVENT")
        if "DESCRIPTION" in event
    ]
    assert any(d.startswith(TEXT + "\n\n2027 marks the 37th") for d in descriptions)
    assert any(d.startswith(TEXT + "\n\n12:00 Asia/Baku time") for d in descriptions)
    assert any(d.startswith(TEXT + "\n\nThis is a sample event") for d in descriptions)

    # A notice by e-mail: text and HTML bodies, and the ICS attachment.
    code, out, err = cli(
        "--config", str(config), "preview", "day-of", "january-20", "2027", "--format", "eml"
    )
    assert (code, err) == (0, ""), err
    message = email.message_from_string(out, policy=email.policy.default)
    assert "\n" not in str(message["Subject"])
    parts = {part.get_content_type(): part for part in message.walk()}
    assert "First line," in parts["text/plain"].get_content()
    assert "First line," in parts["text/html"].get_content()
    attachment = parts["text/calendar"].get_payload(decode=True)
    assert_content_lines(attachment)
    events = icalendar.Calendar.from_ical(attachment).walk("VEVENT")
    assert any(str(e.get("DESCRIPTION", "")).startswith(TEXT) for e in events)


def assert_content_lines(data: bytes) -> None:
    """Every content line ends in CRLF and holds no other control character than a tab."""
    assert data.endswith(b"\r\n")
    for line in data[:-2].split(b"\r\n"):
        text = line.decode("utf-8")
        assert not any(c in NOT_IN_TEXT or c == "\n" for c in text), line


# --- The command line, as the issue found it ---------------------------------------------------


def test_check_refuses_a_title_with_a_line_break_naming_file_line_and_key(
    workdir_project: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    config = workdir_project
    code, out, err = cli("--config", str(config), "check")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "3 problems found:",
        "  calendars/broken.toml:3: calendar.name: got 'Cal\\rX-INJ-CR:1'; "
        f"expected {ONE_LINE} (this has U+000D, a line break, at character 4)",
        "  calendars/broken.toml:4: calendar.description: got 'Line\\x00one'; "
        f"expected {ONE_LINE} (this has U+0000, a control character, at character 5)",
        "  calendars/broken.toml:10: observance 'winter'.title: "
        "got '{ordinal} anniversary\\nof\\x1b[31m\\rFAKE'; "
        f"expected {ONE_LINE} (this has U+000A, a line break, at character 22)",
    ]


@pytest.fixture
def workdir_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, project: Callable[..., Path]
) -> Path:
    monkeypatch.chdir(tmp_path)
    return project(
        {
            "broken.toml": """\
                [calendar]
                id = "broken"
                name = "Cal\\rX-INJ-CR:1"
                description = "Line\\u0000one"
                timezone = "Asia/Baku"
                revised = 2026-01-01T00:00:00Z

                [[observance]]
                id = "winter"
                title = "{ordinal} anniversary\\nof\\u001b[31m\\rFAKE"
                date = "01-20"
                since = 1990
                description = "A winter day."
                """
        }
    )


# --- Log lines --------------------------------------------------------------------------------

LOG_UNSAFE = NOT_IN_A_LINE
STAMP = "2027-01-15 08:00:00Z WARNING "  # the time of record()


def record(message: str, **extra: Any) -> logging.LogRecord:
    made = logging.LogRecord("reminders", logging.WARNING, __file__, 1, "%s", (message,), None)
    made.created = 1_800_000_000.0
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def assert_one_entry(text: str) -> None:
    """An entry starts at the margin with its time stamp; any line after it is indented, and
    no line holds a control character or anything else that ends a line for some reader."""
    first, *rest = text.split("\n")
    assert first.startswith(STAMP)
    assert all(line.startswith("    ") for line in rest), rest
    assert not any(c in text for c in LOG_UNSAFE if c != "\n")
    assert len(text.splitlines()) == len(rest) + 1


@PROPERTY_SETTINGS
@given(
    chars=st.lists(st.sampled_from(LOG_UNSAFE), min_size=1, max_size=5),
    before=AROUND,
)
def test_a_human_log_entry_escapes_every_control_and_indents_its_other_lines(
    chars: list[str], before: str
) -> None:
    message = before + before.join(chars)
    extras = {"notice": "a:b:2027:day-of", "channel": "x" + chars[0]}
    assert_one_entry(HumanFormatter().format(record(message, **extras)))


def test_a_forged_log_line_is_shown_escaped_or_indented() -> None:
    title = "37th anniversary\r2027-01-20 09:00:00Z INFO    sent\x1b[2K\n2027-01-20 INFO sent"
    assert HumanFormatter().format(record(f"sending {title}")) == (
        f"{STAMP}sending 37th anniversary\\r2027-01-20 09:00:00Z INFO    sent\\x1b[2K\n"
        "    2027-01-20 INFO sent"
    )


def test_a_traceback_keeps_its_lines_indented_and_escapes_the_rest() -> None:
    try:
        raise ValueError("bad\x1b[31m\rvalue")
    except ValueError:
        made = record("failed")
        made.exc_info = sys.exc_info()
    text = HumanFormatter().format(made)
    assert_one_entry(text)
    assert text.split("\n")[1] == "    Traceback (most recent call last):"
    assert text.split("\n")[-1] == "    ValueError: bad\\x1b[31m\\rvalue"


@PROPERTY_SETTINGS
@given(chars=st.lists(st.sampled_from(LOG_UNSAFE), min_size=1, max_size=5), before=AROUND)
def test_a_json_log_line_is_one_line_and_keeps_the_message(chars: list[str], before: str) -> None:
    message = before + before.join(chars)
    line = JsonFormatter().format(record(message))
    assert len(line.splitlines()) == 1
    assert not any(c in line for c in LOG_UNSAFE)
    assert json.loads(line)["message"] == message
