"""Items dropped by filter rules, counted by rule in the state's ``counters`` table.

The de-duplication layers count their rejections inside ``Store.admit``;
filtered items never get there, so a poll's drops (``PollResult.filtered``)
are added here once the poll is recorded. ``seedwatch status`` and
``seedwatch explain`` read them back.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from seedwatch.state.schema import counters
from seedwatch.state.store import Store

PREFIX = "filtered:"
_MAX = 64  # the counters table's name column


def add(store: Store, counts: Mapping[str, int]) -> None:
    try:
        _add(store, counts)
    except IntegrityError:  # another node inserted the same new row first: add to it
        _add(store, counts)


def _add(store: Store, counts: Mapping[str, int]) -> None:
    with store.engine.begin() as conn:
        # In name order, like the layers' counts: concurrent writers lock the
        # rows in one order and cannot deadlock on them (PostgreSQL).
        for key in sorted(counts):
            name = (PREFIX + key)[:_MAX]
            changed = conn.execute(
                update(counters)
                .where(counters.c.name == name)
                .values(value=counters.c.value + counts[key])
            ).rowcount
            if not changed:
                conn.execute(insert(counters).values(name=name, value=counts[key]))


def read(store: Store) -> dict[str, int]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(counters.c.name, counters.c.value).where(counters.c.name.like(PREFIX + "%"))
        )
        return {str(name).removeprefix(PREFIX): int(value) for name, value in rows}
