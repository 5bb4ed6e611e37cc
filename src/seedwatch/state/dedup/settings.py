"""De-duplication settings: the global ``[dedup]`` table and each source's policy.

``DedupSettings`` holds what the layers compare against: the ``[dedup]``
keys and each source's ``SourcePolicy`` (what a source may opt into, title
matching, or override, revisions), both defined once in ``seedwatch.sections``
where the config is checked without importing the state.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import Field, ValidationError

from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.sections import (
    DEFAULT_POLICY,
    REVISION_POLICIES,
    SOURCE_OPTIONS,
    DedupConfig,
    Revisions,
    SourcePolicy,
    policies,
)


class DedupSettings(DedupConfig):
    """The ``[dedup]`` settings (``seedwatch.sections.DedupConfig``: each key,
    its default and bounds, defined once) and each source's policy."""

    sources: Mapping[str, SourcePolicy] = Field(default_factory=dict)

    def policy(self, source_id: str | None) -> SourcePolicy:
        if source_id is None:
            return DEFAULT_POLICY
        return self.sources.get(source_id, DEFAULT_POLICY)

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


__all__ = [
    "REVISION_POLICIES",
    "SOURCE_OPTIONS",
    "DedupSettings",
    "SourcePolicy",
    "policies",
]
