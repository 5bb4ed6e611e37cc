"""The containment layer: most of an item's text (by characters) already in
the corpus, paragraph by paragraph, unless the item holds a whole corpus
item plus text of its own (a reply under a full quote). ``holders_of``,
``overall`` and ``whole_holder`` serve the near-duplicate layer too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from seedwatch.contracts import Verdict
from seedwatch.state.dedup.check import SHOWN, Check, chunks, too_short
from seedwatch.state.dedup.features import Candidate, Unit
from seedwatch.state.dedup.settings import DedupSettings
from seedwatch.state.schema import dedup_items, dedup_units, items

# An item "holds a whole corpus item" when every fingerprinted paragraph of
# that item is in it, verbatim: a quote keeps them all. Anything less (95%
# lets a one-paragraph edit of a long article pass as "old plus new text")
# falls back to the share rule.
WHOLE = 1.0
# A paragraph held by more items than this is boilerplate ("This article first
# appeared on..."): it counts as found, but its holders are not fetched, so one
# check never reads thousands of rows.
COMMON_UNIT = 50


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


def holders_of(conn: Connection, cand: Candidate) -> dict[int, Holder]:
    """Recorded items sharing units with the candidate (queried once per judgement);
    the keys of every unit found, common ones included, go to ``cand.memo["found"]``."""
    if "holders" in cand.memo:
        holders: dict[int, Holder] = cand.memo["holders"]
        return holders
    keys = sorted({u.key for u in cand.units})
    found: set[int] = set()
    rows_of: dict[int, list[Any]] = defaultdict(list)
    meta: dict[int, tuple[str, str, int]] = {}
    for chunk in chunks(keys):
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


def overall(conn: Connection, cand: Candidate) -> Coverage:
    holders_of(conn, cand)
    found: set[int] = cand.memo["found"]
    return coverage(cand.units, found)


def whole_holder(
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
    shown = ", ".join(f"{h.key} ({h.name})" for h in holders[:SHOWN])
    more = len(holders) - SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def containment(conn: Connection, cand: Candidate, settings: DedupSettings) -> Check:
    if short := too_short("containment", cand, settings):
        return short
    if not cand.units:
        return Check("containment", None, "no paragraph long enough to fingerprint")
    holders = holders_of(conn, cand)
    cov = overall(conn, cand)
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
    whole = whole_holder(ranked, cov, settings)
    if whole is not None:
        return Check(
            "containment",
            None,
            f"{found} is in the corpus, but the item holds all of {whole.key} "
            f"({whole.name}) plus {cov.novel_words} words found nowhere else",
            files,
        )
    reason = f"{found} is already in the corpus: {_names(ranked)}"
    verdict = Verdict(False, "containment", reason, tuple(h.key for h in ranked[:SHOWN]))
    return Check("containment", verdict, reason, files)
