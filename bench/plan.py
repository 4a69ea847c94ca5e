"""The yearly plan, ``reminders plan 2027``, against Debian's ``remind -s12`` on the same dates.

Two cases (the issue's), each a table of timings from one run:

1. The bundled calendar (./config.toml): ``reminders plan 2027`` beside ``remind -s12`` of a
   reminders file with the same four yearly dates and the bundled sample event, each title's
   ordinal computed by remind (``[ord(year(trigdate())-1990)]``).  No target: reported.
2. A generated calendar of 10,000 observances in a temporary folder (bench/plan_inputs.py: one
   calendar file, month-days of a common year drawn at random, ``since`` years 1926 to 2025,
   ``{ordinal}`` titles, a timed moment on every tenth), with a config.toml that is the bundled
   one pointed at it (so the bundled ``[plan]`` and five ``[[milestone]]`` rules).
   ``reminders plan 2027`` (table and JSON) beside ``remind -s12`` of the same 10,000 yearly
   reminders.  Target: at least 10x faster than remind.

Every sample is a new process, its output to /dev/null.  "cold" runs with
``REMINDERS_CACHE_DIR=off``: the config and the calendars are parsed and validated, as on the
first run after an edit; "warm" runs with a cache folder of its own, filled before timing
(reminders/config/cache.py).  The OS file cache and the ``__pycache__`` byte code are warm either
way.
Rounds run every command of a case once, in a shuffled order, so the commands share the
machine's noise; in case 2 a command stops after ``--budget`` seconds of timed runs once it has
``--min-runs`` (a slow version of the package can take minutes a run).  ``remind`` gets the
file and the start date: ``remind -s12 FILE 1 Jan 2027``, a simple calendar of twelve months.

``--baseline DIR`` adds rows for another copy of the package (``DIR/reminders``, for example the
last commit exported with ``git archive HEAD | tar -x -C DIR``), run by the same interpreter with
a cache folder of its own, so that a change is measured against what it changes in one run.

Before timing, each command runs once and its output is checked: ``reminders check`` passes on
the generated config, the JSON of every plan has exactly remind's (date, title) pairs, and every
baseline row writes the bytes of the package's row in the same format.  After the tables, one
run of each warm command shows where its time goes (imports, load, make_plan, the format, all
of ``main``): this script runs itself as the command (``--child``), timing the package's
functions.

Usage (from the project root)::

    .venv/bin/python bench/plan.py              # 30 rounds for case 1, up to 10 for case 2
    .venv/bin/python bench/plan.py --quick      # a few rounds, a short budget: try the script
    .venv/bin/python bench/plan.py --baseline /tmp/before   # and the package in /tmp/before
    .venv/bin/python bench/plan.py --profile    # and cProfile the warm plans of case 2
    .venv/bin/python bench/plan.py --observances 2000   # a smaller case 2

Standard library only.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import random
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from common import ROOT, default_python, header
from plan_inputs import config_toml, prepare

YEAR = 2027
OBSERVANCES = 10_000
TARGET = 10.0  # case 2: remind's median over the plan's median, at least this
# seconds: the cache never stores files changed in the last two (reminders/config/cache.py)
SETTLE = 2.1


# --- Commands ------------------------------------------------------------------------------------

SELF = Path(__file__).resolve()


class Command(NamedTuple):
    label: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()  # added to the child's environment
    kind: str = "plan"  # "remind" (the peer), "plan" (the package) or "baseline" (another copy)
    fmt: str = "table"
    judged: bool = True  # a row of the package held to the target (the warm plan), or reported
    touch: str = ""  # a file whose time is set to now before each run (an edit of it)

    def run(self, env: dict[str, str]) -> tuple[float, float]:
        if self.touch:
            os.utime(self.touch)
        return run_once(self.argv, {**env, **dict(self.env)})


def case_commands(
    python: str,
    remind: str,
    rem: Path,
    config: Path | None,
    cache: Path,
    baseline: Path | None,
    edited: Path | None = None,
) -> list[Command]:
    """remind, the plan (table and JSON, cold and warm, and just after an edit of ``edited``'s
    calendar when given), then the baseline's warm rows."""
    script = str(Path(python).with_name("reminders"))
    tail: tuple[str, ...] = ("--config", str(config)) if config is not None else ()
    cold = (("REMINDERS_CACHE_DIR", "off"),)
    warm = (("REMINDERS_CACHE_DIR", str(cache)),)
    cmds = [
        Command(
            f"remind -s12 {rem.name} 1 Jan {YEAR}",
            (remind, "-s12", str(rem), "1", "Jan", str(YEAR)),
            kind="remind",
        )
    ]
    plan = (*tail, "plan", str(YEAR))
    json_args = ("--format", "json")
    for fmt, extra in (("table", ()), ("json", json_args)):
        shown = f"plan {YEAR}" + (f" --format {fmt}" if extra else "")
        cmds.append(
            Command(
                f"reminders {shown}, cold", (script, *plan, *extra), cold, fmt=fmt, judged=False
            )
        )
        cmds.append(Command(f"reminders {shown}, warm", (script, *plan, *extra), warm, fmt=fmt))
        if edited is not None:
            # A copy of the config and calendar with a cache folder of its own: the calendar's
            # time is set to now before each run, so it is read and checked again each time,
            # while the host country's calendar comes from the cache.
            calendar = next((edited / "calendars").glob("*.toml"))
            cmds.append(
                Command(
                    f"reminders {shown}, edited",
                    (script, "--config", str(edited / "config.toml"), "plan", str(YEAR), *extra),
                    (("REMINDERS_CACHE_DIR", f"{cache}-edited"),),
                    fmt=fmt,
                    judged=False,
                    touch=str(calendar),
                )
            )
    if baseline is not None:
        # The baseline's cache is its own: both write a file of the same name for a config.
        own = (("REMINDERS_CACHE_DIR", f"{cache}-baseline"),)
        # As lean as the console script: this script's own imports are not timed.
        run = (python, "-c", BASELINE, str(baseline))
        for fmt, extra in (("table", ()), ("json", json_args)):
            cmds.append(
                Command(f"baseline: {fmt}, warm", (*run, *plan, *extra), own, "baseline", fmt)
            )
    return cmds


