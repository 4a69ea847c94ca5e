"""The yearly plan as a printable page: the 2027 facts a reader must see, the year-at-a-glance
picture (one cell per day, its marks and their tooltips), escaping, no outside assets, the
fallback to the bundled templates, its bytes, and A4 in a real Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from jinja2.exceptions import SecurityError

from reminders.config.load import load
from reminders.core.settings import Loaded
from reminders.plan.hostcal import host_calendar
from reminders.plan.html import plan_context, render_html
from reminders.plan.output import make_plan
from reminders.plan.plan import Plan, build_plan
from tests.regenerate_golden import PLAN_PAGE_CASES, render

from .conftest import GOLDEN, ROOT, TODAY
from .test_page import Element, read

CONFIG = str(ROOT / "config.toml")
CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def bundled() -> Loaded:
    return load(CONFIG, TODAY)


@pytest.fixture(scope="module")
def plan_2027(bundled: Loaded) -> Plan:
    return make_plan(bundled, 2027)


@pytest.fixture(scope="module")
def page(bundled: Loaded, plan_2027: Plan) -> Element:
    return read(render_html(plan_2027, bundled.settings))


def picture(page: Element) -> Element:
    """The year at a glance: the list of the twelve month pictures."""
    return page.one("ol", "year")


def cells(page: Element) -> dict[str, Element]:
    """The day cells of the picture by ISO date (legend samples carry no date)."""
    found = [g for g in picture(page).all("g", "day") if "data-date" in g.attrs]
    by_day = {g.attrs["data-date"]: g for g in found}
    assert len(by_day) == len(found), "a day drawn twice"
    return by_day


def tooltip(element: Element) -> str:
    """The element's own <title>: its first child element."""
    first = next(c for c in element.children if isinstance(c, Element))
    assert first.tag == "title"
    return first.text()


def words(element: Element) -> str:
    """The element's text as written: no space before punctuation that follows an element."""
    return re.sub(r" ([,.:;)])", r"\1", element.text())


def marks(cell: Element, kind: str) -> list[Element]:
    return [g for g in cell.all("g", "mark") if kind in g.classes]


# --- The 2027 facts, as a reader sees them ------------------------------------------------


def test_page_matches_the_golden_file() -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    (args,) = [args for name, args in PLAN_PAGE_CASES if name.endswith(".html")]
    assert render(args) == (GOLDEN / "plan" / "plan-2027.html").read_bytes()


def test_title_names_the_organisation_and_the_year(page: Element) -> None:
    assert page.one("head").one("title").text() == "Sample Embassy, Islamabad: event plan 2027"
    assert page.one("h1").text() == "Event plan 2027"
    assert page.one("p", "org").text() == "Sample Embassy, Islamabad"


def test_khojaly_2027_is_a_friday_in_ramadan_1448_marked_as_an_estimate(page: Element) -> None:
    entry = page.by_id("entry-remembrance-february-26-2027")
    assert entry.one("p", "when").text() == "Friday, 26 February 2027"
    assert entry.one("h3").text() == "35th anniversary of the Khojaly Genocide"
    (conflict,) = entry.all("li", "ramadan")
    assert conflict.text().startswith("Ramadan: in Ramadan 1448 (by the Umm al-Qura tables")
    assert conflict.one("span", "estimate").text() == "estimate"


def test_january_20_2027_is_the_37th_with_the_minute_of_silence_in_both_zones(
    page: Element,
) -> None:
    entry = page.by_id("entry-remembrance-january-20-2027")
    assert entry.one("h3").text() == "37th anniversary of the January 20 Tragedy"
    assert entry.one("p", "when").text() == "Wednesday, 20 January 2027"
    assert entry.one("ul", "moments").text() == (
        "Minute of silence (1 minute): 12:00 Baku time (Asia/Baku); "
        "13:00 Karachi time (Asia/Karachi)"
    )
    assert entry.one("p", "jubilee-ahead").text() == (
        "Next jubilee: the 40th, in 2030 (3 years ahead)."
    )


def test_september_27_and_november_10_2027_are_the_7th(page: Element) -> None:
    september = page.by_id("entry-remembrance-september-27-2027").one("h3").text()
    november = page.by_id("entry-remembrance-november-10-2027").one("h3").text()
    assert september == "Remembrance Day: 7th anniversary of the start of the 44-day war"
    assert november == "7th anniversary of the 10 November 2020 ceasefire agreement"


