"""Checks of the config keys that pipeline features read: full text and filter rules.

The config model keeps a source's unknown keys as options for its kind and
parser; the keys of pipeline features (``full_text``, ``rules``...) and the
top-level ``[[rules]]`` are checked here, once, when the config is loaded,
so a mistake is a config error (exit 2) that names the file, the source and
the key, never a failure mid-poll. ``require_extras`` then says, at
start-up, which missing extra a config needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedwatch import rules
from seedwatch.daemon import fulltext, websub
from seedwatch.models import Source

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config


def _options_only(config: Config) -> list[Source]:
    # Options only: no credentials are read to check them.
    return [
        Source(id=src.id, kind=src.kind, url=src.url, options=dict(src.model_extra or {}))
        for src in config.sources
    ]


def check(config: Config) -> None:
    """Raise ``ConfigError`` for the first bad feature key, global or of a source."""
    rules.compile_rules(config.rules, where=config.where)
    sources = _options_only(config)
    for source in sources:
        fulltext.check(source, config.where)
        websub.check(source, config)
        rules.compile_rules(source.options.get("rules"), where=config.where, source=source.id)
    if any(source.options for source in sources):
        # De-duplication options (match_titles, title_window...): imported only
        # when some source has options, as the state is not needed to parse.
        from seedwatch.state.dedup.settings import policies

        policies(sources)


def require_extras(config: Config) -> None:
    """``MissingExtraError`` (one line naming the extra) for what the enabled sources need."""
    from seedwatch import language

    enabled = [
        s for s, src in zip(_options_only(config), config.sources, strict=True) if src.enabled
    ]
    fulltext.require_extractor(enabled)
    if rules.uses_language(config.rules) or any(
        rules.uses_language(s.options.get("rules")) for s in enabled
    ):
        language.require_detector()
