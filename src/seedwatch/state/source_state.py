"""What the state knows about each source, and how a finished poll is recorded.

The ``sources`` table holds only what the daemon learns (the config stays
the source of truth for what to watch): cursors, the error streak and the
count of each error class, parking, the adaptive interval and why the next
poll is when it is, the dates of the last week's entries, the feed's own
schedule hints, and a URL moved by permanent redirects. ``Store`` exposes
these through its source methods; the scheduler (``daemon.schedule``)
decides the values, this module only reads and writes them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from seedwatch.contracts import Cursor, PollResult
from seedwatch.state.schema import sources


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the state knows about one source.

    ``url`` is the URL in use after a permanent move, valid while the config
    names ``url_from``. ``error_counts`` counts failures by class over the
    source's life; ``entries`` maps the last week's entries (a short hash
    of their keys) to their dates; ``hints`` are the feed's schedule hints
    as JSON; ``interval`` the adaptive interval of the last success and
    ``next_poll_reason`` what decided the next poll.
    """

    id: str
    url: str | None = None
    cursor: Cursor = field(default_factory=Cursor)
    last_poll: datetime | None = None
    last_success: datetime | None = None
    next_poll: datetime | None = None
    consecutive_errors: int = 0
    errors_total: int = 0
    last_error: str | None = None
    last_error_category: str | None = None
    parked: bool = False
    items_accepted: int = 0
    parked_at: datetime | None = None
    parked_reason: str | None = None
    url_from: str | None = None
    redirect_target: str | None = None
    redirect_count: int = 0
    error_counts: Mapping[str, int] = field(default_factory=dict)
    entries: Mapping[str, datetime] = field(default_factory=dict)
    hints: Mapping[str, Any] = field(default_factory=dict)
    interval: timedelta | None = None
    next_poll_reason: str | None = None
    last_outcome: str | None = None
    last_duration: float | None = None


@dataclass(frozen=True, slots=True)
class PollRecord:
    """What the scheduler decided after one poll, to be written as is.

    ``outcome`` is ``ok``, ``not-modified``, ``error`` or ``deferred`` (not
    sent: its host asked every client to wait; neither a success nor a
    failure).
    """

    outcome: str
    consecutive_errors: int
    parked: bool
    parked_at: datetime | None
    parked_reason: str | None
    interval: timedelta | None
    reason: str | None
    entries: Mapping[str, datetime]
    hints: Mapping[str, Any]
    redirect_target: str | None
    redirect_count: int
    url: str | None
    url_from: str | None
    duration: float | None = None

    def replace(self, **changes: Any) -> PollRecord:
        return replace(self, **changes)


def _json(value: str | None) -> Any:
    if not value:
        return {}
    try:
        return json.loads(value)
    except ValueError:
        return {}


def state_from_row(row: Any) -> SourceState:
    entries = {
        str(k): datetime.fromisoformat(v).astimezone(UTC)
        for k, v in _json(row.entries).items()
        if isinstance(v, str)
    }
    return SourceState(
        id=row.id,
        url=row.url,
        cursor=Cursor(etag=row.etag, last_modified=row.last_modified, mark=row.mark),
        last_poll=row.last_poll,
        last_success=row.last_success,
        next_poll=row.next_poll,
        consecutive_errors=row.consecutive_errors or 0,
        errors_total=row.errors_total or 0,
        last_error=row.last_error,
        last_error_category=row.last_error_category,
        parked=bool(row.parked),
        items_accepted=row.items_accepted or 0,
        parked_at=row.parked_at,
        parked_reason=row.parked_reason,
        url_from=row.url_from,
        redirect_target=row.redirect_target,
        redirect_count=row.redirect_count or 0,
        error_counts={str(k): int(v) for k, v in _json(row.error_counts).items()},
        entries=entries,
        hints=_json(row.hints),
        interval=timedelta(seconds=row.interval_seconds) if row.interval_seconds else None,
        next_poll_reason=row.next_poll_reason,
        last_outcome=row.last_outcome,
        last_duration=row.last_duration,
    )


def _row(conn: Connection, source_id: str) -> dict[str, Any]:
    """The source's row as a dict; a row of defaults when it has none yet."""
    row = conn.execute(select(sources).where(sources.c.id == source_id)).first()
    if row is not None:
        return dict(row._mapping)
    blank: dict[str, Any] = dict.fromkeys(sources.c.keys())
    return blank | {"id": source_id, "parked": False}


def read(conn: Connection, source_id: str) -> SourceState:
    return state_from_row(SimpleNamespace(**_row(conn, source_id)))


def upsert(conn: Connection, source_id: str, **values: Any) -> None:
    changed = conn.execute(
        update(sources).where(sources.c.id == source_id).values(**values)
    ).rowcount
    if not changed:
        conn.execute(insert(sources).values(id=source_id, **values))


