"""Notice expansion: fire times across DST changes, weekends, filters and ids; [[notice]] keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.config.calendars import load_calendars
from reminders.config.config_file import NOTICE_FIELDS, RECORD_NAMES, lead_days
from reminders.config.load import load
from reminders.config.schema import Invalid
from reminders.core.errors import MISSING, ConfigError, UsageError
from reminders.core.model import WEEKDAYS, Observance
from reminders.core.notices import (
    applies,
    find_notice,
    fire_time,
    notice_list,
    notices,
    year_occurrences,
)
from reminders.core.settings import MilestoneRule, NoticeRule, Organisation

from .conftest import ROOT, TODAY, bundled_calendars

ONE_DAY_CALENDAR = """\
[calendar]
id = "test"
name = "Test"
description = "Test calendar"
timezone = "Asia/Baku"
public = true
revised = 2026-11-23T00:00:00Z

[[observance]]
id = "day"
title = "{{ordinal}} day"
date = "{date}"
since = 2000
description = "A day."
tags = ["t"]
"""


def organisation(tz: str, weekend: tuple[str, ...] = ("Saturday", "Sunday")) -> Organisation:
    return Organisation("Org", tz, "PK", weekend, "en", "test.example.org", ("en",), ())


# The [[notice]] table's defaults, as the config gives them to a rule that does not set them.
NOTICE_DEFAULTS = {
    RECORD_NAMES.get(field.name, field.name): field.default
    for field in NOTICE_FIELDS
    if field.default is not MISSING
}


def rule(days: int, at: str = "09:00", weekend: str = "keep", **kw: object) -> NoticeRule:
    """A [[notice]] rule; the keys not given take the config table's defaults."""
    values = {
        **NOTICE_DEFAULTS,
        "id": f"r{days}",
        "days_before": days,
        "at": time.fromisoformat(at),
        "template": "planning",
        "channels": ("outbox",),
        "weekend": weekend,
        **kw,
    }
    return NoticeRule(**values)  # type: ignore[arg-type]


def calendar_on(tmp_path: Path, month_day: str) -> tuple:  # type: ignore[type-arg]
    (tmp_path / "c.toml").write_text(ONE_DAY_CALENDAR.format(date=month_day), "utf-8")
    return load_calendars(tmp_path, TODAY)


def only(found: list) -> object:  # type: ignore[type-arg]
    assert len(found) == 1, found
    return found[0]


WINDOW = (datetime(2027, 1, 1, tzinfo=UTC), datetime(2028, 1, 1, tzinfo=UTC))


# --- DST: 09:00 stays 09:00 on the wall clock -----------------------------------------------


@pytest.mark.parametrize(
    ("tz", "change_day", "offset_before", "offset_after"),
    [
        ("Europe/London", "03-28", 0, 1),  # spring forward, 28 March 2027
        ("Europe/London", "10-31", 1, 0),  # fall back, 31 October 2027
        ("America/New_York", "03-14", -5, -4),
        ("America/New_York", "11-07", -4, -5),
    ],
)
def test_notice_at_nine_fires_at_nine_wall_time_across_a_dst_change(
    tmp_path: Path, tz: str, change_day: str, offset_before: int, offset_after: int
) -> None:
    calendars = calendar_on(tmp_path, change_day)
    rules = (rule(1), rule(0))  # the day before the change and the day of it
    found = notices(calendars, rules, organisation(tz), *WINDOW)
    by_days = {n.days_before: n.fire_at for n in found}
    for fired in by_days.values():
        local = fired.astimezone(ZoneInfo(tz))
        assert (local.hour, local.minute) == (9, 0)
    assert by_days[1].utcoffset() == timedelta(hours=offset_before)
    assert by_days[0].utcoffset() == timedelta(hours=offset_after)
    # The UTC instants differ by a day minus (or plus) the hour the clocks moved.
    shift = timedelta(hours=offset_after - offset_before)
    elapsed = by_days[0].astimezone(UTC) - by_days[1].astimezone(UTC)
    assert elapsed == timedelta(days=1) - shift


