"""The rows the store writes for items: an item's row (its identity and
fingerprints), a batch of them inserted in one statement with their ids, and an accepted
item of an admit batch waiting to be recorded.

Not public: a helper of ``seedwatch.state.store``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from seedwatch.contracts import Verdict
from seedwatch.models import Item
from seedwatch.state.bulk import insert_dicts
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


def insert_items(conn: Connection, ids: Sequence[int], rows: Sequence[dict[str, Any]]) -> None:
    """Insert item rows (all with the same keys) with their ``ids`` in one
    ``executemany`` (``state.bulk``)."""
    with_ids = [{"id": item_id, **row} for item_id, row in zip(ids, rows, strict=True)]
    insert_dicts(conn, items, with_ids)