def test_kashmir_solidarity_day_is_listed_and_drawn_as_a_public_holiday(page: Element) -> None:
    rows = [tr for tr in page.one("table", "holidays").all("tr")]
    assert rows[0].text() == "Friday, 5 February 2027 Kashmir Solidarity Day"
    cell = cells(page)["2027-02-05"]
    assert "holiday" in cell.classes
    assert "Public holiday in PK: Kashmir Solidarity Day" in tooltip(cell)


def test_estimated_holidays_are_drawn_apart_and_tagged(page: Element) -> None:
    cell = cells(page)["2027-03-10"]
    assert "holiday-estimate" in cell.classes
    assert "Eid al-Fitr (an estimated date)" in tooltip(cell)
    row = next(tr for tr in page.one("table", "holidays").all("tr") if "10 March" in tr.text())
    assert row.text() == "Wednesday, 10 March 2027 Eid al-Fitr estimated date"


def test_two_holidays_on_one_day_are_certain_when_one_is(bundled: Loaded) -> None:
    org = bundled.settings.organisation
    host = host_calendar(org.country, org.weekend, 2027)
    joined = "Eid al-Fitr (estimated); Kashmir Solidarity Day"
    host = host._replace(holidays={**host.holidays, date(2027, 2, 5): joined})
    page = read(render_html(build_plan(bundled, 2027, host), bundled.settings))
    cell = cells(page)["2027-02-05"]
    assert "holiday" in cell.classes
    assert (
        "Public holiday in PK: Eid al-Fitr (estimated date) and Kashmir Solidarity Day"
        in tooltip(cell)
    )
    rows = list(page.one("table", "holidays").all("tr"))
    assert rows[0].text() == (
        "Friday, 5 February 2027 Eid al-Fitr (estimated date) and Kashmir Solidarity Day"
    )


def test_event_date_and_milestones_of_an_entry(page: Element) -> None:
    entry = page.by_id("entry-remembrance-january-20-2027")
    assert words(entry.one("p", "event-date")) == (
        "Event date: Wednesday, 20 January 2027: the day itself, a working day"
    )
    rows = [tr.text() for tr in entry.one("table", "milestones").one("tbody").all("tr")]
    assert (
        rows[0] == "Tuesday, 8 December 2026 Book the venue 30 working days before the event date"
    )
    assert rows[-1] == (
        "Friday, 22 January 2027 Publish the report and photographs "
        "2 working days after the event date"
    )


def test_the_planned_example_event_is_labelled_as_one(page: Element) -> None:
    entry = page.by_id("entry-remembrance-event-khojaly-roundtable-2027")
    assert entry.one("h3").text() == "Example: Roundtable: 35 years since Khojaly"
    assert entry.one("p", "part-of").text() == "For the 35th anniversary of the Khojaly Genocide"


def test_timeline_lists_every_milestone_by_date_grouped_by_month(
    page: Element, plan_2027: Plan
) -> None:
    section = page.by_id("timeline")
    months = [h3.text() for h3 in section.all("h3", "month-title")]
    assert months[:3] == ["December 2026", "January 2027", "February 2027"]
    days = [li.one("time").attrs["datetime"] for li in section.all("li")]
    assert days == [m.date.isoformat() for m, _ in plan_2027.milestones]
    first = next(section.all("li"))
    assert first.text() == (
        "Tue 8 Book the venue for the January 20 Tragedy (37th) on Wed 20 Jan 2027, "
        "30 working days before the event date"
    )
    assert first.one("a").attrs["href"] == "#entry-remembrance-january-20-2027"


# --- The picture ----------------------------------------------------------------------------


def test_picture_has_a_cell_for_each_day_of_2027(page: Element) -> None:
    days = sorted(cells(page))
    assert len(days) == 365
    assert days[0] == "2027-01-01"
    assert days[-1] == "2027-12-31"


def test_picture_has_366_cells_in_2028(bundled: Loaded) -> None:
    days = cells(read(render_html(make_plan(bundled, 2028), bundled.settings)))
    assert len(days) == 366
    assert "2028-02-29" in days


