"""``seedwatch status``: each source's state, last and next poll, items and
errors, the corpus, and the rejections by dedup layer."""

from __future__ import annotations

import json
import shutil
import textwrap
from datetime import UTC, datetime, timedelta

import click

from seedwatch.daemon.cli.context import Context, pass_ctx


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object: sources, corpus, counts.")
@pass_ctx
def status(obj: Context, as_json: bool) -> None:
    """Each source's state, last and next poll (and why), items and errors; the corpus."""
    from seedwatch.corpus import scan
    from seedwatch.daemon import status as status_mod
    from seedwatch.state import filter_counts
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
    stats = store.stats()
    files = len(scan(config.corpus_path))
    with store.engine.connect() as conn:
        rejected = rejection_counts(conn)
    filtered = filter_counts.read(store)
    if as_json:
        report = {
            "config": str(config.file) if config.file else None,
            "at": at.isoformat(),
            "sources": [status_mod.row_json(r) for r in table],
            "corpus": {"path": str(config.corpus_path), "files": files, **stats},
            "rejected": rejected,
            "filtered": filtered,
        }
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    width = shutil.get_terminal_size().columns
    if table:
        click.echo(status_mod.text_table(table, at, width=width))
    else:
        click.echo(obj.no_config_file() or f"no sources configured in {config.where}")
    lines = [
        f"corpus {config.corpus_path}: {files} file(s); state: "
        + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in stats.items()),
        "rejected as duplicates, by layer: "
        + ", ".join(f"{layer} {n}" for layer, n in sorted(rejected.items())),
    ]
    if filtered:
        lines.append(
            "dropped by filter rules: "
            + ", ".join(f"{rule} {n}" for rule, n in sorted(filtered.items()))
        )
    for line in lines:
        click.echo(textwrap.fill(line, width, subsequent_indent="  ", break_on_hyphens=False))
