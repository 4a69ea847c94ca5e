"""Start-up time of ``reminders upcoming`` and ``reminders check``, against a bare interpreter.

Target (the issue): both commands start cold in at most 4x the time of ``python -I -S -c pass``
on the same machine in English (the bundled config without its ``languages`` line: one English
organisation); in another language within 6x (issue 17): on the bundled config, which also writes
Urdu, and with ``language = "az"`` (Babel's Azerbaijani data loads once, then comes from the
start-up cache, with the Azerbaijani catalog).

Every sample is a new process ("cold" in the process sense: nothing is cached in the interpreter;
the OS file cache and the ``__pycache__`` byte code are warm, because the warm-up runs fill them).
The commands are run in rounds, each round running every command once in a shuffled order, so
all of them share the machine's noise.  The figures are the median and 90th percentile of the wall
time, and the ratio of each median to the peer's median from the same run.  The CPU time
(user + system, from ``wait4``) of each child is reported too: it is less disturbed by other
tenants on a shared machine.

Usage (from the project root, so that ./config.toml is found)::

    .venv/bin/python bench/startup.py                 # 30 rounds, then the import profile
    .venv/bin/python bench/startup.py --runs 60       # more rounds
    .venv/bin/python bench/startup.py --hyperfine     # also cross-check with hyperfine, if present
    .venv/bin/python bench/startup.py --tree before=/path/to/old/checkout
                                      # also that tree's upcoming, check and upcoming in az,
                                      # as python -c "...main()" with PYTHONPATH at the tree

Standard library only.
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from common import ROOT, default_python, header

TARGET = 4.0  # at most this many times the peer's median
TARGET_OTHER_LANGUAGE = 6.0  # the same in a language other than English (Babel's data loads)
IMPORTS_ONLY = (
    "import reminders.cli.commands, reminders.config.load, reminders.core.occurrences, "
    "reminders.cli.textout"
)
HEAVY = ("icalendar", "dateutil", "jinja2", "apscheduler", "tzlocal", "sqlalchemy", "starlette")


class Command(NamedTuple):
    label: str
    argv: tuple[str, ...]
    checked: bool  # gets a PASS/FAIL against 4x (the peer itself and the info rows do not)
    in_target: bool = False  # one of the two commands: decides MET/MISSED
    env: tuple[tuple[str, str], ...] = ()  # added to the child's environment
    target: float = TARGET


MAIN = "import sys; from reminders.cli import main; sys.exit(main())"


def _scratch(prefix: str) -> str:
    """A temporary folder, removed when the benchmark ends."""
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def other_language_config(root: Path = ROOT, language: str = "az") -> str:
    """``root``'s config.toml with another ``language``, in a folder of its own (its relative
    paths stay there); the path, for $REMINDERS_CONFIG."""
    text = (root / "config.toml").read_text("utf-8")
    if 'language = "en"' not in text:
        raise SystemExit('config.toml has no language = "en" line to change')
    folder = Path(_scratch(f"startup-{language}-"))
    path = folder / "config.toml"
    path.write_text(text.replace('language = "en"', f'language = "{language}"'), "utf-8")
    return str(path)


def english_config(root: Path = ROOT) -> str:
    """``root``'s config.toml as one English organisation: without its ``languages`` line (the
    bundled config also writes Urdu), in a folder of its own; the path, for $REMINDERS_CONFIG."""
    text = (root / "config.toml").read_text("utf-8")
    folder = Path(_scratch("startup-en-"))
    path = folder / "config.toml"
    path.write_text(re.sub(r"(?m)^languages = .*\n", "", text, count=1), "utf-8")
    return str(path)


def variants(
    label: str,
    argv: tuple[str, ...],
    configs: dict[str, str],
    code: tuple[tuple[str, str], ...] = (),
    in_target: bool = False,
) -> list[Command]:
    """``upcoming`` and ``check`` on each config: in English against 4x, on the bundled config
    (English and Urdu) and in Azerbaijani against 6x (issue 17); ``code``: the environment
    that runs another tree; ``in_target``: the rows that decide MET or MISSED (this tree's)."""
    out = []
    for name, shown, target in (
        ("en", "", TARGET),
        ("bundled", ", bundled config (en, ur)", TARGET_OTHER_LANGUAGE),
        ("az", ", language az", TARGET_OTHER_LANGUAGE),
    ):
        env = (*code, ("REMINDERS_CONFIG", configs[name]))
        for command in ("upcoming", "check"):
            out.append(Command(f"{label}{command}{shown}", (*argv, command), True, in_target,
                               env=env, target=target))  # fmt: skip
    return out


def tree_commands(python: str, label: str, tree: str) -> list[Command]:
    """Another checkout's ``upcoming`` and ``check`` in English, on its bundled config and in
    az, with PYTHONPATH at it and its own config.toml (an older tree may not read today's): the
    same run measures before and after a change."""
    root = Path(tree)
    configs = {
        "en": english_config(root),
        "bundled": str(root / "config.toml"),
        "az": other_language_config(root),
    }
    # A start-up cache of its own: trees sharing one would overwrite each other's entries (the
    # keys name the code's folder) and each run would be a miss.
    cache = _scratch(f"startup-cache-{label}-")
    code = (("PYTHONPATH", tree), ("REMINDERS_CACHE_DIR", cache))
    argv = (python, "-P", "-c", MAIN)  # -P: not the working folder's reminders/ first
    return variants(f"{label}: ", argv, configs, code)


def commands(python: str, configs: dict[str, str]) -> list[Command]:
    script = str(Path(python).with_name("reminders"))
    return [
        Command("python -I -S -c pass (peer)", (python, "-I", "-S", "-c", "pass"), False),
        *variants(".venv/bin/reminders ", (script,), configs, in_target=True),
        Command(
            "python -m reminders upcoming",
            (python, "-m", "reminders", "upcoming"),
            True,
            env=(("REMINDERS_CONFIG", configs["en"]),),
        ),
        # The first start after a config or calendar edit: no data cache, so TOML is parsed and
        # validated (reminders/config/cache.py). Shown against 4x, though the target is the rows
        # above.
        Command(
            "reminders upcoming, first run after an edit",
            (script, "upcoming"),
            True,
            env=(("REMINDERS_CACHE_DIR", "off"),),
        ),
        Command(
            "reminders check, first run after an edit",
            (script, "check"),
            True,
            env=(("REMINDERS_CACHE_DIR", "off"),),
        ),
        # Not part of the target: shows what `site` (needed for the venv's editable install)
        # costs on its own, since the console script cannot run with -I -S.
        Command("python -c pass (with site; info)", (python, "-c", "pass"), False),
        # Not part of the target: the imports of `reminders upcoming` without running it, so
        # the rest of its time (reading config and calendars, expanding, printing) shows.
        Command("python -c 'import ...' (info)", (python, "-c", IMPORTS_ONLY), False),
    ]


def child_env() -> dict[str, str]:
    """The caller's environment without what would change the measured start-up.

    REMINDERS_CONFIG is dropped so ./config.toml (the bundled one) is found; PYTHON* variables
    (PYTHONPROFILEIMPORTTIME, PYTHONDONTWRITEBYTECODE, PYTHONPATH ...) are dropped too.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("REMINDERS_CONFIG", None)
    return env


def run_once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one child, output to /dev/null.

    posix_spawn + wait4 keeps the harness's own overhead small and the same for every command,
    and gives the child's own resource usage.
    """
    actions = [
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
    ]
    start = time.perf_counter()
    pid = os.posix_spawn(argv[0], list(argv), env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {code}")
    return wall, usage.ru_utime + usage.ru_stime


def check_runs(cmds: Sequence[Command], env: dict[str, str]) -> None:
    """Each command once with its output shown on failure: the timed runs discard output."""
    for cmd in cmds:
        done = subprocess.run(
            cmd.argv, cwd=ROOT, env={**env, **dict(cmd.env)}, capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"{cmd.label} failed ({done.returncode}):\n{done.stderr}")


def p90(values: Sequence[float]) -> float:
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def measure(
    cmds: Sequence[Command], runs: int, warmup: int, env: dict[str, str], seed: int
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    rng = random.Random(seed)
    walls: dict[str, list[float]] = {c.label: [] for c in cmds}
    cpus: dict[str, list[float]] = {c.label: [] for c in cmds}
    for round_no in range(warmup + runs):
        order = list(cmds)
        rng.shuffle(order)
        for cmd in order:
            wall, cpu = run_once(cmd.argv, {**env, **dict(cmd.env)})
            if round_no >= warmup:
                walls[cmd.label].append(wall)
                cpus[cmd.label].append(cpu)
    return walls, cpus


def report(
    cmds: Sequence[Command], walls: dict[str, list[float]], cpus: dict[str, list[float]]
) -> bool:
    peer = cmds[0].label
    peer_wall = statistics.median(walls[peer])
    peer_cpu = statistics.median(cpus[peer])
    ok = True
    width = max(44, *(len(cmd.label) for cmd in cmds))
    head = (
        f"{'command':<{width}} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'ratio':>6} "
        f"{'paired':>6} {'cpu ms':>7} {'cpu ratio':>9}  target"
    )
    print(head)
    print("-" * len(head))
    for cmd in cmds:
        wall, cpu = walls[cmd.label], cpus[cmd.label]
        median = statistics.median(wall)
        ratio = median / peer_wall
        # The ratio within each round (same noise), then its median.
        paired = statistics.median(w / p for w, p in zip(wall, walls[peer], strict=True))
        cpu_median = statistics.median(cpu)
        if cmd.label == peer:
            verdict = "(peer)"
        elif cmd.checked:
            passed = ratio <= cmd.target
            ok = ok and (passed or not cmd.in_target)
            verdict = f"{'PASS' if passed else 'FAIL'} (<= {cmd.target:g}x)"
        else:
            verdict = "(info)"
        print(
            f"{cmd.label:<{width}} {len(wall):>3} {median * 1000:>10.1f} {p90(wall) * 1000:>8.1f} "
            f"{ratio:>5.2f}x {paired:>5.2f}x {cpu_median * 1000:>7.1f} "
            f"{cpu_median / peer_cpu:>8.2f}x  {verdict}"
        )
    print()
    print(
        "ratio = median / peer median; paired = median of the per-round ratios; "
        "PASS/FAIL uses ratio. cpu = user+sys of the child (wait4)."
    )
    return ok


def importtime(
    python: str, command: str, env: dict[str, str], repeats: int
) -> tuple[list[str], dict[str, list[tuple[int, int]]]]:
    """Run ``python -X importtime .venv/bin/reminders COMMAND`` ``repeats`` times.

    Returns the argv and, per module, its (self, cumulative) microseconds of every run.
    """
    script = str(Path(python).with_name("reminders"))
    argv = [python, "-X", "importtime", script, command]
    samples: dict[str, list[tuple[int, int]]] = {}
    for _ in range(repeats):
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"{' '.join(argv)} failed:\n{done.stderr}")
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cumulative_us, name = _parse_importtime(line)
            samples.setdefault(name, []).append((int(self_us), int(cumulative_us)))
    return argv, samples


def heavy_modules(samples: dict[str, list[tuple[int, int]]]) -> str:
    loaded = {name.strip().split(".")[0] for name in samples}
    return ", ".join(h for h in HEAVY if h in loaded) or "none"


def import_profile(python: str, env: dict[str, str], repeats: int, top: int) -> None:
    """``python -X importtime`` of ``reminders upcoming``: the top modules by cumulative time.

    Runs the console script's file with -X importtime (the same imports as the command), a few
    times, and takes each module's median.  The figures include -X importtime's own overhead.
    """
    argv, samples = importtime(python, "upcoming", env, repeats)
    rows = [
        (
            statistics.median(c for _, c in values),
            statistics.median(s for s, _ in values),
            name,
        )
        for name, values in samples.items()
    ]
    rows.sort(reverse=True)
    print(f"$ {' '.join(argv)}   (cwd {ROOT}; median of {repeats} runs)")
    print(f"{'cumulative ms':>13} {'self ms':>8}  module (indent = nesting)")
    for cumulative, self_time, name in rows[:top]:
        print(f"{cumulative / 1000:>13.1f} {self_time / 1000:>8.1f}  {name}")
    top_level = sum(c for c, _, name in rows if len(name) - len(name.lstrip()) == 1)
    print(f"{top_level / 1000:>13.1f} {'':>8}  (all top-level imports, the interpreter's own too)")
    print()
    print(f"upcoming: {len(samples)} modules imported; heavy ones: {heavy_modules(samples)}")
    _, other = importtime(python, "check", env, 1)
    print(f"check:    {len(other)} modules imported; heavy ones: {heavy_modules(other)}")
    print(f"(heavy = {', '.join(HEAVY)})")


def _parse_importtime(line: str) -> tuple[str, str, str]:
    """``import time:   self |  cumulative | name`` -> (self, cumulative, name)."""
    head, cumulative, name = line.split("|", 2)
    return head.split(":", 1)[1].strip(), cumulative.strip(), name.rstrip()


def hyperfine(cmds: Sequence[Command], runs: int, env: dict[str, str]) -> None:
    """The same commands through hyperfine (no shell, -N), as a cross-check of the harness."""
    exe = shutil.which("hyperfine")
    cmds = [c for c in cmds if not c.env]  # one environment for all of hyperfine's runs
    if exe is None:
        print("hyperfine: not installed; skipped (the figures above do not need it)")
        return
    with tempfile.TemporaryDirectory() as folder:
        export = Path(folder) / "hyperfine.json"
        argv = [exe, "-N", "--warmup", "3", "--runs", str(runs), "--style", "none"]
        argv += ["--export-json", str(export), *(shlex.join(c.argv) for c in cmds)]
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(f"hyperfine failed ({done.returncode}): {done.stderr.strip()}")
            return
        results = json.loads(export.read_text())["results"]
    print(f"$ hyperfine -N --warmup 3 --runs {runs} <the commands above>   (hyperfine's own runs)")
    peer = results[0]["median"]
    for cmd, result in zip(cmds, results, strict=True):
        median = result["median"]
        print(
            f"{cmd.label:<44} median {median * 1000:>6.1f} ms  "
            f"(mean {result['mean'] * 1000:.1f} +- {result['stddev'] * 1000:.1f})  "
            f"{median / peer:>5.2f}x"
        )
    print("(hyperfine runs the commands one after another, not interleaved)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=30, help="timed rounds (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--python", default=default_python(), help="the venv's interpreter")
    parser.add_argument("--seed", type=int, default=20261123, help="shuffle seed")
    parser.add_argument("--top", type=int, default=15, help="modules to show from importtime")
    parser.add_argument("--importtime-runs", type=int, default=5, help="importtime repeats")
    parser.add_argument("--hyperfine", action="store_true", help="cross-check with hyperfine")
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="also measure the checkout in DIR (PYTHONPATH), in the same rounds; repeatable",
    )
    args = parser.parse_args()

    os.chdir(ROOT)  # ./config.toml is found from the working directory
    env = child_env()
    configs = {
        "en": english_config(),
        "bundled": str(ROOT / "config.toml"),
        "az": other_language_config(),
    }
    cmds = commands(args.python, configs)
    for given in args.tree:
        label, _, tree = given.partition("=")
        if not tree or not Path(tree, "reminders").is_dir():
            parser.error(f"--tree {given!r}: expected LABEL=DIR, DIR a checkout with reminders/")
        cmds += tree_commands(args.python, label, str(Path(tree).resolve()))
    header("reminders start-up benchmark", args.python, f"; cwd {ROOT}")
    print(
        f"{args.runs} timed rounds after {args.warmup} warm-up rounds; each round runs every "
        "command once, shuffled; a new process per run (OS file cache and __pycache__ warm)."
    )
    print()
    check_runs(cmds, env)
    walls, cpus = measure(cmds, args.runs, args.warmup, env, args.seed)
    ok = report(cmds, walls, cpus)
    print(
        f"target (.venv/bin/reminders upcoming and check within {TARGET:g}x the peer in English, "
        f"within {TARGET_OTHER_LANGUAGE:g}x in another language): {'MET' if ok else 'MISSED'}"
    )
    print()
    import_profile(args.python, env, args.importtime_runs, args.top)
    if args.hyperfine:
        print()
        hyperfine(cmds, args.runs, env)


if __name__ == "__main__":
    main()
