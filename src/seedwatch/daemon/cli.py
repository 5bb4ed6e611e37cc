"""The ``seedwatch`` command line.

Exit statuses: 0 success; 1 a failed operation (no parser claims a document,
a fetch failed, some source failed in ``run --once``), with one line on
stderr saying why; 2 usage or configuration errors. Only unexpected errors
print a traceback, with the version and where to report it.
"""

from __future__ import annotations

import json
import logging
import mimetypes
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from seedwatch import __version__
from seedwatch.contracts import PollResult
from seedwatch.corpus import scan
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import logs, runtime, sources_file
from seedwatch.errors import (
    ConfigError,
    ItemValidationError,
    ParseError,
    SeedwatchError,
    UserError,
)
from seedwatch.extras import require
from seedwatch.models import Document, Source, clean_item

if TYPE_CHECKING:
    from seedwatch.daemon.fetch import HttpFetcher

log = logging.getLogger("seedwatch.cli")


class Context:
    def __init__(self, config_path: str | None, *, strict_plugins: bool = False) -> None:
        self.config_path = config_path
        self.strict_plugins = strict_plugins
        self._config: config_mod.Config | None = None

    @property
    def config(self) -> config_mod.Config:
        if self._config is None:
            config = config_mod.load(self.config_path)
            if self.strict_plugins:
                plugins = config.plugins.model_copy(update={"strict": True})
                config = config.model_copy(update={"plugins": plugins})
            self._config = config
        return self._config

    def config_file(self) -> Path:
        path = config_mod.find_config(self.config_path)
        return path or Path.cwd() / config_mod.DEFAULT_NAME


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    "config_path",
    metavar="FILE",
    help=f"Config file (default: ${config_mod.CONFIG_ENV}, else ./seedwatch.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default=None, help="Log line format."
)
@click.option("--strict-plugins", is_flag=True, help="A plugin that fails to load stops start-up.")
@click.version_option(__version__, prog_name="seedwatch")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    verbose: int,
    quiet: bool,
    log_format: str | None,
    strict_plugins: bool,
) -> None:
    """Watch feeds, forums, FreshRSS and blogs; grow a plain-text corpus, never twice."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    logs.setup(level, log_format or "text")
    ctx.obj = Context(config_path, strict_plugins=strict_plugins)
    if log_format is None and ctx.invoked_subcommand in ("run", "worker"):
        # the config may ask for JSON lines (services); only read it where needed
        fmt = ctx.obj.config.daemon.log_format
        if fmt != "text":
            logs.setup(level, fmt)


# -- run / backfill ---------------------------------------------------------


def _summary(results: list[PollResult]) -> None:
    added = [name for r in results for name in r.written]
    failed = [r for r in results if r.error]
    for r in results:
        state = f"FAILED ({r.error_category}): {r.error}" if r.error else "ok"
        if r.not_modified and not r.documents:
            state = "not modified"
        click.echo(f"  {r.source:<28} {r.items:>5} items {r.accepted:>5} new  {state}", err=True)
    click.echo(
        f"{len(results)} source(s) polled, {len(added)} item(s) added, {len(failed)} failed",
        err=True,
    )
    for name in added:
        click.echo(name)


@cli.command()
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
    if cluster and once:
        raise click.UsageError("--once polls from this process alone; drop --cluster")
    if (cluster or obj.config.cluster.enabled) and not once:
        _cluster_node(obj.config, clock=True)
        return
    from seedwatch.daemon.service import Service

    config = obj.config
    sources = config.enabled_sources()
    if not sources:
        log.warning("no sources configured in %s: nothing to poll", config.where)
    with runtime.running(config) as pipeline:
        pipeline.registry.notify("on_startup", sources=sources)
        service = Service(
            pipeline,
            sources,
            concurrency=config.daemon.concurrency,
            jitter=config.daemon.jitter,
            listen=config.daemon.listen,
            drain_timeout=config.daemon.drain_timeout,
            reload=lambda: config_mod.load(obj.config_path).enabled_sources(),
            corpus=config.corpus_path,
        )
        if once:
            results = service.run_once()
            pipeline.registry.notify("on_shutdown")
            _summary(results)
            if any(r.error for r in results):
                sys.exit(1)
            return
        service.run_forever()


@cli.command()
@pass_ctx
def worker(obj: Context) -> None:
    """Run a cluster node without the clock: workers that poll what the clocks queue."""
    _cluster_node(obj.config, clock=False)


def _cluster_node(config: config_mod.Config, *, clock: bool) -> None:
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


@cli.command()
@click.argument("source_id", metavar="SOURCE")
@click.option("--since", help="Only items newer than this date (ISO 8601).")
@click.option("--max-pages", type=click.IntRange(min=1), help="Stop after N pages.")
@click.option("--dry-run", is_flag=True, help="Record and write nothing; say what would be added.")
@pass_ctx
def backfill(
    obj: Context, source_id: str, since: str | None, max_pages: int | None, dry_run: bool
) -> None:
    """Pull a source's whole history (every page), through the same pipeline as `run`."""
    config = obj.config
    source = config.source(source_id)
    since_dt = _parse_since(since)
    with (
        runtime.running(config) as pipeline,
        _progress(sys.stderr.isatty(), max_pages) as bar,
    ):
        if bar is not None:

            def progress(result: PollResult) -> None:
                bar.n = result.documents
                bar.set_postfix(items=result.items, new=result.accepted, refresh=False)
                bar.refresh()

            pipeline.on_progress = progress
        else:

            def progress(result: PollResult) -> None:
                log.info(
                    "backfill %s: page %d, %d items, %d new",
                    source.id,
                    result.documents,
                    result.items,
                    result.accepted,
                )

            pipeline.on_progress = progress
        pipeline.registry.notify("on_startup", sources=[source])
        result = pipeline.poll_source(
            source, backfill=True, since=since_dt, max_pages=max_pages, dry_run=dry_run
        )
        pipeline.registry.notify("on_shutdown")
    verb = "would add" if dry_run else "added"
    click.echo(
        f"backfill {source.id}: {result.documents} page(s), {result.items} item(s), "
        f"{verb} {result.accepted}",
        err=True,
    )
    for name in result.written:
        click.echo(name)
    if result.error:
        raise UserError(f"backfill {source.id} stopped: {result.error}")


