"""The state database's failures in words: which database, what failed, what to do.

A full disk, a read-only file or folder, a file-size limit or a server that
went away reach us as the driver's ``OperationalError``; ``state_error``
turns one into a ``StateError`` (one line naming the database, SQLite's
error name or PostgreSQL's SQLSTATE, and the remedy). Statements run on
the driver's own cursor (the hot path's reads, bulk inserts) fail the same
way through ``driver_errors``. Not a helper for plugins.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from seedwatch.errors import StateError
from seedwatch.redact import redact_text

# PostgreSQL: ``read_only_sql_transaction`` (a standby, default_transaction_read_only)
# is not an OperationalError in psycopg, but it is the same kind of failure.
_PG_READ_ONLY = "25006"


def is_state_failure(exc: BaseException) -> bool:
    """A failure of the database's environment (disk, permissions, server),
    not a bug of ours: worth one line and a retry, not a traceback."""
    if isinstance(exc, OperationalError):
        return True
    return isinstance(exc, DBAPIError) and _sqlstate(exc) == _PG_READ_ONLY


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def where(url: str) -> str:
    """The database as a user knows it: the SQLite file, or the redacted URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        return f"state database {Path(parsed.database).resolve()}"
    return f"state database {redact_text(parsed.render_as_string(hide_password=True))}"


def state_error(url: str, exc: BaseException, then: str = "") -> StateError:
    """``exc`` (a failure of the database at ``url``) as one actionable line."""
    orig = getattr(exc, "orig", None) or exc
    name = getattr(orig, "sqlite_errorname", None)
    code = name or (_sqlstate(exc) if isinstance(exc, DBAPIError) else None)
    reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    sqlite = make_url(url).get_backend_name() == "sqlite"
    if name and name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_PERM")):
        advice = (
            f"make the file and its folder writable by the user seedwatch runs as "
            f"(uid {os.geteuid()}): SQLite writes its -wal and -shm files next to it"
        )
    elif name and name.startswith(("SQLITE_FULL", "SQLITE_IOERR")):
        advice = "free space on its disk (or raise a file-size limit, ulimit -f); check the disk"
    elif code == _PG_READ_ONLY:
        advice = "the server accepts no writes (a standby?): point [state] url at the primary"
    elif code == "53100":
        advice = "the server's disk is full: free space there"
    elif sqlite:
        advice = "check the file, its folder's permissions and its disk"
    else:
        advice = "check that the server runs, accepts writes and has disk space"
    message = f"{where(url)}: {reason} [{code or type(orig).__name__}]: {advice}"
    return StateError(message + (f"; {then}" if then else ""))


@contextmanager
def driver_errors(conn: Connection) -> Iterator[None]:
    """Statements on ``conn``'s driver cursor fail as SQLAlchemy's own do.

    SQLAlchemy wraps its statements' driver errors in its own classes (an
    ``OperationalError`` for a server that went away: a state failure, one
    line and a retry) and invalidates a connection the server dropped, so the
    pool never hands it out again. Errors raised on the driver's cursor pass
    SQLAlchemy by: without this, a PostgreSQL restart reached the poll as the
    driver's own exception, and the dead connection went back to the pool.
    """
    dbapi_error = conn.dialect.loaded_dbapi.Error
    try:
        yield
    except dbapi_error as exc:
        gone = conn.dialect.is_disconnect(exc, conn.connection.dbapi_connection, None)
        if gone:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            None, None, exc, dbapi_error, connection_invalidated=gone, dialect=conn.dialect
        ) from exc


@contextmanager
def driver_cursor(conn: Connection) -> Iterator[Any]:
    """The DB-API cursor of ``conn`` (same transaction), closed after the block,
    its errors as SQLAlchemy's (``driver_errors``)."""
    with driver_errors(conn):
        cursor = conn.connection.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
