"""The yearly plan (plan.build_plan) and the host calendar (hostcal): the 2027 facts, conflicts,
the move policies, milestones in working days, February 29, jubilees, and the errors for an
unknown country and a year out of range."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from pathlib import Path

import pytest

from reminders.cli import main
from reminders.config.load import load
from reminders.core.settings import Loaded, MilestoneRule
from reminders.plan.hostcal import HostCalendar, holiday_names, host_calendar
from reminders.plan.output import make_plan
from reminders.plan.plan import (
    Entry,
    Milestone,
    Plan,
    WorkingDays,
    build_plan,
    milestone_dates,
)

from .conftest import ROOT, TODAY

Project = Callable[..., Path]
SAT_SUN = frozenset({5, 6})
# Pakistan's 2027 weekend and one public holiday, written by hand: Friday 5 February.
HAND_2027 = HostCalendar("PK", SAT_SUN, {date(2027, 2, 5): "Kashmir Solidarity Day"})
WEEKENDS_ONLY = HostCalendar("PK", SAT_SUN, {})

CALENDAR = """\
[calendar]
id = "cases"
name = "Plan cases"
timezone = "Asia/Baku"
"""


def observance(obs_id: str, month_day: str, since: int = 2000, extra: str = "") -> str:
    return f"""
[[observance]]
id = "{obs_id}"
title = "{{ordinal}} {obs_id}"
date = "{month_day}"
since = {since}
description = "A day for the plan's tests."
{extra}
"""


def loaded_project(project: Project, body: str, config: str = "", **files: str) -> Loaded:
    """A project with the calendar ``CALENDAR + body`` (and ``files``), ``config`` appended."""
    path = project({"cases.toml": CALENDAR + body, **files})
    path.write_text(path.read_text("utf-8") + config, encoding="utf-8")
    return load(str(path), TODAY)


def in_country(loaded: Loaded, country: str) -> Loaded:
    """``loaded`` with another host country."""
    org = loaded.settings.organisation._replace(country=country)
    return loaded._replace(settings=loaded.settings._replace(organisation=org))


def bundled_plan(year: int) -> Plan:
    return make_plan(load(str(ROOT / "config.toml"), TODAY), year)


def entry(plan: Plan, observance_id: str) -> Entry:
    found = [
        e
        for e in plan.entries
        if e.kind == "observance"
        and e.occurrence.observance is not None
        and e.occurrence.observance.id == observance_id
    ]
    assert len(found) == 1, f"{observance_id}: {len(found)} entries in {plan.year}"
    return found[0]


def kinds(item: Entry) -> list[str]:
    return [c.kind for c in item.conflicts]


def neighbours(item: Entry) -> list[str]:
    """The reasons of the conflicts with other observances."""
    return [c.reason for c in item.conflicts if c.kind == "observance"]


def test_the_2027_facts_of_the_bundled_calendar() -> None:
    plan = bundled_plan(2027)
    khojaly = entry(plan, "february-26")
    assert khojaly.date == date(2027, 2, 26)
    assert khojaly.occurrence.weekday == "Friday"
    (ramadan,) = khojaly.conflicts
    assert ramadan.kind == "ramadan"
    assert ramadan.estimate
    assert ramadan.reason.startswith("in Ramadan 1448 (by the Umm al-Qura tables")
    assert [p.name for p in plan.ramadan] == ["Ramadan 1448"]
    assert plan.ramadan[0].first <= date(2027, 2, 26) <= plan.ramadan[0].last
    january = entry(plan, "january-20")
    assert (january.occurrence.number, january.occurrence.ordinal) == (37, "37th")
    assert january.occurrence.title == "37th anniversary of the January 20 Tragedy"
    for observance_id in ("september-27", "november-10"):
        assert entry(plan, observance_id).occurrence.ordinal == "7th"
    assert (date(2027, 2, 5), "Kashmir Solidarity Day") in plan.holidays
    # The worked example of docs/plan.md: Tuesday 9 November (Iqbal Day) and the weekend are
    # skipped, so the press release two working days before Wednesday 10 November is due Friday 5.
    press = {m.id: m for m in entry(plan, "november-10").milestones}["press-release"]
    assert press.date == date(2027, 11, 5)


def test_an_observance_on_kashmir_solidarity_day_conflicts_with_the_holiday(
    project: Project,
) -> None:
    plan = make_plan(loaded_project(project, observance("kashmir-day", "02-05")), 2027)
    item = entry(plan, "kashmir-day")
    assert [(c.kind, c.reason, c.estimate) for c in item.conflicts] == [
        ("holiday", "public holiday in PK: Kashmir Solidarity Day", False)
    ]
    assert item.event_date == date(2027, 2, 4)  # the nearest working day: Thursday


@pytest.mark.parametrize(
    "host",
    [HAND_2027, host_calendar("PK", ("Saturday", "Sunday"), 2027)],
    ids=["by-hand", "python-holidays"],
)
def test_working_days_skip_a_public_holiday_and_a_weekend(host: HostCalendar) -> None:
    monday = date(2027, 2, 8)  # Friday 5 February is Kashmir Solidarity Day
    assert host.working_days_from(monday, 1, -1) == date(2027, 2, 4)
    assert host.working_days_from(monday, 2, -1) == date(2027, 2, 3)
    assert host.working_days_from(date(2027, 2, 4), 1, 1) == monday
    assert host.working_days_from(date(2027, 2, 4), 3, 1) == date(2027, 2, 10)
    assert host.working_days_from(date(2027, 2, 6), 0, -1) == date(2027, 2, 6)  # the day itself


def test_a_milestone_that_would_land_on_a_holiday_lands_on_the_working_day_before(
    project: Project,
) -> None:
    rule = '\n[[milestone]]\nid = "press"\nname = "Send the press release"\nworking_days = 1\n'
    plan = make_plan(loaded_project(project, observance("ceasefire", "11-10"), rule), 2027)
    assert plan.host.holiday(date(2027, 11, 9)) == "Iqbal Day"  # the plain day before
    (press,) = entry(plan, "ceasefire").milestones
    assert (press.date, press.working_days, press.when) == (date(2027, 11, 8), 1, "before")


def test_february_29_in_a_leap_year_and_by_its_policy_in_a_common_year(project: Project) -> None:
    body = (
        observance("leap-feb28", "02-29", extra='leap_day = "feb28"')
        + observance("leap-mar1", "02-29", extra='leap_day = "mar1"')
        + observance("leap-skip", "02-29", extra='leap_day = "skip"')
        + observance("march-2", "03-02")
    )
    rule = (
        '\n[[milestone]]\nid = "brief"\nname = "Brief the speakers"\nworking_days = 2\n'
        'observances = ["march-2"]\n'
    )
    loaded = loaded_project(project, body, rule)
    leap = build_plan(loaded, 2028, WEEKENDS_ONLY)
    for observance_id in ("leap-feb28", "leap-mar1", "leap-skip"):
        assert entry(leap, observance_id).date == date(2028, 2, 29)
        assert entry(leap, observance_id).occurrence.weekday == "Tuesday"
    # Two working days before Thursday 2 March 2028: Wednesday 1 March, Tuesday 29 February.
    assert [m.date for m in entry(leap, "march-2").milestones] == [date(2028, 2, 29)]
    common = build_plan(loaded, 2027, WEEKENDS_ONLY)
    on_28th = entry(common, "leap-feb28")
    assert (on_28th.date, on_28th.occurrence.weekday) == (date(2027, 2, 28), "Sunday")
    assert "weekend" in kinds(on_28th)
    assert on_28th.event_date == date(2027, 3, 1)  # Monday is nearer than Friday
    assert entry(common, "leap-mar1").date == date(2027, 3, 1)
    assert "cases:leap-skip:2027" not in [e.occurrence.id for e in common.entries]
    # Two working days before Tuesday 2 March 2027: Monday 1 March, Friday 26 February.
    assert [m.date for m in entry(common, "march-2").milestones] == [date(2027, 2, 26)]


def test_february_29_2028_is_an_estimated_eid_holiday_in_pakistan(project: Project) -> None:
    loaded = loaded_project(project, observance("leap", "02-29"))
    item = entry(make_plan(loaded, 2028), "leap")
    (holiday,) = [c for c in item.conflicts if c.kind == "holiday"]
    assert holiday.estimate
    assert holiday.reason == (
        "public holiday in PK: Eid al-Fitr (an estimate: the date depends on the sighting of "
        "the moon)"
    )


# Saturday 23 and Sunday 24 January 2027 are a weekend; Friday 5 February is a public holiday.
MOVES = {
    "nearest": (date(2027, 1, 22), date(2027, 1, 25), date(2027, 2, 4)),
    "before": (date(2027, 1, 22), date(2027, 1, 22), date(2027, 2, 4)),
    "after": (date(2027, 1, 25), date(2027, 1, 25), date(2027, 2, 8)),
    "never": (date(2027, 1, 23), date(2027, 1, 24), date(2027, 2, 5)),
}


@pytest.mark.parametrize("policy", list(MOVES))
def test_move_policy_on_a_weekend_day_and_a_public_holiday(project: Project, policy: str) -> None:
    body = observance("saturday", "01-23") + observance("sunday", "01-24")
    body += observance("holiday", "02-05")
    config = f'\n[plan]\nconflict_days = 0\nmove = "{policy}"\n'
    plan = make_plan(loaded_project(project, body, config), 2027)
    items = [entry(plan, name) for name in ("saturday", "sunday", "holiday")]
    assert tuple(item.event_date for item in items) == MOVES[policy]
    saturday, _, holiday = items
    assert saturday.date == date(2027, 1, 23)  # the remembrance day itself never moves
    if policy == "never":
        assert not any(item.moved for item in items)
        assert saturday.suggestion == (
            'the day itself, though a weekend day ([plan] move = "never")'
        )
        assert holiday.suggestion == (
            'the day itself, though a public holiday ([plan] move = "never")'
        )
    else:
        assert all(item.moved for item in items)
        assert saturday.suggestion.startswith("Saturday is a weekend day: a seminar or roundtable")
        assert holiday.suggestion.startswith("Friday is a public holiday: a seminar or roundtable")
        assert holiday.suggestion.endswith("the remembrance itself stays on Friday 5 Feb 2027")


def test_nearest_takes_the_earlier_working_day_on_a_tie(project: Project) -> None:
    # Friday 22 January a holiday: Thursday 21 and Monday 25 are both two days from Saturday 23.
    host = WEEKENDS_ONLY._replace(holidays={date(2027, 1, 22): "A holiday by hand"})
    plan = build_plan(loaded_project(project, observance("saturday", "01-23")), 2027, host)
    assert entry(plan, "saturday").event_date == date(2027, 1, 21)


def test_a_planned_event_fixes_the_event_date_and_the_milestones(project: Project) -> None:
    event = """
