"""``seedwatch corpus``: index, stats, verify and remove, on the corpus folder and
the state that records it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from seedwatch.daemon.cli.context import Context, pass_ctx


@click.group()
def corpus() -> None:
    """Index and inspect the corpus folder."""


@corpus.command("index")
@click.argument(
    "folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@pass_ctx
def corpus_index(obj: Context, folder: Path | None) -> None:
    """Record what the corpus folder (or FOLDER) holds in the state; known files are skipped."""
    from seedwatch.daemon import runtime
    from seedwatch.daemon.indexer import index_corpus

    config = obj.config
    registry = runtime.registry_for(config)
    store = obj.state()
    report = index_corpus(registry, store, folder or config.corpus_path)
    click.echo(
        f"indexed {report.files} file(s), {report.items} item(s), {report.bytes} bytes; "
        f"{report.skipped} already known"
        + (
            f"; {report.unreadable} unreadable file(s) skipped (see the warnings)"
            if report.unreadable
            else ""
        )
    )


@corpus.command("stats")
@pass_ctx
def corpus_stats(obj: Context) -> None:
    """Files and bytes in the corpus folder; items by parser and by source."""
    from seedwatch.corpus import scan
    from seedwatch.state import maintenance

    config = obj.config
    files = scan(config.corpus_path)
    size = sum(f.path.stat().st_size for f in files)
    click.echo(f"{config.corpus_path}: {len(files)} file(s), {size} bytes")
    store = obj.state()
    for key, value in store.stats().items():
        click.echo(f"  {key.replace('_', ' ')}: {value}")
    for column, title in (("parser", "by parser"), ("source_id", "by source")):
        click.echo(f"items {title}:")
        for name, count in sorted(maintenance.counts_by(store, column).items()):
            click.echo(f"  {name:<28} {count:>8}")


@corpus.command("verify")
@pass_ctx
def corpus_verify(obj: Context) -> None:
    """Compare the folder with the state: files missing, changed, unreadable, or unknown
    to it."""
    from seedwatch.state import maintenance

    config = obj.config
    report = maintenance.verify(obj.state(), config.corpus_path)
    click.echo(report.render())
    if not report.ok:
        sys.exit(1)


@corpus.command("remove")
@click.argument("target", metavar="KEY|FILE")
@pass_ctx
def corpus_remove(obj: Context, target: str) -> None:
    """Take an item (or a whole file) down for good: the file goes, a tombstone stays,
    so no source brings it back."""
    from seedwatch.state import maintenance

    config = obj.config
    deleted = maintenance.remove(obj.state(), config.corpus_path, target)
    click.echo(f"removed {target}; deleted {', '.join(deleted) or 'no file (already gone)'}")
