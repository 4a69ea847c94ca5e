"""The plan's text formats (plan/text.py): golden files for 2027, the 2027 facts as people and
programs read them, the 100-column table, the documented CSV columns and JSON shape, Markdown
tables, and byte-identical output."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from reminders.config.load import load
from reminders.plan.output import FORMATTERS, make_plan, plan_output
from reminders.plan.plan import Plan
from reminders.plan.text import CSV_COLUMNS
from tests.regenerate_golden import PLAN_CASES, render

from .conftest import GOLDEN, ROOT, TODAY

Project = Callable[..., Path]
CALENDAR = """\
[calendar]
id = "cases"
name = "Plan cases"
timezone = "Asia/Baku"
"""


def observance(
    obs_id: str, month_day: str, title: str = "{ordinal} anniversary", **keys: Any
) -> str:
    extra = "".join(f"{key} = {json.dumps(value)}\n" for key, value in keys.items())
    return f"""
[[observance]]
id = "{obs_id}"
title = {json.dumps(title)}
date = "{month_day}"
since = 2000
description = "A day for the format tests."
{extra}"""


def project_plan(project: Project, body: str, year: int = 2027) -> Plan:
    return make_plan(load(str(project({"cases.toml": CALENDAR + body})), TODAY), year)


def bundled(year: int = 2027) -> Plan:
    return make_plan(load(str(ROOT / "config.toml"), TODAY), year)


@pytest.mark.parametrize(("name", "args"), PLAN_CASES, ids=[name for name, _ in PLAN_CASES])
def test_plan_matches_golden_file(name: str, args: tuple[str, ...]) -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    assert render(args) == (GOLDEN / name).read_bytes()


@pytest.mark.parametrize("fmt", list(FORMATTERS))
def test_the_same_inputs_give_the_same_bytes(fmt: str) -> None:
    assert FORMATTERS[fmt](bundled()) == FORMATTERS[fmt](bundled())


def test_the_table_shows_the_2027_facts() -> None:
    text = FORMATTERS["table"](bundled())
    lines = text.splitlines()
    assert lines[0] == "Sample Embassy, Islamabad: event plan for 2027"
    assert lines[1] == (
        "Host country: PK; weekend: Saturday and Sunday; public holidays: 16 days, 9 of them "
        "estimates"
    )
    assert (
        "Ramadan 1448: Mon 08 Feb 2027 to Mon 08 Mar 2027 (an estimate, by the Umm al-Qura tables)"
        in lines
    )
    khojaly = lines.index("Fri 26 Feb 2027  35th anniversary of the Khojaly Genocide")
    assert lines[khojaly + 1 : khojaly + 3] == [
        "                 next jubilee: 40th in 2032",
        "                 conflict (estimate): in Ramadan 1448 (by the Umm al-Qura tables: Monday "
        "8 Feb 2027",
    ]
    january = lines.index("Wed 20 Jan 2027  37th anniversary of the January 20 Tragedy")
    assert lines[january + 1 : january + 4] == [
        "                 next jubilee: 40th in 2030",
        "                 Minute of silence (1 min): 12:00 Asia/Baku = 13:00 Asia/Karachi",
        "                 no conflicts",
    ]
    assert (
        "Mon 27 Sep 2027  Remembrance Day: 7th anniversary of the start of the 44-day war" in lines
    )
    assert "Wed 10 Nov 2027  7th anniversary of the 10 November 2020 ceasefire agreement" in lines
    assert (
        "                   Fri 05 Nov 2027  Send the press release (2 working days before)"
        in lines
    )
    assert (
        "Fri 05 Nov 2027  Send the press release (2 working days before Wed 10 Nov 2027)" in lines
    )
    assert "Fri 26 Feb 2027  Example: Roundtable: 35 years since Khojaly" in lines


def test_the_json_shows_the_2027_facts() -> None:
    document = json.loads(FORMATTERS["json"](bundled()))
    entries = {item["id"]: item for item in document["entries"]}
    khojaly = entries["remembrance:february-26:2027"]
    assert (khojaly["date"], khojaly["weekday"]) == ("2027-02-26", "Friday")
    assert [(c["kind"], c["estimate"]) for c in khojaly["conflicts"]] == [("ramadan", True)]
    assert khojaly["conflicts"][0]["reason"].startswith("in Ramadan 1448 ")
    january = entries["remembrance:january-20:2027"]
    assert (january["number"], january["ordinal"]) == (37, "37th")
    assert january["next_jubilee"] == {"number": 40, "year": 2030}
    assert january["moments"][0]["origin"] == "2027-01-20T12:00:00+04:00"
    assert january["moments"][0]["local"] == "2027-01-20T13:00:00+05:00"
    for key in ("remembrance:september-27:2027", "remembrance:november-10:2027"):
        assert (entries[key]["number"], entries[key]["ordinal"]) == (7, "7th")
    host = document["host"]
    assert {"date": "2027-02-05", "name": "Kashmir Solidarity Day", "estimate": False} in host[
        "holidays"
    ]
    assert host["ramadan"] == [
        {"name": "Ramadan 1448", "first": "2027-02-08", "last": "2027-03-08", "estimate": True}
    ]
    dates = [m["date"] for m in document["milestones"]]
    assert dates == sorted(dates)
    assert len(dates) == 20


def test_an_observance_on_kashmir_solidarity_day_in_table_and_json(project: Project) -> None:
    plan = project_plan(project, observance("kashmir-day", "02-05"))
    lines = FORMATTERS["table"](plan).splitlines()
    assert "Fri 05 Feb 2027  27th anniversary" in lines
    assert "                 conflict: public holiday in PK: Kashmir Solidarity Day" in lines
    (item,) = json.loads(FORMATTERS["json"](plan))["entries"]
    assert item["conflicts"] == [
        {
            "kind": "holiday",
            "reason": "public holiday in PK: Kashmir Solidarity Day",
            "estimate": False,
        }
    ]
    assert (item["event_date"], item["moved"]) == ("2027-02-04", True)


def test_every_table_line_fits_100_columns(project: Project) -> None:
    long_title = "{ordinal} anniversary of " + "a very long and carefully worded name " * 5
    plan = project_plan(
        project, observance("long", "01-23", long_title) + observance("near", "01-24")
    )
    for text in (FORMATTERS["table"](plan), FORMATTERS["table"](bundled(2030))):
        too_long = [line for line in text.splitlines() if len(line) > 100]
        assert too_long == []
    golden = (GOLDEN / "plan" / "plan-2027.txt").read_text("utf-8")
    assert max(len(line) for line in golden.splitlines()) <= 100


def test_a_jubilee_year_in_every_format() -> None:
    plan = bundled(2030)
    lines = FORMATTERS["table"](plan).splitlines()
    assert (
        "Fri 27 Sep 2030  Remembrance Day: 10th anniversary of the start of the 44-day war "
        "(jubilee)" in lines
    )
    assert (
        "Sun 10 Nov 2030  10th anniversary of the 10 November 2020 ceasefire agreement (jubilee)"
        in lines
    )
    entries = {e["id"]: e for e in json.loads(FORMATTERS["json"](plan))["entries"]}
    assert entries["remembrance:november-10:2030"]["jubilee"] is True
    assert entries["remembrance:november-10:2030"]["next_jubilee"] is None
    rows = {
        r["id"]: r
        for r in csv.DictReader(io.StringIO(FORMATTERS["csv"](plan)))
        if r["row"] != "milestone"
    }
    assert rows["remembrance:september-27:2030"]["jubilee"] == "true"
    summary = (
        "| Fri 27 Sep 2030 | Remembrance Day: 10th anniversary of the start of the 44-day war "
        "| jubilee | none | Fri 27 Sep 2030 |"
    )
    assert summary in FORMATTERS["md"](plan).splitlines()


def test_a_moved_event_date_in_every_format(project: Project) -> None:
    plan = project_plan(project, observance("saturday", "01-23"))
    table = FORMATTERS["table"](plan)
    assert "suggested event date: Fri 22 Jan 2027 (moved): Saturday is a weekend day" in table
    (item,) = json.loads(FORMATTERS["json"](plan))["entries"]
    assert (item["date"], item["event_date"], item["moved"]) == ("2027-01-23", "2027-01-22", True)
    row = next(csv.DictReader(io.StringIO(FORMATTERS["csv"](plan))))
    assert (row["date"], row["event_date"], row["event_weekday"], row["moved"]) == (
        "2027-01-23",
        "2027-01-22",
        "Friday",
        "true",
    )
    summary = (
        "| Sat 23 Jan 2027 | 27th anniversary | next jubilee: 30th in 2030 | weekend | "
        "Fri 22 Jan 2027 (moved) |"
    )
    assert summary in FORMATTERS["md"](plan).splitlines()


def test_a_year_without_entries(project: Project) -> None:
    plan = project_plan(
        project, observance("later", "05-05").replace("since = 2000", "since = 2026"), 2026
    )
    assert plan.entries == ()
    table = FORMATTERS["table"](plan).splitlines()
    assert table[-3:] == ["No observances or events in 2026.", "", "No milestones."]
    document = json.loads(FORMATTERS["json"](plan))
    assert (document["entries"], document["milestones"]) == ([], [])
    assert FORMATTERS["csv"](plan) == ",".join(CSV_COLUMNS) + "\r\n"
    markdown = FORMATTERS["md"](plan)
    assert "## The year at a glance\n\nNo observances or events in 2026.\n" in markdown
    assert "## Milestones by date\n\nNo milestones.\n" in markdown


def test_a_title_without_the_anniversary_gets_it_added(project: Project) -> None:
    plan = project_plan(project, observance("plain", "03-03", "Day of the plain title"))
    assert "Wed 03 Mar 2027  Day of the plain title (27th anniversary)" in FORMATTERS["table"](plan)


# --- CSV -------------------------------------------------------------------------------------


def documented_columns() -> list[str]:
    text = (ROOT / "docs" / "plan.md").read_text("utf-8")
    section = text.split("## CSV columns", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([a-z_]+)` \|", section, flags=re.MULTILINE)


def test_csv_has_the_documented_columns_and_rows() -> None:
    data = (GOLDEN / "plan" / "plan-2027.csv").read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n")  # CRLF line ends only
    reader = csv.DictReader(io.StringIO(data.decode("utf-8"), newline=""))
    rows = list(reader)
    assert reader.fieldnames == list(CSV_COLUMNS) == documented_columns()
    assert [r["row"] for r in rows].count("observance") == 4
    assert [r["row"] for r in rows].count("event") == 1
    assert [r["row"] for r in rows].count("milestone") == 20
    for row in rows:
        assert date.fromisoformat(row["date"]).strftime("%A") == row["weekday"]
        assert date.fromisoformat(row["event_date"]).strftime("%A") == row["event_weekday"]
        assert None not in row  # no row is longer than the header
    khojaly = next(r for r in rows if r["id"] == "remembrance:february-26:2027")
    assert khojaly["conflict_kinds"] == "ramadan"
    assert khojaly["conflicts"].startswith("ramadan (estimate): in Ramadan 1448 ")
    assert (khojaly["next_jubilee"], khojaly["next_jubilee_year"]) == ("40", "2032")
    press = [r for r in rows if r["milestone_id"] == "press-release" and "november" in r["id"]]
    assert [(r["date"], r["weekday"], r["working_days"], r["when"]) for r in press] == [
        ("2027-11-05", "Friday", "2", "before")
    ]


def test_csv_quotes_commas_quotes_and_keeps_non_ascii(project: Project) -> None:
    title = 'Xocalı, "the 26th of February": {ordinal} anniversary'
    text = FORMATTERS["csv"](project_plan(project, observance("xocali", "02-26", title)))
    assert '"Xocalı, ""the 26th of February"": 27th anniversary"' in text
    (row,) = [r for r in csv.DictReader(io.StringIO(text, newline="")) if r["row"] != "milestone"]
    assert row["title"] == 'Xocalı, "the 26th of February": 27th anniversary'
    loaded = load(
        str(project({"cases.toml": CALENDAR + observance("xocali", "02-26", title)})), TODAY
    )
    assert "Xocalı".encode() in plan_output(loaded, 2027, "csv")  # UTF-8, no byte-order mark
    assert not plan_output(loaded, 2027, "csv").startswith(b"\xef\xbb\xbf")


# --- JSON ------------------------------------------------------------------------------------


def shape(value: Any, path: str, found: dict[str, set[str]]) -> None:
    """Record, for every path (list items as ``[]``), the keys in order or the value's type."""
    if isinstance(value, dict):
        found.setdefault(path, set()).add(",".join(value))
        for key, item in value.items():
            shape(item, f"{path}.{key}", found)
    elif isinstance(value, list):
        for item in value:
            shape(item, f"{path}[]", found)
    elif value is not None:
        found.setdefault(path, set()).add(type(value).__name__)


