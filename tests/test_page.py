"""The subscribe page (GET /): what it shows, its escaping, its policy, its bytes and its check."""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote

import pytest
from starlette.testclient import TestClient

from reminders.config.calendars import load_calendars
from reminders.config.config_file import load_config
from reminders.config.resources import shown_path
from reminders.core.errors import Problem
from reminders.core.settings import Loaded
from reminders.web.app import App, Site
from reminders.web.feeds import FeedSet, build_feeds
from reminders.web.page import check_page, page_context, public_feeds, render_index

from .conftest import GOLDEN, ROOT, TODAY

BUILT_AT = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # tests/regenerate_golden.py uses the same


# --- A small reading of the HTML: elements with their attributes and visible text ----------


class Element:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag = tag
        self.attrs = attrs
        self.children: list[Element | str] = []

    @property
    def classes(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def text(self) -> str:
        """The text a reader sees, whitespace collapsed (the raw text of script and style)."""
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def all(self, tag: str = "", cls: str = "") -> Iterator[Element]:
        for child in self.children:
            if isinstance(child, Element):
                if (not tag or child.tag == tag) and (not cls or cls in child.classes):
                    yield child
                yield from child.all(tag, cls)

    def one(self, tag: str = "", cls: str = "") -> Element:
        found = list(self.all(tag, cls))
        assert len(found) == 1, f"{len(found)} <{tag or '*'} class={cls!r}> elements"
        return found[0]

    def by_id(self, ident: str) -> Element:
        (found,) = [e for e in self.all() if e.attrs.get("id") == ident]
        return found


VOID = {"meta", "link", "input", "br", "img", "hr"}


class Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.open = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.open[-1].children.append(element)
        if tag not in VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.open[-1].tag == tag, f"</{tag}> closes <{self.open[-1].tag}>"
        self.open.pop()

    def handle_data(self, data: str) -> None:
        self.open[-1].children.append(data)


def read(html: bytes) -> Element:
    reader = Reader()
    reader.feed(html.decode("utf-8"))
    reader.close()
    assert reader.open == [reader.root], "unclosed elements"
    return reader.root


# --- Fixtures ----------------------------------------------------------------------------


def load(config: Path, today: date = TODAY) -> Loaded:
    settings = load_config(config)
    return Loaded(settings, load_calendars(settings.calendars_dir, today))


def feeds_of(loaded: Loaded, today: date = TODAY) -> FeedSet:
    return build_feeds(loaded, today, {}, inputs_changed=0, built_at=BUILT_AT)


@pytest.fixture(scope="module")
def bundled() -> FeedSet:
    return feeds_of(load(ROOT / "config.toml"))


@pytest.fixture(scope="module")
def page(bundled: FeedSet) -> Element:
    return read(render_index(bundled, TODAY).html)


def items(page: Element) -> list[Element]:
    return list(page.one("ol", "days").all("li", "item"))


def day_of(item: Element) -> str:
    """The ISO date of a listed day."""
    return item.one("p", "date").one("time").attrs["datetime"]


def with_base_url(feeds: FeedSet, base_url: str) -> FeedSet:
    settings = feeds.loaded.settings
    settings = settings._replace(feed=settings.feed._replace(base_url=base_url))
    return feeds_of(Loaded(settings, feeds.loaded.calendars))


def copy_templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    return folder


def using_templates(feeds: FeedSet, folder: Path) -> Loaded:
    settings = feeds.loaded.settings._replace(templates_dir=str(folder))
    return Loaded(settings, feeds.loaded.calendars)


# --- What the page shows on 2026-11-23 -------------------------------------------------------


def test_next_observance_after_2026_11_23_is_the_37th_january_20_on_a_wednesday(
    page: Element,
) -> None:
    first = items(page)[0]
    assert "next" in first.classes
    assert first.one("h3").text() == "37th anniversary of the January 20 Tragedy"
    date_line = first.one("p", "date")
    assert date_line.one("time").attrs["datetime"] == "2027-01-20"
    assert date_line.one("time").text() == "Wednesday, 20 January 2027"
    assert date_line.one("span", "when").text() == "in 58 days"
    assert date_line.one("span", "when").attrs["data-date"] == "2027-01-20"


def test_minute_of_silence_in_baku_karachi_and_utc_times(page: Element) -> None:
    moment = items(page)[0].one("div", "moment")
    assert moment.one("p", "moment-name").text() == "Minute of silence (1 minute)"
    times = [li.text() for li in moment.one("ul", "times").all("li")]
    assert times == [
        "12:00 Baku time (Asia/Baku)",
        "13:00 Karachi time (Asia/Karachi)",
        "08:00 UTC",  # the script turns it into the visitor's own time
    ]
    visitor = moment.one("time", "visitor")
    assert visitor.attrs["datetime"] == "2027-01-20T08:00:00Z"
    assert visitor.attrs["data-day"] == "2027-01-20"


def test_days_list_reaches_the_eighth_observance_with_the_example_event(page: Element) -> None:
    listed = [(day_of(li), li.one("h3").text()) for li in items(page)]
    assert listed == [
        ("2027-01-20", "37th anniversary of the January 20 Tragedy"),
        ("2027-02-26", "35th anniversary of the Khojaly Genocide"),
        ("2027-02-26", "Event Example: Roundtable: 35 years since Khojaly"),
        ("2027-09-27", "Remembrance Day: 7th anniversary of the start of the 44-day war"),
        ("2027-11-10", "7th anniversary of the 10 November 2020 ceasefire agreement"),
        ("2028-01-20", "38th anniversary of the January 20 Tragedy"),
        ("2028-02-26", "36th anniversary of the Khojaly Genocide"),
        ("2028-09-27", "Remembrance Day: 8th anniversary of the start of the 44-day war"),
        ("2028-11-10", "8th anniversary of the 10 November 2020 ceasefire agreement"),
    ]


def test_example_event_is_labelled_with_its_times_and_venue(page: Element) -> None:
    (event,) = [li for li in items(page) if "event" in li.classes]
    assert event.one("span", "tag").text() == "Event"
    assert event.one("p", "part-of").text() == "For the 35th anniversary of the Khojaly Genocide"
    assert [li.text() for li in event.one("ul", "times").all("li")] == [
        "15:00 Karachi time (Asia/Karachi), 2 hours",
        "10:00 UTC",
    ]
    assert event.one("time", "visitor").attrs["datetime"] == "2027-02-26T10:00:00Z"
    assert event.one("p", "venue").text() == "Main Hall, Example Institute, Islamabad"


def test_example_event_is_left_out_without_include_examples(bundled: FeedSet) -> None:
    settings = bundled.loaded.settings
    settings = settings._replace(feed=settings.feed._replace(include_examples=False))
    feeds = feeds_of(Loaded(settings, bundled.loaded.calendars))
    html = render_index(feeds, TODAY).html
    assert b"Roundtable" not in html
    assert all("event" not in li.classes for li in items(read(html)))


def test_everything_in_the_next_60_days_is_listed_beyond_eight(
    project: Callable[..., Path],
) -> None:
    # Ten observances on ten days of December: all within 60 days, so all ten are listed.
    body = '[calendar]\nid = "dense"\nname = "Dense"\ntimezone = "Asia/Baku"\n' + "".join(
        f'[[observance]]\nid = "d{day}"\ntitle = "{{ordinal}} day {day}"\n'
        f'date = "12-{day:02d}"\nsince = 2000\ndescription = "Day {day}."\n'
        for day in range(1, 11)
    )
    config = project({"dense.toml": body})
    feeds = feeds_of(load(config))
    listed = [day_of(li) for li in items(read(render_index(feeds, TODAY).html))]
    assert listed == [f"2026-12-{day:02d}" for day in range(1, 11)]


def test_on_the_day_itself_it_says_today(bundled: FeedSet) -> None:
    day = date(2027, 1, 20)
    first = items(read(render_index(bundled, day).html))[0]
    assert first.one("span", "when").text() == "today"
    assert "today" in first.classes


def test_moment_on_another_day_in_the_organisations_zone_names_that_day(
    project: Callable[..., Path],
) -> None:
    calendar = """\
        [calendar]
        id = "west"
        name = "West coast"
        timezone = "America/Los_Angeles"

        [[observance]]
        id = "vigil"
        title = "{ordinal} vigil"
        date = "01-20"
        since = 2000
        description = "An evening vigil."

        [[observance.moment]]
        id = "candles"
        name = "Candles"
        time = "23:30"
        duration = "PT30M"
        """
    feeds = feeds_of(load(project({"west.toml": calendar})))
    moment = items(read(render_index(feeds, TODAY).html))[0].one("div", "moment")
    assert [li.text() for li in moment.one("ul", "times").all("li")] == [
        "23:30 Los Angeles time (America/Los_Angeles)",
        "12:30 Karachi time (Asia/Karachi), Thursday 21 January",
        "07:30 UTC, Thursday 21 January",
    ]
    assert moment.one("p", "moment-name").text() == "Candles (30 minutes)"


# --- Subscribe links --------------------------------------------------------------------------


def test_every_subscribe_url_of_each_feed_combined_first(bundled: FeedSet) -> None:
    feeds = with_base_url(bundled, "https://feeds.example.org/remembrance")
    page = read(render_index(feeds, TODAY).html)
    articles = list(page.by_id("subscribe").all("article", "feed"))
    assert [a.one("h3").text() for a in articles] == [
        "Remembrance days all calendars",
        "Remembrance days of Azerbaijan",
    ]
    expected = [
        ("/all.ics", "Remembrance days"),
        ("/calendars/remembrance.ics", "Remembrance days of Azerbaijan"),
    ]
    for article, (path, name) in zip(articles, expected, strict=True):
        https = f"https://feeds.example.org/remembrance{path}"
        webcal = f"webcal://feeds.example.org/remembrance{path}"
        hrefs = {a.text(): a.attrs["href"] for a in article.one("ul", "links").all("a")}
        assert hrefs == {
            "Subscribe": webcal,
            "Google Calendar": "https://calendar.google.com/calendar/r?cid="
            + quote(webcal, safe=""),
            "Outlook.com": "https://outlook.live.com/calendar/0/addfromweb?url="
            + quote(https, safe="")
            + "&name="
            + quote(name, safe=""),
            "Microsoft 365": "https://outlook.office.com/calendar/0/addfromweb?url="
            + quote(https, safe="")
            + "&name="
            + quote(name, safe=""),
        }
        field = article.one("input")
        assert field.attrs["value"] == https
        assert "readonly" in field.attrs
        button = article.one("button", "copy")
        assert button.attrs["data-copy"] == field.attrs["id"]
        assert "hidden" in button.attrs  # shown by the script; without it, the field is enough
        plain = [a.attrs["href"] for a in article.one("p", "plain").all("a")]
        assert plain == [webcal, https]


def test_google_link_spelled_out_for_the_bundled_config(page: Element) -> None:
    link = next(a for a in page.all("a") if a.text() == "Google Calendar")
    assert link.attrs["href"] == (
        "https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F127.0.0.1%3A8080%2Fall.ics"
    )


PRIVATE = """\
    [calendar]
    id = "staff"
    name = "Staff rota"
    description = "Internal dates."
    timezone = "Asia/Karachi"
    public = false

    [[observance]]
    id = "audit"
    title = "{ordinal} internal audit"
    date = "12-01"
    since = 2010
    description = "Only for staff."
    """

PUBLIC = """\
    [calendar]
    id = "open"
    name = "Open days"
    timezone = "Asia/Baku"

    [[observance]]
    id = "january-20"
    title = "{ordinal} anniversary of the January 20 Tragedy"
    date = "01-20"
    since = 1990
    description = "The night of 19 to 20 January 1990 in Baku."
    """


def test_private_calendar_never_appears(project: Callable[..., Path]) -> None:
    feeds = build_feeds(
        load(project({"open.toml": PUBLIC, "staff.toml": PRIVATE})),
        TODAY,
        {"staff": ("s3cret-token-value",)},
        inputs_changed=0,
        built_at=BUILT_AT,
    )
    assert feeds.resources["/calendars/staff.ics"].private
    html = render_index(feeds, TODAY).html
    for text in (b"staff", b"Staff rota", b"internal audit", b"Only for staff", b"s3cret"):
        assert text not in html
    page = read(html)
    assert [a.one("input").attrs["value"] for a in page.all("article", "feed")] == [
        "http://127.0.0.1:8080/all.ics",
        "http://127.0.0.1:8080/calendars/open.ics",
    ]
    assert items(page)[0].one("h3").text() == "37th anniversary of the January 20 Tragedy"


def test_calendar_name_per_day_when_several_calendars_are_public(
    project: Callable[..., Path],
) -> None:
    second = PUBLIC.replace('"open"', '"more"').replace("Open days", "More days")
    feeds = feeds_of(load(project({"open.toml": PUBLIC, "more.toml": second})))
    first_two = items(read(render_index(feeds, TODAY).html))[:2]
    assert [li.one("p", "calendar").text() for li in first_two] == ["More days", "Open days"]


# --- Escaping, policy, assets -----------------------------------------------------------------


def test_markup_in_calendar_text_is_escaped(project: Callable[..., Path]) -> None:
    hostile = (
        PUBLIC.replace('name = "Open days"', 'name = "<script>alert(1)</script> & <b>Co</b>"')
        .replace(
            'title = "{ordinal} anniversary',
            'title = "<img src=x onerror=alert(2)> {ordinal} anniversary',
        )
        .replace('description = "The night', 'description = "</details><script>x()</script> The')
    )
    feeds = feeds_of(load(project({"open.toml": hostile})))
    html = render_index(feeds, TODAY).html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;Co&lt;/b&gt;" in html
    assert b"&lt;img src=x onerror=alert(2)&gt; 37th anniversary" in html
    assert b"&lt;/details&gt;&lt;script&gt;x()&lt;/script&gt;" in html
    assert html.count(b"<script") == 1  # only the page's own
    assert b"<img" not in html
    page = read(html)
    assert page.by_id("feed-2").text() == "<script>alert(1)</script> & <b>Co</b>"
    assert (
        items(page)[0].one("h3").text()
        == "<img src=x onerror=alert(2)> 37th anniversary of the January 20 Tragedy"
    )


def block_hashes(page: Element, tag: str) -> list[str]:
    out = []
    for element in page.all(tag):
        body = "".join(c for c in element.children if isinstance(c, str))
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        out.append(f"'sha256-{digest}'")
    return out


def test_policy_allows_exactly_the_inline_style_and_script(bundled: FeedSet) -> None:
    rendered = render_index(bundled, TODAY)
    page = read(rendered.html)
    (style,) = block_hashes(page, "style")
    (script,) = block_hashes(page, "script")
    assert rendered.csp == (
        f"default-src 'none'; style-src {style}; script-src {script}; img-src data:; "
        "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )


def test_policy_follows_an_edited_style(bundled: FeedSet, tmp_path: Path) -> None:
    folder = copy_templates(tmp_path)
    css = folder / "web" / "style.css"
    css.write_text(css.read_text("utf-8") + "h1 { color: red; }\n", "utf-8")
    feeds = bundled._replace(loaded=using_templates(bundled, folder))
    rendered = render_index(feeds, TODAY)
    assert b"h1 { color: red; }" in rendered.html
    (style,) = block_hashes(read(rendered.html), "style")
    assert f"style-src {style};" in rendered.csp
    assert rendered.csp != render_index(bundled, TODAY).csp


def test_page_loads_nothing_from_elsewhere(page: Element) -> None:
    for element in page.all():
        assert "src" not in element.attrs, element.tag
        assert not any(name.startswith("on") for name in element.attrs), element.tag
        assert "style" not in element.attrs, element.tag  # the policy would block it
    (link,) = page.all("link")
    assert link.attrs["rel"] == "icon"
    assert link.attrs["href"].startswith("data:image/svg+xml,")
    head = page.one("head")
    viewport = [m for m in head.all("meta") if m.attrs.get("name") == "viewport"]
    assert viewport[0].attrs["content"] == "width=device-width, initial-scale=1"


# --- Plans -----------------------------------------------------------------------------------


def test_plans_section_only_when_there_are_plans(bundled: FeedSet) -> None:
    without = render_index(bundled, TODAY, plans=[]).html
    assert b'id="plans"' not in without
    assert b"Yearly plans" not in without
    plans = [(2027, "/plans/2027.html"), (2028, "/plans/2028.html")]
    section = read(render_index(bundled, TODAY, plans).html).by_id("plans")
    assert section.one("h2").text() == "Yearly plans"
    assert [(a.text(), a.attrs["href"]) for a in section.all("a")] == [
        ("Event plan for 2027", "/plans/2027.html"),
        ("Event plan for 2028", "/plans/2028.html"),
    ]


# --- Bytes --------------------------------------------------------------------------------


def test_page_bytes_equal_the_golden_file(bundled: FeedSet) -> None:
    expected = (GOLDEN / "web" / "index-2026-11-23.html").read_bytes()
    assert render_index(bundled, TODAY).html == expected


def test_same_feeds_and_day_give_identical_bytes(bundled: FeedSet) -> None:
    again = feeds_of(load(ROOT / "config.toml"))
    assert render_index(again, TODAY) == render_index(bundled, TODAY)


# --- Through the app ------------------------------------------------------------------------


def test_app_serves_the_page_with_its_policy(bundled: FeedSet) -> None:
    site = Site(bundled, today=lambda zone: TODAY)
    with TestClient(App(site)) as client:
        response = client.get("/")
    rendered = render_index(bundled, TODAY)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == rendered.csp
    assert response.content == rendered.html


# --- check_page ---------------------------------------------------------------------------


def test_check_page_finds_nothing_wrong_with_the_bundled_templates(bundled: FeedSet) -> None:
    assert check_page(bundled.loaded, TODAY) == []


def test_check_page_reports_a_syntax_error_with_file_and_line(
    bundled: FeedSet, tmp_path: Path
) -> None:
    folder = copy_templates(tmp_path)
    index = folder / "web" / "index.html"
    lines = index.read_text("utf-8").split("\n")
    number = next(i for i, line in enumerate(lines, 1) if "{% for sub in subscriptions %}" in line)
    lines[number - 1] += "{% endwith %}"  # a closing tag with nothing open
    index.write_text("\n".join(lines), "utf-8")
    (problem,) = check_page(using_templates(bundled, folder), TODAY)
    assert problem.file == shown_path(index)
    assert problem.key == ""
    assert problem.value is None
    assert problem.line == number
    assert problem.expected.startswith("template syntax error: ")


def test_check_page_refuses_a_template_that_reaches_into_python(
    bundled: FeedSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = copy_templates(tmp_path)
    index = folder / "web" / "index.html"
    payload = "{{ cycler.__init__.__globals__.os.popen('touch pwned').read() }}"
    index.write_text(payload + "\n" + index.read_text("utf-8"), "utf-8")
    (problem,) = check_page(using_templates(bundled, folder), TODAY)
    assert (problem.file, problem.line) == (shown_path(index), 1)
    assert problem.expected.startswith(
        "refused by the template sandbox (access to attribute '__init__' of 'type' object is "
        "unsafe); "
    )
    assert not (tmp_path / "pwned").exists()


def test_check_page_reports_an_unknown_variable_in_the_script_template(
    bundled: FeedSet, tmp_path: Path
) -> None:
    folder = copy_templates(tmp_path)
    script = folder / "web" / "script.js"
    script.write_text(
        'var zone = "{{ organisation.zone }}";\n' + script.read_text("utf-8"), "utf-8"
    )
    (problem,) = check_page(using_templates(bundled, folder), TODAY)
    assert problem == Problem(
        shown_path(script),
        "",
        None,
        "'dict object' has no attribute 'zone'; expected only the variables listed in "
        "templates/README.md",
        1,
    )


def test_check_page_renders_the_plans_section_before_any_plan_exists(
    bundled: FeedSet, tmp_path: Path
) -> None:
    folder = copy_templates(tmp_path)
    index = folder / "web" / "index.html"
    text = index.read_text("utf-8")
    index.write_text(text.replace("year=plan.year", "year=plan.title"), "utf-8")
    number = next(
        i for i, line in enumerate(index.read_text("utf-8").split("\n"), 1) if "plan.title" in line
    )
    (problem,) = check_page(using_templates(bundled, folder), TODAY)
    assert (problem.file, problem.line) == (shown_path(index), number)
    assert "has no attribute 'title'" in problem.expected


def test_a_templates_folder_without_web_uses_the_bundled_page(
    bundled: FeedSet, tmp_path: Path
) -> None:
    folder = copy_templates(tmp_path)
    shutil.rmtree(folder / "web")
    loaded = using_templates(bundled, folder)
    feeds = bundled._replace(loaded=loaded)
    assert render_index(feeds, TODAY) == render_index(bundled, TODAY)
    assert check_page(loaded, TODAY) == []


def test_readme_lists_every_variable_of_the_page(bundled: FeedSet) -> None:
    readme = (ROOT / "templates" / "README.md").read_text("utf-8")
    table = readme.split("### Variables of the page", 1)[1]
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", table))
    context = page_context(bundled.loaded, TODAY, public_feeds(bundled.loaded), [(2027, "/p")])
    names = set()
    for key, value in context.items():
        if isinstance(value, dict):
            names |= {f"{key}.{sub}" for sub in value}
        else:
            names.add(key)
    days = context["upcoming"]
    event = next(item["event"] for item in days if item["event"] is not None)
    names |= {f"sub.{key}" for key in context["subscriptions"][0]}
    names |= {f"item.{key}" for key in days[0]}
    names |= {f"moment.{key}" for key in days[0]["moments"][0]}
    names |= {f"plan.{key}" for key in context["plans"][0]}
    names |= set(event)  # described in the row of item.event
    assert names - documented == set()


def test_a_broken_template_after_a_rebuild_keeps_the_last_good_page(
    bundled: FeedSet, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = copy_templates(tmp_path)
    feeds = feeds_of(using_templates(bundled, folder))
    site = Site(feeds, today=lambda _tz: TODAY)
    good = site.page()
    index = folder / "web" / "index.html"
    index.write_text(index.read_text("utf-8") + "{% endfor %}", "utf-8")
    site.update(feeds)  # a rebuild after the edit renders the page again
    with caplog.at_level("ERROR", logger="reminders"):
        assert site.page() is good
    assert "the page's template fails (TemplateSyntaxError" in caplog.text


def test_check_reports_a_broken_page_template_with_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from reminders.cli import main

    folder = copy_templates(tmp_path)
    script = folder / "web" / "script.js"
    script.write_text(script.read_text("utf-8") + "\n{{ no_such_variable }}\n", "utf-8")
    line = len(script.read_text("utf-8").splitlines())
    config = tmp_path / "config.toml"
    config.write_text(
        (ROOT / "config.toml")
        .read_text("utf-8")
        .replace("[paths]", f'[paths]\ntemplates = "{folder}"', 1),
        "utf-8",
    )
    assert main(["--config", str(config), "check"]) == 1
    err = capsys.readouterr().err
    assert f"{shown_path(script)}:{line}: 'no_such_variable' is undefined" in err


def test_no_plain_list_carries_an_aria_label(bundled: FeedSet) -> None:
    page = read(render_index(bundled, TODAY).html)
    for tag in ("ul", "ol", "div", "p", "span"):
        assert not [e for e in page.all(tag) if "aria-label" in e.attrs], tag


def test_the_policy_is_also_in_the_page_for_a_static_copy(bundled: FeedSet) -> None:
    rendered = render_index(bundled, TODAY)
    html = rendered.html.decode("utf-8")
    match = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html)
    assert match is not None
    assert html.index(match.group(0)) < html.index("<style")
    assert match.group(1) == rendered.csp.replace("; frame-ancestors 'none'", "")
    assert "frame-ancestors" in rendered.csp


def test_by_default_the_page_links_this_years_and_next_years_plans(bundled: FeedSet) -> None:
    section = read(render_index(bundled, TODAY).html).by_id("plans")
    assert [(a.text(), a.attrs["href"]) for a in section.all("a")] == [
        ("Event plan for 2026", "http://127.0.0.1:8080/plan/2026"),
        ("Event plan for 2027", "http://127.0.0.1:8080/plan/2027"),
    ]


def test_the_app_serves_the_yearly_plan_of_the_public_calendars(
    project: Callable[..., Path],
) -> None:
    from reminders.plan.output import public_plan_html
    from reminders.web.page import content_security_policy

    feeds = build_feeds(
        load(project({"open.toml": PUBLIC, "staff.toml": PRIVATE})),
        TODAY,
        {"staff": ("s3cret-token-value",)},
        inputs_changed=0,
        built_at=BUILT_AT,
    )
    client = TestClient(App(Site(feeds, today=lambda _tz: TODAY)))
    response = client.get("/plan/2027")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.content == public_plan_html(feeds.loaded, 2027)
    html = response.content.decode("utf-8")
    assert response.headers["content-security-policy"] == content_security_policy(html)
    assert "37th anniversary of the January 20 Tragedy" in html
    for text in ("Staff rota", "internal audit", "Only for staff"):
        assert text not in html
    unknown = client.get("/no-such-page")
    for path in ("/plan/1900", "/plan/2200", "/plan/twenty", "/plan/2027.html"):
        missing = client.get(path)
        assert (missing.status_code, missing.content) == (404, unknown.content), path
    assert client.post("/plan/2027").status_code == 405


class CountedPlans:
    """public_plan_html, slowed down and counted: builds per year, and most at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, seconds: float = 0.0) -> None:
        from reminders.plan import output

        self.built: dict[int, int] = {}
        self.running = self.most = 0
        self.seconds = seconds
        self.lock = threading.Lock()
        self.original = output.public_plan_html
        monkeypatch.setattr(output, "public_plan_html", self)

    def __call__(self, loaded: Loaded, year: int, language: str | None = None) -> bytes:
        with self.lock:
            self.built[year] = self.built.get(year, 0) + 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.seconds)  # a large calendar's plan takes seconds to build
            return self.original(loaded, year, language)
        finally:
            with self.lock:
                self.running -= 1


def test_only_the_plans_of_the_feeds_window_are_served_and_built(
    bundled: FeedSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bundled feed covers 2025 to 2031 (past_years 1, future_years 5 around 2026): any
    other year is the site's own 404, and no plan is built for it."""
    counted = CountedPlans(monkeypatch)
    client = TestClient(App(Site(bundled, today=lambda _tz: TODAY)))
    unknown = client.get("/no-such-page")
    assert (bundled.first_year, bundled.last_year) == (2025, 2031)
    for year in (1990, 2023, 2024, 2032, 2033, 2099):
        missing = client.get(f"/plan/{year}")
        assert (missing.status_code, missing.content) == (404, unknown.content), year
        assert missing.headers.items() == unknown.headers.items()
    assert counted.built == {}
    for year in range(2025, 2032):
        assert client.get(f"/plan/{year}").status_code == 200
        assert client.get(f"/plan/{year}").status_code == 200  # kept: not built again
    assert counted.built == dict.fromkeys(range(2025, 2032), 1)


def test_concurrent_requests_build_each_plan_once_and_one_plan_at_a_time(
    bundled: FeedSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted = CountedPlans(monkeypatch, seconds=0.3)
    app = App(Site(bundled, today=lambda _tz: TODAY))
    years = [2026, 2027, 2028] * 4
    start = threading.Barrier(len(years))
    answers: dict[int, list[tuple[int, bytes]]] = {year: [] for year in years}

    def ask(year: int) -> None:
        client = TestClient(app)  # each on an event loop of its own: the requests really at once
        start.wait()
        response = client.get(f"/plan/{year}")
        answers[year].append((response.status_code, response.content))

    threads = [threading.Thread(target=ask, args=(year,)) for year in years]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert counted.built == {2026: 1, 2027: 1, 2028: 1}
    assert counted.most == 1
    for year, got in answers.items():
        assert len(got) == 4
        assert {status for status, _ in got} == {200}
        assert len({content for _, content in got}) == 1, year


def test_the_page_links_no_plan_outside_the_feeds_window(project: Callable[..., Path]) -> None:
    config = project({"open.toml": PUBLIC})
    text = config.read_text("utf-8")
    assert "future_years = 2" in text
    config.write_text(text.replace("future_years = 2", "future_years = 0"), "utf-8")
    feeds = feeds_of(load(config))
    section = read(render_index(feeds, TODAY).html).by_id("plans")
    assert [a.text() for a in section.all("a")] == ["Event plan for 2026"]
    client = TestClient(App(Site(feeds, today=lambda _tz: TODAY)))
    assert client.get("/plan/2026").status_code == 200
    assert client.get("/plan/2027").status_code == 404
