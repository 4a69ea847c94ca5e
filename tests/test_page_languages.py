"""The subscribe page in each configured language: ``/`` picks one by Accept-Language (with
``Vary``), ``/LANG/`` names it, a switcher links them all, each page links its language's feeds,
its script's words come translated, Urdu is right to left, a calendar text with no translation
says its own language, and the bytes of each language are a golden file.

The real browser's view of the same pages (layout, Intl, axe-core) is tests/test_browser.py."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from reminders.core import words
from reminders.core.i18n import t
from reminders.core.settings import Loaded
from reminders.web.app import App, Site, build_pages
from reminders.web.feeds import FeedSet, build_feeds
from reminders.web.negotiation import negotiate, ranges
from reminders.web.page import check_page, render_index
from reminders.web.site import export_site

from .conftest import GOLDEN, ROOT, TODAY, english_config_text
from .test_page import BUILT_AT, Element, items, load, read

LANGUAGES = ("en", "az", "ru", "tr", "ur")  # the default first
NAMES = ["English", "Azərbaycanca", "Русский", "Türkçe", "اردو"]
BASE = "http://127.0.0.1:8080"


@pytest.fixture(autouse=True)
def every_language_written(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every language an output (words.OUTPUTS), whether or not the catalogs open it yet."""
    monkeypatch.setattr(words, "OUTPUTS", frozenset(LANGUAGES))


def multilingual(loaded: Loaded, languages: tuple[str, ...] = LANGUAGES) -> Loaded:
    """``loaded`` with ``[organisation] languages`` set (the default first)."""
    settings = loaded.settings
    org = settings.organisation._replace(language=languages[0], languages=languages)
    return Loaded(settings._replace(organisation=org), loaded.calendars)


def feeds_of(loaded: Loaded) -> FeedSet:
    return build_feeds(loaded, TODAY, {}, inputs_changed=0, built_at=BUILT_AT)


@pytest.fixture(scope="module")
def five() -> FeedSet:
    """The bundled configuration in five languages."""
    return feeds_of(multilingual(load(ROOT / "config.toml")))


@pytest.fixture
def client(five: FeedSet) -> Iterator[TestClient]:
    site = Site(five, today=lambda _zone: TODAY)
    with TestClient(App(site)) as test_client:
        yield test_client


def page_in(feeds: FeedSet, language: str) -> Element:
    return read(render_index(feeds, TODAY, language=language).html)


def html_element(page: Element) -> Element:
    return page.one("html")


def golden_name(language: str) -> str:
    return f"index-2026-11-23.{language}.html"


# --- Accept-Language ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, "en"),
        ("", "en"),
        ("ur-PK", "ur"),  # a regional tag finds its language
        ("ur-PK,ur;q=0.9,en;q=0.8", "ur"),
        ("fr-FR, fr;q=0.9, az;q=0.5", "az"),  # French is not configured: the next one
        ("fr", "en"),  # nothing configured: the default
        ("*", "en"),
        ("de, *;q=0.1", "en"),
        ("ru;q=0, tr;q=0.1", "tr"),  # q=0: not this one
        ("ru;q=0", "en"),
        ("AZ", "az"),  # letter case aside
        ("az-Latn-AZ", "az"),
        ("en-US,en;q=0.9", "en"),
        ("tr;q=0.5, ru;q=0.5", "tr"),  # equal weights: the header's order
        ("tr;q=0.5, ru;q=0.6", "ru"),
        ("ur;q=abc, ru", "ru"),  # an unreadable weight is 0
        ("ur;q=2, ru;q=0.1", "ru"),  # and so is one above 1
        ("ur;q=nan, ru;q=0.1", "ru"),
        (" , ;q=1, ,ru", "ru"),
        (b"tr", "tr"),
        ("\u00e9\u00e8, ru", "ru"),
    ],
)
def test_accept_language_picks_a_configured_language(header: Any, expected: str) -> None:
    assert negotiate(header, LANGUAGES) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("ur", "ur-PK"),  # a language finds the regional tag configured for it
        ("ur-IN", "ur-PK"),
        ("en", "en-GB"),
        ("en-GB", "en-GB"),
        ("en-gb", "en-GB"),
        ("az", "en-GB"),
    ],
)
def test_regional_tags_configured(header: str, expected: str) -> None:
    assert negotiate(header, ("en-GB", "ur-PK")) == expected


def test_ranges_are_heaviest_first() -> None:
    assert ranges("en;q=0.2, ur-PK, ru;q=0.8, tr;q=0") == ["ur-pk", "ru", "en"]


def test_no_language_configured_is_refused() -> None:
    with pytest.raises(ValueError, match="no language is configured"):
        negotiate("en", ())


