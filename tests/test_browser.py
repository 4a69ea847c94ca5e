"""The subscribe page in a real headless Chromium, served by a real ``reminders serve`` process.

What a person sees: the calendar names, the subscribe links, the next observance with its date
and anniversary, and the minute of silence in the visitor's own time zone, which only the page's
inline script can write (Chromium runs with TZ=America/New_York, so it also proves that the
Content-Security-Policy lets the script run).  The page depends on the real date, so the
expectations are computed from ``occurrences()`` for today, never written down.

Then the plan of the current year on a phone (the months wrap, the legend shows, a month's days
open by tap), and axe-core, the checker inside Lighthouse, over the page and the plan: no
violation of WCAG 2 A and AA or of its best practices.

The server is configured with five languages (en, the default, az, ru, tr, ur): the page in each
language (``/LANG/``) is photographed (a PNG per language in the test's folder), and its layout
is measured, not its fonts: in Urdu the page runs right to left (the heading, the paragraphs,
the switcher, the subscribe buttons and the next day's bar on the right), in the others left to
right; the counts and times the script writes are in the page's language; axe-core passes.

axe-core comes from npm (.ci/run installs it into the git-ignored tests/.node); without it the
tests that run it skip and say so.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest

from reminders.config.calendars import load_calendars
from reminders.config.config_file import load_config
from reminders.core.model import Occurrence
from reminders.core.occurrences import occurrences
from reminders.core.words import DAY_MONTH, format_date, long_date, when

from .conftest import ROOT, english_config_text

CHROMIUM = Path("/usr/bin/chromium")
# axe-core, the accessibility checker that Lighthouse runs, installed by .ci/run with npm.
AXE = ROOT / "tests" / ".node" / "node_modules" / "axe-core" / "axe.min.js"
CHROMEDRIVER = Path("/usr/bin/chromedriver")
VISITOR_ZONE = "America/New_York"
BASE_URL = "https://calendars.example.org/remembrance"
LISTEN = ("--listen", "127.0.0.1:0")  # any free port; the log line says which
LANGUAGES = ("en", "az", "ru", "tr", "ur")  # the server's, the default first

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs a real browser: the Debian packages chromium and chromium-driver "
        "(/usr/bin/chromium and /usr/bin/chromedriver)",
    ),
]


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the repository's config with a public base URL and the repository's folders."""
    folder = tmp_path_factory.mktemp("served")
    text = english_config_text()
    text = text.replace("[feed]\n", f'[feed]\nbase_url = "{BASE_URL}"\n')
    languages = ", ".join(f'"{language}"' for language in LANGUAGES)
    text = text.replace('language = "en"\n', f'language = "en"\nlanguages = [{languages}]\n', 1)
    text = text.replace(
        "[paths]\n",
        f"[paths]\ncalendars = '{ROOT / 'calendars'}'\ntemplates = '{ROOT / 'templates'}'\n",
    )
    assert BASE_URL in text
    assert "languages = [" in text
    path = folder / "config.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.fixture(scope="module")
def server(config: Path) -> Iterator[str]:
    """``reminders serve --listen 127.0.0.1:0``; yields the URL its log line gives."""
    process = subprocess.Popen(
        [sys.executable, "-m", "reminders", "--config", str(config), "serve", *LISTEN],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=config.parent,
        env={**os.environ, "REMINDERS_CACHE_DIR": "off"},
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stderr is not None
        for raw in process.stderr:
            lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    marker = "serving the feed on "
    try:
        deadline = time.monotonic() + 20
        url = ""
        while not url:
            found = [line for line in list(lines) if marker in line]
            if found:
                url = found[0].split(marker, 1)[1].split()[0]
            elif process.poll() is not None or time.monotonic() > deadline:
                time.sleep(0.2)  # the last lines
                pytest.fail("reminders serve did not start:\n" + "\n".join(lines))
            else:
                time.sleep(0.05)
        assert url.startswith("http://127.0.0.1:"), url
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        reader.join(5)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Headless Chromium in New York time; Selenium Manager is never asked for anything."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tmp_path_factory.mktemp("chromium-profile")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--window-size=1200,1000",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=str(CHROMEDRIVER), env={**os.environ, "TZ": VISITOR_ZONE})
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_AVOID_STATS", "true")
        driver = webdriver.Chrome(options=options, service=service)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def page(browser: Any, server: str) -> Any:
    """The browser showing ``/``."""
    browser.get(f"{server}/")
    return browser


