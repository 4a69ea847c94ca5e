"""How tests/conftest.py hands the suite to pytest-xdist's workers (`--dist loadgroup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import conftest


@pytest.fixture(scope="module")
def made_once() -> list[int]:
    return []


def group(item: pytest.Item) -> str | None:
    mark = item.get_closest_marker("xdist_group")
    return str(mark.args[0]) if mark else None


def test_a_test_using_a_module_fixture_runs_with_its_file(
    request: pytest.FixtureRequest, made_once: list[int]
) -> None:
    assert group(request.node) == "test_suite_order"


def test_a_test_without_one_is_handed_out_on_its_own(request: pytest.FixtureRequest) -> None:
    assert group(request.node) is None


def test_a_file_that_names_its_group_keeps_it_and_slow_tests_come_first(
    request: pytest.FixtureRequest,
) -> None:
    items = request.session.items
    slow = [item.get_closest_marker("slow") is not None for item in items]
    assert slow == sorted(slow, reverse=True), "a slow test after a quick one"
    faults = [item for item in items if item.path.name == "test_faults.py"]
    assert all(group(item) == "faults" for item in faults)


class Stub:
    """As much of a pytest.Item as the ordering hook reads: its file and its marks."""

    def __init__(self, name: str, *marks: pytest.MarkDecorator) -> None:
        self.name, self.path = name, Path(f"tests/{name.split(':')[0]}.py")
        self.marks = {mark.name: mark.mark for mark in marks}

    def get_closest_marker(self, name: str) -> Any:
        return self.marks.get(name)

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks[mark.name] = mark.mark


def test_the_hook_starts_slow_tests_first_and_keeps_the_order_otherwise() -> None:
    items: list[Any] = [
        Stub("test_a:1"),
        Stub("test_b:1", pytest.mark.slow),
        Stub("test_a:2"),
        Stub("test_c:1", pytest.mark.slow, pytest.mark.xdist_group("faults")),
        Stub("test_b:2", pytest.mark.slow),
    ]
    conftest.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == [
        "test_b:1",
        "test_c:1",
        "test_b:2",
        "test_a:1",
        "test_a:2",
    ]
    assert [group(item) for item in items] == [None, "faults", None, None, None]
