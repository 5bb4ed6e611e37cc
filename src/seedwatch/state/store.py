"""The state store: one interface over SQLAlchemy Core, for SQLite and PostgreSQL.

Owns the crash-safety rule's database half: ``admit`` judges a batch of
items and, in the same transaction, records the accepted ones with their
rendered file text and reserves their corpus sequence numbers; the files are
written afterwards and ``mark_written`` closes the loop; ``pending`` lists
what a crash left recorded but unwritten. Source cursors are saved only by
the pipeline, after a page's items are recorded.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, func, select, update

from seedwatch.contracts import Accepted, Cursor, PollResult, Verdict
from seedwatch.corpus import name_for
from seedwatch.errors import ConfigError
from seedwatch.models import Item
from seedwatch.state import schema, source_state
from seedwatch.state.bulk import insert_rows
from seedwatch.state.dedup import (
    DEFAULT_LAYERS,
    Candidate,
    DedupSettings,
    Layer,
    Layout,
    count_rejection,
    judge,
    layout,
    record,
)
from seedwatch.state.dedup.layers import identity
from seedwatch.state.dedup.prescreen import Prescreen
from seedwatch.state.dialect import Dialect, parse_url
from seedwatch.state.rows import Waiting, insert_items, item_row
from seedwatch.state.schema import corpus_files, items, sources
from seedwatch.state.source_state import PollRecord, SourceState

MIGRATIONS = Path(__file__).parent / "migrations"
_FILE_COLUMNS = ("name", "seq", "size", "items", "indexed")

Render = Callable[[Item, datetime, str | None], str]


def now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The state behind one interface; safe to share between polling threads."""

    def __init__(
        self,
        url: str,
        *,
        dedup: DedupSettings | None = None,
        layers: Sequence[Layer] = DEFAULT_LAYERS,
    ) -> None:
        self.url = url
        self.dialect = dialect_for(url)
        self.engine = self.dialect.engine
        self.dedup = dedup or DedupSettings()
        self.layers = tuple(layers)
        self._layout: Layout | None = None

    def close(self) -> None:
        self.engine.dispose()

    def migrate(self) -> None:
        """Bring the schema to the newest version (idempotent)."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            # Nodes starting together: the first upgrades, the others wait
            # and find the schema at head. The dedup shape is fixed under
            # the same lock (its first insert would race too).
            self.dialect.lock_migrations(conn)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            if self.dialect.shared:
                self._layout = layout(conn, self.dedup)

    def check_writable(self) -> None:
        """Fail now (the driver's error) if the state would refuse writes though
        it answers reads: the daemon checks at start-up, not at its first poll."""
        with self.engine.begin() as conn:
            self.dialect.check_writable(conn)

    @contextmanager
    def exclusive(self, name: str) -> Iterator[None]:
        """Run a block alone across every node sharing this state (PostgreSQL
        advisory lock); on SQLite one process owns the state and this is free."""
        with self.dialect.exclusive(name):
            yield

    @contextmanager
    def _one_statement(self, *, write: bool = False) -> Iterator[Connection]:
        """A connection for one statement. On PostgreSQL in autocommit: the
        statement is a transaction of its own, without the round trips of a
        BEGIN and a COMMIT (or ROLLBACK) around it; on SQLite a transaction
        as for any other use."""
        if self.engine.dialect.name == "postgresql":
            with self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
        elif write:
            with self.engine.begin() as conn:
                yield conn
        else:
            with self.engine.connect() as conn:
                yield conn

    # -- sources ----------------------------------------------------------

    def source_state(self, source_id: str) -> SourceState:
        with self._one_statement() as conn:
            return source_state.read(conn, source_id)

    def source_states(self) -> dict[str, SourceState]:
        with self.engine.connect() as conn:
            return {r.id: source_state.state_from_row(r) for r in conn.execute(select(sources))}

    def save_cursor(self, source_id: str, cursor: Cursor) -> None:
        with self.engine.begin() as conn:
            source_state.upsert(
                conn,
                source_id,
                etag=cursor.etag,
                last_modified=cursor.last_modified,
                mark=cursor.mark,
            )

    def record_poll(
        self,
        source_id: str,
        result: PollResult,
        *,
        at: datetime,
        next_poll: datetime | None,
        record: PollRecord | None = None,
        cursor: Cursor | None = None,
    ) -> SourceState:
        """Count a finished poll: success resets the error streak, failure extends
        it and is counted under its class; ``record`` (the scheduler's decision:
        parking, interval, moves) is written as is, and ``cursor`` (the last
        page's, its items recorded) saved in the same transaction."""
        plain = source_state.is_plain(result)  # then one statement
        with self._one_statement(write=True) if plain else self.engine.begin() as conn:
            return source_state.record_poll(
                conn, source_id, result, at=at, next_poll=next_poll, record=record, cursor=cursor
            )

    def resume(self, source_id: str) -> SourceState | None:
        """Unpark a source and make it due now; ``None`` when the state never saw it."""
        with self.engine.begin() as conn:
            return source_state.resume(conn, source_id, now())

    def items_by_day(self, since: datetime) -> dict[str, dict[str, int]]:
        """Items accepted per source and UTC day (``YYYY-MM-DD``) since ``since``."""
        out: dict[str, dict[str, int]] = {}
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(items.c.source_id, items.c.created).where(
                    items.c.created >= since,
                    items.c.source_id.is_not(None),
                    items.c.status != "indexed",
                )
            )
            for source_id, created in rows:
                day = created.astimezone(UTC).date().isoformat()
                per_day = out.setdefault(source_id, {})
                per_day[day] = per_day.get(day, 0) + 1
        return out

    def ping(self) -> None:
        """Raise unless the state database answers (readiness checks)."""
        with self.engine.connect() as conn:
            conn.execute(select(1)).scalar_one()

    # -- items ------------------------------------------------------------

    def dedup_layout(self) -> Layout:
        """The state's MinHash/LSH shape, fixed in the state on first use (in a
        transaction of its own, taken before any other)."""
        if self._layout is None:
            with self.engine.begin() as conn:
                self._layout = layout(conn, self.dedup)
        return self._layout

    def _candidate(self, item: Item) -> Candidate:
        return Candidate(item, self.dedup_layout(), self.dedup.paragraph_min_words)

    def judge(self, item: Item) -> Verdict:
        """The de-duplication verdict for ``item``, recording nothing (dry runs, explain)."""
        return self.judge_many([item])[0]

    def judge_many(self, batch: Sequence[Item]) -> list[Verdict]:
        """Each item's verdict, judged alone against the state (the items do not
        see each other: nothing is recorded); one prescreen for them all."""
        cands = [self._candidate(item) for item in batch]
        # No transaction of ours: nothing is written, and a dry run must not
        # wait for the write lock (SQLite) an admit holds.
        with self.engine.connect() as conn:
            screen = Prescreen(conn, cands, self.dedup, self.layers)
            return [
                screen.verdict(cand) or judge(conn, cand, self.dedup, self.layers) for cand in cands
            ]

    def admit(
        self, batch: Iterable[tuple[Item, datetime]], render: Render
    ) -> list[tuple[Verdict, Accepted | None]]:
        """Judge each item and record the accepted ones in the same transaction.

        Items of the batch see each other: a batch holding the same article
        twice records it once. On PostgreSQL the batch may be split into
        several transactions, each locking the keys its items could meet a
        duplicate through (``state.postgres`` has the rule).
        """
        out: list[tuple[Verdict, Accepted | None]] = []
        created = now()
        self.dedup_layout()
        entries = [(item, fetched, self._candidate(item)) for item, fetched in batch]
        # One connection for the whole batch: the plan's read (PostgreSQL) is
        # made in its first transaction, not on a connection of its own.
        with self.engine.connect() as conn:
            plan = self.dialect.plan_admission(conn, entries, skip_known=identity in self.layers)
            for chunk, keys in plan:
                with conn.begin():
                    out.extend(self._admit(conn, chunk, keys, render, created))
        return out

    def _admit(
        self,
        conn: Connection,
        chunk: Sequence[tuple[Item, datetime, Candidate]],
        keys: Sequence[int],
        render: Render,
        created: datetime,
    ) -> list[tuple[Verdict, Accepted | None]]:
        out: list[tuple[Verdict, Accepted | None]] = []
        rejected: list[str] = []
        # The locks and the prescreen's read in one round trip (PostgreSQL):
        # the read is sent after the locking statement, so it runs once the
        # locks are held, as when the two were sent one after the other.
        with self.dialect.pipeline(conn):
            self.dialect.begin_admission(conn, keys)
            screen = Prescreen(conn, [cand for _, _, cand in chunk], self.dedup, self.layers)
        # Accepted items are recorded together (a few statements for all of
        # them), and always before judge asks the state about a later item.
        waiting: list[Waiting] = []
        for item, fetched, cand in chunk:
            verdict = screen.verdict(cand)
            if verdict is None:
                self._record(conn, waiting, out, created)
                verdict = judge(conn, cand, self.dedup, self.layers)
            if not verdict.accepted:
                rejected.append(verdict.layer)
                out.append((verdict, None))
                continue
            rendered = render(item, fetched, verdict.revision_of)
            waiting.append(Waiting(len(out), item, fetched, cand, verdict, rendered))
            out.append((verdict, None))  # the entry comes when it is recorded
            screen.recorded(cand)
        self._record(conn, waiting, out, created)
        # Counted last and in name order: concurrent admits (PostgreSQL) then
        # lock the counter rows in one order and cannot deadlock on them.
        for layer in sorted(rejected):
            count_rejection(conn, layer)
        return out

    def _record(
        self,
        conn: Connection,
        waiting: list[Waiting],
        out: list[tuple[Verdict, Accepted | None]],
        created: datetime,
    ) -> None:
        """Reserve sequence numbers for the waiting accepted items, in order, and
        record them with their index rows and corpus file rows."""
        if not waiting:
            return
        seqs, ids = self.dialect.reserve_records(conn, len(waiting))
        # The candidate's fingerprint is the text's (normalised and hashed once).
        names = [name_for(seq, w.cand.fingerprint) for seq, w in zip(seqs, waiting, strict=True)]
        # The inserts (items, dedup rows, corpus files) go to the server
        # together (PostgreSQL): nothing in between reads the database.
        with self.dialect.pipeline(conn):
            self._insert(conn, waiting, seqs, ids, names, created)
        for w, seq, name in zip(waiting, seqs, names, strict=True):
            revision_of = w.verdict.revision_of
            extra = {"revision_of": revision_of} if revision_of else {}
            entry = Accepted(w.item, seq, name, w.rendered, w.fetched, extra)
            out[w.index] = (w.verdict, entry)
        waiting.clear()

    def _insert(
        self,
        conn: Connection,
        waiting: Sequence[Waiting],
        seqs: Sequence[int],
        ids: Sequence[int],
        names: Sequence[str],
        created: datetime,
    ) -> None:
        """The rows of the waiting items: statements on the driver's cursor only."""
        insert_items(
            conn,
            ids,
            [
                item_row(
                    w.cand,
                    seq,
                    name,
                    "pending",
                    created,
                    rendered=w.rendered,
                    item_json=json.dumps(w.item.to_json(), ensure_ascii=False),
                    revision_of=w.verdict.revision_of,
                    fetched=w.fetched,
                )
                for w, seq, name in zip(waiting, seqs, names, strict=True)
            ],
        )
        record(conn, [(item_id, w.cand) for item_id, w in zip(ids, waiting, strict=True)])
        # The files are ours: the indexer must not read them back as found files.
        insert_rows(
            conn,
            corpus_files,
            _FILE_COLUMNS,
            [
                (name, seq, len(w.rendered.encode()), 1, created)
                for w, seq, name in zip(waiting, seqs, names, strict=True)
            ],
        )

    def mark_written(self, seqs: Iterable[int]) -> None:
        seqs = list(seqs)
        if not seqs:
            return
        with self._one_statement(write=True) as conn:
            conn.execute(
                update(items)
                .where(items.c.seq.in_(seqs), items.c.status == "pending")
                .values(status="written", rendered=None)
            )

    def pending(self, source_id: str | None = None) -> list[Accepted]:
        """Items recorded but not yet written (what a crash left behind), by seq;
        only ``source_id``'s if given (a cluster node, before each poll: the
        other nodes' polls in flight have theirs, rendered text and all)."""
        query = select(items).where(items.c.status == "pending")
        if source_id is not None:
            query = query.where(items.c.source_id == source_id)
        with self._one_statement() as conn:
            rows = conn.execute(query.order_by(items.c.seq)).all()
        return [
            Accepted(
                Item.from_json(json.loads(r.item_json)),
                r.seq,
                r.name,
                r.rendered,
                r.fetched,
                {"revision_of": r.revision_of} if r.revision_of else {},
            )
            for r in rows
        ]

    def ensure_seq_at_least(self, value: int) -> None:
        """Make the next reserved sequence number at least ``value`` (files found on disk)."""
        with self.engine.begin() as conn:
            self.dialect.ensure_seq_at_least(conn, value)

    # -- corpus index -------------------------------------------------------

    def indexed_files(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(select(corpus_files.c.name)).scalars())

    def index_file(self, name: str, seq: int, size: int, found: Sequence[Item]) -> None:
        """Record a corpus file found on disk and the items it holds."""
        self.index_files([(name, seq, size, found)])

    def index_files(self, files: Sequence[tuple[str, int, int, Sequence[Item]]]) -> None:
        """Record corpus files found on disk, ``(name, seq, size, items)`` each,
        and their items, in one transaction (a few statements for them all)."""
        at = now()
        self.dedup_layout()
        rows: list[dict[str, Any]] = []
        cands: list[Candidate] = []
        for name, seq, _size, found in files:
            for item in found:
                cand = self._candidate(item)
                cands.append(cand)
                rows.append(item_row(cand, seq, name, "indexed", at))
        with self.engine.begin() as conn:
            if rows:
                ids = self.dialect.reserve_item_ids(conn, len(rows))
                insert_items(conn, ids, rows)
                record(conn, list(zip(ids, cands, strict=True)))
            insert_rows(
                conn,
                corpus_files,
                _FILE_COLUMNS,
                [(name, seq, size, len(found), at) for name, seq, size, found in files],
            )

    def stats(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            by_status: dict[str, int] = dict(
                conn.execute(select(items.c.status, func.count()).group_by(items.c.status)).all()
            )
            files = conn.execute(select(func.count()).select_from(corpus_files)).scalar() or 0
            seq = self.dialect.peek_seq(conn)
        return {
            "items_written": int(by_status.get("written", 0)),
            "items_pending": int(by_status.get("pending", 0)),
            "items_indexed": int(by_status.get("indexed", 0)),
            "files_indexed": int(files),
            "next_seq": seq,
        }


def dialect_for(url: str) -> Dialect:
    """The dialect of a state URL; PostgreSQL's code is imported only for it."""
    backend = parse_url(url).get_backend_name()
    if backend == "sqlite":
        from seedwatch.state.sqlite import SQLiteDialect

        return SQLiteDialect(url)
    if backend == "postgresql":
        from seedwatch.state.postgres import PostgresDialect

        return PostgresDialect(url)
    raise ConfigError(
        f"state url {url!r}: unsupported database {backend!r}; "
        f"use sqlite:///path/to/state.db or postgresql://..."
    )


__all__ = ["PollRecord", "SourceState", "Store", "now", "schema"]