def record_poll(
    conn: Connection,
    source_id: str,
    result: PollResult,
    *,
    at: datetime,
    next_poll: datetime | None,
    record: PollRecord | None,
    cursor: Cursor | None = None,
) -> SourceState:
    """Count a finished poll. Without a ``record`` a success resets the error
    streak and a failure extends it; with one, its values are written as
    decided. Either way a failure is counted in ``errors_total`` and under
    its class, and accepted items are added up; a ``cursor`` is saved."""
    if is_plain(result):
        return _record_plain(conn, source_id, result, at, next_poll, record, cursor)
    row = _row(conn, source_id)
    state = state_from_row(SimpleNamespace(**row))
    deferred = record is not None and record.outcome == "deferred"
    values: dict[str, Any] = {
        "last_poll": at,
        "next_poll": next_poll,
        "items_accepted": state.items_accepted + result.accepted,
    }
    counts = dict(state.error_counts)
    # Items that failed alone (full-text extraction) count under their class
    # without failing the poll: no streak, no back-off.
    for category, n in result.item_errors.items():
        counts[category] = counts.get(category, 0) + n
    if result.error is None:
        values |= {"last_success": at, "consecutive_errors": 0}
    elif not deferred:
        category = result.error_category or "unknown"
        counts[category] = counts.get(category, 0) + 1
        values |= {
            "consecutive_errors": state.consecutive_errors + 1,
            "errors_total": state.errors_total + 1,
            "last_error": result.error,
            "last_error_category": result.error_category,
        }
    if counts != state.error_counts:
        values["error_counts"] = json.dumps(counts, sort_keys=True)
    values |= _saved_with_poll(cursor, record)
    upsert(conn, source_id, **values)
    # The written row, without reading it back: one statement less per poll.
    return state_from_row(SimpleNamespace(**(row | values)))


def is_plain(result: PollResult) -> bool:
    """A poll without error nor failed item: what it records depends on the
    stored row only through the count of items (``record_poll`` is then one
    statement)."""
    return result.error is None and not result.item_errors


def _record_plain(
    conn: Connection,
    source_id: str,
    result: PollResult,
    at: datetime,
    next_poll: datetime | None,
    record: PollRecord | None,
    cursor: Cursor | None,
) -> SourceState:
    """``record_poll`` of a plain poll: one upsert that adds the items to the
    stored count and returns the row it wrote (no read before, none after)."""
    values: dict[str, Any] = {
        "last_poll": at,
        "next_poll": next_poll,
        "last_success": at,
        "consecutive_errors": 0,
    }
    values |= _saved_with_poll(cursor, record)
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = insert(sources).values(id=source_id, items_accepted=result.accepted, **values)
    statement = statement.on_conflict_do_update(
        index_elements=[sources.c.id],
        set_=values
        | {"items_accepted": sources.c.items_accepted + statement.excluded.items_accepted},
    )
    return state_from_row(conn.execute(statement.returning(*sources.c)).one())


def _saved_with_poll(cursor: Cursor | None, record: PollRecord | None) -> dict[str, Any]:
    """The columns a poll's cursor and record set (the record's last: its
    ``consecutive_errors`` is decided)."""
    values: dict[str, Any] = {}
    if cursor is not None:
        values |= {"etag": cursor.etag, "last_modified": cursor.last_modified, "mark": cursor.mark}
    if record is not None:
        values |= _record_values(record)
    return values


def _record_values(record: PollRecord) -> dict[str, Any]:
    return {
        "last_outcome": record.outcome,
        "last_duration": record.duration,
        "consecutive_errors": record.consecutive_errors,
        "parked": record.parked,
        "parked_at": record.parked_at,
        "parked_reason": record.parked_reason,
        "interval_seconds": record.interval.total_seconds() if record.interval else None,
        "next_poll_reason": record.reason,
        "entries": json.dumps(
            {k: v.astimezone(UTC).isoformat() for k, v in record.entries.items()}
        ),
        "hints": json.dumps(dict(record.hints), sort_keys=True),
        "redirect_target": record.redirect_target,
        "redirect_count": record.redirect_count,
        "url": record.url,
        "url_from": record.url_from,
    }


def resume(conn: Connection, source_id: str, at: datetime) -> SourceState | None:
    """Unpark a source and make it due now; ``None`` when the state never saw it."""
    if conn.execute(select(sources.c.id).where(sources.c.id == source_id)).first() is None:
        return None
    upsert(
        conn,
        source_id,
        parked=False,
        parked_at=None,
        parked_reason=None,
        consecutive_errors=0,
        next_poll=at,
        next_poll_reason="resumed by hand",
    )
    return read(conn, source_id)
