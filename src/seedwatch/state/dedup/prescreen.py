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

from sqlalchemy import Connection

from seedwatch.contracts import Verdict
from seedwatch.state.dedup import sql
from seedwatch.state.dedup.features import Candidate, with_signatures
from seedwatch.state.dedup.layers import (
    Layer,
    containment,
    exact,
    identity,
    near,
    title,
)
from seedwatch.state.dedup.settings import DedupSettings

NEW = Verdict(True, "new", "no layer matched")  # what judge says when no layer matches
# One lookup of the prescreen: (kind, s1, s2, n), typed NULLs (PostgreSQL
# would type a bare NULL of a UNION as text).
_ITEMS = "SELECT ?kind AS kind, {0} AS s1, {1} AS s2, CAST(NULL AS BIGINT) AS n FROM items WHERE "
_NULL = "CAST(NULL AS TEXT)"
# Paragraph keys and LSH buckets: which exist, not who holds them (a paragraph
# held by thousands of items is one index probe, not thousands of rows).
_NUMBERS = (
    "SELECT ?kind AS kind, CAST(NULL AS TEXT) AS s1, CAST(NULL AS TEXT) AS s2, "
    "k.column1 AS n FROM {{listed}} WHERE EXISTS (SELECT 1 FROM {1} WHERE {0} = k.column1)"
)


def _grouped(
    parts: Sequence[tuple[int, str, list[Any]]],
) -> Iterable[list[tuple[int, str, list[Any]]]]:
    """Lookups grouped so that each group binds at most ``sql.CHUNK`` values or
    is one lookup alone."""
    group: list[tuple[int, str, list[Any]]] = []
    held = 0
    for part in parts:
        size = part[0]
        if group and held + size > sql.CHUNK:
            yield group
            group, held = [], 0
        group.append(part)
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
        """Everything in one statement (a ``UNION ALL`` of one lookup per kind of
        value): on PostgreSQL whatever the batch's size (each list is one array
        parameter), on SQLite for up to ``sql.CHUNK`` values a statement."""
        wanted = set(self.layers)
        judged = [cand for cand in cands if cand.words >= self.settings.min_words]
        # kind, the SQL of its lookup given the condition, the values' type, values
        asked: list[tuple[str, str, str, list[Any]]] = []
        if identity in wanted:
            asked.append(("key", _ITEMS.format("key", _NULL), "text", [c.item.key for c in cands]))
            guids = [c.item.guid for c in cands if c.item.guid and c.item.source]
            asked.append(("guid", _ITEMS.format("source_id", "guid"), "text", guids))
            urls = [c.canonical_url for c in cands if c.canonical_url]
            asked.append(("url", _ITEMS.format("canonical_url", _NULL), "text", urls))
        if exact in wanted:
            fps = [c.fingerprint for c in judged]
            asked.append(("fp", _ITEMS.format("fingerprint", _NULL), "text", fps))
        if containment in wanted or near in wanted:
            units = [unit.key for c in judged for unit in c.units]
            asked.append(("unit", _NUMBERS.format("fp", "dedup_units"), "bigint", units))
        if near in wanted:
            with_signatures(judged)
            buckets = [bucket for c in judged for _band, bucket in c.bands]
            asked.append(("bucket", _NUMBERS.format("bucket", "dedup_bands"), "bigint", buckets))
        column = {"key": "key", "guid": "guid", "url": "canonical_url", "fp": "fingerprint"}
        parts: list[tuple[int, str, list[Any]]] = []
        for kind, query, type_, values in asked:
            distinct = sorted(set(values))
            pieces = [distinct] if sql.postgres(conn) else sql.chunks(distinct)
            for piece in pieces:
                if not piece:
                    continue
                if kind in ("unit", "bucket"):
                    table, params = sql.listed(conn, piece, type_)
                    text = query.replace("{listed}", table)
                else:
                    condition, params = sql.among(conn, column[kind], piece, type_)
                    text = query + condition
                size = 1 if sql.postgres(conn) else len(piece)
                parts.append((size, text.replace("?kind", f"'{kind}'"), params))
        for group in _grouped(parts):
            statement = " UNION ALL ".join(f"SELECT * FROM ({text}) AS q" for _n, text, _p in group)
            params = [value for _n, _t, values in group for value in values]
            for kind, s1, s2, n in sql.fetch(conn, statement, params):
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
