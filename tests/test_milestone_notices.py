"""Notices that know the plan, and milestones as notices of their own (plan/yearplans.py).

One source of truth: what ``reminders plan YEAR`` prints, the plan a notice shows and the fire
days of the milestone notices are compared for a year of the bundled calendar and for a generated
calendar whose days sit on and around weekends, public holidays and the organisation's closures.
The daemon's side (fire times, reloads that move a milestone, the ledger) runs on a moved clock.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reminders.config.load import load
from reminders.config.templates import environment
from reminders.core.dates import wall_time
from reminders.core.model import WEEKDAYS
from reminders.core.notices import Notice, find_notice
from reminders.core.settings import Loaded
from reminders.notify.ledger import SENT
from reminders.notify.render import notice_context, render_notice
from reminders.plan.output import plan_output
from reminders.plan.yearplans import YearPlans, milestone_id, working_days_left

from .clock_harness import Clock, Records, Start, captured, run
from .conftest import ROOT
from .daemon_harness import Project, Rule

KARACHI = "Asia/Karachi"


def bundled() -> Loaded:
    return load(str(ROOT / "config.toml"), date(2026, 11, 23))


def lead_notice(loaded: Loaded, rule_id: str, observance: str, year: int) -> Notice:
    settings = loaded.settings
    rule = settings.rule(rule_id)
    assert rule is not None
    found = find_notice(loaded.calendars, rule, observance, year, settings.organisation)
    assert found is not None
    return found


# --- Every notice carries the plan of its occurrence -----------------------------------------


def test_the_30_day_notice_for_khojaly_2027_shows_ramadan_the_event_date_and_five_milestones() -> (
    None
):
    loaded = bundled()
    plans = YearPlans(loaded)
    notice = lead_notice(loaded, "plan-30", "february-26", 2027)
    assert notice.fire_at == wall_time(date(2027, 1, 27), time(9), KARACHI)
    env = environment(loaded.settings.templates_dir)
    found = plans.of(notice.occurrence)
    text = render_notice(env, notice, loaded.settings, notice.fire_at, False, found).text
    flat = " ".join(text.split())
    assert (
        "in Ramadan 1448 (by the Umm al-Qura tables: Monday 8 Feb 2027 to Monday 8 Mar 2027" in flat
    )
    assert "the start depends on the moon) [estimate]" in flat
    assert "Event date: Friday, 26 February 2027 (the day itself, a working day)." in flat
    # The five milestones with their dates; the venue (14 January) is past on 27 January, the
    # others are ahead, with the working days left counted in Pakistan's working days.
    for line in (
        "Thursday, 14 January 2027: Book the venue (30 working days before the event date): past",
        "Thursday, 28 January 2027: Send the invitations (20 working days before the event "
        "date): in 1 working day from today",
        "Friday, 12 February 2027: Confirm the speakers (10 working days before the event "
        "date): in 11 working days from today",
        "Wednesday, 24 February 2027: Send the press release (2 working days before the event "
        "date): in 19 working days from today",
        "Tuesday, 2 March 2027: Publish the report and photographs (2 working days after the "
        "event date): in 23 working days from today",
    ):
        assert f"- {line}" in flat


def test_a_notice_sent_after_a_milestone_says_it_is_past_not_ahead() -> None:
    loaded = bundled()
    plans = YearPlans(loaded)
    notice = lead_notice(loaded, "plan-30", "february-26", 2027)
    found = plans.of(notice.occurrence)
    on_time = notice_context(notice, loaded.settings, notice.fire_at, False, found)["plan"]
    # Sent three weeks late, on Wednesday 17 February: the invitations (28 January) and the
    # speakers (12 February) are past too.
    late_at = wall_time(date(2027, 2, 17), time(9), KARACHI)
    late = notice_context(notice, loaded.settings, late_at, True, found)["plan"]
    assert [m["id"] for m in on_time["past"]] == ["book-venue"]
    assert [m["id"] for m in late["past"]] == ["book-venue", "invitations", "speakers"]
    assert [(m["id"], m["working_days_left"], m["left_text"]) for m in late["ahead"]] == [
        ("press-release", 5, "in 5 working days"),
        ("report", 9, "in 9 working days"),
    ]
    assert all(m["left_text"] == "past" and m["working_days_left"] == 0 for m in late["past"])


def test_working_days_left_skip_weekends_holidays_and_closures() -> None:
    loaded = bundled()
    host = YearPlans(loaded).plan(2027).host
    # Friday 29 January 2027 to Friday 5 February (Kashmir Solidarity Day, a public holiday):
    # Monday to Thursday count, the weekend and the holiday do not.
    assert working_days_left(host, date(2027, 1, 29), date(2027, 2, 5)) == 4
    assert working_days_left(host, date(2027, 1, 29), date(2027, 1, 29)) == 0
    assert working_days_left(host, date(2027, 1, 29), date(2027, 1, 28)) == 0


# --- Milestones as notices ----------------------------------------------------------------


def test_a_milestone_notice_says_today_and_counts_from_the_event_date() -> None:
    loaded = bundled()
    plans = YearPlans(loaded)
    lead = lead_notice(loaded, "plan-30", "february-26", 2027)
    notice = plans.find_milestone_notice(lead.occurrence, "invitations")
    assert notice is not None
    assert notice.id == "remembrance:february-26:2027:milestone:invitations"
    assert notice.fire_at == wall_time(date(2027, 1, 28), time(9), KARACHI)
    assert notice.rule.channels == ("outbox",)
    env = environment(loaded.settings.templates_dir)
    found = plans.of(notice.occurrence)
    rendered = render_notice(env, notice, loaded.settings, notice.fire_at, False, found)
    assert rendered.subject == (
        "Today: Send the invitations for the Example: Roundtable: 35 years since Khojaly "
        "(20 working days before Friday, 26 February 2027)"
    )
    # Sent late, after its date: it says so, in the subject and the text.
    later = wall_time(date(2027, 2, 1), time(9), KARACHI)
    late = render_notice(env, notice, loaded.settings, later, True, found)
    assert late.subject.startswith("[Sent late] Past its date: Send the invitations for ")
    assert "This milestone was due on Thursday, 28 January 2027 and is past" in " ".join(
        late.text.split()
    )


def test_notice_before_counts_working_days_back_from_the_milestone() -> None:
    loaded = bundled()
    plans = YearPlans(loaded)
    lead = lead_notice(loaded, "plan-30", "february-26", 2027)
    # book-venue: 30 working days before Friday 26 February is Thursday 14 January; its notice
    # (notice_before = 5) goes out five working days earlier, on Thursday 7 January.
    notice = plans.find_milestone_notice(lead.occurrence, "book-venue")
    assert notice is not None
    assert notice.fire_at == wall_time(date(2027, 1, 7), time(9), KARACHI)
    env = environment(loaded.settings.templates_dir)
    rendered = render_notice(
        env, notice, loaded.settings, notice.fire_at, False, plans.of(notice.occurrence)
    )
    assert rendered.subject.startswith("In 5 working days: Book the venue for the ")


# --- One source of truth --------------------------------------------------------------------

GENERATED_CALENDAR = """\
[calendar]
id = "generated"
name = "Days around days off"
description = "Observances on and around weekends, public holidays and closures"
timezone = "Asia/Baku"
public = true
revised = 2026-11-23T00:00:00Z
"""
# Pakistan's public holidays in 2027 (python-holidays) and weekend days of the generated config
# (Friday and Sunday off), with the closures below: the observances sit on them and beside them.
GENERATED_DAYS = (
    "01-01", "01-04", "02-05", "02-06", "02-08", "03-23", "03-24", "05-01", "05-03",
    "05-27", "05-28", "05-31", "08-02", "08-06", "08-09", "08-14", "08-16", "11-09",
    "12-24", "12-25", "12-27", "12-31",
)  # fmt: skip
GENERATED_CONFIG = """\
[organisation]
name = "Generated"
timezone = "Asia/Karachi"
country = "PK"
weekend = ["Friday", "Sunday"]
uid_domain = "generated.example.org"

