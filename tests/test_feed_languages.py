"""The feed in each configured language: /LANG/all.ics and /LANG/calendars/ID.ics, their bytes
(golden files in five languages), UIDs, LANGUAGE= parameters, HTTP validators and gzip, private
calendars behind the same tokens, ``export --language`` and ``export --site``."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.core import words
from reminders.core.ics import FeedInfo, build_ics
from reminders.core.model import Calendar, Event, Fact, FixedDate, Moment, Observance, Translation
from reminders.core.translate import calendar_in
from reminders.web.app import App, Site
from reminders.web.feeds import FeedSet, build_feeds
from reminders.web.server import current_feeds
from tests.regenerate_golden import (
    FEED_LANGUAGES,
    feed_language_cases,
    languages_config,
    render,
)
from tests.test_tokens import CALENDARS, NEW, OLD
from tests.test_translations import SOURCE
from tests.test_web import NOW, call, load_project, make_project

from .conftest import GOLDEN, ROOT

OTHERS = ("az", "ru", "tr", "ur")
TEXT_PROPERTIES = ("SUMMARY", "DESCRIPTION", "LOCATION")


@pytest.fixture(autouse=True)
def every_language(monkeypatch: pytest.MonkeyPatch) -> None:
    """The five languages open to the outputs (words.OUTPUTS), as the catalogs make them."""
    monkeypatch.setattr(words, "OUTPUTS", frozenset({"en", *OTHERS}))


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled config.toml with en, az, ru, tr and ur configured (English the default)."""
    return languages_config(tmp_path_factory.mktemp("languages"))


@pytest.fixture(scope="module")
def goldens(config: Path) -> dict[str, bytes]:
    """Each language's golden feed of 2027, by language."""
    return {
        name.split(".")[-2]: (GOLDEN / name).read_bytes() for name, _ in feed_language_cases(config)
    }


def unfold(data: bytes) -> list[str]:
    return data.decode().replace("\r\n ", "").split("\r\n")


def vevents(data: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(data).walk("VEVENT"))


# --- The bytes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", FEED_LANGUAGES)
def test_the_feed_in_each_language_is_its_golden_file(config: Path, language: str) -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    (name, args), *_ = [c for c in feed_language_cases(config) if f".{language}." in c[0]]
    assert render(args) == (GOLDEN / name).read_bytes()


def test_the_default_language_s_feed_is_the_one_without_languages(
    goldens: dict[str, bytes],
) -> None:
    """Configuring more languages changes no byte of the default language's feed."""
    alone = render(
        ("--config", str(ROOT / "config.toml"), "export", "--from", "2027", "--to", "2027",
         "--examples"),
    )  # fmt: skip
    assert alone == goldens["en"]
    assert b"LANGUAGE=" not in alone


def test_the_uids_and_times_are_the_same_in_every_language(goldens: dict[str, bytes]) -> None:
    def shape(data: bytes) -> list[tuple[str, str, str, str]]:
        return [
            (str(e["UID"]), e["DTSTART"].to_ical().decode(), e["DTEND"].to_ical().decode(),
             str(e.get("RELATED-TO", "")))
            for e in vevents(data)
        ]  # fmt: skip

    english = shape(goldens["en"])
    assert len(english) == 6  # four observances, the minute of silence, the sample event
    for language in OTHERS:
        assert shape(goldens[language]) == english, language


@pytest.mark.parametrize("language", OTHERS)
def test_every_text_property_names_its_language(goldens: dict[str, bytes], language: str) -> None:
    """In another language's feed every SUMMARY, DESCRIPTION and LOCATION says LANGUAGE=xx:
    the bundled calendar has every text in every language, so all of them say ``language``;
    so do the combined feed's own name and description, which the config translates
    ([feed.translations.LANG])."""
    lines = unfold(goldens[language])
    inside = lines[lines.index("BEGIN:VEVENT") :]
    texts = [line for line in inside if line.split(":", 1)[0].split(";")[0] in TEXT_PROPERTIES]
    assert len(texts) == 6 + 6 + 1  # a SUMMARY and a DESCRIPTION per VEVENT, one LOCATION
    assert all(line.split(":", 1)[0].endswith(f";LANGUAGE={language}") for line in texts)
    head = lines[: lines.index("BEGIN:VTIMEZONE")]
    assert [line.split(":", 1)[0] for line in head if "LANGUAGE" in line] == [
        f"DESCRIPTION;LANGUAGE={language}",
        f"X-WR-CALDESC;LANGUAGE={language};VALUE=TEXT",
        f"NAME;LANGUAGE={language};VALUE=TEXT",
        f"X-WR-CALNAME;LANGUAGE={language};VALUE=TEXT",
    ]


