"""The containment layer: most of an item's text (by characters) already in
the corpus, paragraph by paragraph, unless the item holds a whole corpus
item plus text of its own (a reply under a full quote). ``holders_of``,
``overall`` and ``whole_holder`` serve the near-duplicate layer too."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from seedwatch.contracts import Verdict
from seedwatch.state.dedup import sql
from seedwatch.state.dedup.check import SHOWN, Check, too_short
from seedwatch.state.dedup.features import Candidate, Unit
from seedwatch.state.dedup.settings import DedupSettings

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
    for chunk in sql.chunks(keys):
        # How many items hold each unit, counted up to one past COMMON_UNIT:
        # that is all the rule needs, and a boilerplate paragraph held by
        # thousands of items costs no more to count than a rare one.
        if sql.postgres(conn):
            listed, params = "SELECT unnest(?::bigint[])", [list(chunk)]
        else:
            listed, params = "VALUES " + ", ".join(["(?)"] * len(chunk)), list(chunk)
        counts = sql.fetch(
            conn,
            f"WITH k(fp) AS ({listed}) SELECT k.fp, (SELECT count(*) FROM ("
            f"SELECT 1 FROM dedup_units u WHERE u.fp = k.fp LIMIT {COMMON_UNIT + 1}) s) FROM k",
            params,
        )
        found.update(fp for fp, n in counts if n)
        rare = [fp for fp, n in counts if 0 < n <= COMMON_UNIT]
        if not rare:
            continue
        condition, params = sql.among(conn, "u.fp", rare, "bigint")
        for item_id, fp, para, chars, whole, key, name, unit_chars in sql.fetch(
            conn,
            "SELECT u.item_id, u.fp, u.para, u.chars, u.whole, i.key, i.name, d.unit_chars "
            "FROM dedup_units u JOIN items i ON i.id = u.item_id "
            f"JOIN dedup_items d ON d.item_id = u.item_id WHERE {condition}",
            params,
        ):
            rows_of[item_id].append((fp, para, chars, bool(whole)))
            meta[item_id] = (key, name, unit_chars)
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
