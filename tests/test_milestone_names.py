"""A milestone's name in the plan's language: ``[milestone.translations.LANG] name`` in the config,
else its own name marked with its language, in every plan format, its ICS and its notices."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, english_config_text

Cli = Callable[..., tuple[int, str, str]]


def _config(tmp_path: Path, languages: str, milestones: str) -> Path:
    """The bundled config with ``languages`` and only ``milestones`` (TOML) as its milestones;
    its calendars and templates are the bundled ones."""
    text = english_config_text().replace(
        'language = "en"\n', f'language = "en"\nlanguages = {languages}\n', 1
    )
    start = text.index("[[milestone]]")
    end = text.index("# --- The delivery ledger")
    path = tmp_path / "config.toml"
    path.write_text(text[:start] + milestones + "\n" + text[end:], "utf-8")
    return path


VENUE = """
[[milestone]]
id = "book-venue"
name = "Book the venue"
working_days = 30
"""
VENUE_AZ = (
    VENUE
    + """
[milestone.translations.az]
name = "Məkanı sifariş edin"
translator = "A. Aliyev"
reviewed = true
"""
)


def test_a_translated_name_is_the_plans_and_an_untranslated_one_is_marked(
    cli: Cli, tmp_path: Path
) -> None:
    config = _config(tmp_path, '["en", "az", "ru"]', VENUE_AZ)
    run = cli
    code, out, _ = run("--config", str(config), "plan", "2027", "--language", "az")
    assert code == 0
    assert "Məkanı sifariş edin (30 iş günü əvvəl)" in out
    assert "Book the venue" not in out
    # Russian has no translation: the English name, marked as English, never passed off as
    # Russian, in every format.
    code, out, _ = run("--config", str(config), "plan", "2027", "--language", "ru")
    assert code == 0
    assert re.search(r"\[en\] Book the venue \(за 30 рабочих дней до\)", out)
    code, out, _ = run(
        "--config", str(config), "plan", "2027", "--language", "ru", "--format", "json"
    )
    assert '"name": "[en] Book the venue"' in out
    code, out, _ = run(
        "--config", str(config), "plan", "2027", "--language", "ru", "--format", "ics"
    )
    unfolded = out.replace("\r\n ", "")
    assert "SUMMARY;LANGUAGE=ru:[en] Book the venue: 37-я годовщина" in unfolded
    # In English, the name as written, nothing marked.
    code, out, _ = run("--config", str(config), "plan", "2027")
    assert "Book the venue (30 working days before)" in out
    assert "[en]" not in out


def test_check_lists_untranslated_and_unreviewed_names(cli: Cli, tmp_path: Path) -> None:
    unreviewed = VENUE_AZ.replace("reviewed = true", "reviewed = false")
    config = _config(tmp_path, '["en", "az", "ru"]', unreviewed)
    code, _, err = cli("--config", str(config), "check")
    assert code == 0
    assert (
        f"warning: {config}: milestone 'book-venue'.translations.az.name: the az translation "
        "is not reviewed (translator: A. Aliyev)"
    ) in err
    assert (
        f"warning: {config}: milestone 'book-venue' in ru: no translation of its name ('Book "
        "the venue'); the plan and its notices show it in en, marked [en] "
        "([milestone.translations.ru] name = ... translates it)"
    ) in err
    assert "milestone 'book-venue' in en" not in err


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        (
            '[milestone.translations.french]\nname = "x"\ntranslator = "y"\n',
            "milestone[1].translations.french: got 'french'; expected a BCP 47 language tag",
        ),
        ('[milestone.translations.az]\nname = "x"\n', "translations.az.translator"),
        ('[milestone.translations.az]\ntranslator = "y"\n', "at least one of name"),
    ],
)
def test_a_bad_translation_table_is_refused_with_its_key(
    cli: Cli, tmp_path: Path, table: str, problem: str
) -> None:
    config = _config(tmp_path, '["en", "az"]', VENUE + "\n" + table)
    code, out, err = cli("--config", str(config), "check")
    assert code == 1
    assert out == ""
    assert str(config) in err
    assert problem in err


def test_the_bundled_config_names_every_milestone_in_five_languages() -> None:
    import tomllib

    document = tomllib.loads((ROOT / "config.toml").read_text("utf-8"))
    for milestone in document["milestone"]:
        assert set(milestone["translations"]) == {"az", "ru", "tr", "ur"}, milestone["id"]
        for found in milestone["translations"].values():
            assert found["name"].strip()
            assert found.get("reviewed", False) is False  # nobody has reviewed them yet