@pytest.mark.parametrize("tz", ["Asia/Karachi", "Asia/Baku"])
def test_zones_without_dst_keep_one_offset_all_year(tmp_path: Path, tz: str) -> None:
    offsets = set()
    for month_day in ("01-20", "03-30", "07-01", "10-31", "12-31"):
        calendars = calendar_on(tmp_path, month_day)
        notice = only(notices(calendars, (rule(0),), organisation(tz), *WINDOW))
        offsets.add(notice.fire_at.utcoffset())  # type: ignore[attr-defined]
    assert offsets == {timedelta(hours=5) if tz == "Asia/Karachi" else timedelta(hours=4)}


def test_send_time_in_a_spring_forward_gap_moves_forward(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "03-28")
    notice = only(notices(calendars, (rule(0, "01:30"),), organisation("Europe/London"), *WINDOW))
    assert notice.fire_at.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # type: ignore[attr-defined]
    assert notice.fire_at.strftime("%H:%M %Z") == "02:30 BST"  # type: ignore[attr-defined]


def test_send_time_in_a_fall_back_overlap_is_the_first_of_the_two(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "10-31")
    notice = only(notices(calendars, (rule(0, "01:30"),), organisation("Europe/London"), *WINDOW))
    assert notice.fire_at.astimezone(UTC) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # type: ignore[attr-defined]


# --- Weekends -------------------------------------------------------------------------------


