"""Builds plugin managers and the registry of capabilities they provide.

No import-time side effects: ``build_registry()`` makes a fresh
``pluggy.PluginManager`` each time (the daemon, a backfill and every test
build their own). Built-ins are listed in ``DEFAULT_PLUGINS`` and registered
exactly like external plugins; external ones come from the ``seedwatch``
entry-point group, each loaded in its own ``try`` so one broken plugin cannot
stop the others (pluggy's own loader stops at the first failure).
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points

import pluggy

from seedwatch import hookspecs
from seedwatch.errors import StartupError
from seedwatch.plugins.registry import Registry

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "seedwatch"
LOAD_ENV = "SEEDWATCH_LOAD_PLUGINS"

# Where each external plugin came from ("distribution version"), for `seedwatch plugins`.
ORIGINS: dict[str, str] = {}

# Built-in plugins, one module each, in the order they register (and so the
# order of built-in filters and transforms). Add a line per new built-in.
DEFAULT_PLUGINS: tuple[str, ...] = (
    "seedwatch.plugins.builtin.corpus_sink",
    "seedwatch.plugins.builtin.jsonl_sink",
    "seedwatch.plugins.builtin.s3_sink",
    "seedwatch.plugins.builtin.rss",
    "seedwatch.plugins.builtin.forums.xenforo",
    "seedwatch.plugins.builtin.frontmatter",
    "seedwatch.plugins.builtin.plaintext",
    "seedwatch.plugins.builtin.freshrss",
    "seedwatch.plugins.builtin.forums.vbulletin",
    "seedwatch.plugins.builtin.http_source",
    "seedwatch.plugins.builtin.blog_sources",
    "seedwatch.plugins.builtin.blog_git",
    "seedwatch.plugins.builtin.blog_http",
    "seedwatch.plugins.builtin.forums.phpbb",
    "seedwatch.plugins.builtin.forums.mybb",
    "seedwatch.plugins.builtin.forums.discourse",
    "seedwatch.plugins.builtin.forums.smf",
    "seedwatch.plugins.builtin.forums.invision",
    "seedwatch.plugins.builtin.forums.text_rendering",
    "seedwatch.plugins.builtin.forums.board",
)


def allowed_external(config_allow: Sequence[str] | None = None) -> set[str] | None:
    """Names of external plugins allowed to load; ``None`` means all.

    ``SEEDWATCH_LOAD_PLUGINS`` (a comma list; empty = built-ins only) wins over
    the config's ``[plugins] load`` list.
    """
    env = os.environ.get(LOAD_ENV)
    if env is not None:
        return {name.strip() for name in env.split(",") if name.strip()}
    if config_allow is not None:
        return set(config_allow)
    return None


def build_plugin_manager(
    *,
    load_external: bool = True,
    allow: Sequence[str] | None = None,
    extra_plugins: Iterable[object] = (),
) -> pluggy.PluginManager:
    """A fresh plugin manager with the built-ins, the allowed entry points and
    ``extra_plugins`` (objects or modules, as tests and embedding code pass them)."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for dotted in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(dotted), name=dotted)
    if load_external:
        _load_entry_points(pm, allowed_external(allow))
    for plugin in extra_plugins:
        # a readable name for messages: the module's, or the object's class
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        pm.register(plugin, name=name if pm.get_plugin(name) is None else None)
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"plugin hook validation failed: {exc}") from exc
    return pm


def _load_entry_points(pm: pluggy.PluginManager, allowed: set[str] | None) -> None:
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if allowed is not None and ep.name not in allowed:
            log.info("plugin %s not loaded: not in %s or [plugins] load", ep.name, LOAD_ENV)
            continue
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must not stop the others
            log.error(
                "plugin %s (%s) failed to load and is skipped: %s: %s",
                ep.name,
                ep.value,
                type(exc).__name__,
                exc,
            )
            continue
        if ep.dist is not None:
            ORIGINS[ep.name] = f"{ep.dist.name} {ep.dist.version}"


def build_registry(
    *,
    load_external: bool = True,
    allow: Sequence[str] | None = None,
    extra_plugins: Iterable[object] = (),
) -> Registry:
    """Build a plugin manager and collect every plugin's registrations."""
    pm = build_plugin_manager(load_external=load_external, allow=allow, extra_plugins=extra_plugins)
    return Registry.collect(pm, builtin=DEFAULT_PLUGINS, origins=dict(ORIGINS))
