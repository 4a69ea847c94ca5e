"""Mutation testing of the core: does each module's own test file fail when its behaviour breaks?

For one module at a time, this script makes small changes ("mutants") to the source, one per
run, and runs that module's fast tests (``pytest -x -q``) against each. A mutant the tests fail
on is *killed*; one they pass on *survived*, and names a behaviour nothing checks (or an
equivalent change, which docs/mutation.md lists with the reason).

The mutation kinds, generated with the standard library's ``ast``:

- ``compare``: a comparison flipped (``<`` to ``>=``, ``<=`` to ``>``, ``==`` to ``!=``,
  ``in`` to ``not in``, ``is`` to ``is not``, and back);
- ``constant``: an integer constant plus or minus one;
- ``boolop``: ``and`` to ``or`` and back;
- ``remove``: a statement replaced by ``pass`` (assignments, expressions, ``raise``, ``break``,
  ``continue``, ``del``; docstrings and imports are left alone);
- ``return``: ``return X`` replaced by ``return None``.

The worktree is never changed: the package, the tests and the files they read are copied into a
temporary folder once per run, each mutant is written there, and the original is put back after
its run. Each run has a time limit; a mutant that hangs the tests counts as killed ("timeout").

    .venv/bin/python bench/mutants.py dates          # one module, every mutant
    .venv/bin/python bench/mutants.py ledger --sample 60 --seed 1
    .venv/bin/python bench/mutants.py all            # each module in turn, one at a time
    .venv/bin/python bench/mutants.py dates --list   # the mutants, without running anything
    .venv/bin/python bench/mutants.py dates --line 82 # only the mutants of one line

The exit status is 0 when every module reaches ``--fail-under`` (default 0: report only).
"""

from __future__ import annotations

import argparse
import ast
import copy
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each core module and its own fast tests (the files that exist to test it).
MODULES: dict[str, tuple[str, tuple[str, ...]]] = {
    "dates": ("reminders/core/dates.py", ("tests/test_dates.py",)),
    "occurrences": ("reminders/core/occurrences.py", ("tests/test_occurrences.py",)),
    "notices": ("reminders/core/notices.py", ("tests/test_notices.py",)),
    "ics": ("reminders/core/ics.py", ("tests/test_ics.py", "tests/test_ics_pieces.py")),
    "icsevents": ("reminders/core/icsevents.py", ("tests/test_ics.py", "tests/test_ics_pieces.py")),
    "icsfold": ("reminders/core/icsfold.py", ("tests/test_ics_pieces.py",)),
    "records": ("reminders/core/records.py", ("tests/test_records.py",)),
    "errors": ("reminders/core/errors.py", ("tests/test_errors.py",)),
    "settings": (
        "reminders/core/settings.py",
        ("tests/test_settings.py", "tests/test_settings_table.py"),
    ),
    "model": ("reminders/core/model.py", ("tests/test_model.py",)),
    "words": ("reminders/core/words.py", ("tests/test_words.py", "tests/test_languages.py")),
    "cldrdata": ("reminders/core/cldrdata.py", ("tests/test_languages.py", "tests/test_words.py")),
    "languages": (
        "reminders/core/languages.py",
        ("tests/test_languages.py", "tests/test_words.py"),
    ),
    "plan": ("reminders/plan/plan.py", ("tests/test_plan.py",)),
    "ledger": (
        "reminders/notify/ledger.py",
        (
            "tests/test_ledger.py",
            "tests/test_ledger_schema.py",
            "tests/test_ledger_damaged.py",
            "tests/test_read_only.py",
        ),
    ),
}

# What the tests read besides the package: copied into the temporary tree.
COPIED = ("reminders", "tests", "calendars", "templates", "config.toml", "pyproject.toml")

FLIP: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
SYMBOL = {
    ast.Lt: "<",
    ast.GtE: ">=",
    ast.Gt: ">",
    ast.LtE: "<=",
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}
REMOVABLE = (
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Expr,
    ast.Raise,
    ast.Break,
    ast.Continue,
    ast.Delete,
)


@dataclass(frozen=True)
class Mutant:
    """One change: the path of the node in the tree, its line and a readable description."""

    index: int
    line: int
    kind: str
    text: str