def test_weekends_are_shaded_by_the_configured_days(bundled: Loaded, page: Element) -> None:
    by_day = cells(page)
    assert "weekend" in by_day["2027-01-02"].classes  # Saturday
    assert "workday" in by_day["2027-01-01"].classes  # Friday
    friday_weekend = bundled.settings._replace(
        organisation=bundled.settings.organisation._replace(weekend=("Friday", "Saturday"))
    )
    other = make_plan(Loaded(friday_weekend, bundled.calendars), 2027)
    by_day = cells(read(render_html(other, friday_weekend)))
    assert "weekend" in by_day["2027-01-01"].classes
    assert "workday" in by_day["2027-01-03"].classes  # a Sunday is a working day there


def test_observance_days_are_strongly_marked_with_titles_and_labels(page: Element) -> None:
    by_day = cells(page)
    expected = {
        "2027-01-20": "37th anniversary of the January 20 Tragedy",
        "2027-02-26": "35th anniversary of the Khojaly Genocide",
        "2027-09-27": "Remembrance Day: 7th anniversary of the start of the 44-day war",
        "2027-11-10": "7th anniversary of the 10 November 2020 ceasefire agreement",
    }
    marked = {day for day, cell in by_day.items() if "observance" in cell.classes}
    assert marked == set(expected)
    for day, title in expected.items():
        assert title in tooltip(by_day[day])
    labels = {a.text(): a.attrs["href"] for a in picture(page).all("a")}
    assert labels["20 · January 20 Tragedy (37th)"] == "#entry-remembrance-january-20-2027"
    assert labels["26 · Khojaly Genocide (35th)"] == "#entry-remembrance-february-26-2027"


def test_a_conflict_on_an_observance_day_has_a_badge_with_its_reason(page: Element) -> None:
    (badge,) = marks(cells(page)["2027-02-26"], "conflict")
    assert tooltip(badge).startswith("Conflict: in Ramadan 1448")
    assert not marks(cells(page)["2027-01-20"], "conflict")


def test_ramadan_is_a_hatched_band_and_the_eids_are_marked_once(page: Element) -> None:
    by_day = cells(page)
    banded = sorted(day for day, cell in by_day.items() if marks(cell, "ramadan"))
    assert banded[0] == "2027-02-08"
    assert banded[-1] == "2027-03-08"
    assert len(banded) == 29
    (band,) = marks(by_day["2027-02-26"], "ramadan")
    assert "estimate" in band.classes
    assert tooltip(band) == (
        "Ramadan 1448: Monday, 8 February 2027 to Monday, 8 March 2027 (an estimate)"
    )
    # Pakistan's Eids are public holidays: each is marked as the holiday, on Pakistan's date,
    # and not again on the Umm al-Qura date (Tuesday 9 March) or beside the holiday.
    assert not any(marks(cell, "eid") for cell in by_day.values())
    assert "Eid" not in tooltip(by_day["2027-03-09"])
    eid_day = tooltip(by_day["2027-03-10"])
    assert eid_day.count("Eid al-Fitr") == 1
    assert "Public holiday in PK: Eid al-Fitr (an estimated date)" in eid_day


def test_every_milestone_of_the_year_is_marked_with_its_title(
    page: Element, plan_2027: Plan
) -> None:
    by_day = cells(page)
    inside = [(m, e) for m, e in plan_2027.milestones if m.date.year == 2027]
    assert len(inside) == 18  # two fall in December 2026
    for milestone, entry in inside:
        (mark,) = marks(by_day[milestone.date.isoformat()], "milestone")
        assert f"{milestone.name} (" in tooltip(mark)
        assert entry.occurrence.title in tooltip(mark)
    marked = {day for day, cell in by_day.items() if marks(cell, "milestone")}
    assert marked == {m.date.isoformat() for m, _ in inside}
    caption = page.by_id("glance").one("p", "note").text()
    assert "Milestones outside 2027 are in the timeline only: 2 in 2026." in caption


def test_a_moved_event_date_is_ringed_and_explained(bundled: Loaded) -> None:
    page = read(render_html(make_plan(bundled, 2028), bundled.settings))
    by_day = cells(page)
    (ring,) = marks(by_day["2028-02-25"], "event")
    assert tooltip(ring).startswith(
        "Suggested event date for the 36th anniversary of the Khojaly Genocide: Saturday is a "
        "weekend day"
    )
    entry = page.by_id("entry-remembrance-february-26-2028")
    moved = entry.one("p", "moved")
    assert words(moved).startswith("Suggested event date: Friday, 25 February 2028: Saturday is")


