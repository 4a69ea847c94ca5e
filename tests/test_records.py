"""The run-time NamedTuple stand-in behaves as typing.NamedTuple does for our records."""

from __future__ import annotations

import pickle
from datetime import date

import pytest

from reminders.core.model import FixedDate, Occurrence
from reminders.core.records import NamedTuple

from .conftest import assert_occurs, bundled_calendars


class Point(NamedTuple):
    """A point."""

    x: int
    y: int = 0
    label: str = "origin"

    @property
    def norm1(self) -> int:
        return abs(self.x) + abs(self.y)

    def moved(self, by: int) -> Point:
        return self._replace(x=self.x + by)


def test_fields_defaults_methods_and_docstring() -> None:
    point = Point(3)
    assert point == (3, 0, "origin")
    assert Point._fields == ("x", "y", "label")
    assert Point(1, -2).norm1 == 3
    assert point.moved(2) == Point(5)
    assert Point.__doc__ == "A point."
    assert Point.__qualname__ == "Point"
    assert Point.__module__ == __name__
    with pytest.raises(AttributeError):
        point.x = 4  # type: ignore[misc]


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="field 'b' without a default follows one with one"):

        class Bad(NamedTuple):
            a: int = 1
            b: int  # type: ignore[misc]


def test_model_records_pickle_and_keep_their_properties() -> None:
    rule = FixedDate(2, 29)
    assert rule.leap_day == "feb28"
    assert rule.dates(2027, 2028) == {2027: date(2027, 2, 28), 2028: date(2028, 2, 29)}
    item = assert_occurs(bundled_calendars(), "january-20", 2027)
    assert isinstance(item, Occurrence)
    assert (item.ordinal, item.weekday, item.round_step) == ("37th", "Wednesday", 0)
    assert pickle.loads(pickle.dumps(item)) == item


def test_a_nested_record_keeps_its_qualified_name_and_string_annotations() -> None:
    class Inner(NamedTuple):
        when: date
        count: int = 1

    assert Inner.__qualname__ == (
        "test_a_nested_record_keeps_its_qualified_name_and_string_annotations.<locals>.Inner"
    )
    assert Inner.__name__ == "Inner"
    # Not evaluated (``from __future__ import annotations``): the names, as written.
    assert Inner.__annotations__ == {"when": "date", "count": "int"}
    assert Point.__annotations__ == {"x": "int", "y": "int", "label": "str"}
