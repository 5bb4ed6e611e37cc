"""De-duplication layers, cheapest first; each says what it found and why.

1. identity: same key; same source + guid; same canonical URL. Changed text
   under the same key, guid, or (same source) URL is a revision: the
   source's policy skips it or writes it as a new version;
2. title (sources with ``match_titles``): same title on the same site
   within a short window, for feeds whose guids are unstable;
3. exact: same fingerprint of the normalised text;
4. containment: most of the text (by characters) already in the corpus,
   paragraph by paragraph, unless the item holds a whole corpus item plus
   text of its own (a reply under a full quote);
5. near: MinHash/LSH over word shingles, candidates verified against their
   stored signatures before rejecting.
Layers 3 to 5 judge only texts of at least ``min_words`` words, so a feed
whose every item reads "Comments" does not collapse into one item.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, select

from seedwatch.contracts import Verdict
from seedwatch.state.dedup import sql
from seedwatch.state.dedup.check import SHOWN, Check, Layer, too_short
from seedwatch.state.dedup.containment import (
    COMMON_UNIT,
    containment,
    holders_of,
    overall,
    whole_holder,
)
from seedwatch.state.dedup.features import Candidate, from_bytes, similarity
from seedwatch.state.dedup.settings import DedupSettings
from seedwatch.state.schema import dedup_items, items

__all__ = ["COMMON_UNIT", "DEFAULT_LAYERS", "Check", "Layer", "containment", "examine", "judge"]


class Known(NamedTuple):
    """A recorded item met through its key, guid or URL."""

    key: str
    source_id: str | None
    guid: str | None
    canonical_url: str | None
    fingerprint: str
    name: str


class Named(NamedTuple):
    key: str
    name: str


class Recorded(NamedTuple):
    item_id: int
    key: str
    name: str


# LSH candidates verified per check, those sharing the most bands first: a
# template repeated thousands of times (bot commits) stays one bounded read.
MAX_CANDIDATES = 200


def _revision(layer: str, row: Any, how: str, cand: Candidate, settings: DedupSettings) -> Check:
    policy = settings.revisions_for(cand.item.source)
    if policy == "new-version":
        verdict = Verdict(
            True,
            "revision",
            f"changed text {how} {row.key} ({row.name}): written as a new version",
            (row.key,),
            revision_of=row.key,
        )
    else:
        verdict = Verdict(
            False,
            "revision",
            f"changed text {how} {row.key} ({row.name}); revisions policy is 'skip'",
            (row.key,),
        )
    return Check(layer, verdict, verdict.reason, (row.name,))


def identity(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    item = cand.item
    where, params = ["key = ?"], [item.key]
    if item.guid and item.source:
        where.append("(source_id = ? AND guid = ?)")
        params += [item.source, item.guid]
    if cand.canonical_url:
        where.append("canonical_url = ?")
        params.append(cand.canonical_url)
    rows = [
        Known(*row)
        for row in sql.fetch(
            conn,
            "SELECT key, source_id, guid, canonical_url, fingerprint, name FROM items "
            f"WHERE {' OR '.join(where)} ORDER BY id DESC",
            params,
        )
    ]
    if not rows:
        return Check("identity", None, "no recorded item has this key, guid or URL")
    for row in rows:
        if row.fingerprint == cand.fingerprint:
            reason = f"already in the corpus as {row.key} ({row.name})"
            return Check(
                "identity", Verdict(False, "identity", reason, (row.key,)), reason, (row.name,)
            )
    for row in rows:
        if row.key == item.key:
            return _revision("identity", row, "under the same key as", cand, settings)
        if item.guid and row.source_id == item.source and row.guid == item.guid:
            return _revision("identity", row, "under the same guid as", cand, settings)
        if row.canonical_url == cand.canonical_url and row.source_id == item.source:
            return _revision("identity", row, "at the same URL as", cand, settings)
    # The same URL reached through another source (a feed and a FreshRSS page
    # of it): the same article, extracted differently; not a revision.
    row = rows[0]
    reason = f"same URL as {row.key} ({row.name}) from source {row.source_id or '-'}"
    return Check("identity", Verdict(False, "identity", reason, (row.key,)), reason, (row.name,))


def title(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    policy = settings.policy(cand.item.source)
    if not policy.match_titles:
        return Check("title", None, "not asked: the source does not set match_titles")
    if cand.title_key is None or cand.site is None:
        return Check("title", None, "the item has no title or no site")
    moment = cand.moment or datetime.now(UTC)
    rows = conn.execute(
        select(items.c.key, items.c.name, items.c.fingerprint)
        .join(dedup_items, dedup_items.c.item_id == items.c.id)
        .where(
            dedup_items.c.title_key == cand.title_key,
            dedup_items.c.site == cand.site,
            dedup_items.c.published >= moment - policy.title_window,
            dedup_items.c.published <= moment + policy.title_window,
        )
        .order_by(items.c.id.desc())
    ).all()
    if not rows:
        return Check(
            "title", None, f"no item with this title on {cand.site} within {policy.title_window}"
        )
    for row in rows:
        if row.fingerprint == cand.fingerprint:
            reason = f"same title and text as {row.key} ({row.name}) on {cand.site}"
            return Check("title", Verdict(False, "title", reason, (row.key,)), reason, (row.name,))
    return _revision("title", rows[0], "under the same title as", cand, settings)


def exact(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    if short := too_short("exact", cand, settings):
        return short
    found = sql.fetch(
        conn, "SELECT key, name FROM items WHERE fingerprint = ? LIMIT 1", [cand.fingerprint]
    )
    if not found:
        return Check("exact", None, "no recorded item has this text")
    row = Named(*found[0])
    reason = f"same text as {row.key} ({row.name})"
    return Check("exact", Verdict(False, "exact", reason, (row.key,)), reason, (row.name,))


# -- near duplicates ----------------------------------------------------------


def near(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    if short := too_short("near", cand, settings):
        return short
    sig = cand.signature
    if sig is None:
        return Check("near", None, "no words to compare")
    buckets = sorted({bucket for _band, bucket in cand.bands})
    condition, params = sql.among(conn, "bucket", buckets, "bigint")
    # The candidates sharing the most bands, then each one's signature: one
    # statement; by item id, the order the signatures were read in before.
    found = sql.fetch(
        conn,
        "SELECT c.item_id, d.signature, i.key, i.name FROM ("
        f"SELECT item_id, count(*) AS hits FROM dedup_bands WHERE {condition} "
        f"GROUP BY item_id ORDER BY hits DESC, item_id DESC LIMIT {MAX_CANDIDATES}"
        ") c LEFT JOIN dedup_items d ON d.item_id = c.item_id "
        "LEFT JOIN items i ON i.id = c.item_id ORDER BY c.item_id",
        params,
    )
    if not found:
        return Check("near", None, "no LSH band in common with any recorded item")
    ids = [row[0] for row in found]
    scored = []
    for item_id, stored, key, name in found:
        if stored is None or key is None:
            continue
        other = from_bytes(stored)
        if len(other) == len(sig):
            scored.append((similarity(sig, other), Recorded(item_id, key, name)))
    scored.sort(key=lambda pair: -pair[0])
    best = f"{scored[0][0]:.2f} with {scored[0][1].key} ({scored[0][1].name})" if scored else "-"
    close = [(score, row) for score, row in scored if score >= settings.near]
    if not close:
        return Check(
            "near",
            None,
            f"{len(ids)} LSH candidate(s), best estimated Jaccard {best}; "
            f"below {settings.near:.2f}",
            tuple(row.name for _s, row in scored[:SHOWN]),
        )
    holders = holders_of(conn, cand)
    cov = overall(conn, cand)
    for score, row in close:
        holder = holders.get(row.item_id)
        if holder is None or whole_holder([holder], cov, settings) is None:
            reason = f"estimated Jaccard {score:.2f} with {row.key} ({row.name})"
            verdict = Verdict(False, "near", reason, (row.key,))
            return Check("near", verdict, reason, (row.name,))
    return Check(
        "near",
        None,
        f"estimated Jaccard {best}, but the item holds all of it plus "
        f"{cov.novel_words} words found nowhere else",
        tuple(row.name for _s, row in close[:SHOWN]),
    )


DEFAULT_LAYERS: tuple[Layer, ...] = (identity, title, exact, containment, near)


def judge(
    conn: Connection,
    cand: Candidate,
    settings: DedupSettings,
    layers: Sequence[Layer] = DEFAULT_LAYERS,
) -> Verdict:
    """Run the layers in order; the first verdict wins, an accepting one included
    (a revision to write). No verdict from any layer: the item is new."""
    for layer in layers:
        check = layer(conn, cand, settings)
        if check.verdict is not None:
            return check.verdict
    return Verdict(True, "new", "no layer matched")


def examine(
    conn: Connection,
    cand: Candidate,
    settings: DedupSettings,
    layers: Sequence[Layer] = DEFAULT_LAYERS,
) -> list[Check]:
    """Every layer's finding, even after one has decided (for ``dedup explain``)."""
    return [layer(conn, cand, settings) for layer in layers]
