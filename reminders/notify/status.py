"""``reminders status``: the next notices and what the ledger says of the deliveries."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime, timedelta

from ..core.settings import Loaded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    from ..core.notices import Notice
    from .ledger import Delivery
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)


class StatusReport(NamedTuple):
    ledger: str  # the URL with any password hidden
    counts: dict[str, int]  # empty when there is no ledger yet
    heartbeat: datetime | None
    upcoming: list[Notice]
    recent: list[Delivery]
    problems: list[Delivery]
    version: int | None = None  # the ledger's schema version; None: no ledger yet
    current: int = 0  # the schema version this release uses (run upgrades an older one)
    outboxes: tuple[tuple[str, str, bool], ...] = ()  # (channel id, folder, exists): file channels
    organisation: str | None = None  # ``status --org ID``: the ledger's rows of ID alone
    # With organisations and no --org: the organisation of each of ``upcoming``, in order.
    owners: tuple[str, ...] = ()


def status(
    loaded: Loaded,
    now: datetime,
    environ: Mapping[str, str],
    *,
    recent: int = 10,
    organisation: str | None = None,
    organisations: tuple[tuple[str, Loaded], ...] | None = None,
) -> StatusReport:
    """The next notices and what the ledger says: recent deliveries, failures and misses.

    ``organisation``: an organisation of a deployment (``--org ID``): the ledger's counts and
    rows of its deliveries alone (their notice ids start with ``ID/``); None: every row.
    ``organisations``: every loaded organisation of a deployment (``status`` without ``--org``),
    whose next notices and outboxes are shown (config.toml's own rules send nothing).

    Only reads: a ledger that does not exist yet is reported, not created, and one of an older
    schema version is reported as needing the upgrade that ``reminders run`` makes.
    """
    from ..core.notices import notices
    from ..plan.yearplans import with_milestones
    from .ledger import SCHEMA_VERSION, Ledger, LedgerError, LedgerVersionError, ledger_url

    settings = loaded.settings
    until = now + timedelta(days=60)

    def next_of(one: Loaded) -> list[Notice]:
        lead = notices(
            one.calendars,
            one.settings.notices,
            one.settings.organisation,
            now,
            until,
            examples=one.settings.feed.include_examples,
        )
        return with_milestones(one, lead, now, until)[:recent]  # milestone notices too

    senders = organisations if organisations is not None else (("", loaded),)
    found = sorted(
        ((n, org_id) for org_id, one in senders for n in next_of(one)),
        key=lambda pair: (pair[0].fire_at, pair[1], pair[0].id),
    )[:recent]
    upcoming = [n for n, _ in found]
    owners = tuple(org_id for _, org_id in found) if organisations is not None else ()
    folders = {
        (c.id, str(c.option("folder"))): None
        for _, one in senders
        for c in one.settings.channels
        if c.type == "file"
    }
    outboxes = tuple((channel, folder, os.path.isdir(folder)) for channel, folder in folders)
    report = StatusReport(
        "", {}, None, upcoming, [], [], None, SCHEMA_VERSION, outboxes, organisation, owners
    )
    ledger = Ledger(ledger_url(settings.ledger, environ), read_only=True)
    try:
        version = ledger.inspect()
        report = report._replace(ledger=ledger.shown_url, version=version)
        if version is None:
            return report
        if version > SCHEMA_VERSION:
            raise LedgerVersionError.newer(ledger.shown_url, version)
        try:
            beat = ledger.get_meta("heartbeat")
        except LedgerError:  # a first-release ledger may have no meta table
            beat = None
        report = report._replace(
            counts=ledger.counts(organisation),
            heartbeat=datetime.fromisoformat(beat) if beat else None,
        )
        if version < SCHEMA_VERSION:
            return report  # (the rows lack columns that this release reads)
        return report._replace(
            recent=ledger.recent(recent, organisation),
            problems=ledger.problems(now - timedelta(days=30), organisation=organisation),
        )
    finally:
        ledger.close()