[[event]]
id = "seminar"
title = "Seminar"
observance = "saturday"
date = 2027-01-20
"""
    rule = '\n[[milestone]]\nid = "hall"\nname = "Book the hall"\nworking_days = 1\n'
    loaded = loaded_project(project, observance("saturday", "01-23") + event, rule)
    item = entry(build_plan(loaded, 2027, WEEKENDS_ONLY), "saturday")
    assert item.event_date == date(2027, 1, 20)
    assert item.suggestion == "planned: Seminar on Wednesday 20 Jan 2027"
    assert [m.date for m in item.milestones] == [date(2027, 1, 19)]


def test_an_example_event_does_not_fix_the_event_date() -> None:
    khojaly = entry(bundled_plan(2027), "february-26")
    assert khojaly.suggestion == "the day itself, a working day"


def test_other_observances_within_conflict_days_and_not_beyond(project: Project) -> None:
    body = observance("first", "03-01") + observance("fourth", "03-04")
    body += observance("ninth", "03-09") + observance("new-year-eve", "12-31")
    body += observance("second-of-january", "01-02")
    other = CALENDAR.replace('"cases"', '"other"') + observance("second", "03-02")
    loaded = loaded_project(project, body, "\n[plan]\nconflict_days = 3\n", **{"o.toml": other})
    plan = build_plan(loaded, 2027, WEEKENDS_ONLY)
    assert neighbours(entry(plan, "first")) == [
        "3 days before 27th fourth (Thursday 4 Mar 2027)"
    ]  # the other calendar's observance on 2 March does not count
    assert neighbours(entry(plan, "fourth")) == ["3 days after 27th first (Monday 1 Mar 2027)"]
    assert neighbours(entry(plan, "ninth")) == []  # five days from the fourth
    # Across the year's ends: the neighbours in 2026 and 2028 count too.
    assert neighbours(entry(plan, "new-year-eve")) == [
        "2 days before 28th second-of-january (Sunday 2 Jan 2028)"
    ]
    assert neighbours(entry(plan, "second-of-january")) == [
        "2 days after 26th new-year-eve (Thursday 31 Dec 2026)"
    ]
    narrower = loaded._replace(
        settings=loaded.settings._replace(plan=loaded.settings.plan._replace(conflict_days=2))
    )
    assert neighbours(entry(build_plan(narrower, 2027, WEEKENDS_ONLY), "first")) == []


# The neighbours of "middle" (15 June 2027) among june-11 to june-18 with conflict_days = 3:
# nearest first (the earlier of two at the same distance), then shown in date order.
MIDDLE_NEIGHBOURS = [
    "3 days after 27th june-12 (Saturday 12 Jun 2027)",
    "2 days after 27th june-13 (Sunday 13 Jun 2027)",
    "1 day after 27th june-14 (Monday 14 Jun 2027)",
    "1 day before 27th june-16 (Wednesday 16 Jun 2027)",
    "2 days before 27th june-17 (Thursday 17 Jun 2027)",
    "and 1 more observance of this calendar within 3 days",
]


def test_the_five_nearest_observances_are_named_and_the_rest_counted(project: Project) -> None:
    body = observance("middle", "06-15")
    for day in (11, 12, 13, 14, 16, 17, 18):  # six within three days; the 11th is four away
        body += observance(f"june-{day}", f"06-{day}")
    loaded = loaded_project(project, body, "\n[plan]\nconflict_days = 3\n")
    plan = build_plan(loaded, 2027, WEEKENDS_ONLY)
    # Nearest first (the earlier of two at the same distance), then shown in date order.
    assert neighbours(entry(plan, "middle")) == MIDDLE_NEIGHBOURS


def test_the_weekend_comes_from_the_config() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    friday = HostCalendar("PK", frozenset({4}), {})  # a Friday weekend
    khojaly = entry(build_plan(loaded, 2027, friday), "february-26")
    assert khojaly.conflicts[0].reason == "Friday is a weekend day in PK"
    assert khojaly.event_date == date(2027, 2, 25)


def test_unknown_country_code_is_a_clear_error(
    project: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    config = project({"cases.toml": CALENDAR + observance("day", "03-01")})
    config.write_text(
        config.read_text("utf-8").replace('country = "PK"', 'country = "XX"'), encoding="utf-8"
    )
    code = main(["--config", str(config), "plan", "2027"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err == (
        f"reminders: 1 problem in the configuration:\n  {config}:4: organisation.country: got "
        "'XX'; expected a country code that python-holidays knows, such as PK, AZ, TR, DE or GB\n"
    )


def test_an_error_writes_no_file(project: Project, capsys: pytest.CaptureFixture[str]) -> None:
    config = project({"cases.toml": CALENDAR + observance("day", "03-01")})
    config.write_text(
        config.read_text("utf-8").replace('country = "PK"', 'country = "XX"'), encoding="utf-8"
    )
    folder = config.parent / "out"
    folder.mkdir()
    code = main(["--config", str(config), "plan", "2027", "-o", str(folder / "plan.json")])
    assert code == 1
    assert "organisation.country" in capsys.readouterr().err
    assert list(folder.iterdir()) == []  # no plan, no temporary file


@pytest.mark.parametrize(
    ("fmt", "golden"), [("table", "plan-2027.txt"), ("json", "plan-2027.json")]
)
def test_a_plan_written_to_a_file_is_the_golden_one_and_its_size_is_said(
    fmt: str, golden: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / golden
    code = main(["--config", str(ROOT / "config.toml"), "plan", "2027", "--format", fmt,
                 "-o", str(target)])  # fmt: skip
    expected = (ROOT / "tests" / "golden" / "plan" / golden).read_bytes()
    assert code == 0
    assert target.read_bytes() == expected
    assert capsys.readouterr().err == f"wrote {target} ({len(expected)} bytes, {fmt})\n"


@pytest.mark.parametrize("year", ["1900", "1924", "2077", "2200"])
def test_year_out_of_range_is_a_clear_error(year: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(ROOT / "config.toml"), "plan", year])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert err == (
        f"reminders: year {year} is out of range for a plan; expected 1925 to 2076 (the years "
        "the Hijri calendar tables cover)\n"
    )


@pytest.mark.parametrize("year", [1925, 2076])
def test_the_first_and_last_year_of_the_range_can_be_planned(year: int) -> None:
    plan = bundled_plan(year)
    assert plan.year == year
    assert plan.ramadan  # the Hijri tables reach both ends


def test_the_next_jubilee_is_named_within_five_years_and_not_beyond() -> None:
    plan = bundled_plan(2027)
    assert entry(plan, "january-20").next_jubilee == (40, 2030)  # 37th: three years ahead
    assert entry(plan, "february-26").next_jubilee == (40, 2032)  # 35th: exactly five
    assert entry(bundled_plan(2026), "february-26").next_jubilee is None  # 34th: six years
    assert entry(bundled_plan(2031), "january-20").next_jubilee is None  # 41st: nine years


def test_a_jubilee_year() -> None:
    plan = bundled_plan(2030)
    for observance_id in ("september-27", "november-10"):
        item = entry(plan, observance_id)
        assert (item.occurrence.ordinal, item.jubilee) == ("10th", True)
        assert item.next_jubilee is None  # the 20th is ten years away
    assert entry(plan, "january-20").jubilee  # the 40th
    assert not entry(plan, "february-26").jubilee  # the 38th


def test_a_25th_anniversary_is_a_jubilee_and_names_the_30th(project: Project) -> None:
    plan = build_plan(loaded_project(project, observance("silver", "03-03", 2002)), 2027, HAND_2027)
    item = entry(plan, "silver")
    assert (item.occurrence.number, item.jubilee, item.next_jubilee) == (25, True, (30, 2032))


def test_two_holidays_on_one_day_are_split_and_each_keeps_its_estimate_mark() -> None:
    assert holiday_names("Eid al-Fitr (estimated); Kashmir Solidarity Day") == (
        ("Eid al-Fitr", True),
        ("Kashmir Solidarity Day", False),
    )
    assert holiday_names("Ashura (estimated)") == (("Ashura", True),)
    # Azerbaijan's day in lieu of an estimated Eid: an estimate too.
    assert holiday_names("Eid al-Adha (observed, estimated)") == (("Eid al-Adha (observed)", True),)
    assert holiday_names("Eid al-Adha (observed)") == (("Eid al-Adha (observed)", False),)


def test_a_day_with_an_estimated_and_a_fixed_holiday_is_a_certain_conflict(
    project: Project,
) -> None:
    # In 2030 python-holidays estimates Eid al-Fitr on 5 February, Kashmir Solidarity Day.
    plan = make_plan(loaded_project(project, observance("kashmir-day", "02-05")), 2030)
    (holiday,) = [c for c in entry(plan, "kashmir-day").conflicts if c.kind == "holiday"]
    assert holiday.reason == (
        "public holiday in PK: Eid al-Fitr (an estimate: the date depends on the sighting of the "
        "moon) and Kashmir Solidarity Day"
    )
    assert not holiday.estimate


def test_holiday_names_do_not_follow_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    # python-holidays translates names by LANGUAGE/LC_ALL/LANG unless asked for a language.
    monkeypatch.setenv("LANGUAGE", "ur_PK")
    monkeypatch.setenv("LC_ALL", "ur_PK.UTF-8")
    host = host_calendar("PK", ("Saturday", "Sunday"), 2027)
    assert host.holiday(date(2027, 2, 5)) == "Kashmir Solidarity Day"
    assert host.holiday(date(2027, 3, 10)) == "Eid al-Fitr (estimated)"


def test_ramadan_conflicts_can_be_switched_off(project: Project) -> None:
    # Germany lists no Eid as a public holiday: the Eid is the Umm al-Qura date, 9 March.
    body = observance("in-ramadan", "02-26") + observance("eid", "03-09")
    loaded = loaded_project(project, body, "\n[plan]\nramadan = false\nconflict_days = 0\n")
    plan = make_plan(in_country(loaded, "DE"), 2027)
    assert entry(plan, "in-ramadan").conflicts == ()
    assert entry(plan, "eid").conflicts == ()
    on = loaded_project(project, body, "\n[plan]\nconflict_days = 0\n")
    with_ramadan = make_plan(in_country(on, "DE"), 2027)
    assert kinds(entry(with_ramadan, "in-ramadan")) == ["ramadan"]
    (eid,) = entry(with_ramadan, "eid").conflicts
    assert (eid.kind, eid.reason, eid.estimate) == (
        "eid",
        "Eid al-Fitr 1448 by the Umm al-Qura tables (an estimate)",
        True,
    )


def test_plan_milestones_are_in_date_order_with_their_entries() -> None:
    plan = bundled_plan(2027)
    pairs = plan.milestones
    assert len(pairs) == 20  # five rules, four observances; the sample event has none
    assert [m.date for m, _ in pairs] == sorted(m.date for m, _ in pairs)
    assert pairs[0][0].date == date(2026, 12, 8)  # booking the venue for January 20
    assert pairs[0][1].occurrence.id == "remembrance:january-20:2027"


# --- Cases found by mutation testing (bench/mutants.py): each fails on a small change ------------


def test_milestone_rules_limited_by_observance_or_tag(project: Project) -> None:
    # Wednesday 20 and Thursday 21 January 2027; "also" shares "plain"'s day, not its rules.
    body = (
        observance("plain", "01-20")
        + observance("also", "01-20")
        + observance("tagged", "01-21", extra='tags = ["t"]')
    )
    rules = "".join(
        f'\n[[milestone]]\nid = "{rule_id}"\nname = "{rule_id}"\nworking_days = 1\n{limit}\n'
        for rule_id, limit in (
            ("every", ""),
            ("only-plain", 'observances = ["plain"]'),
            ("by-tag", 'tags = ["t"]'),
            ("plain-and-tag", 'observances = ["plain"]\ntags = ["t"]'),
        )
    )
    plan = build_plan(loaded_project(project, body, rules), 2027, WEEKENDS_ONLY)
    assert [m.id for m in entry(plan, "plain").milestones] == ["every", "only-plain"]
    assert [m.id for m in entry(plan, "also").milestones] == ["every"]
    assert [m.id for m in entry(plan, "tagged").milestones] == ["by-tag", "every"]
    assert [m.date for m in entry(plan, "tagged").milestones] == [date(2027, 1, 20)] * 2
    # By date, day and id, then in entry order: "also" and "plain" share the milestone "every".
    assert [(m.id, e.occurrence.id.split(":")[1]) for m, e in plan.milestones] == [
        ("every", "also"),
        ("every", "plain"),
        ("only-plain", "plain"),
        ("by-tag", "tagged"),
        ("every", "tagged"),
    ]


def test_an_eid_that_is_a_public_holiday_is_listed_once(project: Project) -> None:
    loaded = loaded_project(project, observance("leap", "02-29"))
    item = entry(make_plan(loaded, 2028), "leap")
    assert "eid" not in kinds(item)
    assert [c.kind for c in item.conflicts if "Eid" in c.reason] == ["holiday"]


def test_the_plans_holidays_and_eids_are_those_of_its_year() -> None:
    plan = bundled_plan(2027)
    assert plan.holidays
    assert all(day.year == 2027 for day, _ in plan.holidays)
    assert plan.holidays[0][0] == date(2027, 2, 5)  # the first of 2027, not one of 2026
    assert [p.first.year for p in plan.eids] == [2027] * len(plan.eids)
    assert {p.name.split()[1] for p in plan.eids} == {"al-Fitr", "al-Adha"}
    assert plan.holidays == tuple(sorted(plan.holidays))


def test_new_years_day_is_planned_and_a_shared_milestone_is_one_run(project: Project) -> None:
    # Friday 1 January 2027: two observances on one day share their event date and milestones.
    body = observance("new-year", "01-01") + observance("also-new-year", "01-01")
    rule = '\n[[milestone]]\nid = "hall"\nname = "Book the hall"\nworking_days = 1\n'
    plan = build_plan(loaded_project(project, body, rule), 2027, WEEKENDS_ONLY)
    assert [e.occurrence.date for e in plan.entries] == [date(2027, 1, 1)] * 2
    ((milestone, first, length),) = plan.milestone_runs()
    assert (milestone.id, milestone.date, first, length) == ("hall", date(2026, 12, 31), 0, 2)


def test_the_organisations_closure_is_a_conflict_and_its_days_are_not_working_days(
    project: Project,
) -> None:
    # Closed Wednesday 3 and Thursday 4 March 2027; build_plan adds the closures to the host.
    closed = '\n[[holiday]]\nname = "Retreat"\ndate = "2027-03-03"\ndays = 2\n'
    rule = (
        '\n[[milestone]]\nid = "report"\nname = "Publish the report"\nworking_days = 1\n'
        'when = "after"\n'
    )
    loaded = loaded_project(project, observance("retreat", "03-03"), closed + rule)
    item = entry(build_plan(loaded, 2027, WEEKENDS_ONLY), "retreat")
    assert [(c.kind, c.reason, c.estimate) for c in item.conflicts] == [
        ("closure", "closed: Retreat (the organisation's own closure)", False)
    ]
    assert item.event_date == date(2027, 3, 2)  # Tuesday, a day before; Friday is two after
    assert item.suggestion == (
        "Wednesday is a day the organisation is closed (Retreat): a seminar or roundtable can "
        "move to the nearest working day, Tuesday 2 Mar 2027 (1 day before); the remembrance "
        "itself stays on Wednesday 3 Mar 2027"
    )
    # One working day after Tuesday 2 March, past the closed Wednesday and Thursday.
    assert [m.date for m in item.milestones] == [date(2027, 3, 5)]


def test_the_plans_holidays_and_closures_run_from_1_january_to_31_december(
    project: Project,
) -> None:
    # A holiday and a two-day closure at each end of the year, by hand.
    ends = {date(y, m, d): f"Holiday {y}-{m}-{d}" for y, m, d in ((2026, 12, 31), (2027, 1, 1))}
    ends |= {date(y, m, d): f"Holiday {y}-{m}-{d}" for y, m, d in ((2027, 12, 31), (2028, 1, 1))}
    closed = '\n[[holiday]]\nname = "Turn of the year"\nmonth = 12\nday = 31\ndays = 2\n'
    loaded = loaded_project(project, observance("spring", "04-01"), closed)
    plan = build_plan(loaded, 2027, WEEKENDS_ONLY._replace(holidays=ends))
    assert plan.holidays == (
        (date(2027, 1, 1), "Holiday 2027-1-1"),
        (date(2027, 12, 31), "Holiday 2027-12-31"),
    )
    assert plan.closures == (
        (date(2027, 1, 1), "Turn of the year"),
        (date(2027, 12, 31), "Turn of the year"),
    )


def test_the_plan_is_in_the_organisations_language(project: Project) -> None:
    loaded = loaded_project(project, observance("spring", "04-01"))
    org = loaded.settings.organisation._replace(language="az")
    in_azerbaijani = loaded._replace(settings=loaded.settings._replace(organisation=org))
    assert build_plan(in_azerbaijani, 2027, WEEKENDS_ONLY).language == "az"
    # French has no catalog (core/words.py OUTPUTS): the plan is English, never mixed.
    org = org._replace(language="fr", languages=("fr",))
    in_french = loaded._replace(settings=loaded.settings._replace(organisation=org))
    assert build_plan(in_french, 2027, WEEKENDS_ONLY).language == "en"


def test_a_moment_is_placed_in_both_zones_with_its_length_in_minutes(project: Project) -> None:
    moment = (
        '[[observance.moment]]\nid = "vigil"\nname = "Vigil"\ntime = "23:30"\n'
        'duration = "PT1H30M"\ntimezone = "Asia/Baku"\n'
    )
    loaded = loaded_project(project, observance("vigil", "03-03", extra=moment))
    (placed,) = entry(build_plan(loaded, 2027, WEEKENDS_ONLY), "vigil").moments
    assert placed.name == "Vigil"
    assert placed.origin.isoformat() == "2027-03-03T23:30:00+04:00"
    assert placed.local.isoformat() == "2027-03-04T00:30:00+05:00"  # Asia/Karachi: the next day
    assert placed.minutes == 90


def test_an_events_neighbours_are_the_other_observances_not_its_own(project: Project) -> None:
    body = observance("middle", "06-15")
    for day in (12, 13, 14, 16, 17, 18):  # six others within three days of the 15th
        body += observance(f"june-{day}", f"06-{day}")
    for event_id, day in (("seminar", 15), ("vigil", 16)):
        body += f'\n[[event]]\nid = "{event_id}"\ntitle = "{event_id}"\n'
        body += f'observance = "middle"\ndate = 2027-06-{day}\n'
    loaded = loaded_project(project, body, "\n[plan]\nconflict_days = 3\n")
    plan = build_plan(loaded, 2027, WEEKENDS_ONLY)
    seminar, vigil = [e for e in plan.entries if e.kind == "event"]
    # On its observance's day, an event has the observance's neighbours (not the observance).
    assert neighbours(seminar) == MIDDLE_NEIGHBOURS
    assert neighbours(entry(plan, "middle")) == neighbours(seminar)
    # A day after it, the observance a day before is still its own: five others, none more.
    assert neighbours(vigil) == [
        "3 days after 27th june-13 (Sunday 13 Jun 2027)",
        "2 days after 27th june-14 (Monday 14 Jun 2027)",
        "on the same day as 27th june-16 (Wednesday 16 Jun 2027)",
        "1 day before 27th june-17 (Thursday 17 Jun 2027)",
        "2 days before 27th june-18 (Friday 18 Jun 2027)",
    ]


def test_an_observance_twice_in_its_window_is_not_its_own_neighbour(project: Project) -> None:
    # 400 days (more than [plan] conflict_days allows) puts 2026's, 2027's and 2028's dates of
    # each observance in the window of 1 March 2027.
    body = observance("first", "03-01") + observance("second", "03-02")
    loaded = loaded_project(project, body)
    wide = loaded.settings._replace(plan=loaded.settings.plan._replace(conflict_days=400))
    plan = build_plan(loaded._replace(settings=wide), 2027, WEEKENDS_ONLY)
    assert neighbours(entry(plan, "first")) == [
        "364 days after 26th second (Monday 2 Mar 2026)",
        "1 day before 27th second (Tuesday 2 Mar 2027)",
        "367 days before 28th second (Thursday 2 Mar 2028)",
    ]
    # 365 days: 2026's first is in the window of 1 March 2027, 2028's (366 days on) is not.
    wide = loaded.settings._replace(plan=loaded.settings.plan._replace(conflict_days=365))
    plan = build_plan(loaded._replace(settings=wide), 2027, WEEKENDS_ONLY)
    assert neighbours(entry(plan, "first")) == [
        "364 days after 26th second (Monday 2 Mar 2026)",
        "1 day before 27th second (Tuesday 2 Mar 2027)",
    ]
    # And in 2028: 2027's first is 366 days before, too far; 2029's, 365 days after, is near.
    assert neighbours(
        entry(build_plan(loaded._replace(settings=wide), 2028, WEEKENDS_ONLY), "first")
    ) == [
        "365 days after 27th second (Tuesday 2 Mar 2027)",
        "1 day before 28th second (Thursday 2 Mar 2028)",
    ]


def test_a_milestone_of_no_working_days_is_on_the_event_date_even_a_weekend_day(
    project: Project,
) -> None:
    rules = "".join(
        f'\n[[milestone]]\nid = "{when}"\nname = "On the day"\nworking_days = 0\nwhen = "{when}"\n'
        for when in ("before", "after")
    )
    config = '\n[plan]\nmove = "never"\n' + rules
    loaded = loaded_project(project, observance("saturday", "01-23"), config)
    item = entry(build_plan(loaded, 2027, WEEKENDS_ONLY), "saturday")
    assert item.event_date == date(2027, 1, 23)  # Saturday, kept by move = "never"
    assert [(m.id, m.date) for m in item.milestones] == [
        ("after", date(2027, 1, 23)),
        ("before", date(2027, 1, 23)),
    ]


def test_milestones_counted_without_a_table_of_working_days() -> None:
    # HAND_2027: Friday 5 February is a holiday, Saturday and Sunday the weekend.
    rules = [
        MilestoneRule(
            "report", "Publish the report", 2, "after", (), (), (), 0, time(9), "x", "", (), ""
        ),
        MilestoneRule(
            "press", "Send the press release", 2, "before", (), (), (), 0, time(9), "x", "", (), ""
        ),
    ]
    assert milestone_dates(rules, date(2027, 2, 4), HAND_2027) == (
        Milestone("press", "Send the press release", date(2027, 2, 2), 2, "before"),
        Milestone("report", "Publish the report", date(2027, 2, 9), 2, "after"),
    )


def test_a_rule_for_one_observance_gives_the_others_no_milestone(project: Project) -> None:
    body = observance("chosen", "03-03") + observance("other", "03-04")
    rule = (
        '\n[[milestone]]\nid = "brief"\nname = "Brief the speakers"\nworking_days = 1\n'
        'observances = ["chosen"]\n'
    )
    plan = build_plan(loaded_project(project, body, rule), 2027, WEEKENDS_ONLY)
    assert [m.date for m in entry(plan, "chosen").milestones] == [date(2027, 3, 2)]
    assert entry(plan, "other").milestones == ()


def test_an_event_away_from_its_observance_has_every_neighbour_counted(project: Project) -> None:
    body = observance("middle", "06-15")
    for day in (12, 13, 14, 16, 17, 18):  # six within three days of 15 July
        body += observance(f"july-{day}", f"07-{day}")
    body += '\n[[event]]\nid = "later"\ntitle = "later"\nobservance = "middle"\ndate = 2027-07-15\n'
    loaded = loaded_project(project, body, "\n[plan]\nconflict_days = 3\n")
    (later,) = [e for e in build_plan(loaded, 2027, WEEKENDS_ONLY).entries if e.kind == "event"]
    assert neighbours(later) == [
        "3 days after 27th july-12 (Monday 12 Jul 2027)",
        "2 days after 27th july-13 (Tuesday 13 Jul 2027)",
        "1 day after 27th july-14 (Wednesday 14 Jul 2027)",
        "1 day before 27th july-16 (Friday 16 Jul 2027)",
        "2 days before 27th july-17 (Saturday 17 Jul 2027)",
        "and 1 more observance of this calendar within 3 days",
    ]


def test_each_observance_names_its_own_next_jubilee(project: Project) -> None:
    # In 2027: the 27th (the 30th in 2030), the 24th (the 25th in 2028), the 27th again.
    body = observance("first", "03-01", 2000) + observance("second", "03-02", 2003)
    body += observance("third", "03-03", 2000)
    plan = build_plan(loaded_project(project, body), 2027, WEEKENDS_ONLY)
    assert [entry(plan, name).next_jubilee for name in ("first", "second", "third")] == [
        (30, 2030),
        (25, 2028),
        (30, 2030),
    ]


def test_seven_observances_on_one_day_name_five_of_the_others_and_count_one(
    project: Project,
) -> None:
    body = "".join(observance(f"day-{n}", "03-03") for n in range(1, 8))
    plan = build_plan(loaded_project(project, body), 2027, WEEKENDS_ONLY)
    same_day = [f"on the same day as 27th day-{n} (Wednesday 3 Mar 2027)" for n in range(1, 8)]
    more = "and 1 more observance of this calendar within 3 days"
    assert neighbours(entry(plan, "day-1")) == [*same_day[1:6], more]
    assert neighbours(entry(plan, "day-7")) == [*same_day[0:5], more]


def test_working_days_at_and_past_the_ends_of_the_table() -> None:
    # The table of a plan for 2027: 2026 to 2028.  Thursday 1 January 2026 is its first day,
    # Friday 29 December 2028 its last working day; a count that leaves it is the host's.
    working = WorkingDays(WEEKENDS_ONLY, date(2026, 1, 1), date(2028, 12, 31))
    assert working.count(date(2026, 1, 1), 1, -1) == date(2025, 12, 31)
    assert working.count(date(2026, 1, 2), 1, -1) == date(2026, 1, 1)
    assert working.count(date(2028, 12, 29), 1, 1) == date(2029, 1, 1)
    assert working.count(date(2028, 12, 28), 1, 1) == date(2028, 12, 29)
    assert working.count(date(2025, 12, 30), 1, 1) == date(2025, 12, 31)  # from before it
    assert working.count(date(2029, 1, 3), 1, -1) == date(2029, 1, 2)  # from after it


def test_two_neighbours_as_near_keep_their_calendar_order_not_their_titles(
    project: Project,
) -> None:
    body = "".join(
        f'\n[[observance]]\nid = "{obs_id}"\ntitle = "{title}"\ndate = "{day}"\nsince = 2000\n'
        'description = "A day for the plan\'s tests."\n'
        for obs_id, title, day in (
            ("x", "B x", "03-03"),
            ("y", "A y", "03-03"),
            ("z", "z", "03-02"),
        )
    )
    plan = build_plan(loaded_project(project, body), 2027, WEEKENDS_ONLY)
    assert neighbours(entry(plan, "z")) == [
        "1 day before B x (Wednesday 3 Mar 2027)",
        "1 day before A y (Wednesday 3 Mar 2027)",
    ]
