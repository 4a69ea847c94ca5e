"""The run-time NamedTuple stand-in behaves as typing.NamedTuple does for our records."""

from __future__ import annotations

import pickle
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


def _both(fields: list[str], defaults: list[int]) -> tuple[type, type]:
    """The same record made by records.NamedTuple and by collections.namedtuple."""
    import collections

    annotations = dict.fromkeys(fields, "int")
    namespace: dict[str, object] = {"__annotations__": annotations, "__module__": __name__}
    namespace.update(zip(fields[len(fields) - len(defaults) :], defaults, strict=True))
    ours = type(NamedTuple)("Rec", (NamedTuple,), namespace)
    theirs = collections.namedtuple("Rec", fields, defaults=defaults or None)
    return ours, theirs


@given(
    count=st.integers(min_value=1, max_value=20),  # past the 13 written-out sizes too
    defaulted=st.integers(min_value=0, max_value=20),
    values=st.lists(st.integers(), min_size=20, max_size=20),
)
@settings(max_examples=60, deadline=None)
def test_a_record_behaves_as_collections_namedtuple(
    count: int, defaulted: int, values: list[int]
) -> None:
    """records.py makes its classes without namedtuple's eval (start-up time): the same
    construction, defaults, errors, repr, _replace, _make, _asdict, pickling and matching."""
    fields = [f"f{index}" for index in range(count)]
    defaults = values[: min(defaulted, count)]
    ours, theirs = _both(fields, defaults)
    given_values = values[: count - len(defaults)]
    one, other = ours(*given_values), theirs(*given_values)
    assert tuple(one) == tuple(other)
    assert repr(one) == repr(other)
    assert one._asdict() == other._asdict()
    assert ours._fields == theirs._fields == tuple(fields)
    assert ours._field_defaults == theirs._field_defaults
    assert ours.__match_args__ == theirs.__match_args__
    assert ours(**dict(zip(fields, values, strict=False))) == tuple(values[:count])
    assert one._replace(f0=-1) == other._replace(f0=-1)
    assert type(one._replace(f0=-1)) is ours
    with pytest.raises(ValueError, match="Got unexpected field names: \\['nope'\\]"):
        one._replace(nope=1)
    with pytest.raises(TypeError, match=f"Expected {count} arguments, got {count + 1}"):
        ours._make([*values[:count], 0])
    assert ours._make(values[:count]) == tuple(values[:count])
    if len(defaults) < count:  # a field without a default, left out
        with pytest.raises(TypeError, match="missing 1 required positional argument: 'f"):
            ours(*given_values[:-1])
    with pytest.raises(TypeError, match="got an unexpected keyword argument 'nope'"):
        ours(*given_values, nope=1)
    with pytest.raises(AttributeError):
        one.f0 = 5  # type: ignore[attr-defined]
    assert one.__getnewargs__() == tuple(one)
    assert ours.f0.__doc__ == theirs.f0.__doc__ == "Alias for field number 0"
