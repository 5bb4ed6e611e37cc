"""``seedwatch config check`` and ``seedwatch sources``: what to watch (list, check,
add, remove, resume; OPML import and export)."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seedwatch.daemon.cli.context import Context, pass_ctx
from seedwatch.errors import UserError
from seedwatch.redact import redact_text, redact_url

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config


@click.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@pass_ctx
def config_check(obj: Context) -> None:
    """Validate the config file, its sources and the plugins they name."""
    from seedwatch.daemon import runtime
    from seedwatch.daemon.source_checks import check_plugins

    config = obj.config
    check_plugins(config, runtime.registry_for(config))
    note = obj.no_config_file()
    if note:
        click.echo(note, err=True)
    click.echo(f"config {config.where}: ok, {len(config.sources)} source(s)")


@click.group()
def sources() -> None:
    """List, check, add and remove sources; OPML import and export."""


@sources.command("list")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source, one a line.")
@pass_ctx
def sources_list(obj: Context, as_json: bool) -> None:
    """The configured sources and what the daemon knows of each."""

    config = obj.config
    note = obj.no_config_file()
    if note:
        click.echo(note, err=True)
    states = obj.state().source_states() if config.sources else {}
    if as_json:
        for src in config.sources:
            st = states.get(src.id)
            click.echo(json.dumps({
                "id": src.id, "kind": src.kind, "url": redact_url(src.url) if src.url else None,
                "path": str(config.base / src.path) if src.path else None,
                "parser": src.parser, "enabled": src.enabled, "title": src.title,
                "group": src.group, "parked": bool(st and st.parked),
                "last_success": st.last_success.isoformat() if st and st.last_success else None,
                "consecutive_errors": st.consecutive_errors if st else 0,
                "items": st.items_accepted if st else 0,
            }, ensure_ascii=False))  # fmt: skip
        return
    click.echo(f"{'ID':<28} {'KIND':<9} {'LAST SUCCESS':<20} {'ERRORS':>6} {'ITEMS':>6}  URL/PATH")
    for src in config.sources:
        st = states.get(src.id)
        last = st.last_success.strftime("%Y-%m-%d %H:%M") if st and st.last_success else "never"
        flag = " (paused)" if not src.enabled else " (parked)" if st and st.parked else ""
        click.echo(
            f"{src.id:<28} {src.kind:<9} {last:<20} {st.consecutive_errors if st else 0:>6} "
            f"{st.items_accepted if st else 0:>6}  {redact_url(src.url) if src.url else src.path}"
            f"{flag}"
        )


@sources.command("check")
@click.argument("source_id", required=False, metavar="[SOURCE]")
@pass_ctx
def sources_check(obj: Context, source_id: str | None) -> None:
    """Fetch and parse each source (or one) as a poll would, recording and writing
    nothing: items found, and how many would be new (-v: each item)."""
    from seedwatch.daemon import runtime

    config = obj.config
    targets = [config.source(source_id)] if source_id else config.enabled_sources()
    if not obj.verbose:  # the indexer's line per corpus file, "would add" per item
        logging.getLogger().setLevel(max(obj.log_level, logging.WARNING))
    failed = 0
    with (
        tempfile.TemporaryDirectory(prefix="seedwatch-check-") as scratch,
        runtime.running(_checking(config, Path(scratch)), notify=False) as pipeline,
    ):
        for source in targets:
            result = pipeline.poll_source(source, dry_run=True).result
            status = f"FAILED: {redact_text(result.error)}" if result.error else "ok"
            click.echo(
                f"{source.id:<28} {result.items:>5} items, {result.accepted:>5} new  {status}"
            )
            # what the source's kind learnt, e.g. that a forum offers its own feed
            for note in pipeline.registry.source_kind(source.kind).notes(source):
                click.echo(f"{'':<28} {redact_text(note)}")
            failed += bool(result.error)
    if failed:
        sys.exit(1)


def _checking(config: Config, scratch: Path) -> Config:
    """The config as ``sources check`` runs it: no sinks (so no corpus folder is
    made), and, while there is no SQLite state yet, a throwaway one in
    ``scratch`` (against which every item is new) instead of creating it."""
    from seedwatch.daemon.config import StateConfig

    corpus = config.corpus.model_copy(update={"sinks": []})
    update: dict[str, Any] = {"corpus": corpus}
    url = config.state_url
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        update["state"] = StateConfig(url=f"sqlite:///{scratch / 'state.db'}")
    return config.model_copy(update=update)


@sources.command("add")
@click.argument("args", nargs=-1, required=True, metavar="[ID] URL|FOLDER")
@click.option(
    "--kind",
    default="http",
    show_default=True,
    help="http, folder, git, http-files, forum, freshrss (or a plugin's).",
)
@click.option("--parser", "parser_name")
@click.option("--min-interval")
@click.option("--max-interval")
@click.option("--path", "checkout", metavar="FOLDER", help="git: where the remote is cloned.")
@click.option(
    "--option",
    "-o",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A key of the kind or parser (user=alice, glob='[\"**/*.md\"]'); repeatable.",
)
@click.option(
    "--credential",
    "secrets",
    multiple=True,
    metavar="NAME=ENVVAR",
    help="A credential read from an environment variable (password=FRESHRSS_PASSWORD).",
)
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
    checkout: str | None,
    pairs: tuple[str, ...],
    secrets: tuple[str, ...],
    first: bool,
    no_discover: bool,
) -> None:
    """Add a source to the config file: a URL, or a FOLDER for --kind folder (and
    git, for a checkout on disk). A web page's feeds are discovered; a forum
    thread or board becomes a forum source (docs/discovery.md). The result is
    checked as `config check` does before the file is written."""
    from seedwatch.daemon import runtime, source_add
    from seedwatch.daemon.source_checks import check_plugins

    if len(args) > 2:
        raise click.UsageError("expected [ID] URL|FOLDER")
    source_id, url = (None, args[0]) if len(args) == 1 else args
    config = obj.config
    registry = runtime.registry_for(config)
    options: dict[str, Any] = {
        "parser": parser_name,
        "min_interval": min_interval,
        "max_interval": max_interval,
    }
    if checkout:
        options |= source_add.location("folder", checkout, obj.config_file().parent)
    options |= source_add.parse_options(pairs, "--option")
    if secrets:
        options["credentials"] = source_add.parse_options(secrets, "--credential")
    with runtime.fetcher(config) as fetcher:
        source_add.add(
            obj.config_file(),
            fetcher,
            registry,
            source_id=source_id,
            url=url,
            kind=kind,
            options=options,
            discover=not no_discover,
            first=first,
            check=lambda edited: check_plugins(edited, registry),
        )


@sources.command("remove")
@click.argument("source_id", metavar="ID")
@pass_ctx
def sources_remove(obj: Context, source_id: str) -> None:
    """Remove a source from the config file (its state is kept)."""
    from seedwatch.daemon import sources_file

    path = obj.config_file()
    sources_file.remove_source(path, source_id)
    click.echo(f"removed source {source_id!r} from {path}")


@sources.command("resume")
@click.argument("source_id", metavar="ID")
@pass_ctx
def sources_resume(obj: Context, source_id: str) -> None:
    """Resume a parked source: it is due at once (a running daemon polls it
    within seconds; `seedwatch poll ID` polls it now)."""

    config = obj.config
    config.source(source_id)  # a source the config names
    state = obj.state().resume(source_id)
    if state is None:
        raise UserError(f"source {source_id!r} has never been polled: nothing to resume")
    click.echo(
        f"resumed source {source_id!r}: due now; a running daemon polls it within seconds "
        f"(`seedwatch poll {source_id}` polls it here)"
    )


def _set_enabled(obj: Context, source_id: str, enabled: bool) -> None:
    from seedwatch.daemon import sources_file

    path = obj.config_file()
    obj.config.source(source_id)  # a source the config names (else: the known ones)
    changed = sources_file.set_enabled(path, source_id, enabled)
    verb = "unpaused" if enabled else "paused"
    if not changed:
        click.echo(f"source {source_id!r} is already {verb}")
        return
    what = "polled again" if enabled else "kept in the config, not polled"
    click.echo(
        f"{verb} source {source_id!r} in {path}: {what} (a running daemon picks it up at "
        "its next reload: SIGHUP)"
    )


@sources.command("pause")
@click.argument("source_id", metavar="ID")
@pass_ctx
def sources_pause(obj: Context, source_id: str) -> None:
    """Stop polling a source without removing it (writes `enabled = false`)."""
    _set_enabled(obj, source_id, False)


@sources.command("unpause")
@click.argument("source_id", metavar="ID")
@pass_ctx
def sources_unpause(obj: Context, source_id: str) -> None:
    """Poll a paused source again (removes `enabled = false`)."""
    _set_enabled(obj, source_id, True)


@sources.command("import-opml")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_ctx
def sources_import(obj: Context, opml: Path) -> None:
    """Add every feed of an OPML file as an http source, its folder or category
    as the source's `group` (URLs already configured are skipped, and listed)."""
    from seedwatch.daemon import runtime, sources_file
    from seedwatch.daemon.source_checks import check_plugins

    path = obj.config_file()
    registry = runtime.registry_for(obj.config)
    report = sources_file.add_sources(
        path, sources_file.read_opml(opml), check=lambda edited: check_plugins(edited, registry)
    )
    click.echo(f"imported {len(report.ids)} source(s) into {path}")
    if report.skipped:
        click.echo(f"skipped {len(report.skipped)} URL(s) already configured:")
        for url, existing in report.skipped:
            click.echo(f"  {redact_url(url)}  (source {existing!r})")


@sources.command("export-opml")
@pass_ctx
def sources_export(obj: Context) -> None:
    """Print the http sources as OPML."""
    from seedwatch.daemon import sources_file

    click.echo(sources_file.write_opml(obj.config.sources), nl=False)
