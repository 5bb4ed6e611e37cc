"""Checks of the config keys that pipeline features and plugins read.

The config model keeps a source's keys beyond its own fields as options for
its kind and parser; the keys of pipeline features (``full_text``,
``rules``...) and the top-level ``[[rules]]`` are checked here, once, when
the config is loaded, so a mistake is a config error (exit 2) that names the
file, the source and the key, never a failure mid-poll. ``problems`` then
checks the config against the registered plugins (``config check``, start-up
and ``sources add`` use it): each source's kind and parser exist and accept
it, and every option key is read by someone (``PIPELINE_OPTIONS``, the
kind's or the parser's ``source_options``): a typo is an error, not a
setting silently ignored. ``require_extras`` then says, at start-up, which
missing extra a config needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedwatch import rules
from seedwatch.daemon import fulltext, websub
from seedwatch.errors import ConfigError, UserError
from seedwatch.models import Source
from seedwatch.sections import SOURCE_OPTIONS, policies

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config, SourceConfig
    from seedwatch.plugins.registry import Registry

# Source options the pipeline itself reads, whatever the kind and parser: full
# text, filter rules, WebSub, the link policy, robots.txt, de-duplication
# policies, and the title an OPML import keeps.
PIPELINE_OPTIONS = frozenset(
    {
        "full_text",
        "full_text_selector",
        "rules",
        "websub",
        "follow_offsite",
        "robots",
        "title",
        *SOURCE_OPTIONS,
    }
)


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
    policies(sources)  # de-duplication options: match_titles, title_window...


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


def problems(config: Config, registry: Registry, *, enabled_only: bool = False) -> list[str]:
    """What is wrong with ``config`` given the registered plugins, one line each
    (empty when nothing is): each source's kind, its check, its parser, its
    option keys; the ``[corpus] sinks``."""
    out = []
    for src in config.sources:
        if enabled_only and not src.enabled:
            continue
        try:
            kind = registry.source_kind(src.kind)
            if src.parser:
                registry.parser(src.parser)
        except UserError as exc:
            out.append(f"source {src.id!r}: {exc}")
            continue
        for key in unknown_options(src, registry):
            parser = f' or parser "{src.parser}"' if src.parser else ""
            out.append(
                f'source {src.id!r}: field "{key}": unknown key for kind "{src.kind}"{parser} '
                f"(check its spelling)"
            )
        try:
            kind.check(config.to_source(src))
        except UserError as exc:
            out.append(f"source {src.id!r}: {exc}")
    for name in config.corpus.sinks:
        if name not in registry.sinks:
            out.append(
                f"[corpus] sinks: no sink named {name!r}; registered: {', '.join(registry.sinks)}"
            )
    return out


def check_plugins(config: Config, registry: Registry, *, enabled_only: bool = False) -> None:
    """``ConfigError`` listing every one of ``problems`` (one: on one line)."""
    found = problems(config, registry, enabled_only=enabled_only)
    if len(found) == 1:
        raise ConfigError(f"config {config.where}, {found[0]}")
    if found:
        raise ConfigError(f"config {config.where}:\n  " + "\n  ".join(found))


def unknown_options(src: SourceConfig, registry: Registry) -> list[str]:
    """The option keys of ``src`` that nothing reads: not the pipeline, not its
    kind, not its parser (any parser, when it is sniffed). Empty when the kind
    or the parser named does not declare its ``source_options``."""
    keys = set(src.model_extra or {}) - PIPELINE_OPTIONS
    if not keys:
        return []
    kind = registry.source_kind(src.kind).source_options
    if kind is None:
        return []
    if src.parser:
        parser = registry.parser(src.parser).source_options
        if parser is None:
            return []
        known = kind | parser
    else:
        known = kind.union(*(p.source_options or () for p in registry.parsers.values()))
    return sorted(keys - known)
