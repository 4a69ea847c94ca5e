"""The configuration's own texts in the reader's language: a milestone's name, the
organisation's and the feed's (``[... .translations.LANG]`` in the config), else as written,
marked with their language where a reader could take them for the output's."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOT, copy_ministry, english_config_text

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
        f"warning: {config}: milestone 'book-venue' in ru: no translation of its name; the plan "
        "and its notices show it as written, marked [en] ([milestone.translations.ru] name = "
        "... translates it)"
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


def test_the_feeds_and_the_organisations_names_in_another_language(
    cli: Cli, tmp_path: Path
) -> None:
    """The bundled ``[feed.translations.az]`` and ``[organisation.translations.az]``: the
    Azerbaijani feed says its name and description in Azerbaijani (LANGUAGE=az), the plan the
    organisation's name; Russian, its feed translation taken out, keeps the English, marked in
    the feed; check lists it."""
    config = _config(tmp_path, '["en", "az", "ru"]', VENUE_AZ)
    text = re.sub(
        r"\[feed\.translations\.ru\]\n(?:[a-z]+ = .*\n)+", "", config.read_text("utf-8"), count=1
    )
    assert "[feed.translations.ru]" not in text
    config.write_text(text, "utf-8")
    code, out, _ = cli("--config", str(config), "export", "--language", "az", "--from", "2027",
                       "--to", "2027")  # fmt: skip
    assert code == 0
    head = out.split("BEGIN:VTIMEZONE")[0].replace("\r\n ", "")
    assert "\r\nX-WR-CALNAME;LANGUAGE=az;VALUE=TEXT:Anım günləri\r\n" in head
    assert (
        "\r\nX-WR-CALDESC;LANGUAGE=az;VALUE=TEXT:Azərbaycanın anım günləri və onlarla bağlı "
        "planlaşdırılan tədbirlər\r\n"
    ) in head
    code, out, _ = cli("--config", str(config), "export", "--language", "ru", "--from", "2027",
                       "--to", "2027")  # fmt: skip
    assert "\r\nX-WR-CALNAME;LANGUAGE=en;VALUE=TEXT:Remembrance days\r\n" in out
    code, out, _ = cli("--config", str(config), "plan", "2027", "--language", "az")
    assert out.startswith("Nümunə səfirlik, İslamabad: 2027 üçün tədbir planı\n")
    code, _, err = cli("--config", str(config), "check")
    assert code == 0
    assert (
        f"warning: {config}: feed in ru: no translation of its name; outputs in ru show it as "
        "written, in en (the page and the feed say so: HTML lang, ICS LANGUAGE=) "
        "([feed.translations.ru] name = ... translates it)"
    ) in err
    assert (
        f"warning: {config}: feed.translations.az.name: the az translation is not reviewed" in err
    )


def test_check_lists_an_untranslated_organisation_name(cli: Cli, tmp_path: Path) -> None:
    """Russian, the organisation's translation taken out: check says its name is shown in
    English; Azerbaijani, still translated, is not listed."""
    config = _config(tmp_path, '["en", "az", "ru"]', VENUE_AZ)
    text = re.sub(
        r"\[organisation\.translations\.ru\]\n(?:[a-z]+ = .*\n)+",
        "",
        config.read_text("utf-8"),
        count=1,
    )
    assert "[organisation.translations.ru]" not in text
    config.write_text(text, "utf-8")
    code, _, err = cli("--config", str(config), "check")
    assert code == 0
    assert (
        f"warning: {config}: organisation in ru: no translation of its name; outputs in ru show "
        "it as written, in en (the page and the feed say so: HTML lang, ICS LANGUAGE=) "
        "([organisation.translations.ru] name = ... translates it)"
    ) in err
    assert "organisation in az" not in err


def test_an_organisation_that_names_itself_has_none_of_the_configs_translations(
    tmp_path: Path,
) -> None:
    from datetime import date

    from reminders.config.organisations import find

    config = copy_ministry(tmp_path / "ministry") / "config.toml"
    text = config.read_text("utf-8").replace(
        "\n[paths]",
        '\n[organisation.translations.az]\nname = "Nazirlik"\ntranslator = "A. Aliyev"\n\n[paths]',
        1,
    )
    config.write_text(text, "utf-8")
    baku = find(str(config), "baku", date(2026, 12, 7)).settings
    assert baku.organisation.name == "Bakı ofisi"
    assert baku.organisation.translations == ()  # "Nazirlik" translates another name
    assert [t.language for t in baku.feed.translations] == ["az", "ur"]  # config.toml's feed
