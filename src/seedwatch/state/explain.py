"""``seedwatch dedup explain``: every layer's finding for one item, in words.

It reads the state through a ``Store``, so it sits above the store, not in
``state.dedup`` (which the store calls).

``explain(store, item_or_text)`` runs all the layers (not only up to the
first verdict) against the state without recording anything, and returns
an ``Explanation`` whose ``render()`` is what the command prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from seedwatch.contracts import Verdict
from seedwatch.models import Item
from seedwatch.state.dedup.features import Candidate
from seedwatch.state.dedup.layers import Check, examine
from seedwatch.text import fingerprint_hex, word_count

if TYPE_CHECKING:
    from seedwatch.state.store import Store


@dataclass(frozen=True, slots=True)
class Explanation:
    key: str
    title: str | None
    words: int
    verdict: Verdict
    checks: tuple[Check, ...]

    def render(self) -> str:
        head = f"{self.key}" + (f"  {self.title!r}" if self.title else "")
        outcome = "NEW" if self.verdict.accepted else "DUPLICATE"
        if self.verdict.accepted and self.verdict.revision_of:
            outcome = f"NEW VERSION of {self.verdict.revision_of}"
        lines = [
            head,
            f"  verdict: {outcome} ({self.verdict.layer}: {self.verdict.reason}); "
            f"{self.words} words",
        ]
        decided = False
        for check in self.checks:
            if check.verdict is None:
                mark = "pass"
            elif decided:
                mark = "also"
            else:
                mark = "ACCEPT" if check.verdict.accepted else "REJECT"
                decided = True
            lines.append(f"  {check.layer:<12} {mark:<6} {check.note}")
            if check.files:
                lines.append(f"  {'':<12} {'':<6} files: {', '.join(check.files)}")
        return "\n".join(lines)


def text_item(text: str) -> Item:
    """An item for a bare text (``explain`` of a pasted paragraph)."""
    return Item(key=f"text:{fingerprint_hex(text)[:16]}", text=text, parser="text")


def explain(store: Store, subject: Item | str) -> Explanation:
    """Every layer's finding for ``subject`` (an item, or a bare text) against the
    state, recording nothing; the verdict is the one ``Store.admit`` would reach."""
    item = subject if isinstance(subject, Item) else text_item(subject)
    cand = Candidate(item, store.dedup_layout(), store.dedup.paragraph_min_words)
    with store.engine.connect() as conn:
        checks = tuple(examine(conn, cand, store.dedup, store.layers))
    verdict = next(
        (c.verdict for c in checks if c.verdict is not None),
        Verdict(True, "new", "no layer matched"),
    )
    return Explanation(item.key, item.title, word_count(item.text), verdict, checks)