def _docstring_nodes(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                found.add(id(body[0]))
    return found


def _sites(tree: ast.AST) -> Iterator[tuple[ast.AST, str, str]]:
    """Every (node, kind, description) the mutation kinds apply to, in a stable order."""
    docstrings = _docstring_nodes(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in FLIP:
                    yield node, f"compare:{i}", (f"{SYMBOL[type(op)]} -> {SYMBOL[FLIP[type(op)]]}")
        elif isinstance(node, ast.Constant) and type(node.value) is int:
            yield node, "constant:+1", f"{node.value} -> {node.value + 1}"
            yield node, "constant:-1", f"{node.value} -> {node.value - 1}"
        elif isinstance(node, ast.BoolOp):
            old, new = ("and", "or") if isinstance(node.op, ast.And) else ("or", "and")
            yield node, "boolop", f"{old} -> {new}"
        elif (
            isinstance(node, ast.Return)
            and node.value is not None
            and not (isinstance(node.value, ast.Constant) and node.value.value is None)
        ):
            yield node, "return", f"return {ast.unparse(node.value)[:50]} -> return None"
        if isinstance(node, REMOVABLE) and id(node) not in docstrings:
            yield node, "remove", f"removed: {ast.unparse(node).splitlines()[0][:60]}"


def mutants(source: str) -> list[Mutant]:
    tree = ast.parse(source)
    return [
        Mutant(i, getattr(node, "lineno", 0), kind.split(":")[0], text)
        for i, (node, kind, text) in enumerate(_sites(tree))
    ]


def mutate(source: str, index: int) -> str:
    """The module's source with the index-th mutation applied (and only that one)."""
    tree = ast.parse(source)
    node, kind, _ = list(_sites(tree))[index]
    if kind.startswith("compare:"):
        assert isinstance(node, ast.Compare)
        i = int(kind.split(":")[1])
        node.ops[i] = FLIP[type(node.ops[i])]()
    elif kind.startswith("constant:"):
        assert isinstance(node, ast.Constant)
        assert type(node.value) is int
        node.value = int(node.value) + (1 if kind.endswith("+1") else -1)
    elif kind == "boolop":
        assert isinstance(node, ast.BoolOp)
        node.op = ast.Or() if isinstance(node.op, ast.And) else ast.And()
    elif kind == "return":
        assert isinstance(node, ast.Return)
        node.value = ast.Constant(None)
    elif kind == "remove":
        _replace_statement(tree, node, ast.Pass())
    return ast.unparse(ast.fix_missing_locations(tree))


def _replace_statement(tree: ast.AST, old: ast.AST, new: ast.stmt) -> None:
    for parent in ast.walk(tree):
        for field in ("body", "orelse", "finalbody", "handlers"):
            block = getattr(parent, field, None)
            if isinstance(block, list):
                for i, stmt in enumerate(block):
                    if stmt is old:
                        block[i] = copy.copy(new)
                        return
    raise AssertionError("statement not found")


def _run_tests(tree: Path, tests: tuple[str, ...], timeout: float) -> str:
    """'killed', 'survived' or 'timeout' for the tests as they stand in the copied tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["PYTHONPATH"] = str(tree)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # never a stale .pyc for a mutant of the same size
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:randomly",
            *tests,
        ],
        cwd=tree,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return "timeout"
    except BaseException:  # interrupted: leave no test run behind
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    return "survived" if code == 0 else "killed"


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".clients")
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, dest / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, dest / name)


def run_module(
    name: str,
    sample: int | None,
    seed: int,
    timeout: float | None,
    listing: bool,
    lines: set[int] | None = None,
) -> tuple[int, int, list[Mutant]]:
    path, tests = MODULES[name]
    source = (ROOT / path).read_text(encoding="utf-8")
    chosen = mutants(source)
    total = len(chosen)
    if lines:
        chosen = [m for m in chosen if m.line in lines]
    if sample is not None and sample < len(chosen):
        chosen = sorted(random.Random(seed).sample(chosen, sample), key=lambda m: m.index)
    if listing:
        for m in chosen:
            print(f"{path}:{m.line}: [{m.kind}] {m.text}")
        return 0, 0, []
    survivors: list[Mutant] = []
    killed = 0
    with tempfile.TemporaryDirectory(prefix="mutants-") as tmp:
        tree = Path(tmp)
        _copy_tree(tree)
        target = tree / path
        started = time.monotonic()
        if _run_tests(tree, tests, timeout=600) != "survived":
            raise SystemExit(f"{name}: the tests fail on the unmutated code; fix them first")
        baseline = time.monotonic() - started
        limit = timeout if timeout is not None else max(30.0, 5 * baseline)
        print(
            f"{name}: {path}, {total} mutants, running {len(chosen)}; tests {' '.join(tests)} "
            f"take {baseline:.1f} s, limit {limit:.0f} s per mutant",
            flush=True,
        )
        for m in chosen:
            target.write_text(mutate(source, m.index), encoding="utf-8")
            outcome = _run_tests(tree, tests, limit)
            target.write_text(source, encoding="utf-8")
            if outcome == "survived":
                survivors.append(m)
                print(f"  SURVIVED {path}:{m.line}: [{m.kind}] {m.text}", flush=True)
            else:
                killed += 1
                if outcome == "timeout":  # killed, but worth a look on a loaded machine
                    print(f"  timeout  {path}:{m.line}: [{m.kind}] {m.text}", flush=True)
    ran = len(chosen)
    print(
        f"{name}: killed {killed}/{ran} ({100 * killed / ran:.0f}%), survived {ran - killed}",
        flush=True,
    )
    return killed, ran, survivors


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("module", choices=[*MODULES, "all"])
    parser.add_argument("--sample", type=int, help="run only N mutants, chosen with --seed")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout",
        type=float,
        help="seconds per mutant (default: 5x the unmutated run, at least 30)",
    )
    parser.add_argument("--list", action="store_true", help="print the mutants and stop")
    parser.add_argument(
        "--line",
        type=int,
        action="append",
        help="only the mutants of this source line (repeatable)",
    )
    parser.add_argument(
        "--fail-under",
        type=float,
        default=0.0,
        help="exit 1 when a module kills fewer than this percentage",
    )
    args = parser.parse_args(argv)
    # A stopped run still removes its temporary tree and the test run in progress.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = list(MODULES) if args.module == "all" else [args.module]
    summary = []
    for name in names:
        killed, ran, _ = run_module(
            name, args.sample, args.seed, args.timeout, args.list, set(args.line or ())
        )
        if ran:
            summary.append((name, killed, ran))
    if len(summary) > 1:
        print("\nmodule        killed  ratio")
        for name, killed, ran in summary:
            print(f"{name:<13} {killed:>3}/{ran:<3} {100 * killed / ran:5.0f}%")
    failing = [n for n, k, r in summary if 100 * k / r < args.fail_under]
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
