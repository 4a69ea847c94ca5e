"""The delivery ledger: one row per delivery (notice id, channel), so nothing is sent twice.

A delivery is ``claimed`` before it is sent, then ``sent``, ``failed`` or (never attempted because
it was found too late) ``missed``.  A ``failed`` row with ``next_attempt_at`` is retried then; with
``next_attempt_at`` NULL it failed for good.  The primary key on (notice_id, channel) makes a second
row, and so a second send, impossible; a claim carries a random token and a lease, and only the
holder of the current token can complete it.  A claim whose lease ran out (the daemon died while
sending) may be taken again, once.  ``claimed_by`` names the process (host:pid) that holds or last
held the claim, so an operator of several replicas can tell who sent what.

The schema carries a version (``schema_version`` in ``reminder_meta``).
:meth:`Ledger.create_schema` creates what is missing and applies the upgrades a ledger of an older
version needs, one process at a time (a PostgreSQL advisory lock; SQLite's write lock), so replicas
may all start at once.  A ledger upgraded by a newer release is refused, not written with old rules.

SQLAlchemy Core with the same statements for SQLite (the default; write transactions start with
``BEGIN IMMEDIATE`` so concurrent claimers wait for each other) and PostgreSQL (psycopg 3; several
daemons may share one database: the unique key and conditional updates decide who sends).
Every datetime in and out is aware UTC; SQLite stores naive UTC strings.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    DateTime,
    Dialect,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    TypeDecorator,
    and_,
    case,
    create_engine,
    event,
    func,
    or_,
    select,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool
from sqlalchemy.schema import CreateSchema

from ..core.errors import ReminderError
from ..core.settings import Ledger as LedgerSettings

CLAIMED, SENT, FAILED, MISSED = "claimed", "sent", "failed", "missed"
STATES = (CLAIMED, SENT, FAILED, MISSED)
FIND_CHUNK = 500  # ids per IN (...) list: far below SQLite's and PostgreSQL's parameter limits
ERROR_LIMIT = 2000  # characters of last_error kept; a whole traceback helps nobody in `status`
_SCHEMA_LOCK = 0x72656D696E646572  # pg_advisory_xact_lock key ("reminder"): one creator at a time
SCHEMA_VERSION = 2  # 1: the first ledger; 2: claimed_by
ORGS_META = "organisations"  # the meta key of the organisations' load state (daemon, `orgs`)
# A deployment of many organisations (config/organisations.py) writes each delivery's notice id
# as ``ID/`` + the notice id; a one-organisation config writes the notice id alone. Notice ids
# (calendar, observance, year, rule: ids without "/") never hold the separator.
ORG_SEPARATOR = "/"


def delivery_notice_id(organisation: str, notice_id: str) -> str:
    """The ledger's notice id of a notice of ``organisation`` ("" for the one-organisation
    case: the notice id as it is)."""
    return f"{organisation}{ORG_SEPARATOR}{notice_id}" if organisation else notice_id


def split_notice_id(stored: str) -> tuple[str, str]:
    """(organisation, notice id) of a ledger's notice id; organisation "" when it has none."""
    organisation, _, notice_id = stored.rpartition(ORG_SEPARATOR)
    return organisation, notice_id


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes stored as UTC: timestamptz on PostgreSQL, naive UTC text on SQLite.

    SQLite compares the text: SQLAlchemy writes every value with the same fixed-width format
    (microseconds always present), so text order is time order, to the microsecond.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData()