def coming(config: Path) -> list[Occurrence]:
    """The occurrences of the next two years from the server's date (the organisation's)."""
    settings = load_config(config)
    today = datetime.now(ZoneInfo(settings.organisation.timezone)).date()
    calendars = load_calendars(settings.calendars_dir, today)
    public = [c for c in calendars if c.public]
    found = occurrences(public, today, today + timedelta(days=731), examples=True)
    return list(found)


def css(element: Any, selector: str) -> Any:
    from selenium.webdriver.common.by import By

    return element.find_element(By.CSS_SELECTOR, selector)


def css_all(element: Any, selector: str) -> list[Any]:
    from selenium.webdriver.common.by import By

    return list(element.find_elements(By.CSS_SELECTOR, selector))


def test_browser_runs_in_the_visitors_zone(page: Any) -> None:
    zone = page.execute_script("return Intl.DateTimeFormat().resolvedOptions().timeZone")
    assert zone == VISITOR_ZONE


def test_calendar_names_and_subscribe_links(page: Any) -> None:
    feeds = css_all(page, "#subscribe article.feed")
    assert [css(f, "h3").text for f in feeds] == [
        "Remembrance days all calendars",
        "Remembrance days of Azerbaijan",
    ]
    expected = [
        ("/all.ics", "Remembrance days"),
        ("/calendars/remembrance.ics", "Remembrance days of Azerbaijan"),
    ]
    for feed, (path, name) in zip(feeds, expected, strict=True):
        https, webcal = BASE_URL + path, BASE_URL.replace("https://", "webcal://") + path
        links = {a.text: a.get_attribute("href") for a in css_all(feed, "ul.links a")}
        add = f"?url={quote(https, safe='')}&name={quote(name, safe='')}"
        assert links == {
            "Subscribe": webcal,
            "Google Calendar": "https://calendar.google.com/calendar/r?cid="
            + quote(webcal, safe=""),
            "Outlook.com": "https://outlook.live.com/calendar/0/addfromweb" + add,
            "Microsoft 365": "https://outlook.office.com/calendar/0/addfromweb" + add,
        }
        assert css(feed, "input").get_attribute("value") == https
        copy = css(feed, "button.copy")
        assert copy.is_displayed()  # the script shows it
        assert copy.text == "Copy"
        assert not css(feed, "p.plain").is_displayed()  # only on paper


def test_next_observance_with_its_date_and_anniversary(page: Any, config: Path) -> None:
    first = next(item for item in coming(config) if item.event is None)
    shown = css(page, "ol.days li.item.observance")
    assert css(shown, "h3").text == first.title  # the title carries the anniversary number
    assert f"{first.ordinal} " in first.title
    assert css(shown, "p.date time").text == long_date(first.date, "en")
    # The script recounts the days from the visitor's own date (New York).
    visitor_today = datetime.now(ZoneInfo(VISITOR_ZONE)).date()
    assert css(shown, "p.date .when").text == when((first.date - visitor_today).days, "en")


def test_minute_of_silence_in_new_york_time(page: Any, config: Path) -> None:
    day = next(item for item in coming(config) if item.moments and item.event is None)
    placed = day.moments[0]
    assert placed.moment.name == "Minute of silence"
    local = placed.start.astimezone(ZoneInfo(VISITOR_ZONE))
    expected = f"{local:%H:%M} your time ({VISITOR_ZONE})"
    if local.date() != day.date:
        expected += f", {format_date(local.date(), DAY_MONTH, 'en')}"
    utc = placed.start.astimezone(UTC)
    element = css(page, f'time.visitor[datetime="{utc:%Y-%m-%dT%H:%M:%SZ}"]')
    assert element.text == expected
    assert element.text == "03:00 your time (America/New_York)"  # noon in Baku, in winter
    item = element.find_element("xpath", "./ancestor::li[contains(@class, 'item')]")
    assert css(item, "h3").text == day.title
    times = [li.text for li in css_all(item, ".moment ul.times li")]
    assert times[:2] == ["12:00 Baku time (Asia/Baku)", "13:00 Karachi time (Asia/Karachi)"]


