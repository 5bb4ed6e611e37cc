"""De-duplication settings: the global ``[dedup]`` table and each source's policy.

``DedupSettings`` holds what the layers compare against (the ``[dedup]``
keys, defined once in ``seedwatch.sections``); ``SourcePolicy``
holds what a source may opt into (title matching) or override (revisions).
Source options come from the ``[[sources]]`` entries (``Source.options``)
and are checked here, so a typo is a ``ConfigError`` naming the source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, cast, get_args

from pydantic import Field, ValidationError

from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.sections import DedupConfig, Revisions
from seedwatch.units import parse_duration

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


class DedupSettings(DedupConfig):
    """The ``[dedup]`` settings (``seedwatch.sections.DedupConfig``: each key,
    its default and bounds, defined once) and each source's policy."""

    sources: Mapping[str, SourcePolicy] = Field(default_factory=dict)

    def policy(self, source_id: str | None) -> SourcePolicy:
        if source_id is None:
            return _DEFAULT_POLICY
        return self.sources.get(source_id, _DEFAULT_POLICY)

    def revisions_for(self, source_id: str | None) -> Revisions:
        return self.policy(source_id).revisions or self.revisions

    @classmethod
    def from_config(
        cls, options: DedupConfig | Mapping[str, Any], sources: Iterable[Source] = ()
    ) -> DedupSettings:
        """Settings from the ``[dedup]`` table and the configured sources, whose
        ``match_titles``, ``title_window`` and ``revisions`` options become
        their policies."""
        values = options.model_dump() if isinstance(options, DedupConfig) else dict(options)
        try:
            return cls(**values, sources=policies(sources))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"])
            if error["type"] == "extra_forbidden":
                raise ConfigError(
                    f"[dedup]: unknown field {field!r} (check its spelling)"
                ) from None
            message = error["msg"].removeprefix("Value error, ")
            raise ConfigError(
                f"[dedup] {field}: {message}" if field else f"[dedup] {message}"
            ) from None


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
