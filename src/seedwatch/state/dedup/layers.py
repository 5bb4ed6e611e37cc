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

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from seedwatch.contracts import Verdict
from seedwatch.state.dedup.features import Candidate, Unit, from_bytes, similarity
from seedwatch.state.dedup.settings import DedupSettings
from seedwatch.state.schema import dedup_bands, dedup_items, dedup_units, items

# An item "holds a whole corpus item" when every fingerprinted paragraph of
# that item is in it, verbatim: a quote keeps them all. Anything less (95%
# lets a one-paragraph edit of a long article pass as "old plus new text")
# falls back to the share rule.
WHOLE = 1.0
_CHUNK = 500  # values per IN (...): well under every database's parameter limit
_SHOWN = 3  # matched items named in a reason
# A paragraph held by more items than this is boilerplate ("This article first
# appeared on..."): it counts as found, but its holders are not fetched, so one
# check never reads thousands of rows.
COMMON_UNIT = 50
# LSH candidates verified per check, those sharing the most bands first: a
# template repeated thousands of times (bot commits) stays one bounded read.
MAX_CANDIDATES = 200


@dataclass(frozen=True, slots=True)
class Check:
    """What one layer found: a ``verdict`` that ends the judging, or ``None``
    with a ``note`` saying why the layer lets the item through."""

    layer: str
    verdict: Verdict | None
    note: str
    files: tuple[str, ...] = ()


Layer = Callable[[Connection, Candidate, DedupSettings], Check]


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


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
    clauses = [items.c.key == item.key]
    if item.guid and item.source:
        clauses.append(and_(items.c.source_id == item.source, items.c.guid == item.guid))
    if cand.canonical_url:
        clauses.append(items.c.canonical_url == cand.canonical_url)
    rows = conn.execute(
        select(
            items.c.key,
            items.c.source_id,
            items.c.guid,
            items.c.canonical_url,
            items.c.fingerprint,
            items.c.name,
        )
        .where(or_(*clauses))
        .order_by(items.c.id.desc())
    ).all()
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


def _too_short(layer: str, cand: Candidate, settings: DedupSettings) -> Check | None:
    if cand.words < settings.min_words:
        return Check(
            layer, None, f"not judged: {cand.words} words < min_words {settings.min_words}"
        )
    return None