def test_the_texts_are_the_translations_with_their_grammar(goldens: dict[str, bytes]) -> None:
    titles = {
        language: sorted(str(e["SUMMARY"]) for e in vevents(data) if "2027" in str(e["UID"]))
        for language, data in goldens.items()
    }
    assert titles["az"][:2] == [
        "10 noyabr 2020-ci il üçtərəfli bəyanatının 7-ci ildönümü",
        "20 Yanvar faciəsinin 37-ci ildönümü",
    ]
    assert "37-я годовщина трагедии 20 Января" in titles["ru"]
    assert "Минута молчания: 37-я годовщина трагедии 20 Января" in titles["ru"]
    assert "Hocalı soykırımının 35. yıl dönümü" in titles["tr"]
    assert "خوجالی نسل کشی کی 35ویں برسی" in titles["ur"]
    assert "Anım Günü: 44 günlük müharibənin başlanmasının 7-ci ildönümü" in titles["az"]
    ru = goldens["ru"].decode().replace("\r\n ", "")
    # the program's sentences are Russian; a fact's source is cited as it is
    assert "2027 год: 37-я годовщина (события произошли в 1990 году)." in ru
    assert "(Источник: APA news agency\\, 20 January 2024.)" in ru
    assert "Пример: Круглый стол: 35 лет Ходжалинскому геноциду" in ru


# --- A text with no translation -----------------------------------------------------------------


def sample() -> Calendar:
    """tests/test_translations.py's calendar: some texts in az, some only in English."""
    import tempfile

    from reminders.config.calendars import load_calendars
    from tests.conftest import TODAY

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "sample.toml").write_text(SOURCE, encoding="utf-8")
        (calendar,) = load_calendars(folder, TODAY)
    return calendar


def test_a_text_with_no_translation_is_shown_in_english_and_marked() -> None:
    calendar = sample()
    info = FeedInfo("Feed", "", "test.example.org", timedelta(hours=12), "az", "en")
    data = build_ics((calendar_in(calendar, "az"),), 2027, 2027, info, examples=True)
    lines = unfold(data)
    assert "SUMMARY;LANGUAGE=az:20 Yanvar faciəsinin 37-ci ildönümü" in lines
    assert "SUMMARY;LANGUAGE=az:Dəyirmi masa" in lines
    assert "LOCATION;LANGUAGE=az:Əsas zal" in lines
    (moment,) = [line for line in lines if line.startswith("SUMMARY") and "sükut" in line]
    assert moment == "SUMMARY;LANGUAGE=az:Bir dəqiqəlik sükut: 20 Yanvar faciəsinin 37-ci ildönümü"
    (description,) = [line for line in lines if line.startswith("DESCRIPTION") and "1990" in line]
    # the feed's language; the one fact left in English says so where it stands
    assert description.startswith("DESCRIPTION;LANGUAGE=az:1990-cı il 19-dan 20 yanvara")
    assert "\\n- Təxminən 150 dinc sakin həlak oldu. (" in description
    assert "\\n- [en] Flags are lowered. (" in description
    assert "[en]" not in description.replace("[en] Flags", "")
    # the calendar's name is Azerbaijani; no translation of its description: English, marked
    head = build_ics(
        (calendar_in(calendar, "ru"),), 2027, 2027,
        info._replace(language="ru", name_language="en"), examples=False,
    )  # fmt: skip
    summaries = [line for line in unfold(head) if line.startswith("SUMMARY")]
    assert summaries == [
        "SUMMARY;LANGUAGE=ru:37-я годовщина трагедии 20 Января",
        "SUMMARY;LANGUAGE=ru:[en] Minute of silence: 37-я годовщина трагедии 20 Января",
        "SUMMARY;LANGUAGE=en:Roundtable",
    ]


def test_the_default_feed_marks_only_what_is_not_in_the_default_language() -> None:
    """An organisation whose default is Azerbaijani: the az feed marks the English texts
    only; the English feed marks every text."""
    calendar = sample()
    info = FeedInfo("Feed", "", "test.example.org", timedelta(hours=12), "az", "az")
    lines = unfold(build_ics((calendar_in(calendar, "az"),), 2027, 2027, info, examples=True))
    marked = [line.split(":", 1)[0] for line in lines if "LANGUAGE=" in line.split(":", 1)[0]]
    assert marked == []  # the event's description is empty; every other text is in az
    en = info._replace(language="en")
    lines = unfold(build_ics((calendar,), 2027, 2027, en, examples=False))
    marked = [line.split(":", 1)[0] for line in lines if line.startswith(TEXT_PROPERTIES)]
    assert set(marked) == {"SUMMARY;LANGUAGE=en", "DESCRIPTION;LANGUAGE=en", "LOCATION;LANGUAGE=en"}


