"""PostgreSQL specifics of the state: the engine, advisory locks, the corpus sequence.

The store keeps one SQLAlchemy Core interface for SQLite and PostgreSQL;
what only PostgreSQL needs for several nodes sharing one state lives here,
as ``PostgresDialect`` (implements ``state.dialect.Dialect``).

Concurrency rule of the de-duplication layers (READ COMMITTED): an admit
transaction first takes transaction-scoped advisory locks
(``pg_advisory_xact_lock``) on every key through which one of its items
could meet another item (the item key, source + guid, canonical URL, text
fingerprint, site + title, each paragraph unit and each LSH band bucket),
all in ONE statement in ascending order, then judges and records. Two
transactions whose items could be duplicates of each other share at least
one key, so the second waits until the first commits, and its judging
queries (each sees what was committed before it started) find the first's
rows. Every admit takes its locks in one ascending sweep, so admits never
deadlock each other; the locks go with the commit.

The lock table is shared memory (``max_locks_per_transaction`` times
``max_connections`` entries): a batch is split into transactions of at most
``LOCK_BUDGET`` keys, and items whose key and text the state already holds
(the identity layer rejects them whatever runs beside) take no lock.

Corpus sequence numbers come from the ``corpus_seq`` sequence: never
reused, not gapless (a rolled-back admit loses its numbers). Admits hold
the shared advisory lock ``SEQ_LOCK`` (taken in the statement that takes
their keys); moving the sequence past files found
on disk holds it exclusively, so no number is handed out twice.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DisconnectionError

from seedwatch.errors import ConfigError, StateError
from seedwatch.extras import require
from seedwatch.state.dedup import sql
from seedwatch.state.dedup.features import with_signatures
from seedwatch.state.dialect import Entry, Plan, parse_url
from seedwatch.state.failures import driver_cursor, driver_errors, where

if TYPE_CHECKING:
    from seedwatch.state.dedup.features import Candidate

SEQUENCE = "corpus_seq"
# Keys per admit transaction: a few concurrent admits per node, several
# nodes, stay well inside the default lock table (64 x max_connections).
LOCK_BUDGET = 256
# A pooled connection idle longer than this (seconds) is pinged before use.
PING_AFTER = 10.0


def engine_url(url: str) -> URL:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 (``postgresql+psycopg://``)."""
    parsed = parse_url(url)
    if parsed.drivername in ("postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    raise ConfigError(
        f"state url {url!r}: driver {parsed.drivername!r} is not supported; "
        f"use postgresql://user@host/db (psycopg 3)"
    )


def create(url: str, *, pool_size: int = 5) -> Engine:
    require("psycopg", extra="postgres", needed_for="a PostgreSQL state ([state] url)")
    engine = create_engine(engine_url(url), pool_size=pool_size, max_overflow=pool_size * 2)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """A node outlives database restarts and failovers: a connection that sat
    in the pool for ``PING_AFTER`` seconds is pinged before use, and replaced
    if the server does not answer. Not at every checkout (``pool_pre_ping``):
    that was eight round trips in a poll of some thirty. A connection in use a
    moment ago that the server dropped since fails its statement instead; the
    pool then replaces every connection opened before the failure, and the
    poll is a state failure, retried like any other."""

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER:
            return  # new, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(
                f"the state database dropped an idle connection: {exc}"
            ) from exc