[paths]
calendars = "calendars"

[ledger]
url = "sqlite:///ledger.sqlite3"

[[channel]]
id = "outbox"
type = "file"
folder = "outbox"

[[holiday]]
name = "Independence Day of Azerbaijan"
month = 5
day = 28

[[holiday]]
name = "Office move"
date = "2027-08-02"
until = "2027-08-06"

[[milestone]]
id = "venue"
name = "Book the venue"
working_days = 30
channels = ["outbox"]
notice_before = 3
at = "10:30"

[[milestone]]
id = "press"
name = "Send the press release"
working_days = 1
channels = ["outbox"]

[[milestone]]
id = "same-day"
name = "Take the photographs"
working_days = 0
channels = ["outbox"]

[[milestone]]
id = "report"
name = "Publish the report"
working_days = 3
when = "after"
channels = ["outbox"]
at = "17:00"

[[milestone]]
id = "quiet"
name = "Only in the plan"
working_days = 5
"""


def generated(tmp_path: Path) -> Loaded:
    (tmp_path / "calendars").mkdir()
    observances = "".join(
        f'\n[[observance]]\nid = "d{day.replace("-", "")}"\ntitle = "{{ordinal}} day {day}"\n'
        f'date = "{day}"\nsince = 2000\ndescription = "A generated day."\n'
        for day in GENERATED_DAYS
    )
    (tmp_path / "calendars" / "generated.toml").write_text(GENERATED_CALENDAR + observances)
    (tmp_path / "config.toml").write_text(GENERATED_CONFIG)
    return load(str(tmp_path / "config.toml"), date(2026, 11, 23))


def days_off(loaded: Loaded, year: int) -> set[date]:
    """The public holidays and closures that ``reminders plan`` prints for the years around."""
    out = set()
    for shown in (year - 1, year, year + 1):
        host = json.loads(plan_output(loaded, shown, "json"))["host"]
        out |= {date.fromisoformat(day["date"]) for day in host["holidays"] + host["closures"]}
    return out


def assert_one_truth(loaded: Loaded, year: int) -> int:
    """The printed plan (JSON), the plans the notices show and the milestone notices agree;
    returns how many milestone notices were compared."""
    printed = json.loads(plan_output(loaded, year, "json"))
    settings = loaded.settings
    org = settings.organisation
    notified = {rule.id: rule for rule in settings.milestones if rule.notified}
    weekend = {WEEKDAYS.index(name) for name in org.weekend}
    off = days_off(loaded, year)
    plans = YearPlans(loaded)
    start = wall_time(date(year - 1, 6, 1), time(0), org.timezone)
    end = wall_time(date(year + 1, 7, 1), time(0), org.timezone)
    fired = {n.id: n for n in plans.milestone_notices(start, end) if n.occurrence.date.year == year}
    by_occurrence = {n.occurrence.id: n for n in fired.values()}
    expected: set[str] = set()
    for entry in printed["entries"]:
        if entry["kind"] != "observance":
            continue
        any_notice = by_occurrence.get(entry["id"])
        if any_notice is None:
            assert not [m for m in entry["milestones"] if m["id"] in notified], entry["id"]
            continue
        # The plan a notice of this occurrence shows is the printed one.
        found = plans.of(any_notice.occurrence)
        shown = notice_context(any_notice, settings, start, False, found)["plan"]
        assert [(c["reason"], c["estimate"]) for c in shown["conflicts"]] == [
            (c["reason"], c["estimate"]) for c in entry["conflicts"]
        ]
        assert (shown["event_date"].isoformat(), shown["suggestion"]) == (
            entry["event_date"],
            entry["suggestion"],
        )
        assert [(m["id"], m["date"].isoformat()) for m in shown["milestones"]] == [
            (m["id"], m["date"]) for m in entry["milestones"]
        ]
        # Each notified milestone is one notice, on its printed date or as many working days
        # before it as the rule asks (counted here from the printed days off), on a working day.
        for m in entry["milestones"]:
            rule = notified.get(m["id"])
            if rule is None:
                continue
            notice_id = f"{entry['id']}:milestone:{m['id']}"
            expected.add(notice_id)
            notice = fired[notice_id]
            day = notice.fire_at.date()
            assert notice.fire_at == wall_time(day, rule.at, org.timezone)
            milestone = date.fromisoformat(m["date"])
            between = [milestone - timedelta(days=n) for n in range((milestone - day).days)]
            working = [d for d in between if d.weekday() not in weekend and d not in off]
            assert len(working) == rule.notice_before, (notice_id, day, milestone)
            assert day.weekday() not in weekend, notice_id
            assert day not in off, notice_id
            assert milestone_id(notice) == m["id"]
    assert set(fired) == expected
    return len(expected)


def test_plan_notices_and_milestone_notices_agree_for_a_year_of_the_bundled_calendar() -> None:
    assert assert_one_truth(bundled(), 2027) == 4 * 5


def test_they_agree_around_weekends_holidays_and_closures(tmp_path: Path) -> None:
    loaded = generated(tmp_path)
    assert assert_one_truth(loaded, 2027) == len(GENERATED_DAYS) * 4


def test_a_change_to_the_weekend_or_a_closure_moves_the_milestone_notices(tmp_path: Path) -> None:
    loaded = generated(tmp_path)
    start = wall_time(date(2027, 7, 1), time(0), KARACHI)
    end = wall_time(date(2027, 8, 20), time(0), KARACHI)

    def press_day(plans: YearPlans) -> date:
        (found,) = [
            n
            for n in plans.milestone_notices(start, end)
            if n.id == "generated:d0814:2027:milestone:press"
        ]
        return found.fire_at.date()

    # Saturday 14 August 2027 is a public holiday and Friday 13 a weekend day: the event moves
    # to the nearest working day, Thursday 12 August (Monday 16 is as near; the earlier wins),
    # and one working day before it is Wednesday 11 August.
    assert press_day(YearPlans(loaded)) == date(2027, 8, 11)
    # Closed on Wednesday 11 August as well: the press release moves to Tuesday 10 August.
    closure = loaded.settings.closures[0]._replace(name="Closed", rule=None, on=date(2027, 8, 11))
    closed = loaded.settings._replace(closures=(*loaded.settings.closures, closure))
    assert press_day(YearPlans(loaded._replace(settings=closed))) == date(2027, 8, 10)
    # Saturday off instead of Friday: the event on Friday 13 August, the press release on
    # Thursday 12 August.
    weekend = loaded.settings.organisation._replace(weekend=("Saturday", "Sunday"))
    moved = loaded.settings._replace(organisation=weekend)
    assert press_day(YearPlans(loaded._replace(settings=moved))) == date(2027, 8, 12)


# --- The daemon: fire times, reloads, the ledger ------------------------------------------

# Wednesday 20 January 2027 is the observance; its press release (2 working days before) is
# Monday 18 January, 09:00 in Karachi.
DAY = datetime(2027, 1, 20, 4, 0, tzinfo=UTC)
PRESS = wall_time(date(2027, 1, 18), time(9), KARACHI)
MILESTONE = """
[[milestone]]
id = "press"
name = "Send the press release"
working_days = 2
channels = ["outbox"]
"""
CLOSED_ON_18 = '\n[[holiday]]\nname = "Closed"\ndate = "2027-01-18"\n'


@pytest.fixture
def records() -> Any:
    with captured() as handler:
        yield handler


def milestone_files(project: Project) -> list[Path]:
    return [p for p in project.outbox_files() if "milestone_press" in p.name]


def test_the_daemon_sends_a_milestone_once_and_a_reload_moves_it_without_a_second_send(
    tmp_path: Path, records: Records
) -> None:
    project = Project(tmp_path)
    rule = Rule("day-of", DAY)
    notice_id = f"test:{rule.observance}:2027:milestone:press"
    clock = Clock(PRESS - timedelta(days=3, seconds=10))
    project.write([rule], extra=CLOSED_ON_18 + MILESTONE)  # closed on the 18th: the 15th
    ledger = project.ledger()
    moved = wall_time(date(2027, 1, 15), time(9), KARACHI)

    async def scenario(start: Start) -> None:
        running = await start()
        daemon = running.daemon
        planned = [n for due in daemon.plan.values() for n in due if n.id == notice_id]
        assert [n.fire_at for n in planned] == [moved]
        clock.set(moved - timedelta(seconds=2))
        await running.run_until(moved + timedelta(seconds=3))
        assert len(milestone_files(project)) == 1
        # The closure is withdrawn: at the reload the milestone moves back to the 18th, where
        # it is planned again, and the ledger, which has it sent, keeps it from going twice.
        project.write([rule], extra=MILESTONE)
        await daemon.reload("test")
        planned = [n for due in daemon.plan.values() for n in due if n.id == notice_id]
        assert [n.fire_at for n in planned] == [PRESS]
        clock.set(PRESS - timedelta(seconds=2))
        await running.run_until(PRESS + timedelta(seconds=3))
        await running.stop()

    run(project, clock, scenario)
    (sent,) = milestone_files(project)
    text = sent.read_text("utf-8")
    assert "Subject: Today: Send the press release for the 27th anniversary of day d0120" in text
    row = ledger.get(notice_id, "outbox")
    assert row is not None
    assert (row.state, row.attempts, row.fire_at) == (SENT, 1, moved)
    ledger.close()


def test_a_milestone_missed_while_down_is_caught_up_within_grace(
    tmp_path: Path, records: Records
) -> None:
    project = Project(tmp_path)
    rule = Rule("day-of", DAY)
    notice_id = f"test:{rule.observance}:2027:milestone:press"
    project.write([rule], extra=MILESTONE)  # grace PT30M in the harness
    ledger = project.ledger()
    ledger.create_schema()
    ledger.set_meta("heartbeat", (PRESS - timedelta(hours=1)).isoformat())
    clock = Clock(PRESS + timedelta(minutes=20))

    async def scenario(start: Start) -> None:
        running = await start()  # the catch-up runs in the start
        await running.stop()

    run(project, clock, scenario)
    (sent,) = milestone_files(project)
    assert "Late: yes" in sent.read_text("utf-8")
    row = ledger.get(notice_id, "outbox")
    assert row is not None
    assert (row.state, row.late) == (SENT, True)
    ledger.close()


def test_the_sweep_finds_a_milestone_notice_by_its_id(tmp_path: Path) -> None:
    from reminders.notify.delivery import notices_by_id
    from reminders.notify.runtime import close_channels, load_runtime

    generated(tmp_path)
    runtime = load_runtime(str(tmp_path / "config.toml"), date(2026, 11, 23), {})
    try:
        ids = [
            "generated:d0814:2027:milestone:press",
            "generated:d0814:2027:milestone:quiet",  # in the plan only: no notice
            "generated:d0814:2027:milestone:gone",  # no such milestone
            "generated:d0814:2027:nothing",  # no such rule
        ]
        found = notices_by_id(runtime, ids)
        assert list(found) == ids[:1]
        notice = found[ids[0]]
        assert notice.fire_at == wall_time(date(2027, 8, 11), time(9), KARACHI)
        assert notice.rule.channels == ("outbox",)
    finally:
        close_channels(runtime.channels)


def test_status_lists_the_next_milestone_notices_beside_the_others(tmp_path: Path) -> None:
    from reminders.notify.status import status

    loaded = generated(tmp_path)
    now = wall_time(date(2027, 8, 10), time(12), KARACHI)
    report = status(loaded, now, {}, recent=3)
    # The config has no [[notice]] rules: everything next is a milestone, in fire-time order.
    assert [(n.id, n.fire_at) for n in report.upcoming] == [
        ("generated:d0802:2027:milestone:report", wall_time(date(2027, 8, 10), time(17), KARACHI)),
        ("generated:d0814:2027:milestone:press", wall_time(date(2027, 8, 11), time(9), KARACHI)),
        ("generated:d0806:2027:milestone:report", wall_time(date(2027, 8, 11), time(17), KARACHI)),
    ]


# --- Property: any weekend, closures and milestone rules ------------------------------------

WEEKEND_DAYS = st.lists(st.sampled_from(WEEKDAYS), min_size=0, max_size=3, unique=True)
CLOSURE_DAYS = st.lists(
    st.dates(min_value=date(2026, 11, 1), max_value=date(2028, 2, 28)), max_size=12, unique=True
)
MILESTONE_RULES = st.lists(
    st.tuples(
        st.integers(0, 45),  # working days from the event date
        st.sampled_from(("before", "after")),
        st.integers(0, 12),  # notice_before
        st.times(),
    ),
    min_size=1,
    max_size=4,
)
WINDOW = st.tuples(
    st.dates(min_value=date(2026, 10, 1), max_value=date(2028, 3, 1)), st.integers(1, 60)
)


@pytest.fixture(scope="module")
def generated_loaded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    return generated(tmp_path_factory.mktemp("generated"))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(weekend=WEEKEND_DAYS, closed=CLOSURE_DAYS, rules=MILESTONE_RULES, window=WINDOW)
def test_a_window_of_milestone_notices_is_the_plan_counted_back_and_cut_to_the_window(
    generated_loaded: Loaded,
    weekend: list[str],
    closed: list[date],
    rules: list[tuple[int, str, int, time]],
    window: tuple[date, int],
) -> None:
    """For any weekend, closures and notified milestones: each notice of a window fires on its
    plan date counted back by notice_before working days, on a working day, and the window has
    exactly the notices of the whole two years that fire inside it (the years it looks at are
    enough)."""
    base = generated_loaded.settings
    template = base.milestones[0]
    milestones = tuple(
        template._replace(id=f"m{index}", working_days=days, when=when, notice_before=ahead, at=at)
        for index, (days, when, ahead, at) in enumerate(rules)
    )
    closures = tuple(
        base.closures[0]._replace(name="Closed", rule=None, on=day, days=1) for day in closed
    )
    changed = base._replace(
        organisation=base.organisation._replace(weekend=tuple(weekend)),
        milestones=milestones,
        closures=closures,
    )
    plans = YearPlans(generated_loaded._replace(settings=changed))
    zone = base.organisation.timezone
    everything = plans.milestone_notices(
        wall_time(date(2025, 1, 1), time(0), zone), wall_time(date(2029, 1, 1), time(0), zone)
    )
    rules_by_id = {rule.id: rule for rule in milestones}
    for year in (2026, 2027):
        plan = plans.plan(year)
        mine = {n.id: n for n in everything if n.occurrence.date.year == year}
        expected = set()
        for entry in plan.entries:
            for m in entry.milestones:
                expected.add(f"{entry.occurrence.id}:milestone:{m.id}")
                notice = mine[f"{entry.occurrence.id}:milestone:{m.id}"]
                rule = rules_by_id[m.id]
                day = notice.fire_at.date()
                assert notice.fire_at == wall_time(day, rule.at, zone)
                assert plan.host.is_working_day(day) or day == m.date
                assert working_days_left(plan.host, day, m.date) == rule.notice_before
        assert set(mine) == expected
    first, days = window
    start = wall_time(first, time(0), zone)
    end = wall_time(first + timedelta(days=days), time(0), zone)
    assert plans.milestone_notices(start, end) == [
        n for n in everything if start <= n.fire_at < end
    ]


def test_check_renders_a_milestones_templates_and_names_a_missing_one(tmp_path: Path) -> None:
    from reminders.notify.template_check import check_templates

    loaded = generated(tmp_path)
    settings = loaded.settings
    assert check_templates(settings, loaded.calendars, date(2026, 11, 23)) == []
    broken = settings._replace(
        milestones=(settings.milestones[0]._replace(template="nope"), *settings.milestones[1:])
    )
    problems = check_templates(broken, loaded.calendars, date(2026, 11, 23))
    assert {(p.file.rsplit("/", 1)[-1], p.expected) for p in problems} == {
        (name, "missing template (notice rule 'milestone:venue' has template = 'nope')")
        for name in ("nope.subject.txt", "nope.txt", "nope.html")
    }


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (
            'at = "10:00"',
            "milestone[1].at: got '10:00'; expected a [[milestone]] with channels: without them "
            "it has no notice, so at would do nothing",
        ),
        (
            'notice_before = 2\ntemplate = "milestone"',
            "milestone[1].notice_before: got 2; expected a [[milestone]] with channels: without "
            "them it has no notice, so notice_before, template would do nothing",
        ),
        (
            'channels = ["mail"]',
            "milestone[1].channels: got 'mail'; expected the id of a [[channel]] entry (outbox)",
        ),
        (
            'channels = ["outbox"]\nnotice_before = 300',
            "milestone[1].notice_before: got 300; expected a whole number from 0 to 250",
        ),
    ],
    ids=["at-without-channels", "notice-keys-without-channels", "unknown-channel", "too-far"],
)
def test_a_milestones_notice_settings_are_checked(tmp_path: Path, keys: str, message: str) -> None:
    from reminders.core.errors import ConfigError

    config = tmp_path / "config.toml"
    config.write_text(
        '[organisation]\nname = "X"\ntimezone = "Asia/Karachi"\nuid_domain = "x.example.org"\n'
        '\n[[channel]]\nid = "outbox"\ntype = "file"\nfolder = "outbox"\n'
        f'\n[[milestone]]\nid = "a"\nname = "A"\nworking_days = 3\n{keys}\n'
    )
    with pytest.raises(ConfigError) as raised:
        load(str(config), date(2026, 11, 23))
    assert [str(p).split(": ", 1)[1] for p in raised.value.problems] == [message]


def test_every_plan_variable_a_template_sees_is_documented() -> None:
    readme = (ROOT / "templates" / "README.md").read_text("utf-8")
    loaded = bundled()
    plans = YearPlans(loaded)
    lead = lead_notice(loaded, "plan-30", "february-26", 2027)
    notice = plans.find_milestone_notice(lead.occurrence, "invitations")
    assert notice is not None
    context = notice_context(
        notice, loaded.settings, notice.fire_at, False, plans.of(notice.occurrence)
    )
    plan, milestone = context["plan"], context["milestone"]
    names = [f"plan.{key}" for key in plan if key not in ("conflicts", "milestones")]
    names += ["plan.conflicts", "plan.milestones", "milestone"]
    names += [f"conflict.{key}" for key in plan["conflicts"][0]]
    names += [f"m.{key}" for key in plan["milestones"][0]]
    assert set(milestone) == set(plan["milestones"][0]) | {"notice_before"}
    assert [name for name in names if f"`{name}`" not in readme] == []
