"""The registry: every capability the plugins registered, and safe notifications.

``Registry.collect`` calls each plugin's ``register_*`` implementation once,
remembering which plugin registered what, so a duplicate name can be refused
naming both plugins and an error can name the plugin that raised. The
pipeline then uses ``registry.parsers[...]`` and friends directly; only
notifications go through the hook relay, one implementation at a time so a
raising plugin cannot silence the others.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeVar

import pluggy

from seedwatch.contracts import Capability, Filter, Parser, Sink, SourceKind, Transform
from seedwatch.errors import NoParserError, StartupError, UserError
from seedwatch.models import Document

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Capability)

# Each ``register_*`` hook and the capability it registers.
_HOOKS: dict[str, type[Capability]] = {
    "register_parsers": Parser,
    "register_source_kinds": SourceKind,
    "register_sinks": Sink,
    "register_filters": Filter,
    "register_transforms": Transform,
}


@dataclass(frozen=True, slots=True)
class PluginStatus:
    """What became of one plugin: ``loaded``, ``failed`` (with the error) or
    ``not allowed`` (blocked by SEEDWATCH_LOAD_PLUGINS or ``[plugins] load``)."""

    name: str
    origin: str  # "built-in", "entry point", or "passed in" (tests, embedding code)
    status: str
    distribution: str | None = None
    version: str | None = None
    error: str | None = None


@dataclass
class Registry:
    """Capabilities by name, each with the name of the plugin that registered it."""

    pm: pluggy.PluginManager
    parsers: dict[str, Parser] = field(default_factory=dict)
    source_kinds: dict[str, SourceKind] = field(default_factory=dict)
    sinks: dict[str, Sink] = field(default_factory=dict)
    filters: dict[str, Filter] = field(default_factory=dict)
    transforms: dict[str, Transform] = field(default_factory=dict)
    owners: dict[tuple[str, str], str] = field(default_factory=dict)
    statuses: list[PluginStatus] = field(default_factory=list)
    trace: bool = False

    @classmethod
    def collect(
        cls,
        pm: pluggy.PluginManager,
        *,
        builtin: Sequence[str] = (),
        statuses: Sequence[PluginStatus] = (),
        trace: bool = False,
    ) -> Registry:
        registry = cls(pm=pm, statuses=list(statuses), trace=trace)
        targets: dict[str, dict[str, Any]] = {
            "register_parsers": registry.parsers,
            "register_source_kinds": registry.source_kinds,
            "register_sinks": registry.sinks,
            "register_filters": registry.filters,
            "register_transforms": registry.transforms,
        }
        for hook_name, base in _HOOKS.items():
            registry._collect(hook_name, targets[hook_name], base)
        # Built-ins first, then by plugin name: the documented order of filters
        # and transforms (the config may reorder or disable them).
        rank = {name: i for i, name in enumerate(builtin)}
        for hook_name in ("register_filters", "register_transforms"):
            target = targets[hook_name]
            ordered = sorted(
                target.items(),
                key=lambda kv: (
                    rank.get(registry.owners[(hook_name, kv[0])], len(rank)),
                    registry.owners[(hook_name, kv[0])],
                    kv[0],
                ),
            )
            target.clear()
            target.update(ordered)
        registry._introduce()
        return registry

    def _introduce(self) -> None:
        """Tell each source kind every registered parser (``SourceKind.use_parsers``)."""
        parsers = MappingProxyType(self.parsers)
        for name, kind in self.source_kinds.items():
            try:
                kind.use_parsers(parsers)
            except Exception as exc:
                owner = self.owners[("register_source_kinds", name)]
                raise StartupError(
                    f"plugin {owner!r}: source kind {name!r} failed in use_parsers:"
                    f" {type(exc).__name__}: {exc}"
                ) from exc

    def _collect(self, hook_name: str, target: dict[str, Any], base: type[Capability]) -> None:
        caller = getattr(self.pm.hook, hook_name)
        # pluggy lists implementations in registration order (and calls them in
        # reverse): collected in that order, ``parsers`` keeps it, so a sniff
        # tie goes to the parser registered first (built-ins before externals).
        for impl in caller.get_hookimpls():
            plugin_name = impl.plugin_name

            def register(obj: Capability, plugin_name: str = plugin_name) -> None:
                if not isinstance(obj, base):
                    raise StartupError(
                        f"plugin {plugin_name!r}: {hook_name} registered {obj!r}, "
                        f"which is not a {base.__name__}"
                    )
                name = obj.name
                if not name:
                    raise StartupError(f"plugin {plugin_name!r}: {type(obj).__name__} has no name")
                if name in target:
                    other = self.owners[(hook_name, name)]
                    raise StartupError(
                        f"two plugins register the {base.__name__.lower()} name {name!r}: "
                        f"{other!r} and {plugin_name!r}; uninstall one, or block one with "
                        f"SEEDWATCH_LOAD_PLUGINS"
                    )
                target[name] = obj
                self.owners[(hook_name, name)] = plugin_name

            if self.trace:
                log.info("trace: %s -> plugin %s", hook_name, plugin_name)
            try:
                impl.function(register=register)
            except StartupError:
                raise
            except Exception as exc:
                raise StartupError(
                    f"plugin {plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
                ) from exc

    # -- look-ups -------------------------------------------------------------

    def hooks_of(self, plugin_name: str) -> list[str]:
        """The hooks a plugin implements."""
        plugin = self.pm.get_plugin(plugin_name)
        if plugin is None:
            return []
        return sorted(caller.name for caller in self.pm.get_hookcallers(plugin) or ())

    def owner(self, capability: Capability) -> str:
        """The name of the plugin that registered ``capability`` (a parser and a
        sink may share a name: each kind of capability has its own names)."""
        for hook_name, base in _HOOKS.items():
            if isinstance(capability, base):
                return self.owners.get((hook_name, capability.name), "?")
        return "?"

    def parser(self, name: str) -> Parser:
        try:
            return self.parsers[name]
        except KeyError:
            raise UserError(
                f"no parser named {name!r}; known parsers: {', '.join(sorted(self.parsers))}"
            ) from None

    def source_kind(self, name: str) -> SourceKind:
        try:
            return self.source_kinds[name]
        except KeyError:
            raise UserError(
                f"no source kind named {name!r}; known kinds: "
                f"{', '.join(sorted(self.source_kinds))}"
            ) from None

    def sniff(self, document: Document) -> Parser:
        """The parser most confident about ``document``; ``NoParserError`` if none is.
        A tie goes to the parser registered first.

        A parser that raises while sniffing is logged and treated as "not mine".
        """
        best: tuple[float, str] | None = None
        for name, parser in self.parsers.items():
            try:
                score = float(parser.sniff(document))
            except Exception as exc:
                log.warning(
                    "parser %s (plugin %s) raised in sniff on %s: %s: %s",
                    name,
                    self.owner(parser),
                    document.url,
                    type(exc).__name__,
                    exc,
                )
                continue
            if score > 0 and (best is None or score > best[0]):
                best = (score, name)
        if best is None:
            raise NoParserError(
                f"{document.url}: no parser recognises this document "
                f"(media type {document.media_type or 'unknown'}, {len(document.content)} bytes); "
                f"name one with --parser or `parser = ...` in the source's config"
            )
        return self.parsers[best[1]]

    # -- notifications --------------------------------------------------------

    def notify(self, hook_name: str, **kwargs: Any) -> None:
        """Call every implementation of an ``on_*`` hook, isolating failures."""
        caller = getattr(self.pm.hook, hook_name)
        for impl in reversed(caller.get_hookimpls()):
            if self.trace:
                log.info("trace: %s -> plugin %s", hook_name, impl.plugin_name)
            try:
                impl.function(**{k: kwargs[k] for k in impl.argnames})
            except Exception as exc:
                log.error(
                    "plugin %s raised in %s: %s: %s",
                    impl.plugin_name,
                    hook_name,
                    type(exc).__name__,
                    exc,
                )
