"""``seedwatch config check`` and ``seedwatch sources``: what to watch (list, check,
add, remove, resume; OPML import and export)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from seedwatch.daemon import runtime, sources_file
from seedwatch.daemon.cli.context import Context, pass_ctx
from seedwatch.errors import UserError


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@pass_ctx
def config_check(obj: Context) -> None:
    """Validate the config file, its sources and the plugins they name."""
    from seedwatch.daemon.source_checks import check_plugins

    config = obj.config
    check_plugins(config, runtime.registry_for(config))
    click.echo(f"config {config.where}: ok, {len(config.sources)} source(s)")


@click.group()
def sources() -> None:
    """List, check, add and remove sources; OPML import and export."""


@sources.command("list")
@pass_ctx
def sources_list(obj: Context) -> None:
    """The configured sources and what the daemon knows of each."""
    config = obj.config
    states = obj.state().source_states() if config.sources else {}
    click.echo(f"{'ID':<28} {'KIND':<9} {'LAST SUCCESS':<20} {'ERRORS':>6} {'ITEMS':>6}  URL/PATH")
    for src in config.sources:
        st = states.get(src.id)
        last = st.last_success.strftime("%Y-%m-%d %H:%M") if st and st.last_success else "never"
        flag = " (disabled)" if not src.enabled else " (parked)" if st and st.parked else ""
        click.echo(
            f"{src.id:<28} {src.kind:<9} {last:<20} {st.consecutive_errors if st else 0:>6} "
            f"{st.items_accepted if st else 0:>6}  {src.url or src.path}{flag}"
        )


@sources.command("check")
@click.argument("source_id", required=False, metavar="[SOURCE]")
@pass_ctx
def sources_check(obj: Context, source_id: str | None) -> None:
    """Fetch and parse each source (or one) without recording anything."""
    config = obj.config
    targets = [config.source(source_id)] if source_id else config.enabled_sources()
    failed = 0
    with runtime.running(config, notify=False) as pipeline:
        for source in targets:
            result = pipeline.poll_source(source, dry_run=True, max_pages=1).result
            status = f"FAILED: {result.error}" if result.error else "ok"
            click.echo(
                f"{source.id:<28} {result.items:>5} items, {result.accepted:>5} new  {status}"
            )
            # what the source's kind learnt, e.g. that a forum offers its own feed
            for note in pipeline.registry.source_kind(source.kind).notes(source):
                click.echo(f"{'':<28} {note}")
            failed += bool(result.error)
    if failed:
        sys.exit(1)


@sources.command("add")
@click.argument("args", nargs=-1, required=True, metavar="[ID] URL")
@click.option("--kind", default="http", show_default=True)
@click.option("--parser", "parser_name")
@click.option("--min-interval")
@click.option("--max-interval")
@click.option("--first", is_flag=True, help="A page offering several feeds: take the best.")
@click.option("--no-discover", is_flag=True, help="Add the URL as given, without fetching it.")
@pass_ctx
def sources_add(
    obj: Context,
    args: tuple[str, ...],
    kind: str,
    parser_name: str | None,
    min_interval: str | None,
    max_interval: str | None,
    first: bool,
    no_discover: bool,
) -> None:
    """Add a source to the config file. A web page's feeds are discovered; a
    forum thread or board becomes a forum source (docs/discovery.md)."""
    from seedwatch.daemon import source_add

    if len(args) > 2:
        raise click.UsageError("expected [ID] URL")
    source_id, url = (None, args[0]) if len(args) == 1 else args
    config = obj.config
    options = {"parser": parser_name, "min_interval": min_interval, "max_interval": max_interval}
    with runtime.fetcher(config) as fetcher:
        source_add.add(
            obj.config_file(),
            fetcher,
            runtime.registry_for(config),
            source_id=source_id,
            url=url,
            kind=kind,
            options=options,
            discover=not no_discover,
            first=first,
        )


@sources.command("remove")
@click.argument("source_id", metavar="ID")
@pass_ctx
def sources_remove(obj: Context, source_id: str) -> None:
    """Remove a source from the config file (its state is kept)."""
    path = obj.config_file()
    sources_file.remove_source(path, source_id)
    click.echo(f"removed source {source_id!r} from {path}")


@sources.command("resume")
@click.argument("source_id", metavar="ID")
@pass_ctx
def sources_resume(obj: Context, source_id: str) -> None:
    """Resume a parked source: it is polled again now (a running daemon picks
    it up within seconds)."""
    config = obj.config
    config.source(source_id)  # a source the config names
    state = obj.state().resume(source_id)
    if state is None:
        raise UserError(f"source {source_id!r} has never been polled: nothing to resume")
    click.echo(f"resumed source {source_id!r}: polled again now")


@sources.command("import-opml")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def sources_import(obj: Context, opml: Path) -> None:
    """Add every feed of an OPML file as an http source (known URLs skipped)."""
    path = obj.config_file()
    added = sources_file.add_sources(path, sources_file.read_opml(opml))
    click.echo(f"imported {len(added)} source(s) into {path}")


@sources.command("export-opml")
@pass_ctx
def sources_export(obj: Context) -> None:
    """Print the http sources as OPML."""
    click.echo(sources_file.write_opml(obj.config.sources), nl=False)