# The baseline's command: reminders ARGS with the package imported from DIR (checked).
BASELINE = (
    "import sys\n"
    "folder = sys.argv.pop(1)\n"
    "sys.path.insert(0, folder)\n"
    "sys.argv[0] = 'reminders'\n"
    "import reminders\n"
    "if not reminders.__file__.startswith(folder):\n"
    "    sys.exit(f'imported reminders from {reminders.__file__}, not from {folder}')\n"
    "from reminders.cli import main\n"
    "sys.exit(main())\n"
)


def child_env() -> dict[str, str]:
    """The caller's environment without REMINDERS_CONFIG and PYTHON* (as bench/startup.py)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.pop("REMINDERS_CONFIG", None)
    return env


def run_once(argv: Sequence[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + sys) seconds of one child, its output to /dev/null (as startup.py)."""
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
        raise SystemExit(f"{shlex.join(argv)} exited with {code}")
    return wall, usage.ru_utime + usage.ru_stime


class Output(NamedTuple):
    """What one untimed run of a command gave: checked, then only these are kept."""

    seconds: float
    size: int
    digest: str
    pairs: frozenset[tuple[str, str]] | None  # (date, title) of remind's lines or the JSON


def capture(cmd: Command, env: dict[str, str]) -> Output:
    """One run with its output, for the checks; its stderr shown on failure."""
    if cmd.touch:
        os.utime(cmd.touch)
    start = time.perf_counter()
    done = subprocess.run(cmd.argv, cwd=ROOT, env={**env, **dict(cmd.env)}, capture_output=True)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{shlex.join(cmd.argv)} failed ({done.returncode}):\n{done.stderr.decode()}")
    pairs = None
    if cmd.kind == "remind":
        pairs = remind_pairs(done.stdout.decode())
    elif cmd.fmt == "json":
        pairs = plan_pairs(done.stdout)
    digest = hashlib.sha256(done.stdout).hexdigest()
    return Output(seconds, len(done.stdout), digest, pairs)