def lock_key(namespace: str, value: object) -> int:
    """A signed 64-bit advisory lock key for ``value`` in ``namespace``."""
    digest = hashlib.blake2b(f"{namespace}\0{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


SEQ_LOCK = lock_key("seedwatch", "corpus_seq")
MIGRATION_LOCK = lock_key("seedwatch", "migrations")


# An admit's locks in one statement: ``SEQ_LOCK`` shared and its keys
# exclusive, all in one ascending sweep (the volatile select list is evaluated
# after the ORDER BY sort, PostgreSQL 9.6 and later).
_ADMISSION_LOCKS = (
    "SELECT CASE WHEN t.shared THEN pg_advisory_xact_lock_shared(t.k) "
    "ELSE pg_advisory_xact_lock(t.k) END "
    "FROM unnest(%s::bigint[], %s::boolean[]) AS t(k, shared) ORDER BY t.k"
)


def admission_locks(conn: Connection, keys: Sequence[int]) -> None:
    """Take an admit transaction's locks: ``SEQ_LOCK`` shared, ``keys`` exclusive.

    One statement on the driver's cursor, its result not read: inside a
    ``pipeline`` it goes to the server with the statements after it. Taking
    ``SEQ_LOCK`` at its place in the sweep rather than first is as safe as
    before: admits only ever share it (they never wait for one another on
    it), and its one exclusive holder, ``ensure_seq_at_least``, holds no other
    advisory lock, so it closes no cycle; among the exclusive keys the order
    is ascending for every admit, as before. A key equal to ``SEQ_LOCK`` (a
    64-bit hash collision) is taken exclusive, once.
    """
    exclusive = sorted(set(keys))
    shared = [] if SEQ_LOCK in exclusive else [SEQ_LOCK]
    flags = [False] * len(exclusive) + [True] * len(shared)
    with driver_cursor(conn) as cursor:
        cursor.execute(_ADMISSION_LOCKS, (exclusive + shared, flags))


def lock_migrations(conn: Connection) -> None:
    """Serialise schema upgrades of nodes starting together (until commit)."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATION_LOCK})


@contextmanager
def session_lock(engine: Engine, name: str) -> Iterator[None]:
    """A cluster-wide mutex held on a connection of its own for the block."""
    key = lock_key("seedwatch.session", name)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})


# -- the corpus sequence ----------------------------------------------------------


def next_item_ids(conn: Connection, count: int) -> list[int]:
    """``count`` values of ``items.id``'s own sequence (what an insert without an
    id would take), ascending."""
    rows = conn.execute(
        text("SELECT nextval(pg_get_serial_sequence('items', 'id')) FROM generate_series(1, :n)"),
        {"n": count},
    ).scalars()
    return sorted(int(value) for value in rows)


def next_seqs_and_item_ids(conn: Connection, count: int) -> tuple[list[int], list[int]]:
    """The next ``count`` corpus sequence numbers, ascending (another node's may
    fall between them), and ``next_item_ids``, in one statement (one round
    trip); the caller holds ``SEQ_LOCK`` shared (``admission_locks``)."""
    rows = conn.execute(
        text(
            f"SELECT nextval('{SEQUENCE}'), nextval(pg_get_serial_sequence('items', 'id')) "
            "FROM generate_series(1, :n)"
        ),
        {"n": count},
    ).all()
    return sorted(int(seq) for seq, _id in rows), sorted(int(id_) for _seq, id_ in rows)


def peek_seq(conn: Connection) -> int:
    """The sequence number the next ``next_seqs_and_item_ids`` would give first."""
    row = conn.execute(text(f"SELECT last_value, is_called FROM {SEQUENCE}")).one()
    return int(row.last_value) + 1 if row.is_called else int(row.last_value)


def ensure_seq_at_least(conn: Connection, value: int) -> None:
    """Move the sequence so that it hands out nothing below ``value``."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEQ_LOCK})
    if peek_seq(conn) < value:
        conn.execute(text(f"SELECT setval('{SEQUENCE}', :v, false)"), {"v": value})


# -- admission ---------------------------------------------------------------------


def admission_keys(cand: Candidate) -> list[int]:
    """Every key through which ``cand`` could meet a duplicate (see the module doc)."""
    item = cand.item
    keys = [lock_key("key", item.key), lock_key("fingerprint", cand.fingerprint)]
    if item.guid and item.source:
        keys.append(lock_key("guid", f"{item.source}\0{item.guid}"))
    if cand.canonical_url:
        keys.append(lock_key("url", cand.canonical_url))
    if cand.title_key and cand.site:
        keys.append(lock_key("title", f"{cand.site}\0{cand.title_key}"))
    keys.extend(lock_key("unit", unit.key) for unit in cand.units)
    keys.extend(lock_key("bucket", bucket) for _band, bucket in cand.bands)
    return keys


