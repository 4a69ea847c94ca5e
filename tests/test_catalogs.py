"""The gettext catalogs of the templates' program text (reminders/locale/): they hold every
sentence the templates mark, the shipped .mo files are the .po files compiled, and a notice is
written from the catalog of its output language, English from the templates themselves."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from reminders.config import templates
from reminders.core import i18n, words

from .conftest import GOLDEN, ROOT, english_config_text

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
    placeholders filled, and a sentence it lacks in English (gettext's fallback; the bundled
    catalogs lack none: test_every_bundled_catalog_is_complete); with the language not an
    output, the golden English notice."""
    from reminders.config.load import load
    from reminders.core.notices import find_notice
    from reminders.notify.render import render_notice
    from reminders.plan.yearplans import YearPlans

    po = catalog(LOCALE / "az" / "LC_MESSAGES" / "reminders.po")
    sentence = "The day is %(when)s. If you issue a press note, send it to your media list today. "
    (source,) = (m.id for m in po if isinstance(m.id, str) and m.id.startswith(sentence))
    po[source].string = "Gün %(when)s. Mətbuat bildirişi (sınaq tərcüməsi)."
    po[source].flags.discard("fuzzy")
    draft = "DRAFT PRESS NOTE (not for release before review)"
    po[draft].string = ""  # untranslated
    folder = tmp_path / "locale" / "az" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    with (folder / "reminders.mo").open("wb") as handle:
        write_mo(handle, po)
    monkeypatch.setattr(i18n, "LOCALE_DIR", str(tmp_path / "locale"))
    config = tmp_path / "config.toml"
    text = english_config_text()
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

    with monkeypatch.context() as patch:
        patch.setattr(words, "OUTPUTS", words.OUTPUTS - {"az"})
        english = press_note()  # az not an output: the catalog is not read
    assert english == (GOLDEN / "notices" / "press-1-february-26-2027.txt").read_text("utf-8")

    translated = press_note()  # "when" is words.py's Azerbaijani "tomorrow"
    assert "\nGün sabah. Mətbuat bildirişi (sınaq tərcüməsi).\n" in translated
    assert "If you issue a press note" not in translated
    # A sentence the catalog does not translate stays as the template writes it.
    assert draft in translated
    assert "\nMƏTBUAT AÇIQLAMASININ QARALAMASI" not in translated


PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MARKUP = re.compile(r"</?[a-z]+\b[^>]*>|&\w+;")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_bundled_catalog_is_complete_and_says_what_is_unreviewed(language: str) -> None:
    """Every sentence of the .pot is translated (a language in words.OUTPUTS is never half
    English), with no placeholder the English lacks and with its HTML, in every plural form
    the language's CLDR plural rule has; no entry is fuzzy (gettext would skip it). Each entry
    carries the translator comment ``unreviewed`` or, once a native speaker has checked it,
    ``reviewed:`` with their name and the date; the header's X-Reviewed says ``no`` while one
    is unreviewed (docs/languages.md, "Marking a translation reviewed")."""
    import gettext

    from babel import Locale

    path = LOCALE / language / "LC_MESSAGES" / "reminders.po"
    po = catalog(path)
    assert language in words.OUTPUTS
    # The header's Plural-Forms sorts whole numbers as CLDR's plural categories do (ru: 1 день,
    # 2 дня, 5 дней, 11 дней, 21 день): the same groups of 0 to 1000, each form one category.
    form = gettext.c2py(po.plural_expr)
    cldr = Locale.parse(language).plural_form
    groups: dict[tuple[int, str], list[int]] = {}
    for n in range(1001):
        groups.setdefault((form(n), cldr(n)), []).append(n)
    pairs = set(groups)
    assert len({index for index, _ in pairs}) == len(pairs) == len({c for _, c in pairs})
    assert len(pairs) == po.num_plurals
    unreviewed = 0
    for message in po:
        if not message.id:
            continue
        english = message.id if isinstance(message.id, str) else message.id[0]
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(forms), f"{path}: {english!r} is not translated"
        assert "fuzzy" not in message.flags, f"{path}: {english!r} is fuzzy"
        if isinstance(message.id, tuple):
            assert len(forms) == po.num_plurals, f"{path}: {english!r}"
        for form in forms:
            # A translation may leave a placeholder out (it names the language itself), never
            # add one: gettext would find nothing to put there.
            assert set(PLACEHOLDER.findall(form)) <= set(PLACEHOLDER.findall(english)), (
                f"{path}: {english!r}: the placeholders of {form!r}"
            )
            assert sorted(m for m in MARKUP.findall(form) if not m.startswith("&")) == sorted(
                m for m in MARKUP.findall(english) if not m.startswith("&")
            ), f"{path}: {english!r}: the HTML of {form!r}"
            assert "\\n" not in form
        reviewed = [c for c in message.user_comments if c.startswith("reviewed: ")]
        marked = ("unreviewed" in message.user_comments) + len(reviewed)
        assert marked == 1, (
            f"{path}: {english!r}: expected one translator comment, '# unreviewed' or "
            f"'# reviewed: NAME, DATE'; got {message.user_comments}"
        )
        unreviewed += not reviewed
    header = path.read_text("utf-8").split("\n\n", 1)[0]
    expected = "no" if unreviewed else "yes"
    assert f'"X-Reviewed: {expected}\\n"' in header, f"{path}: X-Reviewed should be {expected}"