# --- Checks: the two tools do the same work ------------------------------------------------------


def remind_pairs(output: str) -> frozenset[tuple[str, str]]:
    """(ISO date, message) of every line of ``remind -s``: ``2027/01/20 * * * 720 37th ...``.

    A timed reminder's message starts with its time (``12:00-12:01pm``), which is dropped.
    """
    pairs = set()
    for line in output.splitlines():
        day, _, _, _, _, message = line.split(" ", 5)
        head, _, rest = message.partition(" ")
        if head[:1].isdigit() and head.endswith(("am", "pm")):
            message = rest
        pairs.add((day.replace("/", "-"), message))
    return frozenset(pairs)


def plan_pairs(output: bytes) -> frozenset[tuple[str, str]]:
    """(ISO date, title) of every entry of the plan's JSON."""
    document = json.loads(output)
    return frozenset((entry["date"], entry["title"]) for entry in document["entries"])


def check_case(label: str, cmds: Sequence[Command], outputs: dict[str, Output]) -> list[str]:
    """The plan's JSON has remind's (date, title) pairs; a prototype writes the package's bytes."""
    notes = []
    peer = outputs[cmds[0].label]
    assert peer.pairs is not None
    for cmd in cmds[1:]:
        found = outputs[cmd.label]
        if found.pairs is not None and found.pairs != peer.pairs:
            ours, theirs = (
                sorted(found.pairs - peer.pairs)[:3],
                sorted(peer.pairs - found.pairs)[:3],
            )
            sys.exit(f"{label}: {cmd.label} and remind differ: only ours {ours}, theirs {theirs}")
    checked = [c.label for c in cmds[1:] if outputs[c.label].pairs is not None]
    notes.append(
        f"{label}: remind's output and the JSON of {' and of '.join(checked)} have the same "
        f"{len(peer.pairs)} (date, title) pairs"
    )
    for cmd in cmds:
        if cmd.kind != "baseline":
            continue
        twin = next(c for c in cmds if c.kind == "plan" and c.fmt == cmd.fmt)
        if outputs[cmd.label].digest != outputs[twin.label].digest:
            sys.exit(f"{label}: {cmd.label} does not give the bytes of {twin.label}")
        notes.append(f"{label}: '{cmd.label}' writes the bytes of '{twin.label}'")
    return notes


# --- Measuring and reporting ---------------------------------------------------------------------


class Row(NamedTuple):
    command: Command
    walls: list[float]
    cpus: list[float]
    output: Output


def measure(
    cmds: Sequence[Command],
    outputs: dict[str, Output],
    limits: Limits,
    env: dict[str, str],
    seed: int,
) -> list[Row]:
    """Rounds of every command once, shuffled; a slow command stops after its time budget.

    The warm-up rounds skip a command whose checked run took longer than ``limits.slow``: that
    run warmed it up already.
    """
    rng = random.Random(seed)
    walls: dict[str, list[float]] = {c.label: [] for c in cmds}
    cpus: dict[str, list[float]] = {c.label: [] for c in cmds}
    for round_no in range(limits.warmup + limits.runs):
        order = list(cmds)
        rng.shuffle(order)
        for cmd in order:
            done = walls[cmd.label]
            if round_no < limits.warmup:
                if outputs[cmd.label].seconds < limits.slow:
                    cmd.run(env)
                continue
            if len(done) >= limits.min_runs and sum(done) > limits.budget:
                continue
            wall, cpu = cmd.run(env)
            done.append(wall)
            cpus[cmd.label].append(cpu)
    return [Row(c, walls[c.label], cpus[c.label], outputs[c.label]) for c in cmds]


