"""One declaration per setting: the config's ``Field`` tables build the settings records.

A setting's name, default, parser and help text are written once, in a table of
config/config_file.py; the records of core/settings.py name the same fields, in the same order,
and have no defaults of their own (a default there would be a second declaration, free to
disagree with the table's).
"""

from __future__ import annotations

import pytest

from reminders.config import config_file as config
from reminders.config.schema import Field
from reminders.core import settings
from reminders.core.errors import MISSING

# Each table and the record it builds; the record's fields that no key sets (derived by the
# loader) are named beside it.
TABLES = [
    (config.ORGANISATION_FIELDS, settings.Organisation, ()),
    (config.FEED_FIELDS, settings.Feed, ("base_url_given",)),
    (config.NOTICE_FIELDS, settings.NoticeRule, ()),
    (config.LEDGER_FIELDS, settings.Ledger, ()),
    (config.DAEMON_FIELDS, settings.Daemon, ()),
    (config.PLAN_FIELDS, settings.Plan, ()),
    (config.MILESTONE_FIELDS, settings.MilestoneRule, ("name_language",)),
]
RECORDS = [
    value
    for value in vars(settings).values()
    if isinstance(value, type)
    and hasattr(value, "_fields")
    and value.__module__ == settings.__name__
]


@pytest.mark.parametrize(
    ("fields", "record", "derived"), TABLES, ids=[t[1].__name__ for t in TABLES]
)
def test_a_table_names_its_records_fields_in_order(
    fields: tuple[Field, ...], record: type, derived: tuple[str, ...]
) -> None:
    names = [config.RECORD_NAMES.get(field.name, field.name) for field in fields]
    assert names == [name for name in record._fields if name not in derived]  # type: ignore[attr-defined]


@pytest.mark.parametrize("record", RECORDS, ids=[r.__name__ for r in RECORDS])
def test_a_record_has_no_default_of_its_own(record: type) -> None:
    assert record._field_defaults == {}  # type: ignore[attr-defined]


def test_every_record_is_seen() -> None:
    assert {r.__name__ for r in RECORDS} >= {t[1].__name__ for t in TABLES} | {"Settings"}


def test_a_config_without_the_optional_tables_has_the_tables_defaults(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(
        '[organisation]\nname = "Org"\ntimezone = "Asia/Karachi"\nuid_domain = "example.org"\n'
        '[[milestone]]\nid = "venue"\nname = "Book the venue"\nworking_days = 10\n',
        "utf-8",
    )
    loaded = config.load_config(path)

    def defaults(fields: tuple[Field, ...]) -> dict[str, object]:
        return {f.name: f.default for f in fields if f.default is not MISSING}

    assert loaded.daemon._asdict() == defaults(config.DAEMON_FIELDS)
    assert loaded.plan._asdict() == defaults(config.PLAN_FIELDS)
    assert loaded.ledger.url_env == defaults(config.LEDGER_FIELDS)["url_env"]
    feed = loaded.feed._asdict()
    assert {
        k: feed[k]
        for k in (
            "name",
            "description",
            "listen",
            "past_years",
            "future_years",
            "refresh_interval",
            "include_examples",
            "tokens_env",
            "head_timeout",
            "translations",
        )
    } == {
        k: v
        for k, v in defaults(config.FEED_FIELDS).items()
        if k not in ("base_url", "tokens_file")
    }
    assert loaded.organisation.country == "PK"
    milestone = loaded.milestones[0]._asdict()
    optional = (
        "when",
        "observances",
        "tags",
        "channels",
        "notice_before",
        "at",
        "template",
        "language",
        "translations",
    )
    assert {k: milestone[k] for k in optional} == {
        k: v for k, v in defaults(config.MILESTONE_FIELDS).items()
    }
