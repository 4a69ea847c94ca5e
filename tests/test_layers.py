"""The folders' layers and the absence of import cycles, as pyproject.toml's import-linter
contracts state them (docs/design-notes.md, "Layout").

import-linter reads every import statement of the package, those inside functions and under
``TYPE_CHECKING`` included, so an import cannot dodge a layer by hiding in a function.
"""

from __future__ import annotations

import pytest
from importlinter import api  # (importing it configures import-linter)
from importlinter.application import use_cases

from .conftest import ROOT

CONFIG = str(ROOT / "pyproject.toml")


def test_the_contracts_are_the_layers_of_the_design() -> None:
    """Guards the contracts themselves: a layer dropped from pyproject.toml would pass silently."""
    contracts = {c["id"]: c for c in api.read_configuration(CONFIG)["contracts_options"]}
    assert contracts["layers"]["containers"] == ["reminders"]
    assert contracts["layers"]["layers"] == ["cli", "notify | web", "plan", "config", "core"]
    assert contracts["layers"]["exhaustive"] == "True"
    assert contracts["acyclic"]["type"] == "acyclic_siblings"
    assert contracts["acyclic"]["ancestors"] == ["reminders"]


@pytest.mark.parametrize("contract", ["layers", "acyclic"])
def test_the_package_keeps_its_contract(contract: str, capsys: pytest.CaptureFixture[str]) -> None:
    # The application's entry, not the command's: the command reconfigures logging for the whole
    # process (every other logger disabled), and it would write a cache folder into the project.
    kept = use_cases.lint_imports(
        CONFIG, limit_to_contracts=(contract,), cache_dir=None, no_logo=True, is_debug_mode=True
    )
    assert kept, capsys.readouterr().out
