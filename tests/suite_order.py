"""How the suite is handed to pytest-xdist's workers (`--dist loadgroup`), and the package's byte
code written before they start; tests/conftest.py imports these hooks, and
tests/test_suite_order.py checks them, also in a real `pytest -n 2`."""

from __future__ import annotations

from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "reminders"
SHARED_SCOPES = ("module", "class")  # a session fixture is made once per worker anyway


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist would hand out the largest groups first; the suite orders its work itself
    # (pytest_collection_modifyitems below), so it keeps the order it is given.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False
    if not hasattr(config, "workerinput"):  # once, in the process that starts the workers
        compile_the_package()
        if getattr(config.option, "numprocesses", None):  # workers will collect the suite
            base = config.invocation_params.dir
            rewrite_the_tests(config, [base / arg.split("::")[0] for arg in config.args] or [base])


def compile_the_package() -> None:
    """Write the package's byte code before any worker or subprocess starts.

    With ``PYTHONDONTWRITEBYTECODE=1`` (set in some shells and CI environments) Python reads
    byte code but never writes it, so each of the few hundred ``reminders`` processes the suite
    starts would compile the package from source again: 119 s of pytest on a clean clone against
    105 s with the byte code written.  compileall writes it whatever that variable says, into the
    git-ignored ``__pycache__`` folders, as a first run without the variable would.
    """
    import compileall

    compileall.compile_dir(str(PACKAGE), quiet=1)


def rewrite_the_tests(config: pytest.Config, paths: list[Path]) -> None:
    """Write pytest's assertion-rewritten byte code of the test modules before the workers start.

    pytest rewrites the asserts of every test module as it imports it and keeps the result in
    ``__pycache__`` (``*-pytest-*.pyc``), but with ``PYTHONDONTWRITEBYTECODE=1`` it never writes
    it: each worker then rewrites the whole suite again while collecting (about 3 s of CPU per
    worker, a quarter of a minute on two cores for four workers).  Written here, once, for the
    test modules under ``paths``, the workers read it: pytest reads it whatever that variable
    says.  This uses pytest's own
    rewriting functions, which are not a public API: if they change, the workers rewrite the
    modules themselves, as before, and nothing else changes.
    """
    try:
        from _pytest.assertion.rewrite import (
            PYC_TAIL,
            _read_pyc,
            _rewrite_test,
            _write_pyc,
            assertstate_key,
            fnmatch_ex,
            get_cache_dir,
        )

        state = config.stash[assertstate_key]
    except (ImportError, KeyError):  # another pytest, or --assert=plain
        return
    patterns = ["conftest.py", *config.getini("python_files")]
    for path in paths:
        sources = path.rglob("*.py") if path.is_dir() else [path]
        for source in sources:
            if "__pycache__" in source.parts or not any(fnmatch_ex(p, source) for p in patterns):
                continue
            cache = get_cache_dir(source)
            pyc = cache / (source.name[:-3] + PYC_TAIL)
            try:
                if _read_pyc(source, pyc) is not None:
                    continue  # written by an earlier run, for this very source
                source_hash, code = _rewrite_test(source, config)
                cache.mkdir(parents=True, exist_ok=True)
                _write_pyc(state, code, source_hash, pyc)
            except (OSError, SyntaxError, TypeError, ValueError):
                continue  # a read-only folder, or a broken module: the worker reports it


SLOW_SPREAD = 0.8  # the slow tests are spread over the first 80 % of the others


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups (--dist loadgroup)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """How the suite runs on several pytest-xdist workers (`--dist loadgroup`):

    - a test that uses a fixture made once per module (a built wheel, a served feed, a browser)
      runs on the worker of the other tests of its file, so the fixture is made once: such
      tests are grouped by file, unless the file names a group of its own;
    - every other test is handed out on its own, to the first worker that is free;
    - a group that its file names (the fault bursts, a minute in all) comes first, so that the
      last minute of the run is not one worker waiting on it while the others are idle;
    - the other tests marked ``slow`` (real processes, real waits: a worker mostly waits in
      them) are spread over the first 80 % of the quick ones, groups first, so that while some
      workers wait, the others use the processors.  Run all at the start they left the
      processors half idle for a minute, then had four workers on two cores for the rest.
    """
    named = {id(item) for item in items if item.get_closest_marker("xdist_group") is not None}
    for item in items:
        if id(item) not in named and _shares_a_fixture(item):
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
    units: dict[str, list[pytest.Item]] = {}  # what xdist hands out whole, in order
    for item in items:
        mark = item.get_closest_marker("xdist_group")
        units.setdefault(_group_name(mark) if mark else item.nodeid, []).append(item)
    first: list[list[pytest.Item]] = []
    slow: list[list[pytest.Item]] = []
    quick: list[list[pytest.Item]] = []
    for unit in units.values():
        if not any(item.get_closest_marker("slow") for item in unit):
            quick.append(unit)
        else:
            (first if id(unit[0]) in named else slow).append(unit)
    slow.sort(key=lambda unit: len(unit) == 1)  # groups before single tests; stable
    items[:] = [item for unit in first + _spread(slow, quick) for item in unit]


def _spread(
    slow: list[list[pytest.Item]], quick: list[list[pytest.Item]]
) -> list[list[pytest.Item]]:
    """``quick`` in order, with ``slow`` (in order) spread evenly over its first SLOW_SPREAD."""
    reach = int(len(quick) * SLOW_SPREAD)
    out: list[list[pytest.Item]] = []
    taken = 0
    for index, unit in enumerate(slow):
        before = index * reach // len(slow)  # the quick units handed out before this one
        out += quick[taken:before]
        taken = max(taken, before)
        out.append(unit)
    return out + quick[taken:]


def _shares_a_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        definition.scope in SHARED_SCOPES and definition.baseid != ""  # "": a plugin's
        for definitions in info.name2fixturedefs.values()
        for definition in definitions
    )


@pytest.hookimpl(tryfirst=True)  # before xdist's worker sends the collected ids to its scheduler
def pytest_collection_finish(session: pytest.Session) -> None:
    """Make sure each test's group reaches pytest-xdist's scheduler.

    A worker tells the scheduler a test's group by the suffix ``@group`` on its node id, which
    pytest-xdist 3.8 writes to the item's ``_nodeid``.  Since pytest 9.2 a node id is the
    structured ``_id`` and that write is lost: every group is silently split over the workers,
    so a browser, a served feed or the fault bursts were made on every worker (pytest-xdist issue
    #1386; its fix is proposed in PR #1388).  Where the suffix is missing, write it where this
    pytest keeps the node id; where pytest-xdist wrote it, leave it.
    """
    if not getattr(session.config.option, "loadgroup", False):  # an xdist worker's, under loadgroup
        return
    for item in session.items:
        names = sorted({_group_name(mark) for mark in item.iter_markers("xdist_group")})
        if not names:
            continue
        suffix = "@" + "_".join(names)
        if item.nodeid.endswith(suffix):
            continue
        node_id = getattr(item, "_id", None)
        if node_id is not None and hasattr(type(node_id), "parse"):
            item._id = type(node_id).parse(item.nodeid + suffix)
        else:
            item._nodeid = item.nodeid + suffix  # type: ignore[attr-defined]


def _group_name(mark: pytest.Mark) -> str:
    return str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