def exact(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    if short := _too_short("exact", cand, settings):
        return short
    row = conn.execute(
        select(items.c.key, items.c.name).where(items.c.fingerprint == cand.fingerprint).limit(1)
    ).first()
    if row is None:
        return Check("exact", None, "no recorded item has this text")
    reason = f"same text as {row.key} ({row.name})"
    return Check("exact", Verdict(False, "exact", reason, (row.key,)), reason, (row.name,))


# -- containment ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Holder:
    """A recorded item some of the candidate's paragraphs were found in."""

    item_id: int
    key: str
    name: str
    total: int  # characters of its fingerprinted paragraphs
    matched: int  # how many of them the candidate holds
    rows: tuple[tuple[int, int, int, bool], ...]  # (fp, para, chars, whole)

    @property
    def held(self) -> float:
        return self.matched / self.total if self.total else 0.0


def _holders(conn: Connection, cand: Candidate) -> dict[int, Holder]:
    """Recorded items sharing units with the candidate (queried once per judgement);
    the keys of every unit found, common ones included, go to ``cand.memo["found"]``."""
    if "holders" in cand.memo:
        holders: dict[int, Holder] = cand.memo["holders"]
        return holders
    keys = sorted({u.key for u in cand.units})
    found: set[int] = set()
    rows_of: dict[int, list[Any]] = defaultdict(list)
    meta: dict[int, tuple[str, str, int]] = {}
    for chunk in _chunks(keys):
        counts = conn.execute(
            select(dedup_units.c.fp, func.count())
            .where(dedup_units.c.fp.in_(chunk))
            .group_by(dedup_units.c.fp)
        ).all()
        found.update(fp for fp, _n in counts)
        rare = [fp for fp, n in counts if n <= COMMON_UNIT]
        if not rare:
            continue
        for row in conn.execute(
            select(
                dedup_units.c.item_id,
                dedup_units.c.fp,
                dedup_units.c.para,
                dedup_units.c.chars,
                dedup_units.c.whole,
                items.c.key,
                items.c.name,
                dedup_items.c.unit_chars,
            )
            .join(items, items.c.id == dedup_units.c.item_id)
            .join(dedup_items, dedup_items.c.item_id == dedup_units.c.item_id)
            .where(dedup_units.c.fp.in_(rare))
        ):
            rows_of[row.item_id].append((row.fp, row.para, row.chars, bool(row.whole)))
            meta[row.item_id] = (row.key, row.name, row.unit_chars)
    holders = {}
    for item_id, rows in rows_of.items():
        key, name, total = meta[item_id]
        holders[item_id] = Holder(item_id, key, name, total, _held_chars(rows), tuple(rows))
    cand.memo["holders"] = holders
    cand.memo["found"] = found
    return holders


def _held_chars(rows: Iterable[tuple[int, int, int, bool]]) -> int:
    """Characters of a recorded item found in the candidate: a paragraph found
    whole counts fully, otherwise the lines of it that were found."""
    whole: dict[int, int] = {}
    lines: dict[int, int] = defaultdict(int)
    for _fp, para, chars, is_whole in rows:
        if is_whole:
            whole[para] = chars
        else:
            lines[para] += chars
    return sum(whole.values()) + sum(c for p, c in lines.items() if p not in whole)


@dataclass(frozen=True, slots=True)
class Coverage:
    covered: int  # characters of the candidate's paragraphs found
    total: int
    novel_words: int  # words of its fingerprinted text found nowhere

    @property
    def share(self) -> float:
        return self.covered / self.total if self.total else 0.0


def coverage(units: Sequence[Unit], found: set[int]) -> Coverage:
    """How much of a text (its ``units``) the unit keys ``found`` cover."""
    by_para: dict[int, list[Unit]] = defaultdict(list)
    for unit in units:
        by_para[unit.para].append(unit)
    covered = total = novel = 0
    for group in by_para.values():
        whole = next(u for u in group if u.whole)
        lines = [u for u in group if not u.whole]
        total += whole.chars
        if whole.key in found:
            covered += whole.chars
        elif lines:
            covered += sum(u.chars for u in lines if u.key in found)
            novel += sum(u.words for u in lines if u.key not in found)
        else:
            novel += whole.words
    return Coverage(covered, total, novel)


def _overall(conn: Connection, cand: Candidate) -> Coverage:
    _holders(conn, cand)
    found: set[int] = cand.memo["found"]
    return coverage(cand.units, found)


def _whole_holder(
    holders: Iterable[Holder], cov: Coverage, settings: DedupSettings
) -> Holder | None:
    """A recorded item the candidate holds whole, when the candidate also has
    ``novel_words`` words found nowhere in the corpus: old text plus new text is new."""
    if cov.novel_words < settings.novel_words:
        return None
    return next((h for h in holders if h.held >= WHOLE), None)


def _names(holders: Sequence[Holder]) -> str:
    if not holders:
        return f"paragraphs that more than {COMMON_UNIT} items each hold"
    shown = ", ".join(f"{h.key} ({h.name})" for h in holders[:_SHOWN])
    more = len(holders) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def containment(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    if short := _too_short("containment", cand, settings):
        return short
    if not cand.units:
        return Check("containment", None, "no paragraph long enough to fingerprint")
    holders = _holders(conn, cand)
    cov = _overall(conn, cand)
    ranked = sorted(holders.values(), key=lambda h: -h.matched)
    files = tuple(h.name for h in ranked)
    found = f"{cov.share:.0%} of the text ({cov.covered} of {cov.total} characters)"
    if cov.share < settings.containment:
        where = f" in {_names(ranked)}" if ranked else ""
        return Check(
            "containment",
            None,
            f"{found} is in the corpus{where}; below {settings.containment:.0%}",
            files,
        )
    whole = _whole_holder(ranked, cov, settings)
    if whole is not None:
        return Check(
            "containment",
            None,
            f"{found} is in the corpus, but the item holds all of {whole.key} "
            f"({whole.name}) plus {cov.novel_words} words found nowhere else",
            files,
        )
    reason = f"{found} is already in the corpus: {_names(ranked)}"
    verdict = Verdict(False, "containment", reason, tuple(h.key for h in ranked[:_SHOWN]))
    return Check("containment", verdict, reason, files)


# -- near duplicates ----------------------------------------------------------


def near(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    if short := _too_short("near", cand, settings):
        return short
    sig = cand.signature
    if sig is None:
        return Check("near", None, "no words to compare")
    buckets = [bucket for _band, bucket in cand.bands]
    hits = func.count().label("hits")
    ids = list(
        conn.execute(
            select(dedup_bands.c.item_id, hits)
            .where(dedup_bands.c.bucket.in_(buckets))
            .group_by(dedup_bands.c.item_id)
            .order_by(hits.desc(), dedup_bands.c.item_id.desc())
            .limit(MAX_CANDIDATES)
        ).scalars()
    )
    if not ids:
        return Check("near", None, "no LSH band in common with any recorded item")
    scored = []
    for chunk in _chunks(ids):
        for row in conn.execute(
            select(dedup_items.c.item_id, dedup_items.c.signature, items.c.key, items.c.name)
            .join(items, items.c.id == dedup_items.c.item_id)
            .where(dedup_items.c.item_id.in_(chunk), dedup_items.c.signature.is_not(None))
        ):
            other = from_bytes(row.signature)
            if len(other) == len(sig):
                scored.append((similarity(sig, other), row))
    scored.sort(key=lambda pair: -pair[0])
    best = f"{scored[0][0]:.2f} with {scored[0][1].key} ({scored[0][1].name})" if scored else "-"
    close = [(score, row) for score, row in scored if score >= settings.near]
    if not close:
        return Check(
            "near",
            None,
            f"{len(ids)} LSH candidate(s), best estimated Jaccard {best}; "
            f"below {settings.near:.2f}",
            tuple(row.name for _s, row in scored[:_SHOWN]),
        )
    holders = _holders(conn, cand)
    cov = _overall(conn, cand)
    for score, row in close:
        holder = holders.get(row.item_id)
        if holder is None or _whole_holder([holder], cov, settings) is None:
            reason = f"estimated Jaccard {score:.2f} with {row.key} ({row.name})"
            verdict = Verdict(False, "near", reason, (row.key,))
            return Check("near", verdict, reason, (row.name,))
    return Check(
        "near",
        None,
        f"estimated Jaccard {best}, but the item holds all of it plus "
        f"{cov.novel_words} words found nowhere else",
        tuple(row.name for _s, row in close[:_SHOWN]),
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
