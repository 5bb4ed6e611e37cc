"""De-duplication layers, cheapest first; each gives a Verdict with its reason.

1. identity: same key; same source + guid (a changed text there is a
   revision); same canonical URL;
2. exact content: same fingerprint of the normalised text.
Content layers apply only to texts of at least ``min_words`` words, so a feed
whose every item reads "Comments" does not collapse into one item. Further
layers (containment, near duplicates) plug in as more ``Layer`` functions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, and_, or_, select

from seedwatch.contracts import Verdict
from seedwatch.models import Item
from seedwatch.state.schema import items
from seedwatch.text import fingerprint_hex, word_count
from seedwatch.urls import canonical_url


@dataclass(frozen=True, slots=True)
class DedupSettings:
    min_words: int = 25
    revisions: str = "skip"  # "skip" | "new-version"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An item with what the layers compare, computed once."""

    item: Item
    fingerprint: str
    canonical_url: str | None
    words: int

    @classmethod
    def of(cls, item: Item) -> Candidate:
        return cls(item, fingerprint_hex(item.text), canonical_url(item.url), word_count(item.text))


Layer = Callable[[Connection, Candidate, DedupSettings], Verdict | None]


def identity(conn: Connection, cand: Candidate, settings: DedupSettings) -> Verdict | None:
    item = cand.item
    clauses = [items.c.key == item.key]
    if item.guid and item.source:
        clauses.append(and_(items.c.source_id == item.source, items.c.guid == item.guid))
    if cand.canonical_url:
        clauses.append(items.c.canonical_url == cand.canonical_url)
    rows = conn.execute(
        select(items.c.key, items.c.source_id, items.c.guid, items.c.fingerprint, items.c.name)
        .where(or_(*clauses))
        .order_by(items.c.id.desc())
    ).all()
    if not rows:
        return None
    same_text = [r for r in rows if r.fingerprint == cand.fingerprint]
    if same_text:
        row = same_text[0]
        return Verdict(False, "identity", f"already in the corpus as {row.name}", (row.key,))
    row = rows[0]
    same_entry = row.key == item.key or (
        item.guid is not None and row.source_id == item.source and row.guid == item.guid
    )
    if same_entry and settings.revisions == "new-version":
        return Verdict(
            True,
            "revision",
            f"changed text of {row.key} ({row.name}): written as a new version",
            (row.key,),
            revision_of=row.key,
        )
    if same_entry:
        return Verdict(
            False,
            "revision",
            f"changed text of {row.key} ({row.name}); revisions policy is 'skip'",
            (row.key,),
        )
    return Verdict(False, "identity", f"same URL as {row.key} ({row.name})", (row.key,))


def exact(conn: Connection, cand: Candidate, settings: DedupSettings) -> Verdict | None:
    if cand.words < settings.min_words:
        return None
    row = conn.execute(
        select(items.c.key, items.c.name).where(items.c.fingerprint == cand.fingerprint).limit(1)
    ).first()
    if row is None:
        return None
    return Verdict(False, "exact", f"same text as {row.key} ({row.name})", (row.key,))


DEFAULT_LAYERS: tuple[Layer, ...] = (identity, exact)


def judge(
    conn: Connection,
    cand: Candidate,
    settings: DedupSettings,
    layers: Sequence[Layer] = DEFAULT_LAYERS,
) -> Verdict:
    """Run the layers in order; the first verdict wins, an accepting one included
    (a revision to write). No verdict from any layer: the item is new."""
    for layer in layers:
        verdict = layer(conn, cand, settings)
        if verdict is not None:
            return verdict
    return Verdict(True, "new", "no layer matched")