@given(st.text(max_size=200))
@example("ur-PK;q=0.9, *;q=0")
@example(";;;,,,q=")
def test_any_header_gives_one_of_the_configured_languages(header: str) -> None:
    assert negotiate(header, LANGUAGES) in LANGUAGES
    assert negotiate(header.encode("utf-8"), ("en-GB", "ur-PK")) in ("en-GB", "ur-PK")


@given(
    st.sampled_from(LANGUAGES),
    st.sampled_from(["", "-PK", "-AZ", "-Latn"]),
    st.integers(1, 1000),
    st.lists(st.sampled_from(["de", "fr", "zh-Hant", "xx"]), max_size=4),
)
def test_a_configured_language_named_with_weight_wins_over_unknown_ones(
    language: str, region: str, weight: int, unknown: list[str]
) -> None:
    header = ", ".join([*unknown, f"{language}{region};q={weight / 1000:.3f}"])
    assert negotiate(header, LANGUAGES) == language


# --- The routes ---------------------------------------------------------------------------------


def test_root_is_the_page_in_the_visitors_language_and_says_it_varies(client: TestClient) -> None:
    for header, language in ((None, "en"), ("ur-PK,ur;q=0.9", "ur"), ("az", "az")):
        headers = {"accept-language": header} if header else {}
        reply = client.get("/", headers=headers)
        assert reply.status_code == 200
        assert reply.headers["vary"] == "accept-encoding, accept-language"
        assert reply.headers["content-language"] == language
        explicit = client.get(f"/{language}/")
        assert reply.content == explicit.content  # the same page as /LANG/ ...
        assert reply.headers["etag"] == explicit.headers["etag"]  # ... and the same tag
        assert explicit.headers["vary"] == "accept-encoding"  # /LANG/ does not vary
        assert explicit.headers["content-language"] == language
        assert html_element(read(reply.content)).attrs["lang"] == language


def test_each_language_has_its_own_etag_and_304(client: TestClient) -> None:
    tags = {language: client.get(f"/{language}/").headers["etag"] for language in LANGUAGES}
    assert len(set(tags.values())) == len(LANGUAGES)
    again = client.get("/", headers={"accept-language": "az", "if-none-match": tags["az"]})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == tags["az"]
    assert again.headers["vary"] == "accept-encoding, accept-language"
    # The visitor's language changed: Azerbaijani's tag does not answer for Russian.
    other = client.get("/", headers={"accept-language": "ru", "if-none-match": tags["az"]})
    assert other.status_code == 200
    assert other.headers["etag"] == tags["ru"]
    explicit = client.get("/ur/", headers={"if-none-match": tags["ur"]})
    assert explicit.status_code == 304


@pytest.mark.parametrize("path", ["/fr/", "/de/", "/AZ/", "/az", "/ur-PK/", "/en-GB/", "/xx/"])
def test_a_language_not_configured_is_the_plain_404(client: TestClient, path: str) -> None:
    reply = client.get(path)
    unknown = client.get("/no-such-page")
    assert reply.status_code == 404
    assert (reply.content, reply.headers["content-type"]) == (
        unknown.content,
        unknown.headers["content-type"],
    )


def test_head_of_a_language_page_has_the_headers_and_no_body(client: TestClient) -> None:
    head = client.head("/tr/")
    get = client.get("/tr/")
    assert (head.status_code, head.content) == (200, b"")
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-length"] == get.headers["content-length"]


def test_one_language_serves_its_page_at_lang_too(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        english_config_text()
        .replace('# calendars = "calendars"', f'calendars = "{ROOT / "calendars"}"')
        .replace('# templates = "templates"', f'templates = "{ROOT / "templates"}"'),
        "utf-8",
    )
    feeds = feeds_of(load(config))
    with TestClient(App(Site(feeds, today=lambda _zone: TODAY))) as single:
        assert single.get("/en/").content == single.get("/").content
        assert single.get("/az/").status_code == 404
    page = read(render_index(feeds, TODAY).html)
    assert not [nav for nav in page.all("nav", "languages")]  # no switcher for one language


def test_build_pages_renders_every_language(five: FeedSet) -> None:
    pages = build_pages(five)
    assert list(pages.pages) == list(LANGUAGES)
    for language, page in pages.pages.items():
        assert page.body == render_index(five, TODAY, language=language).html


def test_the_plan_in_each_language(client: TestClient) -> None:
    default = client.get("/plan/2027")
    assert default.status_code == 200
    assert client.get("/en/plan/2027").content == default.content
    for language in ("az", "ur"):
        reply = client.get(f"/{language}/plan/2027")
        assert reply.status_code == 200
        assert html_element(read(reply.content)).attrs["lang"] == language
        assert reply.content != default.content
    for path in ("/fr/plan/2027", "/az/plan/1800", "/az/plan/x", "/az/plan/"):
        assert client.get(path).status_code == 404, path


