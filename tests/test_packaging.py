"""The bundled calendars, templates and config travel in the wheel and are found when installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(out), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if result.returncode != 0 and "No module named 'hatchling'" in result.stderr:
        pytest.skip("hatchling is not installed in this environment (pip install hatchling)")
    assert result.returncode == 0, result.stderr
    (built,) = out.glob("reminders-*.whl")
    return built


def test_wheel_carries_the_bundled_data(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "reminders/_data/calendars/remembrance.toml" in names
    assert "reminders/_data/config.toml" in names
    assert any(name.startswith("reminders/_data/templates/") for name in names)
    # The gettext catalogs travel compiled (reminders/config/templates.py reads the .mo files).
    assert "reminders/locale/reminders.pot" in names
    for language in ("az", "ru", "tr", "ur"):
        folder = f"reminders/locale/{language}/LC_MESSAGES"
        assert {f"{folder}/reminders.po", f"{folder}/reminders.mo"} <= names
        mo = zipfile.ZipFile(wheel).read(f"{folder}/reminders.mo")
        assert mo == (ROOT / folder / "reminders.mo").read_bytes()
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "reminders = reminders.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()


def test_installed_wheel_runs_without_a_checkout(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--disable-pip-version-check", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    # -I keeps the checkout off sys.path; dependencies come from this interpreter's site-packages.
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), *site])}
    env.pop("REMINDERS_CONFIG", None)
    code = (
        "import sys, reminders.config.resources as r; from reminders.cli import main; "
        "print(r.bundled('calendars')); sys.exit(main(['check']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, env=env,
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    first, *rest = result.stdout.splitlines()
    assert first == str(target / "reminders" / "_data" / "calendars")
    assert rest[-1] == "All checks passed: 1 calendar, 4 observances, 1 event."


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The wheel installed in a folder of its own; the environment that runs it, checkout-free."""
    target = tmp_path_factory.mktemp("installed") / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-index", "-q",
         "--disable-pip-version-check", "--target", str(target), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), *site])}
    env.pop("REMINDERS_CONFIG", None)
    return env


def test_installed_bundled_config_keeps_its_state_in_the_xdg_state_folder(
    installed: dict[str, str], tmp_path: Path
) -> None:
    """The wheel's own config: the ledger and outbox go in $XDG_STATE_HOME/reminders/var, the
    same from every folder; check and status create nothing there or where they run; the
    daemon does, and status run from another folder reads what it wrote."""
    # -I drops PYTHONPATH; the site folders go in through the code's sys.path instead.
    paths = installed["PYTHONPATH"].split(os.pathsep)
    env = {**installed, "XDG_STATE_HOME": str(tmp_path / "state")}
    code = (
        f"import sys; sys.path[:0] = {paths!r}; from reminders.cli import main; "
        "sys.exit(main(sys.argv[1:]))"
    )
    state = tmp_path / "state" / "reminders" / "var"
    one, two = tmp_path / "one", tmp_path / "two"
    one.mkdir()
    two.mkdir()

    def reminders(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-I", "-c", code, *args], cwd=cwd, env=env,
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip

    checked = reminders(one, "check")
    assert checked.returncode == 0, checked.stderr
    assert f"channel outbox (file: txt files in {state / 'outbox'})" in checked.stdout
    status = reminders(one, "status")
    assert status.returncode == 0, status.stderr
    assert status.stdout.splitlines()[:3] == [
        f"Ledger: sqlite:///{state / 'ledger.sqlite3'} (none yet: `reminders run` creates it at "
        "its start)",
        "Daemon: has never run with this ledger (start it with `reminders run`)",
        f"Outbox: {state / 'outbox'} (channel outbox; none yet: the daemon creates it at its "
        "start)",
    ]
    assert not (tmp_path / "state").exists()
    assert list(one.iterdir()) == []

    daemon = subprocess.Popen(
        [sys.executable, "-I", "-c", code, "run", "--listen", "127.0.0.1:0"],
        cwd=one, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert daemon.stderr is not None
        log = []
        for line in daemon.stderr:
            log.append(line)
            if "serving the feed on" in "".join(log) and "starting:" in "".join(log):
                break
        started = "".join(log)
        assert f"ledger sqlite:///{state / 'ledger.sqlite3'}" in started, started
        assert f"outbox (file: txt files in {state / 'outbox'})" in started, started
    finally:
        daemon.terminate()
        daemon.wait(30)
    assert daemon.returncode == 0
    assert (state / "ledger.sqlite3").is_file()
    assert (state / "outbox").is_dir()
    assert list(one.iterdir()) == []

    status = reminders(two, "status")
    assert status.returncode == 0, status.stderr
    lines = status.stdout.splitlines()
    assert lines[0] == (
        f"Ledger: sqlite:///{state / 'ledger.sqlite3'} (claimed 0, sent 0, failed 0, missed 0)"
    )
    assert lines[1].startswith("Daemon: last seen ")
    assert lines[2] == f"Outbox: {state / 'outbox'} (channel outbox)"
    assert list(two.iterdir()) == []


def test_installed_wheel_reads_its_own_catalogs(installed: dict[str, str], tmp_path: Path) -> None:
    """The templates' catalogs are found inside the installed package, compiled, with no build
    step (reminders/core/i18n.py; docs/design-notes.md, "Program text in catalogs")."""
    paths = installed["PYTHONPATH"].split(os.pathsep)
    code = (
        f"import sys; sys.path[:0] = {paths!r}; "
        "from reminders.core import i18n; "
        "print(i18n.LOCALE_DIR); "
        "print(' '.join(type(i18n.translations(l)).__name__ for l in "
        "('az', 'ru', 'tr', 'ur', 'ur-PK', 'fr')))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code], cwd=tmp_path, env=installed,
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    folder, kinds = result.stdout.splitlines()
    assert folder == os.path.join(paths[0], "reminders", "locale")
    # fr has no catalog yet: it translates nothing (and the outputs are English anyway).
    assert kinds.split() == ["GNUTranslations"] * 5 + ["NullTranslations"]
