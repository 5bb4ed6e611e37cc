"""The whole plugin contract of seedwatch.

Naming says how results combine: ``register_*`` hooks are called once when
the plugin manager is built and every plugin's registrations are collected;
``on_*`` hooks are notifications whose return values are ignored. The hot
path never goes through ``pm.hook``: the registered objects are called
directly (see ``seedwatch.plugins.registry``).

A plugin is a module or object with functions decorated by
``seedwatch.hookimpl`` whose names match the specs below; it is found through
the ``seedwatch`` entry-point group.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pluggy

from seedwatch.contracts import (
    Accepted,
    Filter,
    Parser,
    PollResult,
    Sink,
    SourceKind,
    Transform,
    Verdict,
)
from seedwatch.models import Item, Source

PROJECT = "seedwatch"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_parsers(register: Callable[[Parser], None]) -> None:
    """Register parsers for document formats.

    Called once, when the plugin manager is built (daemon start, ``backfill``,
    ``parse``, each test). Call ``register(parser)`` for each ``Parser``
    instance the plugin provides; parser names must be unique across all
    plugins.

    :param register: adds one parser; raises ``StartupError`` on a duplicate
        name, naming both plugins.

    Results from all plugins are collected. When a source names no parser,
    the one whose ``sniff`` is highest (above 0) parses the document.
    """


@hookspec
def register_source_kinds(register: Callable[[SourceKind], None]) -> None:
    """Register ways of fetching a source (``kind = "..."`` in the config).

    Called once, when the plugin manager is built. Call ``register(kind)``
    for each ``SourceKind`` instance; kind names must be unique.

    :param register: adds one source kind; raises ``StartupError`` on a duplicate.

    Results from all plugins are collected.
    """


@hookspec
def register_sinks(register: Callable[[Sink], None]) -> None:
    """Register places accepted items are written to.

    Called once, when the plugin manager is built. Call ``register(sink)``
    for each ``Sink`` instance; names must be unique. The config's
    ``[corpus] sinks`` list says which are used (default: ``["corpus"]``).

    :param register: adds one sink; raises ``StartupError`` on a duplicate.

    Results from all plugins are collected.
    """


@hookspec
def register_filters(register: Callable[[Filter], None]) -> None:
    """Register item filters (keywords, language, length...).

    Called once, when the plugin manager is built. Call ``register(filter)``
    for each ``Filter``. Filters run after transforms, built-ins first, then
    by plugin name; the config's ``[pipeline] filters`` list reorders or
    disables them.

    :param register: adds one filter; raises ``StartupError`` on a duplicate.

    Results from all plugins are collected.
    """


@hookspec
def register_transforms(register: Callable[[Transform], None]) -> None:
    """Register item transforms (text clean-up...).

    Called once, when the plugin manager is built. Call
    ``register(transform)`` for each ``Transform``. Transforms run before
    filters and de-duplication, built-ins first, then by plugin name; the
    config's ``[pipeline] transforms`` list reorders or disables them.

    :param register: adds one transform; raises ``StartupError`` on a duplicate.

    Results from all plugins are collected.
    """


@hookspec
def on_startup(sources: Sequence[Source]) -> None:
    """Notification: the daemon or a backfill is about to start polling ``sources``.

    Called once per process, after the config is loaded and the state migrated.
    Return values are ignored; an exception is logged and does not stop start-up.
    """


@hookspec
def on_item_accepted(item: Item, source: Source | None, entry: Accepted) -> None:
    """Notification: ``item`` was accepted and recorded as corpus entry ``entry``.

    Called once per accepted item, after the sinks wrote it. Return values
    are ignored; an exception is logged with the plugin's name.
    """


@hookspec
def on_item_rejected(item: Item, source: Source | None, verdict: Verdict) -> None:
    """Notification: ``item`` was not added; ``verdict`` says which layer or filter and why.

    Called once per rejected item. Return values are ignored.
    """


@hookspec
def on_poll_finished(source: Source, result: PollResult) -> None:
    """Notification: one poll (or one backfill) of ``source`` finished.

    ``result`` holds the counts and, if the poll failed, the error message
    and its category. Called for successes and failures alike.
    """


@hookspec
def on_shutdown() -> None:
    """Notification: the daemon is stopping after draining in-flight polls.

    Called once per process. Return values are ignored.
    """