def test_legend_explains_every_mark_the_picture_uses(page: Element) -> None:
    legend = page.one("ul", "legend")
    texts = [li.text().strip() for li in legend.all("li")]
    assert texts == [
        "Working day", "Weekend", "Public holiday", "Holiday, estimated date",
        "Ramadan (estimate)", "Remembrance day", "… with a conflict", "Event planned or moved",
        "Milestone", "Eid (estimate)",
    ]  # fmt: skip
    drawn = {c for cell in cells(page).values() for g in cell.all("g", "mark") for c in g.classes}
    explained = {c for g in legend.all("g", "mark") for c in g.classes}
    assert drawn <= explained
    fills = {c for cell in cells(page).values() for c in cell.classes} - {"day"}
    assert fills <= {c for g in legend.all("g", "day") for c in g.classes}


def test_months_wrap_and_each_scales_to_its_column(page: Element) -> None:
    months = list(picture(page).all("svg", "month"))
    assert len(months) == 12
    for svg in months:
        # html.parser lowers attribute names: viewBox is "viewbox" here.
        assert re.fullmatch(r"0 0 210 \d+", svg.attrs["viewbox"])
        assert "width" not in svg.attrs
        assert "height" not in svg.attrs
    css = page.one("style").text()
    assert "svg.month { display: block; width: 100%; height: auto; }" in css
    # Four months to a row, two on a phone: the page never scrolls sideways.
    assert "grid-template-columns: repeat(4, minmax(0, 1fr))" in css
    phone = css.split("@media (max-width: 36rem) {", 1)[1].split("\n}", 1)[0]
    assert ".year { grid-template-columns: repeat(2, minmax(0, 1fr));" in phone
    assert "@page { size: A4;" in css


def test_pictures_hold_no_link_and_every_marked_day_is_told_in_words(page: Element) -> None:
    """axe-core's nested-interactive: an <svg role="img"> must not hold focusable elements.
    What the tooltips say is in each month's list, which opens by tap or keyboard."""
    for svg in page.all("svg"):
        assert not list(svg.all("a")), svg.attrs
        if svg.attrs.get("role") == "img":
            title = next(c for c in svg.children if isinstance(c, Element))
            assert title.tag == "title"
            assert svg.attrs["aria-labelledby"] == title.attrs["id"]
            assert re.fullmatch(r"[A-Z][a-z]+ 2027", title.text())
        else:
            assert svg.attrs["aria-hidden"] == "true"
    by_day = cells(page)
    told: dict[str, list[str]] = {}
    for month in picture(page).all("li", "month"):
        found = list(month.all("details"))  # none for a month with nothing marked
        if not found:
            continue
        (details,) = found
        assert details.one("summary").text().endswith(", day by day")
        for item in details.one("dl").children:
            if isinstance(item, Element) and item.tag == "dt":
                day = item.one("time").attrs["datetime"]
                told[day] = []
            elif isinstance(item, Element) and item.tag == "dd":
                told[day].append(item.text())

    def lines(cell: Element) -> list[str]:  # the tooltip's lines after the date, as written
        title = next(c for c in cell.children if isinstance(c, Element))
        return "".join(c for c in title.children if isinstance(c, str)).split("\n")[1:]

    marked = {day: lines(c) for day, c in by_day.items() if lines(c) not in ([], ["Weekend"])}
    assert told == marked
    assert told["2027-01-20"] == ["37th anniversary of the January 20 Tragedy"]


# --- Escaping, assets, templates, bytes -----------------------------------------------------

HOSTILE = """\
    [calendar]
    id = "open"
    name = "<script>alert(1)</script> & Co"
    timezone = "Asia/Baku"

    [[observance]]
    id = "day"
    title = "<script>alert(2)</script> {ordinal} anniversary of the <b>day</b>"
    date = "03-03"
    since = 2000
    description = "A day."
    """
OTHER = """\
    [calendar]
    id = "other"
    name = "Other days"
    timezone = "Asia/Baku"

    [[observance]]
    id = "other-day"
    title = "{ordinal} other day"
    date = "06-03"
    since = 2000
    description = "Another day."
    """


