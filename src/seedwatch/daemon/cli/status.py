"""``seedwatch status``: each source's state, last and next poll, items and
errors, the corpus, and the rejections by dedup layer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import click

from seedwatch.corpus import scan
from seedwatch.daemon.cli.context import Context, pass_ctx


@click.command()
@pass_ctx
def status(obj: Context) -> None:
    """Each source's state, last and next poll, items and errors; the corpus."""
    from seedwatch.daemon import status as status_mod
    from seedwatch.state.dedup.index import rejection_counts

    config = obj.config
    store = obj.state()
    at = datetime.now(UTC)
    table = status_mod.rows(
        [(config.to_source(src), src.enabled) for src in config.sources],
        store.source_states(),
        store.items_by_day(at - timedelta(days=status_mod.DAYS)),
        at,
    )
    if table:
        click.echo(status_mod.text_table(table, at))
    else:
        click.echo(f"no sources configured in {config.where}")
    stats = store.stats()
    click.echo(
        f"corpus {config.corpus_path}: {len(scan(config.corpus_path))} file(s); state: "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in stats.items())
    )
    with store.engine.connect() as conn:
        rejected = rejection_counts(conn)
    click.echo(
        "rejected as duplicates, by layer: "
        + ", ".join(f"{layer} {n}" for layer, n in sorted(rejected.items()))
    )
    from seedwatch.state import filter_counts

    filtered = filter_counts.read(store)
    if filtered:
        click.echo(
            "dropped by filter rules: "
            + ", ".join(f"{rule} {n}" for rule, n in sorted(filtered.items()))
        )
