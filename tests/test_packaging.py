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
        "import sys, reminders.resources as r; from reminders.cli import main; "
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
