"""The de-duplication index in the state database: writing it, and its shape.

``record`` stores, for items just recorded in ``items``, what the content
layers look up later: paragraph units, the MinHash signature and its LSH
band buckets, the title key. Everything lives in the database (SQLite or
PostgreSQL), so a daemon's memory does not grow with the corpus.
``layout`` reads the MinHash/LSH shape the state was created with (or fixes
it on first use); ``count_rejection`` keeps the per-layer rejection counts
that ``seedwatch status`` shows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from seedwatch.errors import ConfigError
from seedwatch.state.bulk import insert_rows
from seedwatch.state.dedup.features import Candidate, Layout, to_bytes, with_signatures
from seedwatch.state.dedup.settings import DedupSettings
from seedwatch.state.schema import counters, dedup_bands, dedup_items, dedup_params, dedup_units

REJECTED = "rejected."
# Counters created by the migration, so that concurrent nodes only ever UPDATE them.
LAYER_NAMES = ("identity", "title", "revision", "exact", "containment", "near")
_PARAMS = ("num_perm", "bands", "rows", "shingle")


def layout(conn: Connection, settings: DedupSettings) -> Layout:
    """The state's MinHash/LSH shape; fixed from ``settings`` on first use.

    A state keeps the shape it was created with: its signatures and band
    buckets depend on it. ``ConfigError`` when the settings ask for another.
    """
    stored = dict(conn.execute(select(dedup_params.c.name, dedup_params.c.value)).all())
    if not stored:
        chosen = Layout.choose(settings.num_perm, settings.shingle, settings.near, settings.bands)
        conn.execute(
            insert(dedup_params),
            [{"name": name, "value": getattr(chosen, name)} for name in _PARAMS],
        )
        return chosen
    have = Layout(**{name: int(stored[name]) for name in _PARAMS})
    wanted = {"num_perm": settings.num_perm, "shingle": settings.shingle}
    if settings.bands is not None:
        wanted["bands"] = settings.bands
    for name, value in wanted.items():
        if getattr(have, name) != value:
            raise ConfigError(
                f"[dedup] {name} = {value}, but this state was built with "
                f"{name} = {getattr(have, name)} and its signatures depend on it; "
                f"set it back, or start a new state and re-index the corpus"
            )
    return have


def record(conn: Connection, entries: Sequence[tuple[int, Candidate]]) -> None:
    """Store the index rows of freshly recorded items (``items.id``, candidate)."""
    item_rows: list[tuple[Any, ...]] = []
    unit_rows: list[tuple[int, int, int, int, bool]] = []
    band_rows: list[tuple[int, int, int]] = []
    with_signatures(cand for _, cand in entries)
    for item_id, cand in entries:
        seen: set[int] = set()
        whole_chars = 0
        for unit in cand.units:
            if unit.whole:
                whole_chars += unit.chars
            if unit.key in seen:
                continue
            seen.add(unit.key)
            unit_rows.append((item_id, unit.key, unit.para, unit.chars, unit.whole))
        sig = cand.signature
        item_rows.append(
            (
                item_id,
                whole_chars,
                to_bytes(sig) if sig is not None else None,
                cand.site,
                cand.title_key,
                cand.moment,
            )
        )
        band_rows.extend((item_id, band, bucket) for band, bucket in cand.bands)
    # A few statements for the whole batch, straight to the driver: the band
    # rows alone are some twenty an item (``state.bulk``).
    insert_rows(conn, dedup_items, _ITEM_COLUMNS, item_rows)
    insert_rows(conn, dedup_units, ("item_id", "fp", "para", "chars", "whole"), unit_rows)
    insert_rows(conn, dedup_bands, ("item_id", "band", "bucket"), band_rows)


_ITEM_COLUMNS = ("item_id", "unit_chars", "signature", "site", "title_key", "published")


def count_rejection(conn: Connection, layer: str) -> None:
    name = REJECTED + layer
    changed = conn.execute(
        update(counters).where(counters.c.name == name).values(value=counters.c.value + 1)
    ).rowcount
    if not changed:
        conn.execute(insert(counters).values(name=name, value=1))


def rejection_counts(conn: Connection) -> dict[str, int]:
    """Items rejected so far, by the layer that rejected them."""
    rows = conn.execute(
        select(counters.c.name, counters.c.value).where(counters.c.name.like(REJECTED + "%"))
    )
    return {str(name).removeprefix(REJECTED): int(value) for name, value in rows}