# -- parse ------------------------------------------------------------------


def _document(target: str, fetcher: HttpFetcher) -> Document:
    source = Source(id="parse", url=target)
    if "://" in target and not target.startswith("file://"):
        document = fetcher.fetch(target, source=source, local_ok=True)
        if document is None:  # only after a conditional request, which parse never sends
            raise UserError(f"{target}: server answered 304 Not Modified")
        return document
    path = Path(target.removeprefix("file://"))
    try:
        content = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{target}: cannot read: {exc.strerror}") from None
    media_type, _ = mimetypes.guess_type(path.name)
    return Document(
        url=path.resolve().as_uri(),
        content=content,
        fetched=datetime.now(UTC),
        media_type=media_type,
    )


@cli.command()
@click.argument("target", metavar="FILE|URL")
@click.option("--parser", "parser_name", help="Parser to use (default: the one that sniffs best).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item (the item schema).")
@pass_ctx
def parse(obj: Context, target: str, parser_name: str | None, as_json: bool) -> None:
    """Print the items a document yields (a plugin author's best friend)."""
    config = obj.config
    registry = runtime.registry_for(config)
    with runtime.fetcher(config) as fetcher:
        document = _document(target, fetcher)
    parser = registry.parser(parser_name) if parser_name else registry.sniff(document)
    count = 0
    try:
        for raw in parser.parse(document):
            try:
                item, notes = clean_item(raw)  # as the pipeline does before recording
            except ItemValidationError as exc:
                log.warning("%s: an item dropped: %s", document.url, exc)
                continue
            if notes:
                log.warning("%s: item %s: %s", document.url, item.key, "; ".join(notes))
            count += 1
            if as_json:
                click.echo(json.dumps(item.to_json(), ensure_ascii=False))
            else:
                when = item.published.isoformat() if item.published else "-"
                click.echo(f"[{count}] {item.title or '(untitled)'}")
                click.echo(f"    key {item.key}  author {item.author or '-'}  date {when}")
                click.echo(f"    url {item.url or '-'}")
                first = item.text.split("\n", 1)[0]
                click.echo(f"    {first[:150]}")
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(
            f"parser {parser.name!r} (plugin {registry.owner(parser)}) failed on "
            f"{document.url}: {type(exc).__name__}: {exc}"
        ) from exc
    if not as_json:
        click.echo(f"{count} item(s) by parser {parser.name}", err=True)


