"""SQLite specifics of the state: the engine, write locking, the corpus counter.

One process owns a SQLite state: write transactions take the database lock
up front (``BEGIN IMMEDIATE``), so the whole admit batch is one transaction
and needs no locks of its own, and corpus sequence numbers come from a
counter row reserved inside that transaction (gapless). Implements
``state.dialect.Dialect``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, func, insert, select, update
from sqlalchemy.engine import make_url

from seedwatch.folders import ensure_folder
from seedwatch.state.dialect import Entry, Plan
from seedwatch.state.schema import counters, items

CORPUS_SEQ = "corpus_seq"


def create(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        ensure_folder(Path(parsed.database).parent, f"[state] url {url}")
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 60})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, issue BEGIN, so write transactions can
        # take the lock up front (BEGIN IMMEDIATE) instead of failing to
        # upgrade a read lock when two threads write at once.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=60000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class SQLiteDialect:
    """A state one process owns."""

    shared = False

    def __init__(self, url: str) -> None:
        self.engine = create(url)

    def lock_migrations(self, conn: Connection) -> None:
        """Nothing to do: ``BEGIN IMMEDIATE`` already holds the database lock."""

    def check_writable(self, conn: Connection) -> None:
        """A read-only file opens (read-only) and answers every read; SQLite
        refuses only the first write. Rewriting ``user_version`` as it is makes
        that write now (``SQLITE_READONLY``), not at the first poll."""
        version = conn.exec_driver_sql("PRAGMA user_version").scalar()
        conn.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Free: one process owns the state."""
        yield

    def plan_admission(
        self, conn: Connection, entries: Sequence[Entry], *, skip_known: bool
    ) -> Plan:
        return [(list(entries), [])]  # BEGIN IMMEDIATE: one writer at a time

    def pipeline(self, conn: Connection) -> AbstractContextManager[object]:
        """Nothing: sqlite3 runs in the process, a statement has no round trip."""
        return nullcontext()

    def begin_admission(self, conn: Connection, keys: Sequence[int]) -> None:
        """Nothing to lock: the transaction holds the database lock."""

    def _reserve_seqs(self, conn: Connection, count: int) -> list[int]:
        row = conn.execute(
            update(counters)
            .where(counters.c.name == CORPUS_SEQ)
            .values(value=counters.c.value + count)
            .returning(counters.c.value)
        ).first()
        if row is None:
            conn.execute(insert(counters).values(name=CORPUS_SEQ, value=count))
            return list(range(count))
        return list(range(int(row[0]) - count, int(row[0])))

    def reserve_item_ids(self, conn: Connection, count: int) -> list[int]:
        # The ids SQLite itself would give (the largest rowid plus one, the
        # table has no AUTOINCREMENT); the write lock is ours until commit.
        top = conn.execute(select(func.max(items.c.id))).scalar()
        first = int(top or 0) + 1
        return list(range(first, first + count))

    def reserve_records(self, conn: Connection, count: int) -> tuple[list[int], list[int]]:
        return self._reserve_seqs(conn, count), self.reserve_item_ids(conn, count)

    def peek_seq(self, conn: Connection) -> int:
        value = conn.execute(select(counters.c.value).where(counters.c.name == CORPUS_SEQ)).scalar()
        return int(value or 0)

    def ensure_seq_at_least(self, conn: Connection, value: int) -> None:
        current = conn.execute(
            select(counters.c.value).where(counters.c.name == CORPUS_SEQ)
        ).scalar()
        if current is None:
            conn.execute(insert(counters).values(name=CORPUS_SEQ, value=value))
        elif current < value:
            conn.execute(update(counters).where(counters.c.name == CORPUS_SEQ).values(value=value))