def known(conn: Connection, cands: Sequence[Candidate]) -> set[tuple[str, str]]:
    """The (key, fingerprint) pairs of ``cands`` the state already holds (read on
    the driver's cursor: no SQLAlchemy transaction is begun)."""
    pairs = {(c.item.key, c.fingerprint) for c in cands}
    keys = sorted({key for key, _fp in pairs})
    found: set[tuple[str, str]] = set()
    for chunk in sql.chunks(keys):
        rows = sql.fetch(
            conn, "SELECT key, fingerprint FROM items WHERE key = ANY(?::text[])", [list(chunk)]
        )
        found.update((str(k), str(f)) for k, f in rows)
    return found & pairs


def plan_admission(conn: Connection, entries: Sequence[Entry], *, skip_known: bool) -> Plan:
    """Split a batch into transactions of at most ``LOCK_BUDGET`` lock keys.

    With ``skip_known`` (the identity layer is on), items whose key and text
    are recorded take no lock: the identity layer rejects them on rows that
    are already committed.
    """
    held = known(conn, [c for *_, c in entries]) if skip_known else set()
    # The LSH band keys of the items to lock need their MinHash: computed for
    # them all at once (``with_signatures``, as the prescreen does), not one
    # item at a time through ``Candidate.bands``; the same values.
    with_signatures(c for *_, c in entries if (c.item.key, c.fingerprint) not in held)
    plan: Plan = []
    chunk: list[Entry] = []
    keys: list[int] = []
    for entry in entries:
        cand = entry[2]
        mine = [] if (cand.item.key, cand.fingerprint) in held else admission_keys(cand)
        if chunk and len(keys) + len(mine) > LOCK_BUDGET:
            plan.append((chunk, keys))
            chunk, keys = [], []
        chunk.append(entry)
        keys.extend(mine)
    if chunk:
        plan.append((chunk, keys))
    return plan


@contextmanager
def _pipeline(conn: Connection) -> Iterator[None]:
    """``PostgresDialect.pipeline``: its end sends and waits, so it may fail too."""
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver_errors(conn), driver.pipeline():
        yield


class PostgresDialect:
    """A state several nodes share (see the module doc for the locking rule)."""

    shared = True

    def __init__(self, url: str) -> None:
        self.engine = create(url)

    def lock_migrations(self, conn: Connection) -> None:
        lock_migrations(conn)

    def check_writable(self, conn: Connection) -> None:
        """A standby (or ``default_transaction_read_only``) answers reads only."""
        if conn.execute(text("SHOW transaction_read_only")).scalar() == "on":
            raise StateError(
                f"{where(self.engine.url.render_as_string(hide_password=True))}: the server "
                "accepts no writes (transaction_read_only is on: a standby?): point "
                "[state] url at the primary"
            )

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        return session_lock(self.engine, name)

    def plan_admission(
        self, conn: Connection, entries: Sequence[Entry], *, skip_known: bool
    ) -> Plan:
        return plan_admission(conn, entries, skip_known=skip_known)

    def pipeline(self, conn: Connection) -> AbstractContextManager[object]:
        """psycopg's pipeline mode on ``conn``'s driver connection: statements
        whose results are not read are sent together, and the first read (or
        the block's end) waits for all of them, one round trip. Only statements
        on the driver's cursor belong inside (SQLAlchemy's ``execute`` reads
        the cursor's description and row count, which a pipeline has not
        received yet)."""
        return _pipeline(conn)

    def begin_admission(self, conn: Connection, keys: Sequence[int]) -> None:
        admission_locks(conn, keys)

    def reserve_item_ids(self, conn: Connection, count: int) -> list[int]:
        return next_item_ids(conn, count)

    def reserve_records(self, conn: Connection, count: int) -> tuple[list[int], list[int]]:
        return next_seqs_and_item_ids(conn, count)

    def peek_seq(self, conn: Connection) -> int:
        return peek_seq(conn)

    def ensure_seq_at_least(self, conn: Connection, value: int) -> None:
        ensure_seq_at_least(conn, value)