def test_copy_button_puts_the_address_on_the_clipboard(page: Any, server: str) -> None:
    page.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": server, "permissions": ["clipboardReadWrite"]},
    )
    button = css(page, "#subscribe article.feed button.copy")
    button.click()
    deadline = time.monotonic() + 5
    while button.text != "Copied" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert button.text == "Copied"
    pasted = page.execute_async_script(
        "var done = arguments[0]; navigator.clipboard.readText().then(done, function (e) {"
        " done('refused: ' + e); });"
    )
    assert pasted == f"{BASE_URL}/all.ics"


def test_style_applies_and_nothing_is_refused(page: Any) -> None:
    # The button colour comes from the inline style block: the policy let it in.
    primary = css(page, "a.button.primary")
    assert primary.value_of_css_property("background-color") == "rgba(11, 83, 148, 1)"
    problems = [e for e in page.get_log("browser") if e["level"] == "SEVERE"]
    assert problems == []


def test_phone_width_has_no_sideways_scrolling_and_large_tap_targets(page: Any) -> None:
    page.set_window_size(390, 844)
    try:
        width = page.execute_script("return document.documentElement.clientWidth")
        scroll = page.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width
        for link in css_all(page, "ul.links a") + css_all(page, "button.copy"):
            assert link.size["height"] >= 44
    finally:
        page.set_window_size(1200, 1000)


def plan_path(config: Path) -> str:
    """The plan of the organisation's current year, which the page links."""
    zone = load_config(config).organisation.timezone
    return f"/plan/{datetime.now(ZoneInfo(zone)).year}"


def violations(browser: Any) -> list[dict[str, Any]]:
    """What axe-core finds wrong in the page the browser shows (WCAG 2.x A and AA, and best
    practices).  The script is handed over by WebDriver, which the page's policy does not
    govern; nothing is loaded from elsewhere."""
    browser.execute_script(AXE.read_text("utf-8"))
    found = browser.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then("
        "  function (r) { done(r.violations); },"
        "  function (e) {"
        "    done([{id: 'axe-error', impact: 'error', help: String(e), nodes: []}]); });"
    )
    assert isinstance(found, list)
    return found


def described(found: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}; at "
        + "; ".join(" ".join(node["target"]) for node in v["nodes"][:5])
        for v in found
    )


@pytest.mark.skipif(
    not AXE.exists(),
    reason="needs axe-core, which .ci/run installs with npm into tests/.node "
    "(npm install --prefix tests/.node axe-core)",
)
# "/" is the English page; Azerbaijani and Urdu (right to left) stand for the other languages,
# whose pages differ from these in words only (each run costs about 0.7 s).
@pytest.mark.parametrize("which", ["page", "page-az", "page-ur", "plan"])
def test_axe_core_finds_no_violation(browser: Any, server: str, config: Path, which: str) -> None:
    if which == "plan":
        path = plan_path(config)
    else:
        path = "/" if which == "page" else f"/{which.removeprefix('page-')}/"
    browser.get_log("browser")  # empty it: only what this page logs counts below
    browser.get(server + path)
    try:
        # Lighthouse's best practices also want a quiet console: no refused script or style,
        # no 404 for an icon.
        assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []
        found = violations(browser)
        assert found == [], f"axe-core on {path}:\n{described(found)}"
    finally:
        browser.get(f"{server}/")