def test_markup_in_calendar_text_is_escaped_in_the_page_and_the_picture(
    project: Callable[..., Path],
) -> None:
    loaded = load(str(project({"open.toml": HOSTILE, "other.toml": OTHER})), TODAY)
    html = render_html(make_plan(loaded, 2027), loaded.settings)
    assert b"<script" not in html
    assert b"<b>" not in html
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html
    page = read(html)
    entry = page.by_id("entry-open-day-2027")
    assert entry.one("h3").text() == "<script>alert(2)</script> 27th anniversary of the <b>day</b>"
    assert entry.one("p", "calendar").text() == "<script>alert(1)</script> & Co"
    assert "<script>alert(2)</script> 27th" in tooltip(cells(page)["2027-03-03"])
    labels = [a.text() for a in picture(page).all("a")]
    assert labels[0] == "3 · <script>alert(2)</script> <b>day</b> (27th)"


def test_page_loads_nothing_from_elsewhere_and_needs_no_inline_style(page: Element) -> None:
    for element in page.all():
        assert "src" not in element.attrs, element.tag
        assert not any(name.startswith("on") for name in element.attrs), element.tag
        assert "style" not in element.attrs, element.tag  # a strict policy would block it
        href = element.attrs.get("href", "#")
        assert href.startswith("#") or element.tag == "link", href
    assert not list(page.all("script"))
    (icon,) = page.all("link")  # the icon, inline: no request for /favicon.ico
    assert icon.attrs["rel"] == "icon"
    assert icon.attrs["href"].startswith("data:image/svg+xml,%3Csvg%20")
    css = page.one("style").text()
    assert "@import" not in css
    assert set(re.findall(r"url\(([^)]*)\)", css)) == {"#hatch-holiday", "#hatch-ramadan"}


def test_page_has_a_description_and_names_no_plain_list(page: Element) -> None:
    (description,) = [m for m in page.all("meta") if m.attrs.get("name") == "description"]
    assert description.attrs["content"] == (
        "Event plan 2027 of Sample Embassy, Islamabad: the remembrance days, their conflicts "
        "with the calendar of PK, suggested event dates and preparation milestones."
    )
    # aria-label on an element without a role that takes a name is ignored by screen readers.
    for tag in ("ul", "ol", "div", "p", "span"):
        assert not [e for e in page.all(tag) if "aria-label" in e.attrs], tag


def test_a_plan_without_entries_or_milestones_renders(bundled: Loaded) -> None:
    settings = bundled.settings._replace(milestones=())
    org = settings.organisation
    host = host_calendar(org.country, org.weekend, 2027)
    empty = build_plan(Loaded(settings, ()), 2027, host)
    page = read(render_html(empty, settings))
    assert page.by_id("days").one("p").text() == (
        "The calendars have no remembrance days or events in 2027."
    )
    assert page.by_id("timeline").one("p").text().startswith("No milestones")
    assert len(cells(page)) == 365
    assert "holiday" in cells(page)["2027-02-05"].classes


