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