class Limits(NamedTuple):
    runs: int  # timed rounds at most
    warmup: int
    budget: float  # seconds of timed runs per command, after which it stops ...
    min_runs: int  # ... once it has this many
    slow: float = 5.0  # seconds: a command this slow gets no warm-up rounds


def report(case: str, rows: Sequence[Row], target: float | None) -> bool:
    """The table; True when every row of the package meets the target (or there is none)."""
    peer = statistics.median(rows[0].walls)
    ok = True
    head = (
        f"{'case':<10} {'tool / command':<40} {'median s':>9} {'min s':>8} {'runs':>4} "
        f"{'cpu s':>8} {'output':>9} {'ratio':>8}  target"
    )
    print(head)
    print("-" * len(head))
    for row in rows:
        median = statistics.median(row.walls)
        speedup = peer / median
        if row.command.kind == "remind":
            verdict = "(peer)"
        elif target is None:
            verdict = "(none)"
        elif not row.command.judged:
            verdict = "(reported)"
        else:
            passed = speedup >= target
            if row.command.kind == "plan":
                ok = ok and passed
            verdict = f"{'PASS' if passed else 'FAIL'} (>= {target:g}x)"
            verdict += " (baseline)" if row.command.kind == "baseline" else ""
        print(
            f"{case:<10} {row.command.label:<40} {median:>9.4f} {min(row.walls):>8.4f} "
            f"{len(row.walls):>4} {statistics.median(row.cpus):>8.3f} "
            f"{size(row.output.size):>9} {speedup:>7.3f}x  {verdict}"
        )
    print()
    return ok


