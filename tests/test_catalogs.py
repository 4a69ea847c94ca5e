"""The gettext catalogs of the templates' program text (reminders/locale/): they hold every
sentence the templates mark, the shipped .mo files are the .po files compiled, and a notice is
written from the catalog of its output language, English from the templates themselves."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from reminders.config import templates
from reminders.core import i18n, words

from .conftest import GOLDEN, ROOT

LOCALE = ROOT / "reminders" / "locale"
LANGUAGES = ("az", "ru", "tr", "ur")


def catalog(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def msgids(found: Catalog) -> set[object]:
    return {message.id for message in found if message.id}


def test_the_template_holds_every_sentence_the_templates_mark(tmp_path: Path) -> None:
    # On a failure: extract again (the command is in pyproject.toml, [tool.babel]), then
    # `pybabel update` the languages' catalogs and `pybabel compile` them (docs/design-notes.md).
    extracted = tmp_path / "reminders.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "-F", str(ROOT / "pyproject.toml"), "--no-wrap",
         "-o", str(extracted), str(ROOT / "reminders"), str(ROOT / "templates")]
    )  # fmt: skip
    marked = msgids(catalog(extracted))
    assert len(marked) > 50  # the notices' sentences at least
    assert msgids(catalog(LOCALE / "reminders.pot")) == marked


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_language_has_every_sentence_and_its_mo_compiled_from_its_po(language: str) -> None:
    folder = LOCALE / language / "LC_MESSAGES"
    po = catalog(folder / "reminders.po")
    assert msgids(po) == msgids(catalog(LOCALE / "reminders.pot"))
    assert po.locale is not None
    assert str(po.locale) == language
    compiled = io.BytesIO()
    write_mo(compiled, po)  # what `pybabel compile` writes
    assert (folder / "reminders.mo").read_bytes() == compiled.getvalue(), (
        f"{folder / 'reminders.mo'} is not {folder / 'reminders.po'} compiled: run "
        "pybabel compile -d reminders/locale -D reminders"
    )


def test_a_translated_sentence_is_written_in_the_output_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A notice in a language whose catalog translates one sentence: that sentence translated,
    placeholders filled; with the language not yet an output, the golden English notice."""
    from reminders.config.load import load
    from reminders.core.notices import find_notice
    from reminders.notify.render import render_notice
    from reminders.plan.yearplans import YearPlans

    po = catalog(LOCALE / "az" / "LC_MESSAGES" / "reminders.po")
    sentence = "The day is %(when)s. If you issue a press note, send it to your media list today. "
    (source,) = (m.id for m in po if isinstance(m.id, str) and m.id.startswith(sentence))
    po[source].string = "Gün %(when)s. Mətbuat bildirişi (sınaq tərcüməsi)."
    po[source].flags.discard("fuzzy")
    folder = tmp_path / "locale" / "az" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "reminders.mo").open("wb") as handle:
        write_mo(handle, po)
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(tmp_path / "locale"))
    config = tmp_path / "config.toml"
    text = (ROOT / "config.toml").read_text("utf-8")
    assert text.count('language = "en"') == 1
    config.write_text(text.replace('language = "en"', 'language = "az"'), encoding="utf-8")
    monkeypatch.chdir(ROOT)

    def press_note() -> str:
        loaded = load(str(config), date(2026, 11, 23))
        settings = loaded.settings
        rule = settings.rule("press-1")
        assert rule is not None
        notice = find_notice(loaded.calendars, rule, "february-26", 2027, settings.organisation)
        assert notice is not None
        env = templates.environment(settings.templates_dir)
        plan = YearPlans(loaded).of(notice.occurrence)
        return render_notice(env, notice, settings, notice.fire_at, False, plan).text

    english = press_note()  # words.OUTPUTS is {"en"}: the catalog is not read
    assert english == (GOLDEN / "notices" / "press-1-february-26-2027.txt").read_text("utf-8")

    monkeypatch.setattr(words, "OUTPUTS", words.OUTPUTS | {"az"})
    translated = press_note()  # "when" is words.py's Azerbaijani "tomorrow"
    assert "\nGün sabah. Mətbuat bildirişi (sınaq tərcüməsi).\n" in translated
    assert "If you issue a press note" not in translated
    # Sentences the catalog does not translate yet stay as the templates write them.
    assert "DRAFT PRESS NOTE (not for release before review)" in translated
