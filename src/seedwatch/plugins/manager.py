"""Builds plugin managers and the registry of capabilities they provide.

No import-time side effects: ``build_registry()`` makes a fresh
``pluggy.PluginManager`` each time (the daemon, a backfill and every test
build their own). Built-ins are listed in ``DEFAULT_PLUGINS`` and registered
exactly like external plugins; external ones come from the ``seedwatch``
entry-point group, each loaded in its own ``try`` so one broken plugin cannot
stop the others (pluggy's own loader stops at the first failure), unless
``strict`` asks for exactly that. Every plugin's load status is kept for
``seedwatch plugins``; ``required`` names plugins (with version specifiers)
that must be there.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Iterable, Sequence
from importlib.metadata import entry_points

import pluggy
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from seedwatch import __version__, hookspecs
from seedwatch.errors import StartupError
from seedwatch.plugins.registry import PluginStatus, Registry

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "seedwatch"
LOAD_ENV = "SEEDWATCH_LOAD_PLUGINS"
TRACE_ENV = "SEEDWATCH_TRACE_PLUGINS"

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
    "seedwatch.plugins.builtin.rules_filter",
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
    strict: bool = False,
    required: Sequence[str] = (),
) -> tuple[pluggy.PluginManager, list[PluginStatus]]:
    """A fresh plugin manager with the built-ins, the allowed entry points and
    ``extra_plugins`` (objects or modules, as tests and embedding code pass
    them), and the status of each plugin.

    ``strict``: a plugin that fails to load stops start-up. ``required``:
    requirement strings (``"seedwatch-hackernews>=0.2"``) naming plugin
    distributions that must be loaded, at a matching version.
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    statuses = []
    for dotted in DEFAULT_PLUGINS:
        pm.register(importlib.import_module(dotted), name=dotted)
        statuses.append(PluginStatus(dotted, "built-in", "loaded", "seedwatch", __version__))
    if load_external:
        statuses += _load_entry_points(pm, allowed_external(allow), strict=strict)
    for plugin in extra_plugins:
        # a readable name for messages: the module's, or the object's class
        name = getattr(plugin, "__name__", None) or type(plugin).__name__
        registered = pm.register(plugin, name=name if pm.get_plugin(name) is None else None)
        statuses.append(PluginStatus(registered or name, "passed in", "loaded"))
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise StartupError(f"plugin hook validation failed: {exc}") from exc
    _check_required(statuses, required)
    return pm, statuses


def _load_entry_points(
    pm: pluggy.PluginManager, allowed: set[str] | None, *, strict: bool
) -> list[PluginStatus]:
    statuses = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist else None
        version = ep.dist.version if ep.dist else None
        if allowed is not None and ep.name not in allowed:
            log.info("plugin %s not loaded: not in %s or [plugins] load", ep.name, LOAD_ENV)
            statuses.append(PluginStatus(ep.name, "entry point", "not allowed", dist, version))
            continue
        if pm.get_plugin(ep.name) is not None or pm.is_blocked(ep.name):
            continue
        try:
            plugin = ep.load()
            pm.register(plugin, name=ep.name)
        except Exception as exc:  # a broken plugin must not stop the others
            error = f"{type(exc).__name__}: {exc}"
            if strict:
                raise StartupError(
                    f"plugin {ep.name} ({ep.value}) failed to load: {error} "
                    f"(--strict-plugins / [plugins] strict makes this fatal)"
                ) from exc
            log.error("plugin %s (%s) failed to load and is skipped: %s", ep.name, ep.value, error)
            statuses.append(PluginStatus(ep.name, "entry point", "failed", dist, version, error))
            continue
        statuses.append(PluginStatus(ep.name, "entry point", "loaded", dist, version))
    return statuses


def _check_required(statuses: Sequence[PluginStatus], required: Sequence[str]) -> None:
    loaded = {
        canonicalize_name(st.distribution): st
        for st in statuses
        if st.status == "loaded" and st.distribution
    }
    for spec in required:
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            raise StartupError(
                f"[plugins] required_plugins: {spec!r} is not a requirement such as "
                f'"seedwatch-hackernews>=0.2": {exc}'
            ) from None
        found = loaded.get(canonicalize_name(req.name))
        if found is None:
            raise StartupError(
                f"required plugin {spec!r} is not loaded: install it with pip, or check "
                f"SEEDWATCH_LOAD_PLUGINS and [plugins] load (see `seedwatch plugins`)"
            )
        if found.version and not req.specifier.contains(found.version, prereleases=True):
            raise StartupError(
                f"required plugin {spec!r}: version {found.version} is installed; "
                f"upgrade it with pip install -U {req.name!r}"
            )


def build_registry(
    *,
    load_external: bool = True,
    allow: Sequence[str] | None = None,
    extra_plugins: Iterable[object] = (),
    strict: bool = False,
    required: Sequence[str] = (),
    trace: bool | None = None,
) -> Registry:
    """Build a plugin manager and collect every plugin's registrations.

    ``trace`` (default: ``SEEDWATCH_TRACE_PLUGINS=1``) logs every hook call
    made to a plugin: registrations at start-up, then notifications.
    """
    pm, statuses = build_plugin_manager(
        load_external=load_external,
        allow=allow,
        extra_plugins=extra_plugins,
        strict=strict,
        required=required,
    )
    if trace is None:
        trace = os.environ.get(TRACE_ENV, "") not in ("", "0")
    return Registry.collect(pm, builtin=DEFAULT_PLUGINS, statuses=statuses, trace=trace)
