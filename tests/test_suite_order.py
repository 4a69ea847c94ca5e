"""How tests/conftest.py hands the suite to pytest-xdist's workers (`--dist loadgroup`)."""

from __future__ import annotations

import pytest


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
