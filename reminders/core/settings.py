"""The settings as loaded values: records only (the schema and loader are in
config/config_file.py).

A record here names its fields and their types, and nothing more: no field has a default of its
own.  Each setting's default, parser and help text are declared once, in the ``Field`` tables of
config/config_file.py, which build these records; tests/test_settings_table.py checks that every
table and its record name the same fields, in the same order.

Kept apart from the loader so that code which only uses settings (and the start-up cache) does not
import the TOML parser and the validation schema, and in core because the pure rules compute with
them (notices take a NoticeRule and the Organisation).
"""

from __future__ import annotations

from datetime import date, time, timedelta

from .model import Calendar, FixedDate, Translation, YearlyRule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)


class Organisation(NamedTuple):
    name: str
    timezone: str
    country: str
    weekend: tuple[str, ...]
    language: str  # the default language: the feed's default URL, a notice with none named
    uid_domain: str
    languages: tuple[str, ...]  # every language outputs are written in; the default first
    # Its name in other languages ([organisation.translations.ur]): translate.config_text.
    translations: tuple[Translation, ...]

    def language_for(self, *named: str) -> str:
        """The language of an output: the first of ``named`` that is set (a channel's, then
        its notice rule's), else the default."""
        for language in named:
            if language:
                return language
        return self.language


class Feed(NamedTuple):
    name: str
    description: str
    listen: str
    base_url: str
    past_years: int
    future_years: int
    refresh_interval: timedelta
    include_examples: bool
    tokens_env: str  # entries "CALENDAR=TOKEN" for private calendars
    tokens_file: str  # absolute path of a file of such entries, or ""
    base_url_given: bool  # False: base_url was derived from listen (see linked_to)
    head_timeout: timedelta  # for a request head (reminders/web/guard.py)
    # Its name and description in other languages ([feed.translations.ur]): translate.config_text.
    translations: tuple[Translation, ...]

    def linked_to(self, address: str) -> Feed:
        """This feed with its links on ``address`` (HOST:PORT where the server really listens),
        unless ``base_url`` was set in the config: a set base_url is never overridden."""
        return self if self.base_url_given else self._replace(base_url=links_for(address))


def links_for(listen: str) -> str:
    """The base URL of the links (Subscribe, webcal, Google, Outlook, plans) when ``[feed]
    base_url`` is not set: ``http://`` and the listen address, with a wildcard address (all
    interfaces) replaced by the loopback one, which at least works on the machine itself."""
    host, _, port = listen.rpartition(":")
    host = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]", "": "127.0.0.1"}.get(host, host)
    return f"http://{host}:{port}"


class NoticeRule(NamedTuple):
    """A ``[[notice]]`` rule: when, for which observances, with which template, to which channels.

    The fire time of a rule for an occurrence is ``days_before`` days before the occurrence's date,
    at ``at`` on the wall clock of the organisation's time zone; with ``weekend =
    "previous-working-day"`` a send day that falls on a weekend day moves back to the working day
    before it.
    """

    id: str
    days_before: int
    at: time
    template: str
    channels: tuple[str, ...]
    observances: tuple[str, ...]  # empty: every observance (unless tags narrow it)
    tags: tuple[str, ...]  # empty: no tag filter
    weekend: str  # "keep" or "previous-working-day"
    description: str
    language: str  # its notices' language where a channel names none ("": the default)


class ChannelConfig(NamedTuple):
    """A ``[[channel]]`` entry: its id, type and the type's own options (validated by the type)."""

    id: str
    type: str
    options: tuple[tuple[str, object], ...]
    language: str  # what it receives is written in this language ("": the rule's or default)

    def option(self, name: str) -> object:
        for key, value in self.options:
            if key == name:
                return value
        raise KeyError(name)


class Ledger(NamedTuple):
    url: str  # a SQLAlchemy URL; a relative SQLite path is already made absolute
    url_env: str  # an environment variable that, when set, overrides url ("" for none)