def test_json_has_the_documented_shape() -> None:
    text = (ROOT / "docs" / "plan.md").read_text("utf-8")
    section = text.split("## JSON shape", 1)[1]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    documented: dict[str, set[str]] = {}
    shape(example, "", documented)
    real: dict[str, set[str]] = {}
    golden = (GOLDEN / "plan" / "plan-2027.json").read_text("utf-8")
    shape(json.loads(golden), "", real)
    assert real == documented
    assert golden.endswith("}\n")
    assert golden.startswith('{\n  "year": 2027,\n  "organisation": {\n')


def test_json_keeps_non_ascii_as_it_is(project: Project) -> None:
    text = FORMATTERS["json"](
        project_plan(project, observance("xocali", "02-26", "Xocalı {ordinal}"))
    )
    assert '"title": "Xocalı 27th"' in text


# --- Markdown --------------------------------------------------------------------------------


def cells(row: str) -> int:
    """The cells of a Markdown table row; an escaped pipe is text, not a border."""
    return len(re.split(r"(?<!\\)\|", row)) - 2


def test_markdown_tables_have_a_cell_for_every_column(project: Project) -> None:
    body = observance("pipe", "03-03", "A | B *{ordinal}* _day_") + observance("other", "01-20")
    for text in (FORMATTERS["md"](bundled()), FORMATTERS["md"](project_plan(project, body))):
        tables = re.findall(r"(?:^\|.*\n)+", text, flags=re.MULTILINE)
        assert len(tables) >= 2  # the summary and the holidays at least
        for table in tables:
            header, rule, *rows = table.splitlines()
            assert re.fullmatch(r"(\| --- )+\|", rule), rule
            assert rows, header
            for row in rows:
                assert cells(row) == cells(header), row


