"""One look at the state for a whole admit batch: which items no layer can match.

Most items of a poll are new, and for a new item every layer asks the state
and finds nothing: five to eight queries an item. ``Prescreen`` asks once per
batch (its keys, guids, URLs, fingerprints, paragraph keys and LSH buckets,
each an ``IN`` query) and then tells, item by item, whether the layers could
find anything at all. An item that shares none of these with the state nor
with the items of the batch accepted before it is new, with the very
verdict ``judge`` gives when no layer matches; any other item goes through
``judge`` as before. The admit transaction holds its locks (PostgreSQL) or the
database (SQLite) from before these queries until its commit, so nothing
another writer records can slip in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from seedwatch.contracts import Verdict
from seedwatch.state.dedup.features import Candidate
from seedwatch.state.dedup.layers import (
    Layer,
    containment,
    exact,
    identity,
    near,
    title,
)
from seedwatch.state.dedup.settings import DedupSettings
from seedwatch.state.schema import dedup_bands, dedup_units, items

NEW = Verdict(True, "new", "no layer matched")  # what judge says when no layer matches
_CHUNK = 500  # values per IN (...): well under every database's parameter limit


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


class Prescreen:
    """What the state holds of one batch's candidates, and of the batch itself."""

    def __init__(
        self,
        conn: Connection,
        cands: Sequence[Candidate],
        settings: DedupSettings,
        layers: Sequence[Layer],
    ) -> None:
        self.settings = settings
        self.layers = tuple(layers)
        known = {identity, title, exact, containment, near}
        # Another layer (or a containment share of 0, which rejects on nothing
        # found) means every item goes through judge.
        self.enabled = all(layer in known for layer in layers) and settings.containment > 0
        self.keys: set[str] = set()
        self.guids: set[tuple[str, str]] = set()
        self.urls: set[str] = set()
        self.fingerprints: set[str] = set()
        self.units: set[int] = set()
        self.buckets: set[int] = set()
        if self.enabled and cands:
            self._load(conn, cands)

    def _select(self, conn: Connection, query: Any, values: Iterable[Any]) -> list[Any]:
        ordered = sorted(set(values))
        rows: list[Any] = []
        for chunk in _chunks(ordered):
            rows.extend(conn.execute(query(chunk)).all())
        return rows

    def _load(self, conn: Connection, cands: Sequence[Candidate]) -> None:
        wanted = set(self.layers)
        if identity in wanted:
            self.keys.update(
                r.key
                for r in self._select(
                    conn,
                    lambda c: select(items.c.key).where(items.c.key.in_(c)),
                    (cand.item.key for cand in cands),
                )
            )
            self.guids.update(
                (r.source_id, r.guid)
                for r in self._select(
                    conn,
                    lambda c: select(items.c.source_id, items.c.guid).where(items.c.guid.in_(c)),
                    (cand.item.guid for cand in cands if cand.item.guid and cand.item.source),
                )
            )
            self.urls.update(
                r.canonical_url
                for r in self._select(
                    conn,
                    lambda c: select(items.c.canonical_url).where(items.c.canonical_url.in_(c)),
                    (cand.canonical_url for cand in cands if cand.canonical_url),
                )
            )
        judged = [cand for cand in cands if cand.words >= self.settings.min_words]
        if exact in wanted:
            self.fingerprints.update(
                r.fingerprint
                for r in self._select(
                    conn,
                    lambda c: select(items.c.fingerprint).where(items.c.fingerprint.in_(c)),
                    (cand.fingerprint for cand in judged),
                )
            )
        if containment in wanted or near in wanted:
            self.units.update(
                r.fp
                for r in self._select(
                    conn,
                    lambda c: select(dedup_units.c.fp).where(dedup_units.c.fp.in_(c)).distinct(),
                    (unit.key for cand in judged for unit in cand.units),
                )
            )
        if near in wanted:
            self.buckets.update(
                r.bucket
                for r in self._select(
                    conn,
                    lambda c: (
                        select(dedup_bands.c.bucket).where(dedup_bands.c.bucket.in_(c)).distinct()
                    ),
                    (bucket for cand in judged for _band, bucket in cand.bands),
                )
            )

    def verdict(self, cand: Candidate) -> Verdict | None:
        """``NEW`` when no layer can match ``cand``; ``None``: ask ``judge``."""
        if not self.enabled:
            return None
        item = cand.item
        wanted = self.layers
        if identity in wanted:
            if item.key in self.keys:
                return None
            if item.guid and item.source and (item.source, item.guid) in self.guids:
                return None
            if cand.canonical_url and cand.canonical_url in self.urls:
                return None
        if title in wanted and self.settings.policy(item.source).match_titles:
            return None
        if cand.words < self.settings.min_words:
            return NEW  # layers 3-5 do not judge it
        if exact in wanted and cand.fingerprint in self.fingerprints:
            return None
        if (containment in wanted or near in wanted) and any(
            unit.key in self.units for unit in cand.units
        ):
            return None
        if near in wanted and any(bucket in self.buckets for _band, bucket in cand.bands):
            return None
        return NEW

    def recorded(self, cand: Candidate) -> None:
        """``cand`` was recorded: later items of the batch must meet it."""
        item = cand.item
        self.keys.add(item.key)
        if item.guid and item.source:
            self.guids.add((item.source, item.guid))
        if cand.canonical_url:
            self.urls.add(cand.canonical_url)
        self.fingerprints.add(cand.fingerprint)
        self.units.update(unit.key for unit in cand.units)
        self.buckets.update(bucket for _band, bucket in cand.bands)