# --- HTTP -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def feeds(config: Path) -> Iterator[FeedSet]:
    before = words.OUTPUTS
    words.OUTPUTS = frozenset({"en", *OTHERS})
    try:
        yield build_feeds(
            load_project(config),
            date(2026, 12, 1),
            {},
            int(datetime(2026, 11, 25, tzinfo=UTC).timestamp()),
            datetime(2026, 12, 1, 12, tzinfo=UTC),
        )
    finally:
        words.OUTPUTS = before


def test_each_language_has_its_urls_and_the_default_s_are_unchanged(feeds: FeedSet) -> None:
    assert feeds.public == ("/all.ics", "/calendars/remembrance.ics")
    assert feeds.translated == tuple(
        (language, (f"/{language}/all.ics", f"/{language}/calendars/remembrance.ics"))
        for language in OTHERS
    )
    assert feeds.resources["/az/calendars/remembrance.ics"].name == "Azərbaycanın anım günləri"
    assert feeds.resources["/ur/all.ics"].language == "ur"
    assert feeds.resources["/all.ics"].language == ""
    etags = {r.etag for r in feeds.resources.values()}
    assert len(etags) == len(feeds.resources) == 10  # every feed its own bytes


@pytest.mark.parametrize("path", ["/ru/all.ics", "/ur/calendars/remembrance.ics"])
def test_a_language_s_feed_has_validators_304_and_gzip(feeds: FeedSet, path: str) -> None:
    app = App(Site(feeds))
    resource = feeds.resources[path]
    full = call(app, "GET", path)
    assert full.status == 200
    assert full.body == resource.body
    assert full.headers["etag"] == resource.etag
    assert full.headers["content-type"] == "text/calendar; charset=utf-8"
    assert full.headers["vary"] == "accept-encoding"
    same = call(app, "GET", path, [(b"if-none-match", resource.etag.encode())])
    assert (same.status, same.body) == (304, b"")
    zipped = call(app, "GET", path, [(b"accept-encoding", b"gzip")])
    assert zipped.headers["content-encoding"] == "gzip"
    assert gzip.decompress(zipped.body) == resource.body
    assert call(app, "GET", "/fr/all.ics").status == 404
    assert call(app, "GET", "/ru/calendars/nothing.ics").status == 404


def test_a_private_calendar_in_a_language_is_behind_the_same_tokens(tmp_path: Path) -> None:
    config = make_project(tmp_path, CALENDARS)
    text = config.read_text("utf-8")
    config.write_text(
        text.replace("[organisation]\n", '[organisation]\nlanguages = ["en", "ru"]\n')
    )
    environ = {"REMINDERS_FEED_TOKENS": f"staff-roster={OLD}, staff-roster={NEW}"}
    feeds = current_feeds(str(config), load_project(config), environ, NOW)
    app = App(Site(feeds))
    private = "/ru/calendars/staff-roster.ics"
    for target in (f"{private}?token={OLD}", f"/ru/calendars/{NEW}/staff-roster.ics"):
        reply = call(app, "GET", target)
        assert reply.status == 200, target
        assert reply.body == feeds.resources[private].body
    refused = call(app, "GET", "/calendars/no-such-calendar.ics")
    wrong = (
        private,
        f"{private}?token=wrong",
        "/ru/calendars/wrong/staff-roster.ics",
        f"/calendars/{OLD}/open-days.ics",
        f"/ru/calendars/{OLD}/open-days.ics",
    )
    for target in wrong:
        reply = call(app, "GET", target)
        assert (reply.status, reply.headers, reply.body) == refused, target
    assert private not in dict(feeds.translated)["ru"]


# --- The command line -----------------------------------------------------------------------------


def test_export_language_refuses_a_language_not_configured(
    config: Path, cli: Callable[..., tuple[int, str, str]]
) -> None:
    code, _, err = cli("--config", str(config), "export", "--language", "fr")
    assert code == 2
    assert err.strip().endswith(
        "--language 'fr': not one of [organisation] languages; expected one of: en, az, ru, tr, ur"
    )


def test_export_site_writes_every_language_s_feeds(
    config: Path, tmp_path: Path, cli: Callable[..., tuple[int, str, str]],
    feeds: FeedSet,
) -> None:  # fmt: skip
    code, out, err = cli("--config", str(config), "export", "--site", str(tmp_path / "site"))
    assert code == 0, err
    site = tmp_path / "site"
    for language in OTHERS:
        for name in ("all.ics", "calendars/remembrance.ics"):
            body = (site / language / name).read_bytes()
            assert body.startswith(b"BEGIN:VCALENDAR")
            assert gzip.decompress((site / language / f"{name}.gz").read_bytes()) == body
    assert b"LANGUAGE=ur" in (site / "ur" / "all.ics").read_bytes()
    # a calendar no longer exported in a language is removed from that language's folder
    stale = site / "az" / "calendars" / "gone.ics"
    stale.write_bytes(b"old")
    code, out, err = cli("--config", str(config), "export", "--site", str(site))
    assert code == 0, err
    assert not stale.exists()
    assert f"removed {stale} (no longer a public calendar)" in out + err


