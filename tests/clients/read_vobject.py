"""Read an ICS file with vobject (the parser of Radicale, and so of the clients it serves).

Run by the clients' venv (vobject is not a dependency of the project):
``python read_vobject.py FILE`` prints what vobject makes of the file as JSON (the shape in
tests/clients/__init__.py).
"""

import json
import sys
from datetime import UTC, date, datetime

import vobject

CALENDAR_PROPERTIES = ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION")


def when(value):
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return "floating " + value.isoformat()
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert isinstance(value, date)
    return value.isoformat()


def shown(line):
    value = line.value
    # vobject splits a property it does not know at unescaped commas into a list of values.
    return value if isinstance(value, str) else [str(part) for part in value]


def main(path):
    with open(path, encoding="utf-8") as handle:
        calendar = vobject.readOne(handle.read())
    props = {}
    for name in CALENDAR_PROPERTIES:
        lines = calendar.contents.get(name.lower())
        if lines:
            props[name] = shown(lines[0])
    events = [
        {
            "uid": event.uid.value,
            "summary": event.summary.value,
            "start": when(event.dtstart.value),
            "end": when(event.dtend.value),
        }
        for event in calendar.contents.get("vevent", [])
    ]
    json.dump({"props": props, "events": events}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