def test_markdown_escapes_what_markdown_would_interpret(project: Project) -> None:
    text = FORMATTERS["md"](
        project_plan(project, observance("pipe", "03-03", "A | B *{ordinal}* _x_"))
    )
    assert "## Wed 03 Mar 2027: A \\| B \\*27th\\* \\_x\\_" in text


def test_markdown_has_the_headings_of_the_plan() -> None:
    text = (GOLDEN / "plan" / "plan-2027.md").read_text("utf-8")
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert headings == [
        "# Event plan 2027: Sample Embassy, Islamabad",
        "## The year at a glance",
        "## Wed 20 Jan 2027: 37th anniversary of the January 20 Tragedy",
        "## Fri 26 Feb 2027: 35th anniversary of the Khojaly Genocide",
        "## Fri 26 Feb 2027: Example: Roundtable: 35 years since Khojaly",
        "## Mon 27 Sep 2027: Remembrance Day: 7th anniversary of the start of the 44-day war",
        "## Wed 10 Nov 2027: 7th anniversary of the 10 November 2020 ceasefire agreement",
        "## Milestones by date",
        "## Public holidays in PK, 2027",
    ]
    assert "| Fri 05 Feb 2027 | Kashmir Solidarity Day |   |" in text
    assert "| Wed 10 Mar 2027 | Eid al-Fitr | estimate |" in text
