"""What a de-duplication layer returns (``Check``), the shape of a layer, and
the small rules every layer shares: naming at most ``SHOWN`` matches, and
leaving short texts to the identity layers (reading values in bounded chunks
is ``sql.chunks``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection

from seedwatch.contracts import Verdict
from seedwatch.state.dedup.features import Candidate
from seedwatch.state.dedup.settings import DedupSettings

SHOWN = 3  # matched items named in a reason


@dataclass(frozen=True, slots=True)
class Check:
    """What one layer found: a ``verdict`` that ends the judging, or ``None``
    with a ``note`` saying why the layer lets the item through."""

    layer: str
    verdict: Verdict | None
    note: str
    files: tuple[str, ...] = ()


Layer = Callable[[Connection, Candidate, DedupSettings], Check]


def too_short(layer: str, cand: Candidate, settings: DedupSettings) -> Check | None:
    if cand.words < settings.min_words:
        return Check(
            layer, None, f"not judged: {cand.words} words < min_words {settings.min_words}"
        )
    return None
