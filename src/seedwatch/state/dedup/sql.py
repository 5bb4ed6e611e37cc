"""The de-duplication hot path as SQL text, run on the driver's own cursor.

Every judgement runs four to eight small indexed reads, and every admit
batch its prescreen. Through SQLAlchemy Core each of them cost 0.1 to 0.7 ms
of Python (building the statement, its cache key, the expanded ``IN``
parameters, the result wrapper) against 10 to 40 µs for the same query on
the sqlite3 cursor: most of a check. These statements are therefore written
here once, as SQL both databases run, and executed on the DB-API cursor of
the caller's SQLAlchemy connection: the same connection, so the same
transaction, locks and snapshot.

Placeholders are written ``?`` (sqlite3's style) and become ``%s`` for
psycopg. A list of values is one array parameter on PostgreSQL
(``= ANY(?)``), so a statement's text does not change with the list's
length and psycopg prepares it on the server after a few uses; on SQLite it
is one ``?`` per value (sqlite3 caches the prepared statement by its text).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

from seedwatch.state.failures import driver_cursor

Row = tuple[Any, ...]
# Values per list: well under SQLite's parameter limit (999 before 3.32).
CHUNK = 500


def postgres(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


@lru_cache(maxsize=256)
def _psycopg(sql: str) -> str:
    return sql.replace("?", "%s")


def fetch(conn: Connection, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    """The rows of ``sql`` (``?`` placeholders) run on ``conn``'s driver cursor."""
    if postgres(conn):
        sql = _psycopg(sql)
    with driver_cursor(conn) as cursor:
        cursor.execute(sql, tuple(params))
        return list(cursor.fetchall())


def among(conn: Connection, column: str, values: Sequence[Any], kind: str) -> tuple[str, list[Any]]:
    """The condition "``column`` is one of ``values``" and its parameters; ``kind``
    is the values' SQL type (``bigint``, ``text``). ``values`` must not be empty."""
    if postgres(conn):
        return f"{column} = ANY(?::{kind}[])", [list(values)]
    return f"{column} IN ({', '.join('?' * len(values))})", list(values)


def listed(conn: Connection, values: Sequence[Any], kind: str) -> tuple[str, list[Any]]:
    """``values`` as a table ``k`` of one column, ``column1``, and its parameters."""
    if postgres(conn):
        return f"unnest(?::{kind}[]) AS k(column1)", [list(values)]
    return f"(VALUES {', '.join(['(?)'] * len(values))}) AS k", list(values)


def chunks(values: Sequence[Any]) -> list[Sequence[Any]]:
    return [values[start : start + CHUNK] for start in range(0, len(values), CHUNK)]
