"""``seedwatch explain FILE|URL``: why each item of a document would be kept or dropped.

The sibling of ``seedwatch dedup explain``: it runs what the pipeline runs
before writing (transforms, every filter, then de-duplication), recording
nothing, and prints each filter rule's finding (matched or not, and why),
the outcome, and, for items the filters keep, the de-duplication verdict.
With ``--source ID`` the source's own rules apply too (and its id, for its
de-duplication policy); without it, the global ``[[rules]]`` only. Full
text is not fetched: the item is judged as the document gives it.
"""

from __future__ import annotations

from dataclasses import replace

import click

from seedwatch.daemon.cli.context import Context, pass_ctx
from seedwatch.daemon.cli.parse import read_document
from seedwatch.models import Item, Source


@click.command("explain")
@click.argument("target", metavar="FILE|URL")
@click.option("--source", "source_id", metavar="ID", help="Judge as this configured source.")
@click.option("--parser", "parser_name", help="Parser to use (default: the one that sniffs best).")
@pass_ctx
def explain(obj: Context, target: str, source_id: str | None, parser_name: str | None) -> None:
    """Why each item of a document would be kept or dropped: filter rules, then de-duplication."""
    from seedwatch.daemon import runtime

    config = obj.config
    source = config.source(source_id) if source_id else Source(id="explain")
    registry = runtime.registry_for(config)
    if "rules" in registry.filters:
        registry.filters["rules"].configure({"rules": config.rules, "where": config.where})
    transforms = runtime._select(
        "transforms", registry.transforms, config.pipeline.transforms, config.where
    )
    filters = runtime._select("filters", registry.filters, config.pipeline.filters, config.where)
    with runtime.fetcher(config) as fetcher:
        document = read_document(target, fetcher)
    parser = registry.parser(parser_name) if parser_name else registry.sniff(document)
    store = obj.state()
    try:
        from seedwatch.daemon.indexer import index_before_judging

        index_before_judging(registry, store, config.corpus_path)
        for n, raw in enumerate(parser.parse(document), 1):
            item: Item = replace(raw, source=raw.source or (source.id if source_id else None))
            for transform in transforms:
                item = transform.apply(item, source)
            click.echo(f"[{n}] {item.title or '(untitled)'}  ({item.key})")
            dropped = None
            for flt in filters:
                explain_rules = getattr(flt, "explain", None)
                if explain_rules is not None:
                    decision = explain_rules(item, source)
                    for f in decision.findings:
                        mark = "DROPS" if f.drops else "match" if f.matched else "-"
                        click.echo(f"    rule {f.rule} ({f.action}): {mark}: {f.why}")
                    if dropped is None and decision.dropped_by:
                        dropped = f"rule {decision.dropped_by}: {decision.why}"
                    continue
                reason = flt.check(item, source)
                click.echo(f"    filter {flt.name}: {'DROPS: ' + reason if reason else 'keeps'}")
                if dropped is None and reason:
                    dropped = f"filter {flt.name}: {reason}"
            if dropped:
                click.echo(f"  => dropped by {dropped}")
            else:
                verdict = store.judge(item)
                outcome = "would be added" if verdict.accepted else "not added"
                click.echo(f"  => kept by the filters; de-duplication: {outcome} "
                           f"({verdict.layer}: {verdict.reason})")  # fmt: skip
            click.echo("")
    finally:
        store.close()