def test_plan_on_a_phone_wraps_shows_the_legend_and_tells_a_day_by_tap(
    browser: Any, server: str, config: Path
) -> None:
    browser.set_window_size(390, 844)
    browser.get(server + plan_path(config))
    try:
        width = browser.execute_script("return document.documentElement.clientWidth")
        scroll = browser.execute_script("return document.documentElement.scrollWidth")
        assert scroll <= width  # nothing scrolls sideways
        months = css_all(browser, "ol.year > li.month")
        assert len(months) == 12
        tops = [m.location["y"] for m in months]
        assert tops[0] == tops[1] < tops[2]  # two months to a row
        legend = css(browser, "ul.legend")
        assert legend.is_displayed()
        assert legend.rect["x"] + legend.rect["width"] <= width
        assert "Remembrance day" in legend.text
        # A month's days in words open by a tap on its summary, which is large enough to hit.
        january = months[0]
        summary = css(january, "details summary")
        assert summary.size["height"] >= 24
        listed = css(january, "details dl")
        assert not listed.is_displayed()
        summary.click()
        assert listed.is_displayed()
        assert "anniversary of the January 20 Tragedy" in listed.text
        link = css(january, "ul.labels a")
        year = plan_path(config).rsplit("/", 1)[1]
        assert link.get_attribute("href").endswith(f"#entry-remembrance-january-20-{year}")
    finally:
        browser.set_window_size(1200, 1000)
        browser.get(f"{server}/")


# --- The page in each language ----------------------------------------------------------------

