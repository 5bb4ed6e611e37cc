"""De-duplication settings: the global ``[dedup]`` table and each source's policy.

``DedupSettings`` holds what the layers compare against (word minimum,
containment and near-duplicate thresholds, MinHash shape); ``SourcePolicy``
holds what a source may opt into (title matching) or override (revisions).
Source options come from the ``[[sources]]`` entries (``Source.options``)
and are checked here, so a typo is a ``ConfigError`` naming the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal, cast

from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.units import parse_duration

Revisions = Literal["skip", "new-version"]
REVISION_POLICIES: tuple[Revisions, ...] = ("skip", "new-version")

# Source options read here (everything else in Source.options belongs to others).
SOURCE_OPTIONS = ("match_titles", "title_window", "revisions")


@dataclass(frozen=True, slots=True)
class SourcePolicy:
    """What one source opts into.

    ``match_titles``: an item whose title repeats one seen on the same site
    within ``title_window`` is the same entry (for feeds whose guids change
    at every fetch; FreshRSS demotes such guids the same way). ``revisions``
    overrides the global policy for changed text under the same guid or URL.
    """

    match_titles: bool = False
    title_window: timedelta = timedelta(days=2)
    revisions: Revisions | None = None


@dataclass(frozen=True, slots=True)
class DedupSettings:
    """The ``[dedup]`` settings.

    - ``min_words``: content layers (exact, containment, near) judge only
      texts of at least this many words;
    - ``revisions``: ``skip`` or ``new-version`` for changed text under the
      same guid or URL (a source's ``revisions`` option overrides it);
    - ``containment``: share of an item's text (by characters) already in
      the corpus from which it is a duplicate;
    - ``novel_words``: an item that holds a whole corpus item plus at least
      this many words of its own is new (a reply under a full quote);
    - ``paragraph_min_words``: shorter paragraphs and lines ("By Jake
      Bright", "@Jlaw") are not fingerprinted for containment;
    - ``near``: estimated Jaccard similarity of word shingles from which an
      item is a near duplicate;
    - ``shingle``, ``num_perm``, ``bands``: the MinHash/LSH shape (fixed
      when the state is created; ``bands`` None lets seedwatch choose).
    """

    min_words: int = 25
    revisions: Revisions = "skip"
    containment: float = 0.8
    novel_words: int = 25
    paragraph_min_words: int = 5
    near: float = 0.8
    shingle: int = 5
    num_perm: int = 128
    bands: int | None = None
    sources: Mapping[str, SourcePolicy] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("containment", "near"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ConfigError(f"[dedup] {name}: expected a share in (0, 1], got {value!r}")
        if self.revisions not in REVISION_POLICIES:
            raise ConfigError(
                f"[dedup] revisions: expected one of {', '.join(REVISION_POLICIES)}, "
                f"got {self.revisions!r}"
            )
        if self.shingle < 1:
            raise ConfigError(f"[dedup] shingle: expected at least 1 word, got {self.shingle}")
        if self.num_perm < 16:
            raise ConfigError(f"[dedup] num_perm: expected at least 16, got {self.num_perm}")
        if self.bands is not None and not 2 <= self.bands <= self.num_perm // 2:
            raise ConfigError(
                f"[dedup] bands: expected 2 to {self.num_perm // 2} "
                f"(num_perm / 2), got {self.bands}"
            )

    def policy(self, source_id: str | None) -> SourcePolicy:
        if source_id is None:
            return _DEFAULT_POLICY
        return self.sources.get(source_id, _DEFAULT_POLICY)

    def revisions_for(self, source_id: str | None) -> Revisions:
        return self.policy(source_id).revisions or self.revisions

    @classmethod
    def from_config(
        cls, options: Mapping[str, Any], sources: Iterable[Source] = ()
    ) -> DedupSettings:
        """Settings from the ``[dedup]`` table (``config.dedup.model_dump()``) and the
        configured sources, whose ``match_titles``, ``title_window`` and
        ``revisions`` options become their policies."""
        known = {f for f in cls.__dataclass_fields__ if f != "sources"}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigError(f"[dedup]: unknown field {unknown[0]!r} (check its spelling)")
        return cls(**dict(options), sources=policies(sources))


_DEFAULT_POLICY = SourcePolicy()


def policies(sources: Iterable[Source]) -> dict[str, SourcePolicy]:
    """The de-duplication policy of each source that sets one of ``SOURCE_OPTIONS``."""
    out: dict[str, SourcePolicy] = {}
    for source in sources:
        opts = source.options
        if not any(name in opts for name in SOURCE_OPTIONS):
            continue
        match_titles = opts.get("match_titles", False)
        if not isinstance(match_titles, bool):
            raise _option_error(source, "match_titles", "true or false", match_titles)
        window = opts.get("title_window", _DEFAULT_POLICY.title_window)
        if not isinstance(window, timedelta):
            window = _duration(source, window)
        revisions = opts.get("revisions")
        if revisions is not None and revisions not in REVISION_POLICIES:
            raise _option_error(source, "revisions", '"skip" or "new-version"', revisions)
        out[source.id] = SourcePolicy(
            match_titles=match_titles,
            title_window=window,
            revisions=cast(Revisions | None, revisions),
        )
    return out


def _duration(source: Source, value: Any) -> timedelta:
    try:
        window = parse_duration(value)
    except ValueError:
        window = timedelta(0)
    if window <= timedelta(0):
        raise _option_error(source, "title_window", 'a duration such as "36h"', value)
    return window


def _option_error(source: Source, name: str, expected: str, got: Any) -> ConfigError:
    return ConfigError(f'source "{source.id}": field "{name}": expected {expected}, got {got!r}')