# --- What each page says ------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_switcher_links_every_language_named_in_itself(five: FeedSet, language: str) -> None:
    page = page_in(five, language)
    nav = page.one("nav", "languages")
    links = list(nav.all("a"))
    assert [a.text() for a in links] == NAMES
    assert [a.attrs["href"] for a in links] == [f"{BASE}/{tag}/" for tag in LANGUAGES]
    assert [a.attrs["hreflang"] for a in links] == list(LANGUAGES)
    assert [a.attrs["lang"] for a in links] == list(LANGUAGES)
    assert [a.attrs["dir"] for a in links] == ["ltr"] * 4 + ["rtl"]
    current = [a.attrs["hreflang"] for a in links if a.attrs.get("aria-current") == "page"]
    assert current == [language]
    assert nav.attrs["aria-label"] == t(language, "Languages")


@pytest.mark.parametrize("language", LANGUAGES)
def test_lang_and_dir_of_each_page(five: FeedSet, language: str) -> None:
    root = html_element(page_in(five, language))
    assert root.attrs["lang"] == language
    assert root.attrs["dir"] == ("rtl" if language == "ur" else "ltr")


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_page_links_its_languages_feeds(five: FeedSet, language: str) -> None:
    page = page_in(five, language)
    prefix = "" if language == "en" else f"/{language}"  # the default's feeds keep their URLs
    addresses = [a.one("input").attrs["value"] for a in page.all("article", "feed")]
    assert addresses == [f"{BASE}{prefix}/all.ics", f"{BASE}{prefix}/calendars/remembrance.ics"]
    first = next(page.all("article", "feed"))
    webcal = f"webcal://127.0.0.1:8080{prefix}/all.ics"
    assert first.one("a", "primary").attrs["href"] == webcal
    for field in first.all("input"):
        assert field.attrs["dir"] == "ltr"  # an address reads left to right in Urdu too


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_page_links_the_plans_in_its_language(five: FeedSet, language: str) -> None:
    links = [a.attrs["href"] for a in page_in(five, language).by_id("plans").all("a")]
    prefix = "" if language == "en" else f"/{language}"
    assert links == [f"{BASE}{prefix}/plan/2026", f"{BASE}{prefix}/plan/2027"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_scripts_words_come_translated(five: FeedSet, language: str) -> None:
    said = json.loads(page_in(five, language).one("body").attrs["data-words"])
    assert said == {
        "locale": "en-GB" if language == "en" else language,
        "copied": t(language, "Copied"),
        "press": t(language, "Press Ctrl+C"),
        "your_time": t(language, "%(time)s your time (%(zone)s)"),
        "on_day": t(language, "%(time)s, %(date)s"),
        "counted": t(language, "Days are counted from your date, %(date)s."),
    }
    if language != "en":
        assert said["copied"] != "Copied"  # the catalog has it
        assert "your time" not in said["your_time"]


def test_the_script_holds_no_english_words() -> None:
    """Its words come from the page (data-words) and Intl; comments aside, no English."""
    script = (ROOT / "templates" / "web" / "script.js").read_text("utf-8")
    code = "\n".join(line.split("//", 1)[0] for line in script.splitlines())
    literals = re.findall(r'"((?:[^"\\]|\\.)*)"', code)
    for english in ("Copy", "Copied", "Press", "your time", "tomorrow", " days", " ago", "Days"):
        assert not [text for text in literals if english in text], english
    for month in ("January", "February", "Monday", "Wednesday"):
        assert month not in code


def test_urdu_times_name_their_places_in_urdu(five: FeedSet) -> None:
    moment = items(page_in(five, "ur"))[0].one("div", "moment")
    times = [li.text() for li in moment.one("ul", "times").all("li")]
    baku = t("ur", "%(time)s %(place)s time (%(zone)s)") % {
        "time": words.clock(datetime(2027, 1, 20, 12, 0), "ur"),
        "place": "باکو",
        "zone": "Asia/Baku",
    }
    assert times[0] == baku
    assert "Asia/Karachi" in times[1]
    assert "کراچی" in times[1]


def test_the_days_count_and_dates_are_the_pages_language(five: FeedSet) -> None:
    for language in LANGUAGES:
        first = items(page_in(five, language))[0]
        assert first.one("span", "when").text() == words.when(58, language)
        day = first.one("p", "date").one("time")
        assert day.attrs["datetime"] == "2027-01-20"
        written = words.long_date(date(2027, 1, 20), language)
        assert day.text() == " ".join(written.split())  # (text() folds a narrow no-break space)


# --- Calendar texts in the page's language, or marked as another's -----------------------------

PARTLY = """\
    [calendar]
    id = "open"
    name = "Open days"
    timezone = "Asia/Baku"

    [calendar.translations.az]
    name = "Açıq günlər"
    translator = "draft, not reviewed by a native speaker"

    [[observance]]
    id = "january-20"
    title = "{ordinal} anniversary of the January 20 Tragedy"
    date = "01-20"
    since = 1990
    description = "The night of 19 to 20 January 1990 in Baku."

    [observance.translations.az]
    title = "20 Yanvar faciəsinin {ordinal} ildönümü"
    translator = "draft, not reviewed by a native speaker"

    [[observance.moment]]
    id = "silence"
    name = "Minute of silence"
    time = "12:00"
    duration = "PT1M"
    """


def test_a_text_with_no_translation_says_its_own_language(project: Any) -> None:
    feeds = feeds_of(multilingual(load(project({"open.toml": PARTLY})), ("en", "az")))
    page = page_in(feeds, "az")
    first = items(page)[0]
    title = first.one("h3").one("bdi")
    assert title.text() == f"20 Yanvar faciəsinin {words.ordinal(37, 'az')} ildönümü"
    assert "lang" not in title.attrs  # in the page's language
    assert first.one("div", "moment").one("bdi").attrs["lang"] == "en"  # not translated
    assert first.one("details").one("p").attrs["lang"] == "en"
    feed = page.by_id("feed-2")
    assert feed.text() == "Açıq günlər"
    assert "lang" not in feed.one("bdi").attrs
    # The configuration's texts are in the default language, English.
    assert page.one("h1").one("bdi").attrs["lang"] == "en"
    # In English, nothing is marked.
    english = render_index(feeds, TODAY, language="en").html
    assert b' lang="az"' not in english.split(b'<nav class="languages"', 1)[0]
    assert b"<bdi lang=" not in english


# --- check, the export, the golden files --------------------------------------------------------


def test_check_renders_every_language(five: FeedSet, tmp_path: Path) -> None:
    import shutil

    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    index = folder / "web" / "index.html"
    index.write_text(
        index.read_text("utf-8").replace(
            "{% if languages %}",
            "{% if organisation.language == 'ur' %}{{ nope }}{% endif %}{% if languages %}",
        ),
        "utf-8",
    )
    settings = five.loaded.settings._replace(templates_dir=str(folder))
    problems = check_page(Loaded(settings, five.loaded.calendars), TODAY)
    assert len(problems) == 1  # met in Urdu only, said once
    assert "'nope' is undefined" in problems[0].expected


def test_export_writes_the_page_in_every_language(project: Any, tmp_path: Path) -> None:
    config = project({"open.toml": PARTLY})
    text = config.read_text("utf-8")
    config.write_text(
        text.replace("[organisation]\n", '[organisation]\nlanguages = ["en", "az"]\n')
    )
    loaded = load(config)
    assert loaded.settings.organisation.languages == ("en", "az")
    site = tmp_path / "site"
    export_site(str(config), loaded, str(site), now=BUILT_AT)
    with TestClient(App(Site(feeds_of(loaded), today=lambda _zone: TODAY))) as client:
        for language in ("en", "az"):
            served = client.get(f"/{language}/").content
            assert (site / language / "index.html").read_bytes() == served
        assert (site / "index.html").read_bytes() == client.get("/").content  # the default
    assert b'<html lang="az" dir="ltr">' in (site / "az" / "index.html").read_bytes()
    for year in (2026, 2027):
        assert (site / "az" / "plan" / f"{year}.html").read_bytes() == client.get(
            f"/az/plan/{year}"
        ).content
        assert (site / "en" / "plan" / f"{year}.html").read_bytes() == (
            site / "plan" / f"{year}.html"
        ).read_bytes()


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_languages_page_equals_its_golden_file(five: FeedSet, language: str) -> None:
    expected = (GOLDEN / "web" / golden_name(language)).read_bytes()
    assert render_index(five, TODAY, language=language).html == expected


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=5, unique=True))
def test_any_set_of_languages_renders_a_page_in_each(five: FeedSet, chosen: list[str]) -> None:
    loaded = multilingual(five.loaded, tuple(chosen))
    feeds = feeds_of(loaded)
    for language in chosen:
        page = page_in(feeds, language)
        assert html_element(page).attrs["lang"] == language
        switcher = [
            a.attrs["hreflang"] for nav in page.all("nav", "languages") for a in nav.all("a")
        ]
        assert switcher == (chosen if len(chosen) > 1 else [])
        prefix = "" if language == chosen[0] else f"/{language}"
        first = next(page.all("article", "feed")).one("input").attrs["value"]
        assert first == f"{BASE}{prefix}/all.ics"
