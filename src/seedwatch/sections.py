"""Config sections read below the daemon, each defined once: keys, defaults, bounds.

The config file's model (``seedwatch.daemon.config``) is made of section
models; the few read by layers that must not import the daemon (the state's
de-duplication reads ``[dedup]`` and each source's ``match_titles``,
``title_window`` and ``revisions``) live here, at the bottom, next to
``units``, so that both the file and its reader use the one definition and a
value out of bounds is refused where the file is read, naming the key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal, cast, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.units import parse_duration

Revisions = Literal["skip", "new-version"]


class DedupConfig(BaseModel):
    """``[dedup]``: what the de-duplication layers compare against.

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

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_words: int = Field(25, ge=0)
    revisions: Revisions = "skip"
    containment: float = Field(0.8, gt=0, le=1)
    novel_words: int = Field(25, ge=0)
    paragraph_min_words: int = Field(5, ge=1)
    near: float = Field(0.8, gt=0, le=1)
    shingle: int = Field(5, ge=1, le=20)
    num_perm: int = Field(128, ge=16, le=1024)
    bands: int | None = Field(None, ge=2)

    @model_validator(mode="after")
    def _bands(self) -> DedupConfig:
        if self.bands is not None and self.bands > self.num_perm // 2:
            raise ValueError(
                f"bands: expected 2 to {self.num_perm // 2} (num_perm / 2), got {self.bands}"
            )
        return self


# -- a source's de-duplication policy ----------------------------------------------

REVISION_POLICIES: tuple[Revisions, ...] = get_args(Revisions)

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


DEFAULT_POLICY = SourcePolicy()


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
        window = opts.get("title_window", DEFAULT_POLICY.title_window)
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