# Where things sit, measured in the page: the text of an element (a Range over its contents, so a
# block's width does not hide where its words are), the boxes of lists' items, computed styles.
LAYOUT = """
function text(selector) {
  var element = document.querySelector(selector);
  var range = document.createRange();
  range.selectNodeContents(element);
  var box = range.getBoundingClientRect();
  return {left: box.left, right: box.right};
}
function boxes(selector) {
  return Array.prototype.map.call(document.querySelectorAll(selector), function (element) {
    var box = element.getBoundingClientRect();
    return {left: box.left, right: box.right};
  });
}
function style(selector) { return getComputedStyle(document.querySelector(selector)); }
var main = document.querySelector("main").getBoundingClientRect();
return {
  lang: document.documentElement.lang,
  dir: style("html").direction,
  content: {left: main.left, right: main.right},
  texts: ["h1", "p.org", "#subscribe-title", "#upcoming-title", "nav:not(.languages) a",
          "p.org"].map(text),
  switcher: boxes("nav.languages li"),
  buttons: boxes("#subscribe article.feed:first-of-type ul.links li"),
  rows: {switcher: boxes("nav.languages ul")[0],
         buttons: boxes("#subscribe article.feed:first-of-type ul.links")[0]},
  bar: {start: style(".item.next").borderInlineStartWidth,
        left: style(".item.next").borderLeftWidth, right: style(".item.next").borderRightWidth},
  times: {left: style("ul.times").paddingLeft, right: style("ul.times").paddingRight},
  address: style("#address-1").direction,
  width: document.documentElement.clientWidth,
  scroll: document.documentElement.scrollWidth
};
"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_page_in_each_language_is_laid_out_in_its_direction(
    browser: Any, server: str, tmp_path: Path, language: str
) -> None:
    browser.get(f"{server}/{language}/")
    try:
        shot = tmp_path / f"page-{language}.png"
        assert browser.save_screenshot(str(shot))
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        found = browser.execute_script(LAYOUT)
        rtl = language == "ur"
        assert (found["lang"], found["dir"]) == (language, "rtl" if rtl else "ltr")
        left, right = found["content"]["left"], found["content"]["right"]
        for box in found["texts"]:  # each heading and short paragraph starts at its side
            if rtl:
                assert abs(box["right"] - right) <= 1, (box, right)
                assert box["left"] > left + 20, (box, left)
            else:
                assert abs(box["left"] - left) <= 1, (box, left)
        # The switcher and the subscribe buttons read from the start side: the first on the right
        # in Urdu, on the left in the others.
        for name in ("switcher", "buttons"):
            row, whole = found[name], found["rows"][name]
            assert len(row) >= 4
            edges = [box["right"] for box in row] if rtl else [box["left"] for box in row]
            assert edges == sorted(edges, reverse=rtl), row
            side = "right" if rtl else "left"
            assert abs(row[0][side] - whole[side]) <= 1, (name, row[0], whole)
        # The next day's bar and the times' indent are on the start side.
        assert found["bar"]["start"] == "4px"
        assert (found["bar"]["right"], found["bar"]["left"]) == (
            ("4px", "0px") if rtl else ("0px", "4px")
        )
        indent = found["times"]["right"] if rtl else found["times"]["left"]
        assert indent != "0px"
        assert found["times"]["left" if rtl else "right"] == "0px"
        assert found["address"] == "ltr"  # an address reads left to right everywhere
        assert found["scroll"] <= found["width"]  # nothing sticks out sideways
    finally:
        browser.get(f"{server}/")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_scripts_counts_and_times_are_in_the_pages_language(
    browser: Any, server: str, config: Path, language: str
) -> None:
    from reminders.core.i18n import t

    browser.get(f"{server}/{language}/")
    try:
        first = next(item for item in coming(config) if item.event is None)
        days = (first.date - datetime.now(ZoneInfo(VISITOR_ZONE)).date()).days
        # What Intl writes in the page's language, and in the browser's own (English).
        locale = "en-GB" if language == "en" else language
        said, english = browser.execute_script(
            "var days = arguments[0];"
            "function count(locale) {"
            "  return new Intl.RelativeTimeFormat(locale, {numeric: 'auto'}).format(days, 'day');"
            "}"
            "return [count(arguments[1]), count('en')];",
            days,
            locale,
        )
        shown = css(css(browser, "ol.days li.item.observance"), "p.date .when").text
        assert shown == said
        if language != "en":
            assert shown != english
        placed = next(item for item in coming(config) if item.moments and item.event is None)
        utc = placed.moments[0].start.astimezone(UTC)
        element = css(browser, f'time.visitor[datetime="{utc:%Y-%m-%dT%H:%M:%SZ}"]')
        clock = browser.execute_script(
            "return new Intl.DateTimeFormat(arguments[0], {timeZone: arguments[1],"
            " timeStyle: 'short'}).format(new Date(arguments[2]));",
            locale,
            VISITOR_ZONE,
            f"{utc:%Y-%m-%dT%H:%M:%SZ}",
        )
        sentence = t(language, "%(time)s your time (%(zone)s)")
        assert element.text == sentence % {"time": clock, "zone": VISITOR_ZONE}
        if language != "en":
            assert "your time" not in element.text
    finally:
        browser.get(f"{server}/")


def test_the_root_page_follows_the_browsers_language(browser: Any, server: str) -> None:
    """``/`` is the page in the language the browser asks for (its Accept-Language, set here
    through the DevTools protocol), right to left in Urdu; the switcher leads to the others."""
    agent = browser.execute_script("return navigator.userAgent")
    browser.execute_cdp_cmd("Network.enable", {})
    try:
        for asked, language, direction in (
            ("ur-PK,ur;q=0.9,en;q=0.5", "ur", "rtl"),
            ("de-DE,az;q=0.7", "az", "ltr"),
            ("de-DE", "en", "ltr"),
        ):
            browser.execute_cdp_cmd(
                "Network.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": asked}
            )
            browser.get(f"{server}/")
            shown = browser.execute_script(
                "return [document.documentElement.lang,"
                " getComputedStyle(document.documentElement).direction]"
            )
            assert shown == [language, direction], asked
            current = css(browser, 'nav.languages a[aria-current="page"]')
            assert current.get_attribute("hreflang") == language
        link = css(browser, 'nav.languages a[hreflang="ur"]')
        assert link.text == "اردو"
        assert link.get_attribute("href") == f"{BASE_URL}/ur/"
    finally:
        browser.execute_cdp_cmd(
            "Network.setUserAgentOverride", {"userAgent": agent, "acceptLanguage": "en-US,en"}
        )
        browser.get(f"{server}/")
