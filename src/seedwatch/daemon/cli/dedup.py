"""``seedwatch dedup``: why an item is (not) new, and rejections by layer."""

from __future__ import annotations

import click

from seedwatch.daemon.cli.context import Context, pass_ctx
from seedwatch.daemon.cli.parse import read_document


@click.group()
def dedup() -> None:
    """Ask the de-duplication state why an item is (not) new."""


@dedup.command("explain")
@click.argument("target", metavar="FILE|URL")
@click.option("--parser", "parser_name", help="Parser to use (default: the one that sniffs best).")
@pass_ctx
def dedup_explain(obj: Context, target: str, parser_name: str | None) -> None:
    """Each layer's verdict, reason and matching corpus files for the items of a document."""
    from seedwatch.daemon import runtime
    from seedwatch.daemon.indexer import index_before_judging
    from seedwatch.state.explain import explain

    config = obj.config
    registry = runtime.registry_for(config)
    with runtime.fetcher(config) as fetcher:
        document = read_document(target, fetcher)
    parser = registry.parser(parser_name) if parser_name else registry.sniff(document)
    store = obj.state()
    try:
        index_before_judging(registry, store, config.corpus_path)
        for item in parser.parse(document):
            click.echo(explain(store, item).render())
            click.echo("")
    finally:
        store.close()


@dedup.command("stats")
@pass_ctx
def dedup_stats(obj: Context) -> None:
    """Items rejected so far, by the layer that rejected them."""
    from seedwatch.state.dedup.index import rejection_counts

    store = obj.state()
    with store.engine.connect() as conn:
        counts = rejection_counts(conn)
    store.close()
    for layer, count in sorted(counts.items()):
        click.echo(f"{layer:<14} {count:>8}")
