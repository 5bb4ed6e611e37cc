"""The rows the store writes for items: an item's row (its identity and
fingerprints), a batch of them inserted in one statement, and an accepted
item of an admit batch waiting to be recorded.

Not public: a helper of ``seedwatch.state.store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from seedwatch.contracts import Verdict
from seedwatch.models import Item
from seedwatch.state.dedup import Candidate
from seedwatch.state.schema import items


@dataclass(frozen=True, slots=True)
class Waiting:
    """An accepted item of an admit batch not recorded yet; ``index`` is its
    place in the batch's outcomes."""

    index: int
    item: Item
    fetched: datetime
    cand: Candidate
    verdict: Verdict
    rendered: str


def item_row(
    cand: Candidate, seq: int, name: str, status: str, created: datetime, **extra: Any
) -> dict[str, Any]:
    """An item's row: its identity and fingerprints."""
    item = cand.item
    return {
        "key": item.key,
        "source_id": item.source,
        "guid": item.guid,
        "canonical_url": cand.canonical_url,
        "fingerprint": cand.fingerprint,
        "words": cand.words,
        "title": item.title,
        "seq": seq,
        "name": name,
        "status": status,
        "parser": item.parser,
        "created": created,
        **extra,
    }


def insert_items(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[int]:
    """Insert item rows in one statement; their ids, in the rows' order."""
    if len(rows) == 1:
        return [
            int(conn.execute(insert(items).values(**rows[0]).returning(items.c.id)).scalar_one())
        ]
    result = conn.execute(insert(items).returning(items.c.id, sort_by_parameter_order=True), rows)
    return [int(item_id) for item_id in result.scalars()]