# -- config, sources --------------------------------------------------------


@cli.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@pass_ctx
def config_check(obj: Context) -> None:
    """Validate the config file, its sources and the plugins they name."""
    config = obj.config
    registry = runtime.registry_for(config)
    problems = []
    for src in config.sources:
        try:
            source = config.to_source(src)
            registry.source_kind(src.kind).check(source)
            if src.parser:
                registry.parser(src.parser)
        except UserError as exc:
            problems.append(f"source {src.id!r}: {exc}")
    for name in config.corpus.sinks:
        if name not in registry.sinks:
            problems.append(f"[corpus] sinks: no sink named {name!r}")
    if problems:
        raise ConfigError(f"config {config.where}:\n  " + "\n  ".join(problems))
    click.echo(f"config {config.where}: ok, {len(config.sources)} source(s)")


@cli.group()
def sources() -> None:
    """List, check, add and remove sources; OPML import and export."""


@sources.command("list")
@pass_ctx
def sources_list(obj: Context) -> None:
    """The configured sources and what the daemon knows of each."""
    config = obj.config
    states = runtime.open_state(config).source_states() if config.sources else {}
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
    with runtime.running(config) as pipeline:
        for source in targets:
            result = pipeline.poll_source(source, backfill=False, dry_run=True, max_pages=1)
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
@click.argument("source_id", metavar="ID")
@click.argument("url")
@click.option("--kind", default="http", show_default=True)
@click.option("--parser", "parser_name")
@click.option("--min-interval")
@click.option("--max-interval")
@pass_ctx
def sources_add(
    obj: Context,
    source_id: str,
    url: str,
    kind: str,
    parser_name: str | None,
    min_interval: str | None,
    max_interval: str | None,
) -> None:
    """Add a source to the config file."""
    entry = {
        "id": source_id,
        "kind": kind,
        "url": url,
        "parser": parser_name,
        "min_interval": min_interval,
        "max_interval": max_interval,
    }
    path = obj.config_file()
    added = sources_file.add_sources(path, [entry])
    if not added:
        raise UserError(f"config {path}: a source with URL {url} is already configured")
    click.echo(f"added source {added[0]!r} to {path}")


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
    state = runtime.open_state(config).resume(source_id)
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


# -- status, plugins, corpus ------------------------------------------------


@cli.command()
@pass_ctx
def status(obj: Context) -> None:
    """Each source's state, last and next poll, items and errors; the corpus."""
    from seedwatch.daemon import status as status_mod
    from seedwatch.state.dedup.index import rejection_counts

    config = obj.config
    store = runtime.open_state(config)
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


@cli.command()
@pass_ctx
def plugins(obj: Context) -> None:
    """Every plugin: where it comes from, whether it loaded, its hooks and what it registers."""
    registry = runtime.registry_for(obj.config)
    registered: dict[str, list[str]] = {}
    for (hook, name), plugin in registry.owners.items():
        what = hook.removeprefix("register_").rstrip("s").replace("_", " ")
        registered.setdefault(plugin, []).append(f"{what} {name}")
    for st in sorted(registry.statuses, key=lambda st: (st.origin == "built-in", st.name)):
        version = " ".join(x for x in (st.distribution, st.version) if x)
        origin = f"{version}, {st.origin}" if version else st.origin
        line = f"{st.name} ({origin})"
        if st.status == "failed":
            line += f": FAILED to load: {st.error}"
        elif st.status != "loaded":
            line += f": {st.status} (SEEDWATCH_LOAD_PLUGINS or [plugins] load)"
        click.echo(line)
        for entry in sorted(registered.get(st.name, [])):
            click.echo(f"    {entry}")
        hooks = registry.hooks_of(st.name)
        if hooks:
            click.echo(f"    hooks: {', '.join(hooks)}")


@cli.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder to create the package seedwatch-NAME in.",
)
def plugin_new(name: str, directory: Path) -> None:
    """Write a parser plugin package: entry point, parser skeleton, sample, tests."""
    from seedwatch.daemon import scaffold

    try:
        target = scaffold.new_plugin(name, directory)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e '{target}[test]' && pytest {target}")


