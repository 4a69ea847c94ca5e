"""The settings records' own behaviour (core/settings.py): the links a feed derives from where it
listens, and the look-ups of a channel's option, a channel and a notice rule by id.  (That each
record names its table's fields is tests/test_settings_table.py.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from reminders.config.config_file import load_config
from reminders.config.load import load
from reminders.core.model import FixedDate
from reminders.core.settings import ChannelConfig, Settings, links_for

from .conftest import ROOT, TODAY


@pytest.fixture(scope="module")
def bundled() -> Settings:
    return load_config(ROOT / "config.toml")


@pytest.mark.parametrize(
    ("listen", "links"),
    [
        ("127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("cal.example.org:8181", "http://cal.example.org:8181"),
        ("0.0.0.0:8080", "http://127.0.0.1:8080"),  # every interface: the loopback one links
        ("[::]:9090", "http://[::1]:9090"),
        ("[::1]:8443", "http://[::1]:8443"),
        (":8000", "http://127.0.0.1:8000"),  # no host: every interface
    ],
)
def test_links_for_a_listen_address(listen: str, links: str) -> None:
    assert links_for(listen) == links


def test_a_derived_base_url_follows_the_address_the_server_really_listens_on(
    bundled: Settings,
) -> None:
    derived = bundled.feed._replace(base_url="http://127.0.0.1:8080", base_url_given=False)
    moved = derived.linked_to("0.0.0.0:45678")
    assert moved.base_url == "http://127.0.0.1:45678"
    assert moved._replace(base_url=derived.base_url) == derived  # nothing else changed
    given = bundled.feed._replace(base_url="https://cal.example.org", base_url_given=True)
    assert given.linked_to("0.0.0.0:45678") == given


def test_a_channel_option_is_found_by_name_and_a_missing_one_raises() -> None:
    channel = ChannelConfig("mail", "smtp", (("host", "smtp.example.org"), ("port", 587)), "")
    assert channel.option("host") == "smtp.example.org"
    assert channel.option("port") == 587
    with pytest.raises(KeyError, match="user"):
        channel.option("user")


def test_a_channel_and_a_notice_rule_are_found_by_id(bundled: Settings) -> None:
    outbox = bundled.channel("outbox")
    assert outbox is not None
    assert (outbox.id, outbox.type) == ("outbox", "file")
    assert bundled.channel("nope") is None
    assert [bundled.rule(rule.id) for rule in bundled.notices] == list(bundled.notices)
    confirm = bundled.rule("confirm-7")
    assert confirm is not None
    assert (confirm.id, confirm.days_before) == ("confirm-7", 7)
    assert bundled.rule("nope") is None


def test_a_configuration_with_closures_loads_them_with_their_fields(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[organisation]\nname = "Org"\ntimezone = "Asia/Karachi"\nuid_domain = "example.org"\n'
        '[[holiday]]\nname = "Retreat"\ndate = "2027-03-03"\ndays = 2\n'
        '[[holiday]]\nname = "Turn of the year"\nmonth = 12\nday = 31\n',
        "utf-8",
    )
    retreat, new_year = load_config(path).closures
    assert (retreat.name, retreat.rule, retreat.on, retreat.days) == (
        "Retreat",
        None,
        date(2027, 3, 3),
        2,
    )
    assert (new_year.name, new_year.rule, new_year.on, new_year.days) == (
        "Turn of the year",
        FixedDate(12, 31, "skip"),  # a closure on 29 February is not moved
        None,
        1,
    )


def test_a_loaded_configuration_holds_its_settings_and_calendars() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    assert loaded.settings.organisation.uid_domain == "reminders.example.org"
    assert [calendar.id for calendar in loaded.calendars] == ["remembrance"]
    assert loaded == (loaded.settings, loaded.calendars)