def size(count: int) -> str:
    for unit in ("B", "KB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024  # type: ignore[assignment]
    raise AssertionError


def show_commands(cmds: Sequence[Command], folder: Path) -> None:
    for cmd in cmds:
        env = " ".join(f"{k}={v}" for k, v in cmd.env)
        line = shlex.join(cmd.argv).replace(shlex.quote(BASELINE), '"$BASELINE"')
        line = line.replace(str(ROOT) + "/", "")
        touch = f"touch {cmd.touch} && " if cmd.touch else ""
        print(f"  {touch}{env + ' ' if env else ''}{line}".replace(str(folder), "$TMP"))


def child_argv(cmd: Command, python: str, *options: str) -> tuple[str, ...]:
    """The command run through this script's ``--child`` mode, with ``options``."""
    if cmd.kind == "baseline":  # python -c BASELINE DIR ARGS
        package = ("--package", cmd.argv[3])
        return (python, str(SELF), "--child", *package, *options, "--", *cmd.argv[4:])
    return (python, str(SELF), "--child", *options, "--", *cmd.argv[1:])


def stages(
    cases: Sequence[tuple[str, Sequence[Command]]], env: dict[str, str], python: str
) -> None:
    """Where the time of each warm plan command goes: one run through ``--child --stages``."""
    print("stages of one run each (seconds of CPU; this script's --child --stages):")
    print(
        f"  {'case':<10} {'command':<40} {'imports':>8} {'load':>7} {'make_plan':>10} "
        f"{'format':>7} {'main':>7}"
    )
    for case, cmd in ((case, cmd) for case, cmds in cases for cmd in cmds):
        if cmd.kind == "remind" or "warm" not in cmd.label:
            continue
        done = subprocess.run(
            child_argv(cmd, python, "--stages"),
            cwd=ROOT,
            env={**env, **dict(cmd.env)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
        times = json.loads(done.stderr.strip().splitlines()[-1])
        print(
            f"  {case:<10} {cmd.label:<40} {times['imports']:>8.3f} {times['load']:>7.3f} "
            f"{times['make_plan']:>10.3f} {times['format']:>7.3f} {times['main']:>7.3f}"
        )
    print(
        "  imports: the package's (reminders.cli); main: reminders.cli.main, from loading to "
        "writing the output; format: the text formatter (the rest of main is mostly encoding "
        "and writing)"
    )


def profile(cmd: Command, env: dict[str, str], python: str, top: int) -> None:
    """cProfile of one plan command (through ``--child --profile``): the top functions."""
    import pstats

    with tempfile.TemporaryDirectory() as folder:
        stats = Path(folder) / "plan.prof"
        subprocess.run(
            child_argv(cmd, python, "--profile", str(stats)),
            cwd=ROOT,
            env={**env, **dict(cmd.env)},
            stdout=subprocess.DEVNULL,
            check=True,
        )
        print(f"cProfile of '{cmd.label}' (the profiler slows it down), by own time:")
        pstats.Stats(str(stats), stream=sys.stdout).sort_stats("tottime").print_stats(top)


def child(args: list[str]) -> int:
    """``reminders ARGS`` in this process: ``--package DIR`` imports the package from DIR;
    ``--stages`` prints the CPU seconds of its stages on stderr (JSON); ``--profile FILE``
    writes cProfile statistics."""
    parser = argparse.ArgumentParser(prog="plan.py --child")
    parser.add_argument("--package", help="a folder holding another copy of reminders/")
    parser.add_argument("--stages", action="store_true")
    parser.add_argument("--profile", metavar="FILE")
    parser.add_argument("args", nargs=argparse.REMAINDER)
    options = parser.parse_args(args)
    sys.path.insert(0, options.package or str(ROOT))
    sys.argv[0] = "reminders"
    clock = time.process_time
    begun = clock()
    import reminders as package
    from reminders.cli import main as reminders
    from reminders.config import load
    from reminders.plan import output

    imported = clock() - begun
    where = Path(package.__file__ or "").resolve().parent.parent
    if where != Path(sys.path[0]).resolve():
        sys.exit(f"imported reminders from {where}, not from {sys.path[0]}")
    times: dict[str, float] = {}
    if options.stages:

        def timed(name: str, function: Any) -> Any:
            def wrapper(*inner: Any, **keys: Any) -> Any:
                start = clock()
                try:
                    return function(*inner, **keys)
                finally:
                    times[name] = times.get(name, 0.0) + clock() - start

            return wrapper

        load.load = timed("load", load.load)
        output.make_plan = timed("make_plan", output.make_plan)
        for name, formatter in output.FORMATTERS.items():
            output.FORMATTERS[name] = timed("format", formatter)
        # The table and JSON as the command writes them: pieces, joined a part at a time.
        for name, (make, separator) in output.PIECES.items():
            output.PIECES[name] = (timed("format", make), separator)
    rest = options.args[1:] if options.args[:1] == ["--"] else options.args
    profiler = cProfile.Profile() if options.profile else None
    start = clock()
    if profiler is not None:
        profiler.enable()
    code = reminders(rest)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(options.profile)
    times["main"] = clock() - start
    times["imports"] = imported
    if options.stages:
        print(json.dumps(times), file=sys.stderr)
    return code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, help="timed rounds at most (default 30 and 10)")
    parser.add_argument("--warmup", type=int, default=2, help="untimed rounds first (default 2)")
    parser.add_argument(
        "--budget",
        type=float,
        default=120.0,
        help="seconds of timed runs per command in case 2, after --min-runs (default 120)",
    )
    parser.add_argument("--min-runs", type=int, default=2, help="case 2 (default 2)")
    parser.add_argument("--quick", action="store_true", help="few rounds, to try the script")
    parser.add_argument("--observances", type=int, default=OBSERVANCES, help="case 2's size")
    parser.add_argument("--python", default=default_python(), help="the venv's interpreter")
    parser.add_argument("--seed", type=int, default=20261201, help="calendar and shuffle seed")
    parser.add_argument("--no-stages", action="store_true", help="skip the stage times")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cProfile the package's plan of case 2 (slow) and the prototype's",
    )
    parser.add_argument("--top", type=int, default=20, help="functions to show in a profile")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also time the package in DIR/reminders (warm), checked to write the same bytes",
    )
    args = parser.parse_args()
    if args.baseline is not None and not (args.baseline / "reminders" / "__main__.py").is_file():
        sys.exit(f"--baseline {args.baseline}: expected a folder with reminders/__main__.py in it")
    if args.quick:
        limits1 = Limits(args.runs or 5, 1, 1e9, 1)
        limits2 = Limits(args.runs or 3, 1, 20.0, 1)
    else:
        limits1 = Limits(args.runs or 30, args.warmup, 1e9, 1)
        limits2 = Limits(args.runs or 10, args.warmup, args.budget, args.min_runs)

    remind = shutil.which("remind")
    if remind is None:
        sys.exit("remind is not installed (Debian: apt-get install remind)")
    os.chdir(ROOT)  # ./config.toml is found from the working directory
    env = child_env()
    done = subprocess.run([remind], capture_output=True, text=True)  # usage, on stderr
    usage = done.stdout + done.stderr
    version = next(line for line in usage.splitlines() if line.startswith("REMIND"))
    header("reminders plan against remind -s12", args.python, f"; {version.split(' Copy')[0]}")
    print(
        "a new process per run, output to /dev/null; rounds of every command once, shuffled; "
        "cold = REMINDERS_CACHE_DIR=off, warm = a cache folder of the case's own, filled "
        "before timing, edited = a copy of case 2's calendar touched before each run (read and "
        "checked again; the host calendar from its cache); ratio = remind's median / the row's "
        "median (above 1: faster than remind)"
    )
    print()
    with tempfile.TemporaryDirectory(prefix="plan-bench-") as name:
        folder = Path(name)
        bundled_rem, config, generated_rem = prepare(folder, args.observances, args.seed)
        case1 = case_commands(
            args.python, remind, bundled_rem, None, folder / "cache1", args.baseline
        )
        edited = folder / "edited"
        (edited / "calendars").mkdir(parents=True)
        for source in (folder / "calendars").glob("*.toml"):
            shutil.copy(source, edited / "calendars" / source.name)
        (edited / "config.toml").write_text(config_toml(edited / "calendars"), encoding="utf-8")
        case2 = case_commands(
            args.python, remind, generated_rem, config, folder / "cache2", args.baseline, edited
        )
        script = str(Path(args.python).with_name("reminders"))
        capture(Command("check", (script, "--config", str(config), "check")), env)
        time.sleep(SETTLE)  # the generated files must be old enough for the cache to keep them
        notes = [f"reminders --config $TMP/config.toml check: ok ({args.observances} observances)"]
        outputs1 = {cmd.label: capture(cmd, env) for cmd in case1}
        notes += check_case("case 1", case1, outputs1)
        outputs2 = {cmd.label: capture(cmd, env) for cmd in case2}
        notes += check_case("case 2", case2, outputs2)
        for note in notes:
            print(note)
        print()
        rows1 = measure(case1, outputs1, limits1, env, args.seed)
        report("1", rows1, None)
        rows2 = measure(case2, outputs2, limits2, env, args.seed)
        ok = report(f"2 ({args.observances:,})", rows2, TARGET)
        print(
            f"target (case 2, the plan at least {TARGET:g}x faster than remind): "
            f"{'MET' if ok else 'MISSED'} (the warm rows: the plan as it runs from the second "
            "run on; cold and edited are reported, the baseline is for information)"
        )
        print(
            "runs: case 2 stops timing a command after "
            f"{limits2.budget:g} s of runs once it has {limits2.min_runs}; output: the bytes "
            "written to stdout"
        )
        print()
        print(f"commands (cwd {ROOT}; $TMP = the temporary folder):")
        show_commands(case1 + case2, folder)
        if args.baseline is not None:
            print("  ($BASELINE: bench/plan.py's BASELINE, reminders.cli.main imported from DIR)")
        if not args.no_stages:
            print()
            stages((("1", case1), (f"2 ({args.observances:,})", case2)), env, args.python)
        if args.profile:
            for cmd in (c for c in case2 if c.kind == "plan" and c.label.endswith(", warm")):
                print()
                profile(cmd, env, args.python, args.top)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        sys.exit(child(sys.argv[2:]))
    main()