# Prefixed names: a shared PostgreSQL database may well have a "meta" table of its own.
deliveries = Table(
    "reminder_deliveries",
    metadata,
    Column("notice_id", String, nullable=False),
    Column("channel", String, nullable=False),
    Column("fire_at", UTCDateTime, nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("late", Boolean, nullable=False),
    Column("token", String(64)),  # the current claim's; only its holder may complete the delivery
    Column("claimed_by", String(200)),  # host:pid of the process holding (or last to hold) it
    Column("claimed_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("next_attempt_at", UTCDateTime),
    Column("sent_at", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    PrimaryKeyConstraint("notice_id", "channel", name="reminder_deliveries_key"),
    CheckConstraint(f"state IN {STATES!r}", name="reminder_deliveries_state"),
    Index("reminder_deliveries_retry", "state", "next_attempt_at"),
    Index("reminder_deliveries_lease", "state", "lease_until"),
    Index("reminder_deliveries_updated", "updated_at"),
)
meta = Table(
    "reminder_meta",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)
_KEY = (deliveries.c.notice_id, deliveries.c.channel)
_RETRYABLE = and_(deliveries.c.state == FAILED, deliveries.c.next_attempt_at.is_not(None))
_DUE_AT = case(
    (deliveries.c.state == FAILED, deliveries.c.next_attempt_at), else_=deliveries.c.lease_until
)


class Delivery(NamedTuple):
    """One row of the ledger, as ``status`` and the daemon read it."""

    notice_id: str
    channel: str
    fire_at: datetime
    state: str
    attempts: int
    last_error: str | None
    late: bool
    claimed_at: datetime | None
    claimed_by: str | None
    lease_until: datetime | None
    next_attempt_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime


_COLUMNS = tuple(deliveries.c[name] for name in Delivery._fields)


class Claim(NamedTuple):
    """The right to send one delivery until the lease ends; ``attempt`` counts from 1."""

    notice_id: str
    channel: str
    token: str
    attempt: int
    fire_at: datetime
    late: bool


class LedgerError(ReminderError):
    """The ledger database is unreachable or unusable; the daemon retries later."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"ledger {url}: {reason}")
        self.url = url  # with the password hidden
        self.reason = reason


class LedgerDamagedError(LedgerError):
    """The SQLite ledger file is not a database, or is damaged; retrying will not help."""


class LedgerVersionError(LedgerError):
    """The ledger was made or upgraded by a newer release; retrying will not help."""

    @classmethod
    def newer(cls, url: str, version: int) -> LedgerVersionError:
        return cls(
            url,
            f"the ledger has schema version {version}, made by a newer release of "
            f"reminders; this one knows versions up to {SCHEMA_VERSION}: upgrade it",
        )


def ledger_url(settings_ledger: LedgerSettings, environ: Mapping[str, str] | None = None) -> str:
    """The configured URL, or the value of ``url_env`` when that variable is set and not empty."""
    env = os.environ if environ is None else environ
    if settings_ledger.url_env and env.get(settings_ledger.url_env):
        return env[settings_ledger.url_env]
    return settings_ledger.url


def engine_url(url: str) -> URL:
    """The URL as SQLAlchemy will use it: ``postgresql://`` without a driver means psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"the ledger takes aware datetimes only, got {value!r}")
    return value.astimezone(UTC)


class Ledger:
    """The delivery ledger at a SQLAlchemy URL (see the module docstring for the rules).

    Safe to share between threads: each operation takes its own pooled connection.  Database
    failures raise :class:`LedgerError` naming the URL without its password.

    ``read_only=True`` is for the commands that only read (``status``): nothing is created (no
    folder, no SQLite file, no table), SQLite is opened read-only and PostgreSQL transactions are
    READ ONLY, and only the reading methods may be called; :meth:`inspect` says whether there is
    a ledger yet and of which schema version.
    """

    def __init__(
        self,
        url: str,
        *,
        schema: str | None = None,
        owner: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.owner = (owner or f"{socket.gethostname()}:{os.getpid()}")[:200]
        self.read_only = read_only
        try:
            parsed = engine_url(url)
        except sa_exc.ArgumentError:
            raise LedgerError("(unparsable URL)", "not a SQLAlchemy database URL") from None
        self.shown_url = parsed.render_as_string(hide_password=True)
        self._password = parsed.password
        self._serial: AbstractContextManager[Any] = nullcontext()
        options: dict[str, Any] = {}
        self._file = ""  # a SQLite ledger's file, as messages name it
        if parsed.get_backend_name() not in ("sqlite", "postgresql"):
            raise LedgerError(self.shown_url, "the ledger runs on SQLite or PostgreSQL only")
        if parsed.get_backend_name() == "sqlite":
            if schema is not None:
                raise ValueError("a schema name applies to PostgreSQL ledgers only")
            path = parsed.database or ""
            if path in ("", ":memory:"):  # one connection for every thread, one use at a time
                self._serial = threading.Lock()
                options = {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
            elif not path.startswith("file:"):  # (a URI names its own file; leave it alone)
                self._file = os.path.abspath(path)
                if read_only:
                    parsed = _read_only_sqlite(parsed, self._file)
                else:
                    _make_folder(self.shown_url, os.path.dirname(self._file))
        elif "connect_timeout" not in parsed.query:
            options = {"connect_args": {"connect_timeout": 10}}
        try:
            engine = create_engine(parsed, pool_pre_ping=True, **options)
        except (ImportError, sa_exc.ArgumentError) as exc:
            raise LedgerError(self.shown_url, f"cannot use this database: {exc}") from None
        self.dialect = engine.dialect.name
        if self.dialect == "sqlite":
            connect = _sqlite_connect_read_only if read_only else _sqlite_connect
            event.listen(engine, "connect", connect)
            event.listen(engine, "begin", _sqlite_begin)
        elif read_only:
            engine = engine.execution_options(postgresql_readonly=True)
        if schema is not None:
            engine = engine.execution_options(schema_translate_map={None: schema})
        self.schema = schema
        self._engine = engine
        self._insert = sqlite.insert if self.dialect == "sqlite" else postgresql.insert

    # --- plumbing -------------------------------------------------------------------------------

    @contextmanager
    def _connect(self, write: bool) -> Iterator[Connection]:
        """A connection in a transaction (committed on success); database errors -> LedgerError."""
        if write and self.read_only:
            raise RuntimeError(f"ledger {self.shown_url} was opened read-only")
        try:
            with self._serial, self._engine.connect() as conn:
                # preserve_rowcount: SQLAlchemy keeps the row count of UPDATE only, and whether
                # an INSERT ... ON CONFLICT DO NOTHING inserted is what decides a claim.
                conn.execution_options(ledger_write=write, preserve_rowcount=True)
                with conn.begin():
                    yield conn
        except (
            sa_exc.OperationalError,
            sa_exc.InterfaceError,
            sa_exc.ProgrammingError,
            sa_exc.InternalError,
            sa_exc.TimeoutError,
        ) as exc:
            raise LedgerError(self.shown_url, self._reason(exc)) from exc
        except sa_exc.DatabaseError as exc:
            # SQLite's own word for a file that is not a database, or a damaged one (truncated,
            # overwritten): retrying cannot help, and the operator has to act.
            if self.dialect != "sqlite" or isinstance(exc, sa_exc.IntegrityError):
                raise
            raise LedgerDamagedError(
                self.shown_url,
                f"{self._file or 'the database'} is not a usable SQLite database "
                f"({self._reason(exc)}); move it aside and start again for a new, empty ledger "
                "(what the old one recorded as sent may then be sent again), or put back a "
                "copy from a backup",
            ) from exc

    def _reason(self, exc: Exception) -> str:
        original = getattr(exc, "orig", None) or exc
        reason = " ".join(line.strip() for line in str(original).splitlines() if line.strip())
        if self._password:
            reason = reason.replace(self._password, "***")
        return reason or type(original).__name__

    def close(self) -> None:
        """Close the pooled connections."""
        self._engine.dispose()

    def create_schema(self) -> None:
        """Create what is missing and upgrade an older ledger (safe to repeat, and to race).

        Raises LedgerError when the ledger was upgraded by a newer release (its rows may follow
        rules this one does not know).
        """
        with self._connect(write=True) as conn:
            if self.dialect == "postgresql":
                conn.execute(select(func.pg_advisory_xact_lock(_SCHEMA_LOCK)))
                if self.schema is not None:
                    conn.execute(CreateSchema(self.schema, if_not_exists=True))
            existed = conn.dialect.has_table(conn, deliveries.name, schema=self.schema)
            metadata.create_all(conn, checkfirst=True)
            stored = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))
            value = stored.scalar()
            version = int(value) if value is not None else (1 if existed else SCHEMA_VERSION)
            if version > SCHEMA_VERSION:
                raise LedgerVersionError.newer(self.shown_url, version)
            quote = conn.dialect.identifier_preparer.quote
            table = quote(deliveries.name)
            if self.schema is not None:  # (raw DDL does not see schema_translate_map)
                table = f"{quote(self.schema)}.{table}"
            for step in range(version + 1, SCHEMA_VERSION + 1):
                _UPGRADES[step](conn, table)
            if value is None or version != SCHEMA_VERSION:
                upsert = self._insert(meta).values(key="schema_version", value=str(SCHEMA_VERSION))
                conn.execute(
                    upsert.on_conflict_do_update(
                        index_elements=[meta.c.key], set_={"value": str(SCHEMA_VERSION)}
                    )
                )

    def inspect(self) -> int | None:
        """The ledger's schema version as it is, creating and changing nothing: None when there
        is no ledger yet (no SQLite file, or no tables), 1 for tables without a recorded version
        (the first release's)."""
        if self._file and not os.path.exists(self._file):
            return None  # (opening it would create an empty file)
        with self._connect(write=False) as conn:
            if not conn.dialect.has_table(conn, deliveries.name, schema=self.schema):
                return None
            if not conn.dialect.has_table(conn, meta.name, schema=self.schema):
                return 1
            value = conn.execute(select(meta.c.value).where(meta.c.key == "schema_version"))
            stored = value.scalar()
        return 1 if stored is None else int(stored)

    def schema_version(self) -> int | None:
        """The version recorded in the ledger (None: no schema yet, or a version-1 ledger)."""
        value = self.get_meta("schema_version")
        return None if value is None else int(value)

    # --- the delivery protocol ------------------------------------------------------------------

    def claim(
        self,
        notice_id: str,
        channel: str,
        fire_at: datetime,
        now: datetime,
        lease: timedelta,
        *,
        late: bool = False,
    ) -> Claim | None:
        """Take the right to send (notice_id, channel) until ``now + lease``, or None.

        A new delivery is inserted as claimed (attempt 1).  An existing one is taken only when an
        earlier claim's lease has run out or a retry is due; never when it is sent, missed, failed
        for good, claimed with a live lease, or its retry lies in the future.  The database decides
        (insert-if-absent, then a conditional update), so racing processes get one winner.
        """
        now, token = _utc(now), secrets.token_hex(16)
        key = and_(_KEY[0] == notice_id, _KEY[1] == channel)
        claimed = {
            "state": CLAIMED,
            "token": token,
            "claimed_by": self.owner,
            "claimed_at": now,
            "lease_until": now + lease,
            "next_attempt_at": None,
            "updated_at": now,
        }
        fire_at = _utc(fire_at)
        with self._connect(write=True) as conn:
            insert = self._insert(deliveries).values(
                notice_id=notice_id,
                channel=channel,
                fire_at=fire_at,
                attempts=1,
                late=late,
                created_at=now,
                **claimed,
            )
            if conn.execute(insert.on_conflict_do_nothing(index_elements=_KEY)).rowcount == 1:
                return Claim(notice_id, channel, token, 1, fire_at, late)
            expired = and_(deliveries.c.state == CLAIMED, deliveries.c.lease_until <= now)
            retry_due = and_(_RETRYABLE, deliveries.c.next_attempt_at <= now)
            if late:  # a retry of a late delivery stays late; a late retry becomes late
                claimed["late"] = True
            take = (
                update(deliveries)
                .where(key, or_(expired, retry_due))
                .values(**claimed, attempts=deliveries.c.attempts + 1)
            )
            if conn.execute(take).rowcount != 1:
                return None
            taken = conn.execute(
                select(deliveries.c.attempts, deliveries.c.fire_at, deliveries.c.late).where(key)
            ).one()
        return Claim(notice_id, channel, token, taken.attempts, taken.fire_at, taken.late)

    def _complete(self, claim: Claim, values: dict[str, Any]) -> bool:
        """Apply ``values`` only while the row still carries this claim's token."""
        with self._connect(write=True) as conn:
            done = conn.execute(
                update(deliveries)
                .where(
                    _KEY[0] == claim.notice_id,
                    _KEY[1] == claim.channel,
                    deliveries.c.state == CLAIMED,
                    deliveries.c.token == claim.token,
                )
                .values(lease_until=None, **values)
            )
        return done.rowcount == 1

    def mark_sent(self, claim: Claim, now: datetime) -> bool:
        """Record a successful send; False (and nothing changed) if the claim was taken over."""
        now = _utc(now)
        return self._complete(claim, {"state": SENT, "sent_at": now, "updated_at": now})

    def mark_failed(
        self, claim: Claim, now: datetime, error: str, retry_at: datetime | None
    ) -> bool:
        """Record a failed send, to be retried at ``retry_at`` (None: failed for good)."""
        values = {
            "state": FAILED,
            "last_error": error[:ERROR_LIMIT],
            "next_attempt_at": None if retry_at is None else _utc(retry_at),
            "updated_at": _utc(now),
        }
        return self._complete(claim, values)

    def mark_missed(
        self, notice_id: str, channel: str, fire_at: datetime, now: datetime, reason: str
    ) -> bool:
        """Record a delivery found too late to send; False if the delivery already has a row."""
        now = _utc(now)
        insert = self._insert(deliveries).values(
            notice_id=notice_id,
            channel=channel,
            fire_at=_utc(fire_at),
            state=MISSED,
            attempts=0,
            last_error=reason[:ERROR_LIMIT],
            late=False,
            created_at=now,
            updated_at=now,
        )
        with self._connect(write=True) as conn:
            return conn.execute(insert.on_conflict_do_nothing(index_elements=_KEY)).rowcount == 1

    # --- reading --------------------------------------------------------------------------------

    def _rows(
        self, *where: Any, order: Iterable[Any] = (), limit: int | None = None
    ) -> list[Delivery]:
        query = select(*_COLUMNS).where(*where).order_by(*order).limit(limit)
        with self._connect(write=False) as conn:
            return [Delivery(*row) for row in conn.execute(query)]

    def get(self, notice_id: str, channel: str) -> Delivery | None:
        found = self._rows(_KEY[0] == notice_id, _KEY[1] == channel)
        return found[0] if found else None

    def find(self, notice_ids: Iterable[str]) -> dict[tuple[str, str], Delivery]:
        """Every delivery of these notices, by (notice_id, channel)."""
        ids = sorted(set(notice_ids))
        found: dict[tuple[str, str], Delivery] = {}
        for start in range(0, len(ids), FIND_CHUNK):
            for row in self._rows(_KEY[0].in_(ids[start : start + FIND_CHUNK])):
                found[row.notice_id, row.channel] = row
        return found

    def due(self, now: datetime, limit: int = 1000) -> list[Delivery]:
        """Retries that are due and claims whose lease ran out, the longest waiting first."""
        now = _utc(now)
        expired = and_(deliveries.c.state == CLAIMED, deliveries.c.lease_until <= now)
        retry_due = and_(_RETRYABLE, deliveries.c.next_attempt_at <= now)
        return self._rows(or_(expired, retry_due), order=(_DUE_AT, *_KEY), limit=limit)

    def recent(self, limit: int = 20, organisation: str | None = None) -> list[Delivery]:
        """The most recently changed deliveries, newest first (``organisation``: its alone)."""
        return self._rows(
            *_of(organisation), order=(deliveries.c.updated_at.desc(), *_KEY), limit=limit
        )

    def problems(
        self, since: datetime, limit: int = 50, organisation: str | None = None
    ) -> list[Delivery]:
        """Failed (for good or retrying) and missed deliveries changed since ``since``."""
        return self._rows(
            deliveries.c.state.in_((FAILED, MISSED)),
            deliveries.c.updated_at >= _utc(since),
            *_of(organisation),
            order=(deliveries.c.updated_at.desc(), *_KEY),
            limit=limit,
        )

    def counts(self, organisation: str | None = None) -> dict[str, int]:
        """The number of deliveries in each state (every state named, zeros included);
        ``organisation``: of its deliveries alone (None: every row)."""
        query = (
            select(deliveries.c.state, func.count())
            .where(*_of(organisation))
            .group_by(deliveries.c.state)
        )
        with self._connect(write=False) as conn:
            found = {state: count for state, count in conn.execute(query)}
        return {state: found.get(state, 0) for state in STATES}

    def counts_by_organisation(self) -> dict[str, dict[str, int]]:
        """:meth:`counts` of every organisation at once, by organisation id ("" for the rows
        without one), in one query."""
        column = deliveries.c.notice_id
        if self.dialect == "postgresql":
            prefix: Any = func.split_part(column, ORG_SEPARATOR, 1)
        else:
            prefix = func.substr(column, 1, func.instr(column, ORG_SEPARATOR) - 1)
        owner = case((column.contains(ORG_SEPARATOR, autoescape=True), prefix), else_="")
        query = select(owner, deliveries.c.state, func.count()).group_by(owner, deliveries.c.state)
        found: dict[str, dict[str, int]] = {}
        with self._connect(write=False) as conn:
            for organisation, state, count in conn.execute(query):
                found.setdefault(organisation, dict.fromkeys(STATES, 0))[state] = count
        return found

    def set_meta(self, key: str, value: str) -> None:
        insert = self._insert(meta).values(key=key, value=value)
        with self._connect(write=True) as conn:
            conn.execute(
                insert.on_conflict_do_update(index_elements=[meta.c.key], set_={"value": value})
            )

    def get_meta(self, key: str) -> str | None:
        with self._connect(write=False) as conn:
            value: str | None = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return value


def _of(organisation: str | None) -> tuple[Any, ...]:
    """The condition on rows of ``organisation`` (None: every row; "": rows without one)."""
    column = deliveries.c.notice_id
    if organisation is None:
        return ()
    if not organisation:
        return (~column.contains(ORG_SEPARATOR, autoescape=True),)
    return (column.startswith(organisation + ORG_SEPARATOR, autoescape=True),)


def _add_claimed_by(conn: Connection, table: str) -> None:
    """Version 2: who holds the claim.  Rows of version 1 keep NULL (not known)."""
    conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN claimed_by VARCHAR(200)")


_UPGRADES: dict[int, Callable[[Connection, str], None]] = {2: _add_claimed_by}


def _make_folder(shown_url: str, folder: str) -> None:
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        reason = f"cannot create the folder {folder}: {exc.strerror or exc}"
        raise LedgerError(shown_url, reason) from None


def _read_only_sqlite(parsed: URL, path: str) -> URL:
    """The SQLite file opened through a ``file:`` URI in mode ``rw``: SQLite then creates no
    file where there is none (and ``query_only``, set on connecting, refuses every write).

    Not mode ``ro``: a read-only connection to a WAL ledger that no daemon has open creates the
    ``-wal`` and ``-shm`` files and cannot remove them; a read-write one, as the last to close,
    removes them, so reading leaves the folder as it was."""
    from urllib.parse import quote

    return parsed.set(database=f"file:{quote(path)}", query={"mode": "rw", "uri": "true"})


def _sqlite_connect_read_only(dbapi_connection: Any, record: Any) -> None:
    # As _sqlite_connect, without setting the journal mode (a write to the file's header).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA query_only=ON")
    cursor.close()


def _sqlite_connect(dbapi_connection: Any, record: Any) -> None:
    # pysqlite would otherwise issue its own deferred BEGIN (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=10000")  # wait for another writer instead of failing
    _journal_mode_wal(cursor)  # readers do not block the writer, nor it them
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable enough in WAL mode, much faster
    cursor.close()


SQLITE_WAL_WAIT = 10.0  # seconds, as busy_timeout


def _journal_mode_wal(cursor: Any) -> None:
    """``PRAGMA journal_mode=WAL``, tried again while another connection holds the lock.

    Switching a file to WAL needs its exclusive lock, and SQLite answers "database is locked"
    at once, without waiting busy_timeout, while another connection switches or writes the same
    new file: six replicas started at once on a fresh ledger failed about one start in twenty
    (tests/test_ledger_schema.py, with its racers let go at a barrier).  Tried again every 10 ms
    for as long as busy_timeout would have waited; on a file already in WAL mode it is a read.
    """
    import sqlite3
    import time

    deadline = time.monotonic() + SQLITE_WAL_WAIT
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
        time.sleep(0.01)


def _sqlite_begin(conn: Connection) -> None:
    # A deferred transaction that reads and then writes can fail at once with "database is
    # locked" when another process wrote in between; BEGIN IMMEDIATE takes the write lock up
    # front (waiting up to busy_timeout), so concurrent claimers queue instead.
    immediate = conn.get_execution_options().get("ledger_write", True)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
