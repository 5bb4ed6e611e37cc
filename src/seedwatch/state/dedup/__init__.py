"""De-duplication: the layers, what they compare, their index in the state, explain.

- ``settings``: ``DedupSettings`` (the ``[dedup]`` table) and per-source policies;
- ``features``: fingerprints, paragraph units, MinHash signatures (no database);
- ``layers``: identity, title, exact, near, in order; ``judge``, ``examine``;
- ``containment``: the containment layer (paragraphs already in the corpus);
- ``check``: what a layer returns, and the rules layers share;
- ``index``: the rows the layers look up, written when an item is recorded.

``state.explain`` (every layer's finding for one item) reads through the
store, so it lives above it, outside this package.
"""

from __future__ import annotations

from seedwatch.state.dedup.features import Candidate, Layout
from seedwatch.state.dedup.index import count_rejection, layout, record, rejection_counts
from seedwatch.state.dedup.layers import DEFAULT_LAYERS, Check, Layer, examine, judge
from seedwatch.state.dedup.settings import DedupSettings, SourcePolicy, policies

__all__ = [
    "DEFAULT_LAYERS",
    "Candidate",
    "Check",
    "DedupSettings",
    "Layer",
    "Layout",
    "SourcePolicy",
    "count_rejection",
    "examine",
    "judge",
    "layout",
    "policies",
    "record",
    "rejection_counts",
]