def test_previous_working_day_moves_a_saturday_send_to_friday(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-20")  # Wednesday 20 January 2027
    org = organisation("Asia/Karachi")
    notice = only(notices(calendars, (rule(4, weekend="previous-working-day"),), org, *WINDOW))
    assert notice.fire_at.date() == date(2027, 1, 15)  # type: ignore[attr-defined]
    assert WEEKDAYS[notice.fire_at.weekday()] == "Friday"  # type: ignore[attr-defined]
    assert notice.days_before == 5  # type: ignore[attr-defined]


def test_previous_working_day_follows_the_organisations_weekend(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-20")
    org = organisation("Asia/Baku", weekend=("Friday", "Saturday"))
    notice = only(notices(calendars, (rule(5, weekend="previous-working-day"),), org, *WINDOW))
    assert notice.fire_at.date() == date(2027, 1, 14)  # type: ignore[attr-defined]  # Thursday


def test_keep_sends_on_the_weekend(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-20")
    notice = only(notices(calendars, (rule(4),), organisation("Asia/Karachi"), *WINDOW))
    assert notice.fire_at.date() == date(2027, 1, 16)  # type: ignore[attr-defined]  # Saturday


# --- Selection, ids and windows -------------------------------------------------------------


def test_bundled_calendar_gives_four_notices_per_observance_with_their_ids() -> None:
    org = organisation("Asia/Karachi")
    rules = (rule(30), rule(7), rule(1), rule(0))
    found = [
        n
        for n in notices(bundled_calendars(), rules, org, *WINDOW)
        if n.occurrence.date.year == 2027
    ]
    ids = [n.id for n in found if n.occurrence.observance.id == "january-20"]  # type: ignore[union-attr]
    assert ids == [
        "remembrance:january-20:2027:r7",
        "remembrance:january-20:2027:r1",
        "remembrance:january-20:2027:r0",
    ]
    assert len(found) == 15  # the 30-day notice of 20 January 2027 fires in December 2026
    assert [n.fire_at for n in found] == sorted(n.fire_at for n in found)


def test_rules_filter_by_observance_and_by_tag() -> None:
    org = organisation("Asia/Karachi")
    by_id = rule(0, observances=("february-26",))
    by_tag = rule(1, tags=("44-day-war",))
    found = notices(bundled_calendars(), (by_id, by_tag), org, *WINDOW)
    assert sorted(n.id for n in found) == [
        "remembrance:february-26:2027:r0",
        "remembrance:november-10:2027:r1",
        "remembrance:september-27:2027:r1",
    ]


def test_planned_events_ride_along_with_their_observances_notice() -> None:
    org = organisation("Asia/Karachi")
    found = notices(bundled_calendars(), (rule(30),), org, *WINDOW, examples=True)
    khojaly = next(n for n in found if n.id == "remembrance:february-26:2027:r30")
    assert [e.event.id for e in khojaly.events] == ["khojaly-roundtable-2027"]  # type: ignore[union-attr]
    without = notices(bundled_calendars(), (rule(30),), org, *WINDOW, examples=False)
    assert all(n.events == () for n in without)


def test_the_window_is_half_open_on_fire_times(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-20")
    org = organisation("Asia/Karachi")
    at = datetime(2027, 1, 20, 9, 0, tzinfo=ZoneInfo("Asia/Karachi"))
    assert len(notices(calendars, (rule(0),), org, at, at + timedelta(seconds=1))) == 1
    assert notices(calendars, (rule(0),), org, at - timedelta(seconds=1), at) == []


@settings(max_examples=150, deadline=None)
@given(
    days=st.integers(0, 90),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    tz=st.sampled_from(["Europe/London", "America/New_York", "Asia/Karachi", "Pacific/Apia"]),
    day=st.dates(date(2027, 1, 1), date(2030, 12, 31)),
    policy=st.sampled_from(["keep", "previous-working-day"]),
)
def test_fire_time_is_the_rule_time_on_the_right_day(
    days: int, hour: int, minute: int, tz: str, day: date, policy: str
) -> None:
    org = organisation(tz)
    at = time(hour, minute)
    fired = fire_time(rule(days, at.isoformat("minutes"), policy), day, org)
    local = fired.astimezone(ZoneInfo(tz))
    send = day - timedelta(days=days)
    if policy == "keep":
        assert local.date() == send
    else:
        assert local.date() <= send
        assert send - local.date() <= timedelta(days=2)
        assert WEEKDAYS[local.weekday()] not in org.weekend
    naive = datetime.combine(local.date(), at)
    on_clock = naive.replace(tzinfo=ZoneInfo(tz)).astimezone(UTC).astimezone(ZoneInfo(tz))
    if on_clock.replace(tzinfo=None) == naive:  # not in a DST gap
        assert (local.hour, local.minute) == (hour, minute)


# --- The [[notice]] schema --------------------------------------------------------------------


@pytest.mark.parametrize(("value", "days"), [(30, 30), ("P30D", 30), ("P1W", 7), (0, 0)])
def test_lead_time_accepts_days_and_iso_durations(value: object, days: int) -> None:
    assert lead_days(value) == days


@pytest.mark.parametrize("value", ["PT12H", "P1DT2H", -1, True, "30", 4000])
def test_lead_time_rejects_what_is_not_whole_days(value: object) -> None:
    with pytest.raises(Invalid, match="whole days"):
        lead_days(value)


BASE_CONFIG = """\
[organisation]
name = "Test"
timezone = "Asia/Karachi"
uid_domain = "test.example.org"

[[channel]]
id = "outbox"
type = "file"
folder = "out"
"""


def config_problems(tmp_path: Path, extra: str) -> list[str]:
    from reminders.config.config_file import load_config

    path = tmp_path / "config.toml"
    path.write_text(BASE_CONFIG + extra, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(p).split(": ", 1)[1] for p in caught.value.problems]


def test_notice_naming_an_unknown_channel_is_an_error(tmp_path: Path) -> None:
    extra = '\n[[notice]]\nid = "a"\nbefore = 1\ntemplate = "planning"\nchannels = ["mail"]\n'
    assert config_problems(tmp_path, extra) == [
        "notice[1].channels: got 'mail'; expected the id of a [[channel]] entry (outbox)"
    ]


def test_duplicate_notice_and_channel_ids_are_errors(tmp_path: Path) -> None:
    notice = '\n[[notice]]\nid = "a"\nbefore = 1\ntemplate = "planning"\nchannels = ["outbox"]\n'
    channel = '\n[[channel]]\nid = "outbox"\ntype = "file"\n'
    assert config_problems(tmp_path, notice + notice + channel) == [
        "channel[2].id: got 'outbox'; expected an id not used by another [[channel]]",
        "notice[2].id: got 'a'; expected an id not used by another [[notice]]",
    ]


def test_channel_options_are_checked_by_type(tmp_path: Path) -> None:
    extra = (
        '\n[[channel]]\nid = "mail"\ntype = "email"\nport = 99999\n'
        'sender = "nobody"\nrecipients = ["a@example.org"]\n'
        '\n[[channel]]\nid = "pigeon"\ntype = "carrier-pigeon"\n'
    )
    problems = config_problems(tmp_path, extra)
    assert "channel[2].host: missing; expected the SMTP server's host name" in problems
    assert "channel[2].port: got 99999; expected a whole number from 1 to 65535" in problems
    assert (
        "channel[2].sender: got 'nobody'; expected an e-mail address such as "
        "'events@embassy.example.org'" in problems
    )
    assert (
        "channel[3].type: got 'carrier-pigeon'; expected one of 'file', 'email', 'apprise'"
        in problems
    )


def test_relative_outbox_and_sqlite_paths_are_relative_to_the_config(tmp_path: Path) -> None:
    from reminders.config.config_file import load_config

    (tmp_path / "config.toml").write_text(
        BASE_CONFIG + '\n[ledger]\nurl = "sqlite:///state/l.db"\n', "utf-8"
    )
    loaded = load_config(tmp_path / "config.toml")
    assert loaded.channels[0].option("folder") == str(tmp_path / "out")
    assert loaded.ledger.url == f"sqlite:///{tmp_path}/state/l.db"


# --- Cases found by mutation testing (bench/mutants.py): each fails on a small change ------------


def _observance(calendars: tuple, observance_id: str) -> Observance:  # type: ignore[type-arg]
    for calendar in calendars:
        found = calendar.observance(observance_id)
        if found is not None:
            return found  # type: ignore[no-any-return]
    raise AssertionError(observance_id)


@pytest.mark.parametrize("kind", ["notice", "milestone"])
def test_a_rule_limited_by_observance_and_tag_needs_both(kind: str) -> None:
    war = _observance(bundled_calendars(), "november-10")  # tagged 44-day-war
    khojaly = _observance(bundled_calendars(), "february-26")

    def make(
        observances: tuple[str, ...] = (), tags: tuple[str, ...] = ()
    ) -> NoticeRule | MilestoneRule:
        if kind == "notice":
            return rule(0, observances=observances, tags=tags)
        return MilestoneRule(
            "m", "Task", 5, "before", observances, tags, (), 0, time(9), "x", "", (), ""
        )

    assert applies(make(), war)
    assert applies(make(observances=("november-10",)), war)
    assert not applies(make(observances=("november-10",)), khojaly)
    assert applies(make(tags=("44-day-war",)), war)
    assert not applies(make(tags=("44-day-war",)), khojaly)
    assert applies(make(tags=("other", "44-day-war")), war)
    assert not applies(make(observances=("november-10",), tags=("other",)), war)
    assert not applies(make(observances=("february-26",), tags=("44-day-war",)), war)
    assert applies(make(observances=("november-10", "x"), tags=("44-day-war",)), war)


def test_notices_at_the_same_time_are_in_id_order_whatever_the_rule_order() -> None:
    org = organisation("Asia/Karachi")
    same_time = (rule(1, id="zeta"), rule(1, id="alpha"))
    found = notices(bundled_calendars(), same_time, org, *WINDOW)
    reversed_rules = notices(bundled_calendars(), same_time[::-1], org, *WINDOW)
    assert [n.id for n in found] == [n.id for n in reversed_rules]
    assert [n.id for n in found][:2] == [
        "remembrance:january-20:2027:alpha",
        "remembrance:january-20:2027:zeta",
    ]


def test_a_weekend_of_seven_days_leaves_the_send_day_alone(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-20")  # a Wednesday in 2027
    every_day = organisation("Asia/Karachi", weekend=WEEKDAYS)
    (found,) = notices(calendars, (rule(0, weekend="previous-working-day"),), every_day, *WINDOW)
    assert found.fire_at.date() == date(2027, 1, 20)


def test_a_weekend_of_six_days_moves_back_to_the_one_working_day(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-20")  # a Wednesday in 2027
    only_monday = organisation("Asia/Karachi", weekend=tuple(d for d in WEEKDAYS if d != "Monday"))
    (found,) = notices(calendars, (rule(0, weekend="previous-working-day"),), only_monday, *WINDOW)
    assert found.fire_at.date() == date(2027, 1, 18)
    assert found.days_before == 2


def test_a_long_lead_notice_is_found_in_a_one_day_window(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-20")
    org = organisation("Pacific/Apia")
    for days in (0, 1, 30, 90):
        fires = datetime.combine(date(2027, 1, 20) - timedelta(days=days), time(9))
        start = fires.replace(hour=0, tzinfo=ZoneInfo("Pacific/Apia"))
        (found,) = notices(calendars, (rule(days),), org, start, start + timedelta(days=1))
        assert found.fire_at.replace(tzinfo=None) == fires


def test_a_notice_moved_back_six_days_is_found_in_a_window_ending_that_day(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-24")  # Sunday 24 January 2027
    only_monday = organisation("Asia/Karachi", weekend=tuple(d for d in WEEKDAYS if d != "Monday"))
    start = datetime(2027, 1, 18, tzinfo=ZoneInfo("Asia/Karachi"))  # the Monday before
    moved = (rule(0, weekend="previous-working-day"),)
    (found,) = notices(calendars, moved, only_monday, start, start + timedelta(hours=12))
    assert (found.fire_at, found.days_before) == (start.replace(hour=9), 6)


def test_a_notice_moved_off_the_weekend_is_found_from_its_send_day(tmp_path: Path) -> None:
    calendars = calendar_on(tmp_path, "01-25")  # Monday 25 January 2027; 7 days before: Monday
    org = organisation("Asia/Karachi", weekend=("Monday", "Sunday", "Saturday"))
    moved = rule(7, weekend="previous-working-day")
    start = datetime(2027, 1, 15, tzinfo=ZoneInfo("Asia/Karachi"))  # Friday
    (found,) = notices(calendars, (moved,), org, start, start + timedelta(days=1))
    assert found.fire_at.date() == date(2027, 1, 15)
    assert found.days_before == 10


def test_a_send_day_the_clocks_skipped_fires_the_next_day_and_is_found_in_that_days_window(
    tmp_path: Path,
) -> None:
    # Samoa skipped 30 December 2011 (from UTC-10 to UTC+14): 09:00 that day is 09:00 on the 31st.
    calendars = calendar_on(tmp_path, "12-30")
    apia = ZoneInfo("Pacific/Apia")
    start = datetime(2011, 12, 31, tzinfo=apia)
    (found,) = notices(
        calendars, (rule(0),), organisation("Pacific/Apia"), start, start + timedelta(1)
    )
    assert (found.id, found.fire_at) == ("test:day:2011:r0", datetime(2011, 12, 31, 9, tzinfo=apia))


def test_year_occurrences_keep_the_earlier_of_two_same_id_observances(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text(ONE_DAY_CALENDAR.format(date="05-01"), "utf-8")
    later = ONE_DAY_CALENDAR.format(date="03-01").replace('id = "test"', 'id = "other"')
    (tmp_path / "b.toml").write_text(later, "utf-8")
    calendars = load_calendars(tmp_path, TODAY)
    found = year_occurrences(calendars, 2027)
    assert found["day"][0].date == date(2027, 3, 1)
    org = organisation("Asia/Karachi")
    notice = find_notice(calendars, rule(1), "day", 2027, org)
    assert notice is not None
    assert notice.fire_at == datetime(2027, 2, 28, 9, 0, tzinfo=ZoneInfo("Asia/Karachi"))
    assert find_notice(calendars, rule(1), "unknown", 2027, org) is None


@pytest.mark.parametrize(("start", "days"), [(date(1899, 12, 31), 1), (date(2200, 12, 31), 1)])
def test_notice_list_refuses_dates_outside_the_accepted_years(start: date, days: int) -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    with pytest.raises(UsageError, match="expected dates from 1900-01-01 to 2200-12-31"):
        notice_list(loaded, start, days)


def test_notice_list_starts_at_midnight_in_the_organisations_zone() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    every = notice_list(loaded, date(2027, 1, 1), 365)
    assert every
    first = every[0]
    day = notice_list(loaded, first.fire_at.date(), 1)
    assert first in day
    assert notice_list(loaded, first.fire_at.date() + timedelta(days=1), 1)[:1] != [first]
    assert notice_list(loaded, date(1900, 1, 1), 1) == []


def test_year_occurrences_are_those_dated_in_the_year(tmp_path: Path) -> None:
    first_at_new_year = ONE_DAY_CALENDAR.format(date="01-01").replace(
        "since = 2000", "since = 2026"
    )
    (tmp_path / "c.toml").write_text(first_at_new_year, "utf-8")
    calendars = load_calendars(tmp_path, TODAY)
    assert "day" not in year_occurrences(calendars, 2026)  # the first is on 1 January 2027
    assert year_occurrences(calendars, 2027)["day"][0].date == date(2027, 1, 1)


def test_notice_list_includes_a_notice_at_midnight_on_its_first_day() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    at_midnight = (rule(0, at="00:00"),)
    loaded = loaded._replace(settings=loaded.settings._replace(notices=at_midnight))
    zone = ZoneInfo(loaded.settings.organisation.timezone)
    (found,) = notice_list(loaded, date(2027, 1, 20), 1)
    assert found.fire_at == datetime(2027, 1, 20, 0, 0, tzinfo=zone)
    assert notice_list(loaded, date(2027, 1, 19), 1) == []


def test_a_config_without_notice_rules_lists_no_notices() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    assert notice_list(loaded, date(2027, 1, 20), 1)  # the bundled config's rules fire that day
    none = loaded._replace(settings=loaded.settings._replace(notices=()))
    assert notice_list(none, date(2027, 1, 20), 1) == []


def test_a_years_notice_is_for_the_observance_not_for_an_event_planned_before_it(
    tmp_path: Path,
) -> None:
    with_event = ONE_DAY_CALENDAR.format(date="03-10") + (
        '\n[[event]]\nid = "briefing"\ntitle = "Briefing"\nobservance = "day"\n'
        'start = 2027-03-01T10:00:00\nduration = "PT1H"\n'
    )
    (tmp_path / "c.toml").write_text(with_event, "utf-8")
    calendars = load_calendars(tmp_path, TODAY)
    item, events = year_occurrences(calendars, 2027)["day"]
    assert (item.id, item.date, item.event) == ("test:day:2027", date(2027, 3, 10), None)
    assert [event.id for event in events] == ["test:event:briefing"]
    notice = find_notice(calendars, rule(1), "day", 2027, organisation("Asia/Baku"))
    assert notice is not None
    assert notice.fire_at == datetime(2027, 3, 9, 9, 0, tzinfo=ZoneInfo("Asia/Baku"))
