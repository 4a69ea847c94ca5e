"""Daemon logging: human-readable lines by default, one JSON object per line with ``json``.

Every line about a delivery carries the notice id and the channel (``extra={"notice": ...,
"channel": ...}``), in both formats, so ``grep remembrance:january-20:2027:day-of`` finds its whole
story.  Secrets never reach a log line: channels describe themselves without them.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

LOGGER = "reminders"
FIELDS = ("notice", "channel", "event", "attempt", "fire_at", "error")


class HumanFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S")
        extras = [
            f"{name}={getattr(record, name)}"
            for name in ("notice", "channel", "attempt")
            if getattr(record, name, None) is not None
        ]
        text = f"{stamp}Z {record.levelname:<7} {record.getMessage()}"
        if extras:
            text += "  [" + " ".join(extras) + "]"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


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
        return json.dumps(data, ensure_ascii=False)


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
