"""The organisation's own closures (``[[holiday]]``) and one date per Eid in the yearly plan.

Closures: every key's validation message; the days a closure covers (one date, a span, a yearly
day, an RRULE, February 29, across New Year); conflicts, suggested dates and milestones that
skip them; what every format shows; and that an edit reaches the next plan through the start-up
cache.  Eids: the host country's date when python-holidays lists the Eid, else the Umm al-Qura
date, shown once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.cli import main
from reminders.config import cache
from reminders.config.closures import RULE_SINCE
from reminders.config.config_file import load_config
from reminders.config.load import load
from reminders.core.errors import ConfigError
from reminders.core.model import FixedDate, YearlyRule
from reminders.core.settings import Closure, Loaded
from reminders.plan.hostcal import (
    PYTHON_HOLIDAYS,
    UMM_AL_QURA,
    HostCalendar,
    Period,
    closure_days,
    host_eids,
    with_closures,
)
from reminders.plan.output import make_plan, plan_output
from reminders.plan.plan import Plan

from .conftest import CONFIG_TEMPLATE, TODAY
from .test_plan import CALENDAR, entry, in_country, observance

Project = Callable[..., Path]
MILESTONES = """
[[milestone]]
id = "press"
name = "Send the press release"
working_days = 2
"""


def closures_project(project: Project, body: str, holidays: str, extra: str = "") -> Loaded:
    path = project({"cases.toml": CALENDAR + body})
    path.write_text(path.read_text("utf-8") + extra + holidays, encoding="utf-8")
    return load(str(path), TODAY)


def holiday(name: str, **keys: object) -> str:
    lines = [f"\n[[holiday]]\nname = {json.dumps(name)}"]
    lines += [f"{key} = {json.dumps(value)}" for key, value in keys.items()]
    return "\n".join(lines) + "\n"


# --- Validation: file, line, key, value and what was expected --------------------------------

BAD = [
    ({"name": "Two\nlines", "date": "2027-03-22"}, "name", "got 'Two\\nlines'; expected one "
     "line of text, without line breaks, tabs or other control characters (this has U+000A, a line "
     "break, at character 4)"),
    ({"name": ""}, "name", "got ''; expected a non-empty string"),
    ({"date": "2027-03-22"}, "name",
     "missing; expected the closure's name on one line, such as 'Novruz'"),
    ({"name": "Neither"}, "date", "missing; expected one of date = 'YYYY-MM-DD', month and day "
     "(every year), or rrule = 'FREQ=YEARLY;...'"),
    ({"name": "Both", "date": "2027-03-22", "rrule": "FREQ=YEARLY"}, "rrule",
     "got 'FREQ=YEARLY'; expected one of date = 'YYYY-MM-DD', month and day (every year), or "
     "rrule = 'FREQ=YEARLY;...', not more than one"),
    ({"name": "Date", "date": "2027-02-30"}, "date",
     "got '2027-02-30'; expected a date such as 2027-02-26"),
    ({"name": "Month", "month": 13, "day": 1}, "month",
     "got 13; expected a whole number from 1 to 12"),
    ({"name": "No day", "month": 3}, "day",
     "missing; expected a day of the month, 1 to 31, beside month"),
    ({"name": "No month", "day": 3}, "month", "missing; expected a month, 1 to 12, beside day"),
    ({"name": "Feb 30", "month": 2, "day": 30}, "day",
     "got 30; expected a day that month 2 has, 1 to 29"),
    ({"name": "Apr 31", "month": 4, "day": 31}, "day",
     "got 31; expected a day that month 4 has, 1 to 30"),
    ({"name": "Monthly", "rrule": "FREQ=MONTHLY;BYMONTHDAY=1"}, "rrule",
     "got 'FREQ=MONTHLY;BYMONTHDAY=1'; expected an RRULE with FREQ=YEARLY (a yearly closure "
     "begins once a year)"),
    ({"name": "Twice", "rrule": "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1,2"}, "rrule",
     "got 'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1,2'; expected an RRULE with at most one date a "
     "year (it gives 1925-03-01 and 1925-03-02 in 1925)"),
    ({"name": "Counted", "rrule": "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=20;COUNT=3"}, "rrule",
     "got 'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=20;COUNT=3'; expected an RRULE without COUNT (a "
     "closure's rule starts in 1925; end it with UNTIL=YYYYMMDD)"),
    ({"name": "Back", "date": "2027-03-22", "until": "2027-03-20"}, "until",
     "got '2027-03-20'; expected a date from 2027-03-22 (the closure's date) to 2028-03-21"),
    ({"name": "Yearly", "month": 3, "day": 20, "until": "2027-03-25"}, "until",
     "got '2027-03-25'; expected until only with date = 'YYYY-MM-DD' (a yearly closure lasts "
     "days = N)"),
    ({"name": "Spans", "date": "2027-03-22", "until": "2027-03-25", "days": 3}, "until",
     "got '2027-03-25'; expected either until or days, not both"),
    ({"name": "Zero", "date": "2027-03-22", "days": 0}, "days",
     "got 0; expected a whole number from 1 to 366"),
    ({"name": "Typo", "date": "2027-03-22", "dayz": 2}, "dayz",
     "unknown key; expected a known key (name, date, month, day, rrule, until, days)"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("keys", "key", "message"), BAD, ids=[case[1] + str(i) for i, case in enumerate(BAD)]
)
def test_every_closure_key_is_validated_with_file_line_key_value_and_expectation(
    keys: dict[str, object], key: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "calendars").mkdir()
    text = CONFIG_TEMPLATE.format(timezone="Asia/Karachi", examples="false")
    good = holiday("Novruz", month=3, day=20)
    body = "\n[[holiday]]\n" + "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())
    (tmp_path / "config.toml").write_text(text + good + body, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config("config.toml")
    header = (text + good).count("\n") + 2  # the line of the bad table's [[holiday]]
    line = header + 1 + list(keys).index(key) if key in keys else header
    assert [str(problem) for problem in caught.value.problems] == [
        f"config.toml:{line}: holiday[2].{key}: {message}"
    ]


def test_a_valid_closure_of_every_kind_is_loaded(tmp_path: Path) -> None:
    text = CONFIG_TEMPLATE.format(timezone="Asia/Karachi", examples="false")
    (tmp_path / "calendars").mkdir()
    config = tmp_path / "config.toml"
    config.write_text(
        text
        + holiday("Office move", date="2027-08-02", until="2027-08-06")
        + holiday("Novruz", month=3, day=20, days=5)
        + holiday("Retreat", rrule="RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=2MO")
        + holiday("Leap", month=2, day=29),
        "utf-8",
    )
    assert load_config(config).closures == (
        Closure("Office move", None, date(2027, 8, 2), 5),
        Closure("Novruz", FixedDate(3, 20, "skip"), None, 5),
        Closure("Retreat", YearlyRule("FREQ=YEARLY;BYMONTH=11;BYDAY=2MO", RULE_SINCE), None, 1),
        Closure("Leap", FixedDate(2, 29, "skip"), None, 1),
    )


# --- The days a closure covers -----------------------------------------------------------------


def test_closure_days_of_each_kind() -> None:
    closures = (
        Closure("Office move", None, date(2027, 8, 2), 5),
        Closure("Winter break", FixedDate(12, 30, "skip"), None, 4),
        Closure("Retreat", YearlyRule("FREQ=YEARLY;BYMONTH=11;BYDAY=2MO", RULE_SINCE), None, 1),
        Closure("Leap", FixedDate(2, 29, "skip"), None, 1),
        Closure("Move day two", None, date(2027, 8, 3), 1),
    )
    days = closure_days(closures, date(2027, 1, 1), date(2028, 12, 31))
    assert days == {
        date(2027, 1, 1): "Winter break",  # from 30 December 2026: across New Year
        date(2027, 1, 2): "Winter break",
        date(2027, 8, 2): "Office move",
        date(2027, 8, 3): "Office move and Move day two",
        date(2027, 8, 4): "Office move",
        date(2027, 8, 5): "Office move",
        date(2027, 8, 6): "Office move",
        date(2027, 11, 8): "Retreat",
        date(2027, 12, 30): "Winter break",
        date(2027, 12, 31): "Winter break",
        date(2028, 1, 1): "Winter break",
        date(2028, 1, 2): "Winter break",
        date(2028, 2, 29): "Leap",  # leap years only
        date(2028, 11, 13): "Retreat",
        date(2028, 12, 30): "Winter break",
        date(2028, 12, 31): "Winter break",
    }


@settings(max_examples=60, deadline=None)
@given(
    month=st.integers(1, 12),
    day=st.integers(1, 28),
    days=st.integers(1, 20),
    start=st.dates(date(2026, 6, 1), date(2027, 12, 1)),
    count=st.integers(0, 15),
    direction=st.sampled_from([-1, 1]),
)
def test_working_days_never_land_on_a_closed_day(
    month: int, day: int, days: int, start: date, count: int, direction: int
) -> None:
    host = with_closures(
        HostCalendar("PK", frozenset({5, 6}), {}),
        (Closure("Off", FixedDate(month, day), None, days),),
        2027,
    )
    for year in (2026, 2027, 2028):
        first = date(year, month, day)
        for offset in range(days):
            closed = first + timedelta(days=offset)
            if closed.year <= 2028:  # the plan's years: 2027 and the years on either side
                assert not host.is_working_day(closed)
    landed = host.working_days_from(start, count, direction)
    if count:
        assert host.is_working_day(landed)
        between = [
            start + timedelta(days=direction * n) for n in range(1, abs((landed - start).days) + 1)
        ]
        assert sum(host.is_working_day(d) for d in between) == count


# --- In the plan -------------------------------------------------------------------------------

NOVRUZ = holiday("Novruz", month=3, day=20, days=5)  # Saturday 20 to Wednesday 24 March 2027


def test_a_closure_is_a_conflict_of_its_own_and_the_event_moves_off_it(project: Project) -> None:
    plan = make_plan(closures_project(project, observance("novruz", "03-22"), NOVRUZ), 2027)
    item = entry(plan, "novruz")
    assert [(c.kind, c.reason, c.estimate) for c in item.conflicts] == [
        ("closure", "closed: Novruz (the organisation's own closure)", False)
    ]
    # Friday 19 and Thursday 25 March are as near; the earlier wins.
    assert item.event_date == date(2027, 3, 19)
    assert item.suggestion.startswith(
        "Monday is a day the organisation is closed (Novruz): a seminar or roundtable can move "
        "to the nearest working day, Friday 19 Mar 2027 (3 days before)"
    )
    assert plan.closures == tuple((date(2027, 3, d), "Novruz") for d in range(20, 25))


def test_a_closure_on_a_public_holiday_is_named_beside_it(project: Project) -> None:
    closed = holiday("National Day", month=2, day=5)
    plan = make_plan(closures_project(project, observance("kashmir", "02-05"), closed), 2027)
    assert [(c.kind, c.reason) for c in entry(plan, "kashmir").conflicts] == [
        ("holiday", "public holiday in PK: Kashmir Solidarity Day"),
        ("closure", "closed: National Day (the organisation's own closure)"),
    ]


def test_milestones_skip_the_organisations_closures(project: Project) -> None:
    # Wednesday 10 November 2027: Tuesday 9 is Iqbal Day, so two working days before is Friday 5
    # November; with the office closed on Monday 8 and Friday 5 it is Wednesday 3.
    body = observance("ceasefire", "11-10")
    without = make_plan(closures_project(project, body, "", MILESTONES), 2027)
    assert entry(without, "ceasefire").milestones[0].date == date(2027, 11, 5)
    closed = holiday("Retreat", rrule="FREQ=YEARLY;BYMONTH=11;BYDAY=2MO") + holiday(
        "Bridge day", date="2027-11-05"
    )
    plan = make_plan(closures_project(project, body, closed, MILESTONES), 2027)
    (press,) = entry(plan, "ceasefire").milestones
    assert press.date == date(2027, 11, 3)
    assert plan.closures == ((date(2027, 11, 5), "Bridge day"), (date(2027, 11, 8), "Retreat"))


def novruz_plan(project: Project) -> tuple[Loaded, Plan]:
    loaded = closures_project(project, observance("novruz", "03-22"), NOVRUZ, MILESTONES)
    return loaded, make_plan(loaded, 2027)


def test_every_format_shows_the_closures(project: Project) -> None:
    loaded, _ = novruz_plan(project)
    table = plan_output(loaded, 2027, "table").decode()
    assert "public holidays: 16 days, 9 of them estimates; own\n  closures: 5 days" in table
    assert "conflict: closed: Novruz (the organisation's own closure)" in table
    markdown = plan_output(loaded, 2027, "md").decode()
    assert "## Own closures, 2027\n\n| Date | Closed for |\n| --- | --- |\n" in markdown
    assert "| Sat 20 Mar 2027 | Novruz |\n" in markdown
    assert "| Fri 26 Mar 2027 |" not in markdown.split("## Own closures")[1]
    document = json.loads(plan_output(loaded, 2027, "json"))
    assert document["host"]["closures"] == [
        {"date": f"2027-03-{d}", "name": "Novruz"} for d in range(20, 25)
    ]
    (found,) = [e for e in document["entries"] if e["observance"] == "novruz"]
    assert found["conflicts"] == [
        {"kind": "closure", "reason": "closed: Novruz (the organisation's own closure)",
         "estimate": False}
    ]  # fmt: skip
    csv_text = plan_output(loaded, 2027, "csv").decode()
    assert ",closure,closure: closed: Novruz (the organisation's own closure)," in csv_text
    html = plan_output(loaded, 2027, "html").decode()
    assert "<caption>Own closures (counted as days off)</caption>" in html
    assert (
        '<time datetime="2027-03-22">Monday, 22 March 2027</time></td><td dir="auto">Novruz' in html
    )
    assert "Own closure: Novruz" in html  # the picture's tooltip of those days
    ics = plan_output(loaded, 2027, "ics").decode()
    unfolded = ics.replace("\r\n ", "").replace("\\,", ",")
    assert "(weekends, public holidays and own closures skipped)" in unfolded


def test_a_plan_without_closures_says_nothing_of_them() -> None:
    from .test_plan import bundled_plan

    plan = bundled_plan(2027)
    assert plan.closures == ()
    assert plan.host.closures == {}


def test_an_edited_closure_changes_the_next_plan_through_the_cache(
    project: Project,
    private_cache: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cache, "SETTLED_NS", 0)  # the calendar was written a moment ago
    config = project({"cases.toml": CALENDAR + observance("novruz", "03-22")})
    base = config.read_text("utf-8")

    def plan_with(closure: str, stamp: int) -> str:
        config.write_text(base + closure, "utf-8")
        os.utime(config, ns=(stamp, stamp))  # settled: old enough to be cached
        assert main(["--config", str(config), "plan", "2027"]) == 0
        return capsys.readouterr().out

    first = plan_with(NOVRUZ, 1_700_000_000_000_000_000)
    assert "closed: Novruz" in first
    assert cache.read(str(config), TODAY) is not None  # the settings, closures and all
    again = plan_with(NOVRUZ, 1_700_000_000_000_000_000)  # the same file: a cache hit
    assert again == first
    hosts = sorted(private_cache.glob("host-*"))
    assert len(hosts) == 1
    # Tuesday 23 to Saturday 27 March: Monday 22 is a working day again.
    moved = plan_with(NOVRUZ.replace("day = 20", "day = 23"), 1_700_000_001_000_000_000)
    assert "closed: Novruz" not in moved
    assert "own\n  closures: 5 days" in moved
    assert "suggested event date: Fri 19 Mar 2027 (moved)" in entry_suggestion(first)
    assert entry_suggestion(moved).endswith("Mon 22 Mar 2027: the day itself, a working day")
    gone = plan_with("", 1_700_000_002_000_000_000)
    assert "closed: Novruz" not in gone
    assert "closures" not in gone
    assert sorted(private_cache.glob("host-*")) == hosts  # python-holidays' part was kept


def entry_suggestion(table: str) -> str:
    return next(line for line in table.splitlines() if "suggested event date" in line)


# --- One date per Eid --------------------------------------------------------------------------


def test_pakistans_eids_are_its_public_holidays_not_the_umm_al_qura_dates(project: Project) -> None:
    body = observance("tables-eid", "03-09") + observance("pakistan-eid", "03-10")
    plan = make_plan(closures_project(project, body, "", "\n[plan]\nconflict_days = 0\n"), 2027)
    assert plan.eids == (
        Period("Eid al-Fitr 1448", date(2027, 3, 10), date(2027, 3, 10), True, PYTHON_HOLIDAYS),
        Period("Eid al-Adha 1448", date(2027, 5, 17), date(2027, 5, 17), True, PYTHON_HOLIDAYS),
    )
    # Tuesday 9 March is the Umm al-Qura date only: no Eid in Pakistan's plan.
    assert entry(plan, "tables-eid").conflicts == ()
    (only,) = entry(plan, "pakistan-eid").conflicts
    assert (only.kind, only.estimate) == ("holiday", True)
    assert only.reason.startswith("public holiday in PK: Eid al-Fitr (an estimate")
    table = plan_output(
        closures_project(project, body, "", "\n[plan]\nconflict_days = 0\n"), 2027, "table"
    ).decode()
    assert (
        "Eid al-Fitr 1448: Wed 10 Mar 2027 (a public holiday in PK, by python-holidays; an "
        "estimate)" in table
    )
    assert "09 Mar" not in table.split("\n\n")[0]


def test_a_country_without_eid_holidays_has_the_umm_al_qura_dates(project: Project) -> None:
    body = observance("tables-eid", "03-09")
    loaded = in_country(closures_project(project, body, "", "\n[plan]\nconflict_days = 0\n"), "DE")
    plan = make_plan(loaded, 2027)
    assert [(p.name, p.first, p.estimate, p.source) for p in plan.eids] == [
        ("Eid al-Fitr 1448", date(2027, 3, 9), True, UMM_AL_QURA),
        ("Eid al-Adha 1448", date(2027, 5, 16), True, UMM_AL_QURA),
    ]
    (eid,) = entry(plan, "tables-eid").conflicts
    assert (eid.kind, eid.estimate) == ("eid", True)
    document = json.loads(plan_output(loaded, 2027, "json"))
    assert document["host"]["eids"][0] == {
        "name": "Eid al-Fitr 1448",
        "date": "2027-03-09",
        "estimate": True,
        "source": "umm-al-qura",
        "public_holiday": False,
    }
    html = plan_output(loaded, 2027, "html").decode()
    assert "Eid al-Fitr 1448: Tuesday, 9 March 2027 (by the Umm al-Qura tables)" in html
    assert (
        '<g class="mark eid"><title>Eid al-Fitr 1448 (an estimate by the Umm al-Qura tables)'
        in html
    )


def test_turkeys_eid_is_its_announced_holiday_and_no_estimate(project: Project) -> None:
    loaded = in_country(closures_project(project, observance("x", "01-05"), ""), "TR")
    plan = make_plan(loaded, 2027)
    fitr = plan.eids[0]
    assert (fitr.first, fitr.estimate, fitr.public_holiday) == (date(2027, 3, 9), False, True)
    assert "Eid al-Fitr 1448: Tue 09 Mar 2027 (a public holiday in TR, by python-holidays)\n" in (
        plan_output(loaded, 2027, "table").decode()
    )
    document = json.loads(plan_output(loaded, 2027, "json"))
    listed = [e["name"] for e in document["host"]["eids"]]
    assert listed == ["Eid al-Fitr 1448", "Eid al-Adha 1448"]  # once each


TABLES = (Period("Eid al-Fitr 1448", date(2027, 3, 9), date(2027, 3, 9)),)


@pytest.mark.parametrize(
    ("holidays", "expected"),
    [
        # The Eid itself before a holiday that only begins with its name (Saudi-style names).
        ({date(2027, 3, 8): "Eid al-Fitr Holiday", date(2027, 3, 10): "Eid al-Fitr (estimated)"},
         (date(2027, 3, 10), True, PYTHON_HOLIDAYS)),
        ({date(2027, 3, 9): "Eid al-Fitr Holiday", date(2027, 3, 10): "Eid al-Fitr Holiday"},
         (date(2027, 3, 9), False, PYTHON_HOLIDAYS)),
        # en_PK's spelling, and an Eid joined with another holiday.
        ({date(2027, 3, 11): "Eid-ul-Fitr"}, (date(2027, 3, 11), False, PYTHON_HOLIDAYS)),
        ({date(2027, 3, 10): "Pakistan Day; Eid al-Fitr (estimated)"},
         (date(2027, 3, 10), True, PYTHON_HOLIDAYS)),
        # A day observed in lieu is never the Eid; nor is a holiday too far away, or another one.
        ({date(2027, 3, 8): "Eid al-Fitr (observed, estimated)"},
         (date(2027, 3, 9), True, UMM_AL_QURA)),
        ({date(2027, 3, 13): "Eid al-Fitr"}, (date(2027, 3, 9), True, UMM_AL_QURA)),
        ({date(2027, 3, 9): "Eid al-Adha"}, (date(2027, 3, 9), True, UMM_AL_QURA)),
    ],
)  # fmt: skip
def test_host_eids_rule(holidays: dict[date, str], expected: tuple[date, bool, str]) -> None:
    (eid,) = host_eids(TABLES, holidays)
    assert (eid.first, eid.estimate, eid.source) == expected
    assert eid.first == eid.last
    assert eid.name == "Eid al-Fitr 1448"


def test_a_day_in_lieu_of_an_estimated_eid_is_an_estimate(project: Project) -> None:
    # python-holidays: Azerbaijan's "Eid al-Adha (observed, estimated)" on Tuesday 18 May 2027.
    loaded = in_country(closures_project(project, observance("lieu", "05-18"), ""), "AZ")
    (found,) = entry(make_plan(loaded, 2027), "lieu").conflicts
    assert (found.kind, found.estimate) == ("holiday", True)
    assert found.reason.startswith("public holiday in AZ: Eid al-Adha (observed) (an estimate")