# --- Any translation, in the feed -----------------------------------------------------------------

LINE = (
    st.text(st.characters(codec="utf-8", categories=("L", "N", "Zs", "P")), min_size=1, max_size=30)
    # "\N" in a text is a line break to icalendar, the authority of the feed's escaping (and so
    # not the text itself back: tests/test_ics_pieces.py checks it is written as icalendar does).
    .map(lambda text: text.replace("{", "(").replace("}", ")").replace("\\N", "\\ N").strip())
    .filter(bool)
)


@st.composite
def translated(draw: st.DrawFn) -> Calendar:
    observances = []
    for n in range(draw(st.integers(1, 3))):
        tables = []
        for language in draw(st.lists(st.sampled_from(OTHERS), unique=True)):
            keys = draw(st.sets(st.sampled_from(["title", "description"]), min_size=1))
            texts = tuple((k, draw(LINE)) for k in sorted(keys))
            tables.append(Translation(language, texts, "test", draw(st.booleans())))
        fact = Fact(draw(LINE), "a source")
        moment = Moment("m", draw(LINE), datetime(2027, 1, 1, 12).time(), timedelta(minutes=1),
                        "Asia/Baku")  # fmt: skip
        observances.append(
            Observance(
                f"o{n}",
                draw(LINE),
                FixedDate(3, n + 1),
                2000,
                draw(LINE),
                (fact,),
                (moment,),
                (),
                tuple(sorted(tables)),
            )
        )
    event = Event("e", draw(LINE), "Asia/Baku", day=date(2027, 5, 5), venue=draw(LINE))
    return Calendar("c", "C", "", "Asia/Baku", True, datetime(2026, 1, 1, tzinfo=UTC), "c.toml",
                    tuple(observances), (event,))  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=translated(), language=st.sampled_from(("en", *OTHERS)))
def test_any_translation_reaches_the_feed_with_its_language(
    calendar: Calendar, language: str
) -> None:
    info = FeedInfo("Feed", "", "test.example.org", timedelta(hours=12), language, "en")
    data = build_ics((calendar_in(calendar, language),), 2027, 2027, info, examples=False)
    by_uid = {str(e["UID"]): e for e in vevents(data)}
    for observance in calendar.observances:
        event = by_uid[f"c-{observance.id}-2027@test.example.org"]
        table = {t.language: dict(t.texts) for t in observance.translations}.get(language, {})
        for key, prop in (("title", "SUMMARY"), ("description", "DESCRIPTION")):
            value, original = event[prop], getattr(observance, key)
            if language == "en":
                assert str(value).startswith(original)
                assert "LANGUAGE" not in value.params
            elif prop == "SUMMARY":  # the title alone: in its own language
                assert str(value) == table.get(key, original)
                assert value.params["LANGUAGE"] == (language if key in table else "en")
            else:  # the feed's sentences around it: the feed's language, English marked
                assert str(value).startswith(table.get(key, f"[en] {original}"))
                assert value.params["LANGUAGE"] == language


def test_the_documented_nginx_block_serves_each_language_s_feeds_and_nothing_else() -> None:
    """The location of the feeds in docs/web.md's nginx block (tests/test_site.py runs the
    block in a real nginx on a one-language export) takes the /LANG/ feeds too."""
    text = (ROOT / "docs" / "web.md").read_text("utf-8")
    (pattern,) = re.findall(r'location ~ "(\^/\(\?:\[a-z\]\{2,3\}.*?\.ics\)\$)"', text)
    matches = re.compile(pattern.replace("(?<", "(?P<")).fullmatch
    for path in ("/all.ics", "/calendars/remembrance.ics", "/az/all.ics", "/ur-PK/all.ics",
                 "/ru/calendars/remembrance.ics"):  # fmt: skip
        assert matches(path), path
    for path in ("/az/index.html", "/../all.ics", "/az/x/all.ics", "/calendars/a/b.ics",
                 "/az/calendars/.ics", "/AZERI/all.ics"):  # fmt: skip
        assert not matches(path), path


def test_the_served_feeds_are_the_exports_in_each_language(feeds: FeedSet) -> None:
    """build_feeds makes each calendar's occurrences once for all its languages (icsevents.
    expanded); each language's feed is still byte for byte its export."""
    from reminders.core.ics import export_ics

    loaded = feeds.loaded
    for language in FEED_LANGUAGES:
        tag = "" if language == "en" else f"/{language}"
        for calendar, path in ((None, "/all.ics"), ("remembrance", "/calendars/remembrance.ics")):
            exported = export_ics(
                loaded, feeds.first_year, feeds.last_year, calendar, None, language
            )
            assert feeds.resources[tag + path].body == exported, (language, path)
