"""Read an ICS file with libical (Evolution's parser) through GObject introspection.

Run by Debian's system Python (python3-gi, gir1.2-ical-3.0), not the project's venv:
``/usr/bin/python3 read_libical.py FILE`` prints what libical makes of the file as JSON
(the shape in tests/clients/__init__.py).
"""

import json
import sys

import gi

gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib  # noqa: E402

UTC = ICalGLib.Timezone.get_utc_timezone()
CALENDAR_PROPERTIES = ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION")


def shown(prop):
    """The property's value as a program shows it: the decoded text (or an X- value)."""
    value = prop.get_value()
    if value.isa() == ICalGLib.ValueKind.X_VALUE:
        return value.get_x()
    if value.isa() == ICalGLib.ValueKind.TEXT_VALUE:
        return value.get_text()
    return prop.get_value_as_string()


def when(component, getter):
    moment = getter(component)
    if moment.is_date():
        return f"{moment.get_year():04d}-{moment.get_month():02d}-{moment.get_day():02d}"
    if moment.get_timezone() is None and not moment.is_utc():
        return "floating " + moment.as_ical_string()
    utc = moment.convert_to_zone(UTC)
    return (
        f"{utc.get_year():04d}-{utc.get_month():02d}-{utc.get_day():02d}"
        f"T{utc.get_hour():02d}:{utc.get_minute():02d}:{utc.get_second():02d}Z"
    )


def main(path):
    with open(path, encoding="utf-8") as handle:
        text = handle.read()
    root = ICalGLib.Component.new_from_string(text)
    props = {}
    prop = root.get_first_property(ICalGLib.PropertyKind.ANY_PROPERTY)
    while prop is not None:
        name = prop.get_property_name()
        if name in CALENDAR_PROPERTIES and name not in props:
            props[name] = shown(prop)
        prop = root.get_next_property(ICalGLib.PropertyKind.ANY_PROPERTY)
    events = []
    event = root.get_first_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
    while event is not None:
        events.append(
            {
                "uid": event.get_uid(),
                "summary": event.get_summary(),
                "start": when(event, ICalGLib.Component.get_dtstart),
                "end": when(event, ICalGLib.Component.get_dtend),
            }
        )
        event = root.get_next_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
    json.dump({"props": props, "events": events}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main(sys.argv[1])