def test_a_templates_folder_without_plan_uses_the_bundled_page(
    bundled: Loaded, plan_2027: Plan, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates" / "notices", folder / "notices")
    settings = bundled.settings._replace(templates_dir=str(folder))
    assert render_html(plan_2027, settings) == render_html(plan_2027, bundled.settings)
    own_folder = tmp_path / "own"
    shutil.copytree(folder, own_folder)
    (own_folder / "plan").mkdir()
    (own_folder / "plan" / "style.css").write_text("h1 { color: #123456; }\n", "utf-8")
    own = read(render_html(plan_2027, settings._replace(templates_dir=str(own_folder))))
    assert own.one("style").text() == "h1 { color: #123456; }"  # the user's file wins
    assert len(cells(own)) == 365  # the rest still comes from the bundled folder


def test_the_plan_renders_in_the_sandbox(
    bundled: Loaded, plan_2027: Plan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", folder)
    index = folder / "plan" / "index.html"
    payload = "{{ cycler.__init__.__globals__.os.popen('touch pwned').read() }}"
    index.write_text(payload + "\n" + index.read_text("utf-8"), "utf-8")
    settings = bundled.settings._replace(templates_dir=str(folder))
    with pytest.raises(SecurityError, match="'__init__' of 'type' object is unsafe"):
        render_html(plan_2027, settings)
    assert not (tmp_path / "pwned").exists()


def test_same_plan_gives_identical_bytes_across_processes(tmp_path: Path) -> None:
    outputs = []
    for seed in ("1", "2"):
        target = tmp_path / f"plan-{seed}.html"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run(
            [sys.executable, "-m", "reminders", "--config", CONFIG, "plan", "2027",
             "--format", "html", "-o", str(target)],
            check=True, env=env, cwd=ROOT, capture_output=True,
        )  # fmt: skip
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] == (GOLDEN / "plan" / "plan-2027.html").read_bytes()


def test_readme_lists_every_variable_of_the_plan(bundled: Loaded, plan_2027: Plan) -> None:
    readme = (ROOT / "templates" / "README.md").read_text("utf-8")
    table = readme.split("### Variables of the plan", 1)[1]
    documented = set(re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", table))
    context = plan_context(make_plan(bundled, 2028), bundled.settings)
    names = set()
    for key, value in context.items():
        if isinstance(value, dict):
            names |= {f"{key}.{sub}" for sub in value}
        else:
            names.add(key)
    entry = context["entries"][1]  # Khojaly 2028: conflicts, moved, milestones
    event = plan_context(plan_2027, bundled.settings)["entries"][2]["event"]
    names |= {f"entry.{key}" for key in entry}
    names |= {f"moment.{key}" for key in context["entries"][0]["moments"][0]}
    names |= {f"conflict.{key}" for key in entry["conflicts"][0]}
    names |= {f"milestone.{key}" for key in entry["milestones"][0]}
    names |= {f"event.{key}" for key in event}
    names |= {f"group.{key}" for key in context["timeline"][0]}
    names |= {f"item.{key}" for key in context["timeline"][0]["milestones"][0]}
    names |= {f"holiday.{key}" for key in context["holidays"][0]}
    names |= {f"period.{key}" for key in context["ramadan"][0]}
    shape = context["picture"]
    january = shape["months"][0]
    names |= {f"picture.{key}" for key in shape}
    names |= {f"month.{key}" for key in january}
    names |= {f"letter.{key}" for key in january["weekdays"][0]}
    names |= {f"cell.{key}" for key in january["cells"][0]}
    names |= {f"mark.{key}" for key in next(c for c in january["cells"] if c["marks"])["marks"][0]}
    names |= {f"label.{key}" for key in january["labels"][0]}
    names |= {f"marked.{key}" for key in january["days"][0]}
    names |= {f"key.{key}" for key in shape["legend"][0]}
    assert names - documented == set()


# --- Paper ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)")
def test_printed_plan_is_a4_on_the_pages_the_doc_says(tmp_path: Path) -> None:
    source = tmp_path / "plan.html"
    shutil.copy(GOLDEN / "plan" / "plan-2027.html", source)
    pdf = tmp_path / "plan.pdf"
    subprocess.run(
        [str(CHROMIUM), "--headless=new", "--no-sandbox", "--disable-gpu",
         "--no-pdf-header-footer", f"--print-to-pdf={pdf}", source.as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    data = pdf.read_bytes()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", data))
    # docs/plan.md tells a reader how many sheets to expect; it must be what Chromium prints.
    assert pages == 4
    assert "prints on four A4 pages, the last half full" in (ROOT / "docs" / "plan.md").read_text()
    for width, height in set(boxes):  # A4 is 595.28 x 841.89 points
        assert abs(float(width) - 595.28) < 1
        assert abs(float(height) - 841.89) < 1


@pytest.mark.parametrize("count", [0, 1, 8191, 8192, 8193, 30_000])
def test_rendered_bytes_are_render_encoded_piece_batches_or_not(count: int) -> None:
    """plan/html.py joins a template's pieces a batch at a time: the same bytes as ``render``,
    at every batch boundary, with text that is not ASCII."""
    import jinja2

    from reminders.plan import html

    template = jinja2.Environment(autoescape=True).from_string(
        "{% for n in range(count) %}<i>{{ n }} Xocalı &</i>{% endfor %}{{ tail }}"
    )
    context = {"count": count, "tail": "اسلام آباد <end>"}
    assert html.rendered_bytes(template, context) == template.render(context).encode("utf-8")
