"""Daemon logging: human-readable lines by default, one JSON object per line with ``json``.

Every line about a delivery carries the notice id and the channel (``extra={"notice": ...,
"channel": ...}``), in both formats, so ``grep remembrance:january-20:2027:day-of`` finds its whole
story.  Secrets never reach a log line: channels describe themselves without them.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime

from ..config.schema import NOT_IN_A_LINE

LOGGER = "reminders"
FIELDS = ("notice", "channel", "event", "attempt", "fire_at", "error", "organisation")


# Characters that would break a log line or take over the terminal showing it: the C0 controls
# (a carriage return rewrites the line, ESC starts a terminal escape sequence), DEL, the C1
# controls (U+0085 ends a line for some readers), the Unicode line and paragraph separators, and
# the bidi embeddings, overrides and isolates (they reorder the rest of the line).  Whatever a
# message quotes (an SMTP server's reply, a request path, an exception) is written with these
# escaped, as Python writes them in a string: "\x1b", "\r", "\u2028".  A line feed is the one
# exception: it starts a continuation line, indented, so an entry that runs over several lines
# (a traceback, the problems of a rejected reload) can never pass for an entry of its own, which
# starts with its time stamp at the margin.
_UNSAFE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The same, line feed included, for text that must stay on its one line (status's fields): what
# the config's schema refuses in a single line of text.
CONTINUATION = "\n    "
_NAMED = {"\r": "\\r", "\t": "\\t", "\n": "\\n"}


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_lines(text: str) -> str:
    """``text`` with every character that could forge a log entry or drive a terminal escaped,
    and every line after the first indented."""
    return _UNSAFE.sub(_escape, text).replace("\n", CONTINUATION)


def safe_line(text: str) -> str:
    """``text`` on one line, escaped as :func:`safe_lines` escapes it and a line feed as
    ``\\n``: for what a terminal shows of stored text (the ledger's errors, in ``status``)."""
    return NOT_IN_A_LINE.sub(_escape, text)


class HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        extras = [
            f"{name}={getattr(record, name)}"
            for name in ("notice", "channel", "attempt")
            if getattr(record, name, None) is not None
        ]
        text = record.getMessage()
        if extras:
            text += "  [" + " ".join(extras) + "]"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return f"{stamp}Z {record.levelname:<7} {safe_lines(text)}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                data[name] = value if isinstance(value, int | float | bool) else str(value)
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        # JSON escapes the C0 controls itself; the others are valid in a JSON string, but a reader
        # that splits lines at U+0085 or U+2028 (Python's str.splitlines) would cut this one.
        return _JSON_UNSAFE.sub(_json_escape, json.dumps(data, ensure_ascii=False))


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _json_escape(found: re.Match[str]) -> str:
    return f"\\u{ord(found.group()):04x}"


def setup(style: str, level: int = logging.INFO) -> logging.Logger:
    """Log to standard error in ``style`` ("human" or "json"); returns the project's logger."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if style == "json" else HumanFormatter())
    handler.addFilter(quiet_scheduler)  # (a logger's filter would not see its children's lines)
    logger = logging.getLogger(LOGGER)
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    # APScheduler's and uvicorn's own lines (job added, server started) are noise at INFO; their
    # warnings (a missed job, an invalid HTTP request) stay, in the same format as ours.
    for name in ("apscheduler", "uvicorn", "uvicorn.error"):
        other = logging.getLogger(name)
        other.handlers[:] = [handler]
        other.setLevel(logging.WARNING)
        other.propagate = False
    return logger


def quiet_scheduler(record: logging.LogRecord) -> bool:
    """Drop two APScheduler warnings that are no news in the daemon.

    A sweep or watch still running when its next turn comes ("skipped: maximum number of running
    instances reached": the running one does the work), and a job cancelled because the daemon is
    stopping (CancelledError at shutdown).
    """
    if not record.name.startswith("apscheduler"):
        return True
    if "maximum number of running instances reached" in str(record.msg):
        job = record.args[0] if isinstance(record.args, tuple) and record.args else None
        return getattr(job, "id", "") not in ("sweep", "watch")
    exc = record.exc_info[1] if record.exc_info else None
    return type(exc).__name__ != "CancelledError"  # (asyncio is not imported for this check)
