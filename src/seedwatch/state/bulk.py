"""Many rows in one statement, through the driver's ``executemany``.

An admit batch or an index batch writes some twenty rows an item (the item,
its dedup row, paragraph units, one row per LSH band, its corpus file).
Handed to SQLAlchemy as a list of dicts, each row costs several microseconds
of parameter handling (``construct_params``, per-row processing), more than
the database spends storing it. Here SQLAlchemy Core still builds each
statement (``insert(table)`` compiled for the connection's dialect, once per
table and column set) and each column's own bind processor still converts
the values (``UTCDateTime`` to naive UTC, SQLite's datetime text, booleans),
so the rows stored are the ones SQLAlchemy would store; only the per-row
bookkeeping is gone. The statement runs through ``exec_driver_sql``, in the
caller's transaction, with SQLAlchemy's events and error wrapping. On
PostgreSQL the rows go as one array a column to one ``INSERT ... SELECT
FROM unnest(...)`` on the same connection's driver cursor instead: one
statement on the server whatever the number of rows (psycopg's
``executemany`` runs one a row), one round trip (a ``COPY`` takes two, and
cannot be sent in a pipeline with other statements), its result not read,
so that inside ``Dialect.pipeline`` a batch's inserts go out together.

Not public: a helper of ``seedwatch.state``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert

from seedwatch.state.failures import driver_cursor


@dataclass(frozen=True, slots=True)
class _Statement:
    sql: str
    order: tuple[str, ...]  # the statement's parameters, in its order
    # (index in ``order``, bind processor) of the columns that have one
    processors: tuple[tuple[int, Callable[[Any], Any]], ...]
    positional: bool  # the driver takes tuples (qmark), else dicts (pyformat)
    reorder: Callable[[Sequence[Any]], tuple[Any, ...]] | None  # caller's order to ``order``
    unnest: str  # PostgreSQL: the insert from one array parameter a column ("" elsewhere)


_CACHE: dict[tuple[str, str, str, tuple[str, ...]], _Statement] = {}


def _statement(table: Table, dialect: Dialect, keys: tuple[str, ...]) -> _Statement:
    cache_key = (table.name, dialect.name, dialect.driver, keys)
    found = _CACHE.get(cache_key)
    if found is not None:
        return found
    # for_executemany: no implicit RETURNING of the primary key (PostgreSQL).
    compiled = insert(table).compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    order = tuple(compiled.positiontup or ()) if compiled.positional else keys
    if sorted(order) != sorted(keys):  # a default or an expression SQLAlchemy added
        raise ValueError(f"bulk insert into {table.name}: statement binds {order}, not {keys}")
    processors = []
    for index, key in enumerate(order):
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors.append((index, process))
    reorder = None
    if order != keys:
        positions = [keys.index(key) for key in order]
        reorder = lambda row: tuple(row[i] for i in positions)  # noqa: E731
    unnest = ""
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{table.c[key].type.compile(dialect=dialect)}[]" for key in order)
        unnest = f"INSERT INTO {table.name} ({', '.join(order)}) SELECT * FROM unnest({arrays})"
    made = _Statement(
        compiled.string, order, tuple(processors), compiled.positional, reorder, unnest
    )
    _CACHE[cache_key] = made
    return made


def insert_rows(
    conn: Connection, table: Table, keys: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows``, each the values of the columns ``keys`` of ``table`` in
    that order, with one statement in the caller's transaction."""
    if not rows:
        return
    plan = _statement(table, conn.dialect, tuple(keys))
    values: list[Any] = [plan.reorder(row) for row in rows] if plan.reorder else list(rows)
    if plan.processors:
        for number, row in enumerate(values):
            changed = list(row)
            for index, process in plan.processors:
                if changed[index] is not None:
                    changed[index] = process(changed[index])
            values[number] = tuple(changed)
    if plan.unnest:
        columns = [_array(column) for column in zip(*values, strict=True)]
        with driver_cursor(conn) as cursor:
            cursor.execute(plan.unnest, columns)
    elif plan.positional:
        conn.exec_driver_sql(plan.sql, values)
    else:
        order = plan.order
        conn.exec_driver_sql(plan.sql, [dict(zip(order, row, strict=True)) for row in values])


def _array(column: Sequence[Any]) -> Any:
    """One column's values as an array parameter. A column of integers only
    (the band and unit rows' ids, keys and counts: most of an admit's values)
    goes as its array literal, built with one ``join``: psycopg dumps a
    list element by element in Python, some 1.7 us an integer."""
    if all(type(value) is int for value in column):
        return "{" + ",".join(map(str, column)) + "}"
    return list(column)


def insert_dicts(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """``insert_rows`` for rows given as mappings (all with the same keys)."""
    if rows:
        keys = tuple(rows[0])
        insert_rows(conn, table, keys, [tuple(row[key] for key in keys) for row in rows])
