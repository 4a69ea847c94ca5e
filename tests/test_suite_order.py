"""How tests/suite_order.py (imported by tests/conftest.py) hands the suite to pytest-xdist's
workers (`--dist loadgroup`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from . import suite_order
from .conftest import ROOT


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


def test_a_file_that_names_its_group_keeps_it_and_comes_first_and_slow_tests_are_spread(
    request: pytest.FixtureRequest,
) -> None:
    items = request.session.items
    faults = [index for index, item in enumerate(items) if item.path.name == "test_faults.py"]
    assert faults == list(range(len(faults))), "the fault bursts do not come first"
    assert all(group(items[index]) == "faults" for index in faults)
    slow = [index for index, item in enumerate(items) if item.get_closest_marker("slow")]
    assert slow[-1] < len(items) * 0.9, "a slow test among the last tenth of the run"
    quick = [index for index in range(len(items)) if index not in set(slow)]
    assert quick[0] < slow[-1], "the slow tests all come first"


class Stub:
    """As much of a pytest.Item as the ordering hook reads: its id, file and marks."""

    def __init__(self, name: str, *marks: pytest.MarkDecorator) -> None:
        self.name = self.nodeid = name
        self.path = Path(f"tests/{name.split(':')[0]}.py")
        self.marks = {mark.name: mark.mark for mark in marks}

    def get_closest_marker(self, name: str) -> Any:
        return self.marks.get(name)

    def add_marker(self, mark: pytest.MarkDecorator) -> None:
        self.marks[mark.name] = mark.mark


def test_the_hook_starts_a_named_group_first_and_spreads_the_slow_tests() -> None:
    items: list[Any] = [
        Stub("test_a:1"),
        Stub("test_b:1", pytest.mark.slow),
        Stub("test_a:2"),
        Stub("test_c:1", pytest.mark.slow, pytest.mark.xdist_group("faults")),
        Stub("test_b:2", pytest.mark.slow),
        Stub("test_a:3"),
        Stub("test_a:4"),
        Stub("test_a:5"),
    ]
    suite_order.pytest_collection_modifyitems(items)
    assert [item.name for item in items] == [
        "test_c:1",  # its file names its group
        "test_b:1",
        "test_a:1",
        "test_a:2",
        "test_b:2",  # within the first 80 % of the quick tests
        "test_a:3",
        "test_a:4",
        "test_a:5",
    ]
    assert [group(item) for item in items] == ["faults"] + [None] * 7


GROUPED_FILE = """\
import os
import pytest

@pytest.fixture(scope="module")
def shared():
    return os.environ.get("PYTEST_XDIST_WORKER", "main")

@pytest.mark.parametrize("n", range(8))
def test_uses_it(shared, n, record):
    assert shared == os.environ.get("PYTEST_XDIST_WORKER", "main")  # made where it is used
    record("fixture")
"""

NAMED_GROUP_FILE = """\
import pytest

pytestmark = pytest.mark.xdist_group("burst")

@pytest.mark.parametrize("n", range(4))
def test_in_the_burst(n, record):
    record("burst")
"""

FREE_FILE = """\
import pytest

@pytest.mark.parametrize("n", range(8))
def test_on_its_own(n, record):
    record("free")
"""

CONFTEST = """\
import os
import pytest
from tests.suite_order import (
    pytest_collection_finish,
    pytest_collection_modifyitems,
    pytest_configure,
)

@pytest.fixture
def record():
    def write(what):
        with open("ran.txt", "a") as log:
            log.write(f"{what} {os.environ.get('PYTEST_XDIST_WORKER', 'main')}\\n")
    return write
"""


def run_pytest(folder: Path, *options: str) -> dict[str, set[str]]:
    """Runs pytest on ``folder`` with the suite's hooks; which workers ran what."""
    (folder / "conftest.py").write_text(CONFTEST, "utf-8")
    (folder / "test_grouped.py").write_text(GROUPED_FILE, "utf-8")
    (folder / "test_burst_a.py").write_text(NAMED_GROUP_FILE, "utf-8")
    (folder / "test_burst_b.py").write_text(NAMED_GROUP_FILE, "utf-8")
    (folder / "test_free.py").write_text(FREE_FILE, "utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}  # not our worker's
    env["PYTHONPATH"] = str(ROOT)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line.split() for line in (folder / "ran.txt").read_text("utf-8").splitlines()]
    assert len(lines) == 8 + 4 + 4 + 8, lines
    workers: dict[str, set[str]] = {}
    for what, worker in lines:
        workers.setdefault(what, set()).add(worker)
    return workers


@pytest.mark.slow
def test_a_real_two_worker_run_keeps_each_group_on_one_worker(tmp_path: Path) -> None:
    # The hooks' marks are worthless unless pytest-xdist's scheduler sees them: a real run of
    # `pytest -n 2 --dist loadgroup`, as the README runs the suite, with the suite's hooks.
    workers = run_pytest(tmp_path, "-n", "2", "--dist", "loadgroup")
    assert len(workers["fixture"]) == 1, workers  # made once, on one worker
    assert len(workers["burst"]) == 1, workers  # a named group across two files


@pytest.mark.slow
def test_the_hooks_stay_out_of_a_run_in_one_process(tmp_path: Path) -> None:
    # `pytest tests/test_x.py`, as one runs a file while working: no worker, no group.
    workers = run_pytest(tmp_path)
    assert workers == {"fixture": {"main"}, "burst": {"main"}, "free": {"main"}}


def test_the_package_byte_code_is_written_before_the_tests_even_where_python_would_not() -> None:
    # Written by pytest_configure, so that the suite's `reminders` processes read it instead of
    # compiling the package each (PYTHONDONTWRITEBYTECODE=1 stops Python writing it).
    import importlib.util

    sources = sorted(suite_order.PACKAGE.rglob("*.py"))
    assert len(sources) > 50
    missing = [s for s in sources if not Path(importlib.util.cache_from_source(str(s))).is_file()]
    assert missing == []


def test_the_tests_rewritten_byte_code_is_written_for_the_workers_to_read(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # Written by pytest_configure before the workers start, so that they do not each rewrite
    # the asserts of the whole suite (PYTHONDONTWRITEBYTECODE=1 stops pytest writing it).
    from _pytest.assertion.rewrite import PYC_TAIL, _read_pyc

    (tmp_path / "test_one.py").write_text("def test_it():\n    assert 1 + 1 == 2\n", "utf-8")
    (tmp_path / "helper.py").write_text("VALUE = 1\n", "utf-8")
    suite_order.rewrite_the_tests(request.config, [tmp_path])
    cache = tmp_path / "__pycache__"
    assert sorted(p.name for p in cache.iterdir()) == ["test_one" + PYC_TAIL]
    code = _read_pyc(tmp_path / "test_one.py", cache / ("test_one" + PYC_TAIL))
    assert code is not None
    assert "@pytest_ar" in code.co_names  # the asserts were rewritten