class Daemon(NamedTuple):
    grace: timedelta  # send a missed notice this late at most; older ones are recorded as missed
    lease: timedelta  # a claim not completed in this time may be taken again
    retry_limit: int  # attempts before a delivery is marked failed for good
    retry_backoff: timedelta  # the wait before the first retry; doubled for each further one
    horizon: timedelta  # how far ahead the daemon schedules; re-planned daily
    watch_interval: timedelta  # how often files are checked for changes (0: never)
    workers: int  # deliveries sent at the same time
    serve_feed: bool  # serve the HTTP feed and page (web/) in the daemon's event loop


class Plan(NamedTuple):
    """How the yearly plan (plan.py) judges a date."""

    conflict_days: int  # other observances of the same calendar this close are a conflict
    move: str  # "nearest", "before", "after" or "never": where an event may move
    ramadan: bool  # Ramadan and the two Eids are conflicts


MILESTONE_PREFIX = "milestone:"  # a milestone notice's rule part: milestone:{id}


class MilestoneRule(NamedTuple):
    """A ``[[milestone]]`` rule: a task ``working_days`` working days before (or after) the event.

    Working days are the host country's: not a weekend day, not a public holiday, not one of the
    organisation's own closures.  With ``channels``, the milestone is a notice of its own (id
    ``{calendar}:{observance}:{year}:milestone:{id}``): it fires ``notice_before`` working days
    before the milestone's date (0: on the date), at ``at`` in the organisation's time zone,
    rendered with ``template``.
    """

    id: str
    name: str
    working_days: int
    when: str  # "before" or "after"
    observances: tuple[str, ...]  # empty: every observance (unless tags narrow it)
    tags: tuple[str, ...]
    channels: tuple[str, ...]  # empty: no notice, the milestone is only in the plan
    notice_before: int  # working days between the notice and the milestone's date
    at: time
    template: str
    language: str  # its notice's language where a channel names none ("": the default)
    # Its name in other languages ([milestone.translations.ur] name = ...), and the language of
    # ``name`` itself (that of the file that names it; "": the organisation's default):
    # core/translate.py config_text.
    translations: tuple[Translation, ...]
    name_language: str

    @property
    def notified(self) -> bool:
        return bool(self.channels)

    @property
    def notice_id(self) -> str:
        """The rule part of its notices' ids: ``milestone:{id}``."""
        return f"{MILESTONE_PREFIX}{self.id}"


class Closure(NamedTuple):
    """A ``[[holiday]]``: a day (or days) the organisation itself is closed, which
    python-holidays does not list, such as a national day of its own country.

    Either one date (``on``, ``rule`` None) or a yearly rule (a month and day, or an RRULE);
    ``days`` is the length of each closure, from its first day.  The plan counts closed days as
    it counts public holidays (conflicts, suggested dates, working days).
    """

    name: str
    rule: FixedDate | YearlyRule | None
    on: date | None
    days: int


class Settings(NamedTuple):
    source: str  # the config file as shown in messages
    organisation: Organisation
    feed: Feed
    calendars_dir: str
    templates_dir: str
    notices: tuple[NoticeRule, ...]
    channels: tuple[ChannelConfig, ...]
    ledger: Ledger
    daemon: Daemon
    config_path: str  # absolute path of the config file (for reloads and watching)
    plan: Plan
    milestones: tuple[MilestoneRule, ...]
    closures: tuple[Closure, ...]

    def channel(self, channel_id: str) -> ChannelConfig | None:
        for item in self.channels:
            if item.id == channel_id:
                return item
        return None

    def rule(self, rule_id: str) -> NoticeRule | None:
        for item in self.notices:
            if item.id == rule_id:
                return item
        return None

    def milestone(self, milestone_id: str) -> MilestoneRule | None:
        for item in self.milestones:
            if item.id == milestone_id:
                return item
        return None


class Loaded(NamedTuple):
    """A valid configuration and its calendars, as the commands use them."""

    settings: Settings
    calendars: tuple[Calendar, ...]
