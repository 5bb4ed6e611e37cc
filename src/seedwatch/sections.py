"""Config sections read outside the config module, each defined once: keys, defaults, bounds.

The config file's model (``seedwatch.daemon.config``) is made of section
models; those read by layers the config must not import live here, at the
bottom, next to ``units``: the state's de-duplication reads ``[dedup]`` and
each source's ``match_titles``, ``title_window`` and ``revisions``, and the
fetcher reads ``[fetch]`` (importing either from the config would load
SQLAlchemy or httpx at start-up). The file and its reader use the one
definition, so a value out of bounds is refused where the file is read,
naming the key. ``Duration``, ``Delay`` and ``Size`` are how every section
writes a duration or a size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal, cast, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.units import parse_duration, parse_size


def _positive(value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ValueError('expected a duration longer than zero, such as "15m"')
    return value


def _not_negative(value: timedelta) -> timedelta:
    if value < timedelta(0):
        raise ValueError('expected a duration of zero or more, such as "30s"')
    return value


def _positive_size(value: int) -> int:
    if value <= 0:
        raise ValueError('expected a size larger than zero, such as "20MB"')
    return value


def _not_negative_size(value: int) -> int:
    if value < 0:
        raise ValueError('expected a size of zero or more, such as "1KB"')
    return value


# Every duration and size in the file has a bound: an interval, a timeout or a
# size of zero (or less) would poll in a loop, time out at once or read nothing.
Duration = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]
Delay = Annotated[timedelta, BeforeValidator(parse_duration), AfterValidator(_not_negative)]
Size = Annotated[int, BeforeValidator(parse_size), AfterValidator(_positive_size)]
# A floor that may be turned off (0).
Floor = Annotated[int, BeforeValidator(parse_size), AfterValidator(_not_negative_size)]

DEFAULT_CONTACT = "https://github.com/seedwatch/seedwatch"


class FetchConfig(BaseModel):
    """``[fetch]``: identity, limits and politeness of every request (see
    ``seedwatch.daemon.fetch``, whose ``FetchSettings`` is this section plus
    what the daemon adds).

    ``connect_timeout`` and ``read_timeout`` bound each socket operation,
    ``total_timeout`` the whole fetch, redirects included. A body averaging
    less than ``min_rate`` bytes a second once ``min_rate_window`` has passed
    since its first bytes is cut (0: no floor). ``max_bytes`` caps the body
    after decompression. ``user_agent`` replaces the default
    ``seedwatch/<version> (+<contact>)``. At most ``per_host`` requests run
    against one host at once, starting ``host_delay`` apart
    (``local_host_delay`` for loopback hosts: this machine). ``robots``
    honours robots.txt for page sources (a source's ``robots = false`` opts
    out). ``deny_private`` refuses hosts that resolve to no public address
    (loopback, private, link-local...), checked on the resolved address: for
    deployments where feeds come from untrusted users.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    user_agent: str | None = None
    contact: str = DEFAULT_CONTACT
    connect_timeout: Duration = timedelta(seconds=10)
    read_timeout: Duration = timedelta(seconds=30)
    total_timeout: Duration = timedelta(seconds=60)
    min_rate: Floor = 1024  # bytes a second
    min_rate_window: Duration = timedelta(seconds=10)
    max_bytes: Size = 20 * 1024 * 1024
    max_redirects: int = Field(5, ge=0, le=30)
    per_host: int = Field(2, ge=1, le=64)
    host_delay: Delay = timedelta(seconds=1)
    local_host_delay: Delay = timedelta(0)
    robots: bool = True
    deny_private: bool = False


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
