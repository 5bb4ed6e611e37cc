"""The dialect interface: what the store asks of its database beyond plain SQL.

``Store`` speaks SQLAlchemy Core to SQLite and PostgreSQL alike; the few
things the two do differently go through a ``Dialect``: serialising schema
upgrades, the mutex across nodes, the locks of an admit transaction, and the
corpus sequence numbers. ``state.sqlite`` (one process owns the file) and
``state.postgres`` (several nodes share the database) implement it; they
import the schema and nothing above it, and the store picks one by the URL
(``parse_url``: the one reading of a state URL).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from seedwatch.errors import ConfigError
from seedwatch.models import Item

if TYPE_CHECKING:
    from seedwatch.state.dedup.features import Candidate

# One item of an admit batch: the item, when it was fetched, its dedup features.
Entry = tuple[Item, datetime, "Candidate"]
# A batch split into transactions, each with the lock keys it takes first.
Plan = list[tuple[list[Entry], list[int]]]


def parse_url(url: str) -> URL:
    """A state URL, parsed; ``postgres://`` (as Heroku and others write it) is
    ``postgresql://``."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    try:
        return make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"state url {url!r}: not a database URL; use sqlite:///path/to/state.db "
            f"or postgresql://user@host/db"
        ) from None


class Dialect(Protocol):
    """What differs between the state's databases, as the store calls it."""

    engine: Engine
    # Several nodes may share this state (the dedup shape is then fixed at
    # migration time, under the migration lock).
    shared: bool

    def lock_migrations(self, conn: Connection) -> None:
        """Make nodes starting together upgrade the schema one at a time."""

    def check_writable(self, conn: Connection) -> None:
        """Fail (the driver's error) if the database would refuse this process's
        writes, though it answers reads (a read-only file)."""

    def exclusive(self, name: str) -> AbstractContextManager[None]:
        """A mutex named ``name`` across every process sharing this state."""

    def plan_admission(
        self, conn: Connection, entries: Sequence[Entry], *, skip_known: bool
    ) -> Plan:
        """Split an admit batch into transactions and the keys each locks; any
        reading is done on the driver's cursor of ``conn``, before its first
        transaction begins (so in it, on PostgreSQL)."""

    def pipeline(self, conn: Connection) -> AbstractContextManager[object]:
        """A block whose statements on the driver's cursor, results unread, go
        to the server together (PostgreSQL: one round trip for a transaction's
        locks and its first read, or for a batch's inserts); elsewhere nothing."""

    def begin_admission(self, conn: Connection, keys: Sequence[int]) -> None:
        """Take an admit transaction's locks before it judges anything (one
        statement on the driver's cursor, its result not read)."""

    def reserve_item_ids(self, conn: Connection, count: int) -> list[int]:
        """``count`` new ``items.id`` values, inside the transaction that inserts
        them (rows are inserted with their ids: no ``RETURNING`` a row)."""

    def reserve_records(self, conn: Connection, count: int) -> tuple[list[int], list[int]]:
        """For ``count`` accepted items, inside the admit transaction: the next
        ``count`` corpus sequence numbers, ascending, and ``reserve_item_ids``."""

    def peek_seq(self, conn: Connection) -> int:
        """The sequence number the next ``reserve_records`` would give first."""

    def ensure_seq_at_least(self, conn: Connection, value: int) -> None:
        """Make ``reserve_records`` hand out no sequence number below ``value``."""
