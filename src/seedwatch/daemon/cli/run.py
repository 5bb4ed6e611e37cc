"""``seedwatch run``, ``poll``, ``worker`` and ``backfill``: the commands that poll
sources through the pipeline (the daemon, one source now, a cluster node, one
source's history)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from seedwatch.daemon.cli.context import Context, pass_ctx
from seedwatch.errors import UserError
from seedwatch.extras import require
from seedwatch.redact import redact_text

if TYPE_CHECKING:
    from seedwatch.contracts import PollResult
    from seedwatch.daemon.config import Config
    from seedwatch.daemon.pipeline import Pipeline

log = logging.getLogger("seedwatch.cli")


def _summary(results: list[PollResult]) -> None:
    added = [name for r in results for name in r.written]
    failed = [r for r in results if r.error]
    for r in results:
        state = f"FAILED ({r.error_category}): {redact_text(r.error)}" if r.error else "ok"
        if r.not_modified and not r.documents:
            state = "not modified"
        click.echo(f"  {r.source:<28} {r.items:>5} items {r.accepted:>5} new  {state}", err=True)
    click.echo(
        f"{len(results)} source(s) polled, {len(added)} item(s) added, {len(failed)} failed",
        err=True,
    )
    for name in added:
        click.echo(name)


@click.command()
@click.option("--once", is_flag=True, help="Poll every source once, then exit.")
@click.option(
    "--cluster",
    is_flag=True,
    help="Run as a cluster node: clock and workers on the shared PostgreSQL "
    "([cluster] enabled = true does the same).",
)
@pass_ctx
def run(obj: Context, once: bool, cluster: bool) -> None:
    """Run the daemon (or, with --once, one round of polls)."""
    from seedwatch.daemon import config as config_mod
    from seedwatch.daemon import runtime

    obj.setup_service_logging()
    if cluster and once:
        raise click.UsageError("--once polls from this process alone; drop --cluster")
    if (cluster or obj.config.cluster.enabled) and not once:
        _cluster_node(obj.config, clock=True)
        return
    from seedwatch.daemon import websub
    from seedwatch.daemon.service import Service

    config = obj.config
    sources = config.enabled_sources()
    if not sources:
        log.warning("%s: nothing to poll", obj.no_config_file() or f"no sources in {config.where}")
    with runtime.running(config, sources=sources) as pipeline:

        def service(push: websub.WebSub | None = None) -> Service:
            return Service(
                pipeline,
                sources,
                concurrency=config.daemon.concurrency,
                jitter=config.daemon.jitter,
                listen=config.daemon.listen,
                drain_timeout=config.daemon.drain_timeout,
                reload=lambda: config_mod.load(obj.config_path).enabled_sources(),
                corpus=config.corpus_path,
                websub=push,
            )

        if once:
            results = service().run_once()
        else:
            with websub.running(config, pipeline, sources) as push:
                service(push).run_forever()
            return
        unwritten = _unwritten(pipeline)
    _summary(results)
    if _said_unwritten(unwritten) or any(r.error for r in results):
        sys.exit(1)


def _unwritten(pipeline: Pipeline) -> int:
    """How many items are pending after a sink refused some (a full disk): a
    one-shot command tells its caller (exit 1) instead of retrying them."""
    return len(pipeline.store.pending()) if pipeline.writer.unwritten else 0


def _said_unwritten(unwritten: int) -> bool:
    if unwritten:
        click.echo(
            f"{unwritten} item(s) recorded and not written yet (see the errors above): "
            "the next run writes them",
            err=True,
        )
    return unwritten > 0


@click.command()
@click.argument("source_id", metavar="SOURCE")
@pass_ctx
def poll(obj: Context, source_id: str) -> None:
    """Poll one source now, as the daemon would (parked or paused: polled anyway)."""
    from seedwatch.daemon import runtime
    from seedwatch.daemon.service import Service

    config = obj.config
    source = config.source(source_id)
    with runtime.running(config, sources=[source]) as pipeline:
        # No listen address: the health server belongs to the daemon.
        service = Service(pipeline, [source], concurrency=1, corpus=config.corpus_path)
        result = service.poll(source)
        unwritten = _unwritten(pipeline)
    _summary([result])
    if _said_unwritten(unwritten) or result.error:
        sys.exit(1)


@click.command()
@pass_ctx
def worker(obj: Context) -> None:
    """Run a cluster node without the clock: workers that poll what the clocks queue."""
    obj.setup_service_logging()
    _cluster_node(obj.config, clock=False)


def _cluster_node(config: Config, *, clock: bool) -> None:
    require("procrastinate", extra="cluster", needed_for="cluster mode")
    from seedwatch.daemon.cluster import run_node

    run_node(config, clock=clock)


def _parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date such as 2024-01-31, got {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@contextmanager
def _progress(enabled: bool, total: int | None) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="page", file=sys.stderr, dynamic_ncols=True) as bar:
        yield bar


@click.command()
@click.argument("source_id", metavar="SOURCE")
@click.option(
    "--since",
    help="Only items published on or after this date (ISO 8601); items without a date are kept.",
)
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after N pages.")
@click.option("--dry-run", is_flag=True, help="Record and write nothing; say what would be added.")
@pass_ctx
def backfill(
    obj: Context, source_id: str, since: str | None, max_pages: int | None, dry_run: bool
) -> None:
    """Pull a source's whole history (every page), through the same pipeline as `run`."""
    from seedwatch.daemon import runtime

    config = obj.config
    source = config.source(source_id)
    since_dt = _parse_since(since)
    with (
        runtime.running(config, sources=[source]) as pipeline,
        _progress(sys.stderr.isatty(), max_pages) as bar,
    ):

        def progress(result: PollResult) -> None:
            if bar is not None:
                bar.n = result.documents
                bar.set_postfix(items=result.items, new=result.accepted, refresh=False)
                bar.refresh()
            else:
                log.info(
                    "backfill %s: page %d, %d items, %d new",
                    source.id,
                    result.documents,
                    result.items,
                    result.accepted,
                )

        since_filter = None
        if since_dt is not None:
            from seedwatch.daemon.since import SinceFilter

            since_filter = SinceFilter(since_dt)
            pipeline.filters = [since_filter, *pipeline.filters]  # for this run only
        result = pipeline.poll_source(
            source,
            backfill=True,
            since=since_dt,
            max_pages=max_pages,
            dry_run=dry_run,
            on_progress=progress,
        ).result
        unwritten = _unwritten(pipeline)
    verb = "would add" if dry_run else "added"
    click.echo(
        f"backfill {source.id}: {result.documents} page(s), {result.items} item(s), "
        f"{verb} {result.accepted}",
        err=True,
    )
    if since_filter is not None:
        click.echo(
            f"--since {since}: {since_filter.dropped} item(s) published before it skipped; "
            f"{since_filter.undated} item(s) without a date kept",
            err=True,
        )
    for name in result.written:
        click.echo(name)
    if result.error:
        raise UserError(f"backfill {source.id} stopped: {result.error}")
    if _said_unwritten(unwritten):
        sys.exit(1)