@cli.group()
def corpus() -> None:
    """Index and inspect the corpus folder."""


@corpus.command("index")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@pass_ctx
def corpus_index(obj: Context, folder: Path | None) -> None:
    """Record what the corpus folder (or FOLDER) holds in the state; known files are skipped."""
    from seedwatch.daemon.indexer import index_corpus

    config = obj.config
    registry = runtime.registry_for(config)
    store = runtime.open_state(config)
    report = index_corpus(registry, store, folder or config.corpus_path)
    click.echo(
        f"indexed {report.files} file(s), {report.items} item(s), {report.bytes} bytes; "
        f"{report.skipped} already known"
    )


@corpus.command("stats")
@pass_ctx
def corpus_stats(obj: Context) -> None:
    """Files and bytes in the corpus folder; items by parser and by source."""
    from seedwatch.state import maintenance

    config = obj.config
    files = scan(config.corpus_path)
    size = sum(f.path.stat().st_size for f in files)
    click.echo(f"{config.corpus_path}: {len(files)} file(s), {size} bytes")
    store = runtime.open_state(config)
    for key, value in store.stats().items():
        click.echo(f"  {key.replace('_', ' ')}: {value}")
    for column, title in (("parser", "by parser"), ("source_id", "by source")):
        click.echo(f"items {title}:")
        for name, count in sorted(maintenance.counts_by(store, column).items()):
            click.echo(f"  {name:<28} {count:>8}")


@corpus.command("verify")
@pass_ctx
def corpus_verify(obj: Context) -> None:
    """Compare the folder with the state: files missing, changed, or unknown to it."""
    from seedwatch.state import maintenance

    config = obj.config
    report = maintenance.verify(runtime.open_state(config), config.corpus_path)
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
    deleted = maintenance.remove(runtime.open_state(config), config.corpus_path, target)
    click.echo(f"removed {target}; deleted {', '.join(deleted) or 'no file (already gone)'}")


@cli.group("state")
def state_group() -> None:
    """Back up and export the state."""


@state_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def state_backup(obj: Context, path: Path) -> None:
    """An online, consistent copy of the SQLite state (safe while the daemon runs)."""
    from seedwatch.state import maintenance

    maintenance.backup(runtime.open_state(obj.config), path)
    click.echo(f"state copied to {path}")


@state_group.command("export")
@pass_ctx
def state_export(obj: Context) -> None:
    """The state as JSON lines on standard output (sources, corpus files, items)."""
    from seedwatch.state import maintenance

    count = maintenance.export(runtime.open_state(obj.config), sys.stdout)
    click.echo(f"{count} record(s) exported", err=True)


@cli.group()
def dedup() -> None:
    """Ask the de-duplication state why an item is (not) new."""


@dedup.command("explain")
@click.argument("target", metavar="FILE|URL")
@click.option("--parser", "parser_name", help="Parser to use (default: the one that sniffs best).")
@pass_ctx
def dedup_explain(obj: Context, target: str, parser_name: str | None) -> None:
    """Each layer's verdict, reason and matching corpus files for the items of a document."""
    from seedwatch.state.explain import explain

    config = obj.config
    registry = runtime.registry_for(config)
    with runtime.fetcher(config) as fetcher:
        document = _document(target, fetcher)
    parser = registry.parser(parser_name) if parser_name else registry.sniff(document)
    store = runtime.open_state(config)
    try:
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

    store = runtime.open_state(obj.config)
    with store.engine.connect() as conn:
        counts = rejection_counts(conn)
    store.close()
    for layer, count in sorted(counts.items()):
        click.echo(f"{layer:<14} {count:>8}")


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line and an exit status."""
    try:
        cli.main(args=argv, prog_name="seedwatch", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except UserError as exc:
        click.echo(f"seedwatch: {exc}", err=True)
        sys.exit(exc.exit_code)
    except SeedwatchError as exc:
        click.echo(f"seedwatch: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception:
        traceback.print_exc()
        click.echo(
            f"seedwatch {__version__}: unexpected error (a bug); please report it with the "
            f"traceback above at https://github.com/seedwatch/seedwatch/issues",
            err=True,
        )
        sys.exit(70)
