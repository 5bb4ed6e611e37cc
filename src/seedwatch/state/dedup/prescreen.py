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

from sqlalchemy import BigInteger, Connection, String, cast, literal, null, select, union_all

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


def _grouped(parts: Sequence[tuple[int, Any]]) -> Iterable[list[Any]]:
    """Queries grouped so that each group binds at most ``_CHUNK`` values or is
    one query alone."""
    group: list[Any] = []
    held = 0
    for size, query in parts:
        if group and held + size > _CHUNK:
            yield group
            group, held = [], 0
        group.append(query)
        held += size
    if group:
        yield group


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

    def _load(self, conn: Connection, cands: Sequence[Candidate]) -> None:
        """Everything in one query (a ``UNION ALL`` of one ``IN`` per kind of value)
        for a small batch; a few for a large one: one round trip, not six."""
        wanted = set(self.layers)
        judged = [cand for cand in cands if cand.words >= self.settings.min_words]
        asked: list[tuple[str, Any, Any, Any, list[Any]]] = []  # kind, s1, s2, n columns, values
        if identity in wanted:
            asked.append(("key", items.c.key, None, None, [c.item.key for c in cands]))
            guids = [c.item.guid for c in cands if c.item.guid and c.item.source]
            asked.append(("guid", items.c.source_id, items.c.guid, None, guids))
            urls = [c.canonical_url for c in cands if c.canonical_url]
            asked.append(("url", items.c.canonical_url, None, None, urls))
        if exact in wanted:
            asked.append(("fp", items.c.fingerprint, None, None, [c.fingerprint for c in judged]))
        if containment in wanted or near in wanted:
            units = [unit.key for c in judged for unit in c.units]
            asked.append(("unit", None, None, dedup_units.c.fp, units))
        if near in wanted:
            buckets = [bucket for c in judged for _band, bucket in c.bands]
            asked.append(("bucket", None, None, dedup_bands.c.bucket, buckets))
        parts: list[tuple[int, Any]] = []
        for kind, s1, s2, n, values in asked:
            column = {"guid": items.c.guid}.get(kind, s1 if s1 is not None else n)
            for chunk in _chunks(sorted(set(values))):
                query = select(
                    literal(kind).label("kind"),
                    # Typed NULLs: PostgreSQL types a bare NULL of a UNION as text.
                    (s1 if s1 is not None else cast(null(), String)).label("s1"),
                    (s2 if s2 is not None else cast(null(), String)).label("s2"),
                    (n if n is not None else cast(null(), BigInteger)).label("n"),
                ).where(column.in_(chunk))
                parts.append((len(chunk), query.distinct() if n is not None else query))
        for group in _grouped(parts):
            statement: Any = group[0] if len(group) == 1 else union_all(*group)
            for kind, s1, s2, n in conn.execute(statement):
                if kind == "key":
                    self.keys.add(s1)
                elif kind == "guid":
                    self.guids.add((s1, s2))
                elif kind == "url":
                    self.urls.add(s1)
                elif kind == "fp":
                    self.fingerprints.add(s1)
                elif kind == "unit":
                    self.units.add(int(n))
                else:
                    self.buckets.add(int(n))

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
