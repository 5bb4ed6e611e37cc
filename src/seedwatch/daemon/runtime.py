"""Builds a ``Pipeline`` from a ``Config``: plugins, state, fetcher, sinks.

Shared by ``run``, ``backfill``, ``parse`` and the tests, so every mode wires
the same parts the same way. The state, the pipeline and the fetcher are
imported when first needed: ``seedwatch --help`` and ``parse`` start without
SQLAlchemy, Alembic or NumPy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from seedwatch.contracts import Capability
from seedwatch.daemon.config import Config
from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

if TYPE_CHECKING:
    from seedwatch.daemon.fetch import FetchSettings, HttpFetcher
    from seedwatch.daemon.pipeline import Pipeline
    from seedwatch.daemon.schedule import Schedule
    from seedwatch.state.store import Store

log = logging.getLogger(__name__)

C = TypeVar("C", bound=Capability)


def registry_for(config: Config, *, extra_plugins: Iterable[object] = ()) -> Registry:
    return build_registry(
        allow=config.plugins.load,
        extra_plugins=extra_plugins,
        strict=config.plugins.strict,
        required=config.plugins.required_plugins,
    )


def fetch_settings(config: Config) -> FetchSettings:
    """The ``[fetch]`` table, with ``[daemon] concurrency`` as the cap on requests at once."""
    from seedwatch.daemon.fetch import FetchSettings

    return FetchSettings(**dict(config.fetch), max_concurrency=config.daemon.concurrency)


def fetcher(config: Config) -> HttpFetcher:
    """A fetcher with the config's ``[fetch]`` settings (close it, or use ``with``)."""
    from seedwatch.daemon.fetch import HttpFetcher

    return HttpFetcher(fetch_settings(config))


def schedule_for(config: Config) -> Schedule:
    from seedwatch.daemon.schedule import Schedule

    return Schedule(config.daemon)


def _select(kind: str, available: dict[str, C], wanted: list[str] | None, where: str) -> list[C]:
    if wanted is None:
        return list(available.values())
    unknown = [name for name in wanted if name not in available]
    if unknown:
        raise ConfigError(
            f"config {where}: [pipeline] {kind}: unknown {', '.join(map(repr, unknown))}; "
            f"registered: {', '.join(available) or 'none'}"
        )
    return [available[name] for name in wanted]


def open_state(config: Config, *, writable: bool = False) -> Store:
    """The state of ``config``, migrated, with its ``[dedup]`` settings and the
    sources' de-duplication options (``match_titles``, ``revisions``...);
    ``writable`` checks that it accepts writes too (commands that only look,
    such as ``status``, work on a read-only state)."""
    from seedwatch.state.dedup import DedupSettings
    from seedwatch.state.failures import is_state_failure, state_error
    from seedwatch.state.store import Store

    # Only the options matter here: no credentials are read for the policies.
    policy_sources = [Source(id=s.id, options=dict(s.model_extra or {})) for s in config.sources]
    store = Store(
        config.state_url,
        dedup=DedupSettings.from_config(config.dedup, policy_sources),
    )
    try:
        store.migrate()
        if writable:
            store.check_writable()
    except Exception as exc:
        store.close()
        # A SQLite file the daemon cannot write (a read-only file or folder, a
        # full disk) is refused here, naming the file, rather than at the first
        # poll; an unreachable server keeps the CLI's own line.
        if is_state_failure(exc) and store.engine.dialect.name == "sqlite":
            raise state_error(
                config.state_url, exc, "seedwatch writes its state at every poll"
            ) from None
        raise
    return store


def build(
    config: Config,
    *,
    registry: Registry | None = None,
    extra_plugins: Iterable[object] = (),
) -> Pipeline:
    """A ready pipeline: state migrated, sinks configured, pending writes completed."""
    from seedwatch.daemon import source_checks
    from seedwatch.daemon.indexer import index_corpus
    from seedwatch.daemon.pipeline import Pipeline

    registry = registry or registry_for(config, extra_plugins=extra_plugins)
    source_checks.check_plugins(config, registry, enabled_only=True)
    source_checks.require_extras(config)
    sinks = []
    context = {"corpus_path": str(config.corpus_path), "config_dir": str(config.base)}
    for name in config.corpus.sinks:
        sink = registry.sinks[name]
        sink.configure(context | config.sinks.get(name, {}))  # contracts.SINK_CONTEXT
        sinks.append(sink)
    transforms = _select(
        "transforms", registry.transforms, config.pipeline.transforms, config.where
    )
    if "rules" in registry.filters:
        registry.filters["rules"].configure({"rules": config.rules, "where": config.where})
    filters = _select("filters", registry.filters, config.pipeline.filters, config.where)
    store = open_state(config, writable=True)
    pipeline = Pipeline(
        registry=registry,
        store=store,
        fetcher=fetcher(config),
        sinks=sinks,
        transforms=transforms,
        filters=filters,
        front_matter=config.corpus.front_matter,
        schedule=schedule_for(config),
    )
    index_corpus(registry, store, config.corpus_path)
    pipeline.complete_pending()
    return pipeline


@contextmanager
def running(
    config: Config,
    *,
    sources: Sequence[Source] | None = None,
    extra_plugins: Iterable[object] = (),
    notify: bool = True,
) -> Iterator[Pipeline]:
    """``build`` as a context manager: plugins hear ``on_startup`` (with
    ``sources``, default the enabled ones) once the pipeline is ready and
    ``on_shutdown`` once at the end, however it ends (``notify=False`` for
    commands that only look, such as ``sources check``); then the fetcher and
    the state are closed. ``run``, ``backfill`` and cluster nodes all start here."""
    pipeline = build(config, extra_plugins=extra_plugins)
    try:
        if notify:
            started = config.enabled_sources() if sources is None else list(sources)
            pipeline.registry.notify("on_startup", sources=started)
            try:
                yield pipeline
            finally:
                pipeline.registry.notify("on_shutdown")
        else:
            yield pipeline
    finally:
        pipeline.close()
