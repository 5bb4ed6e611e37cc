"""``seedwatch parse``: the items a file or URL yields; ``read_document`` turns a
command's FILE|URL argument into a Document (``dedup explain`` uses it too)."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import TYPE_CHECKING

import click

from seedwatch.daemon.cli.context import Context, pass_ctx
from seedwatch.errors import ItemValidationError, ParseError, PluginError, UserError
from seedwatch.models import Document, Source, clean_item

if TYPE_CHECKING:
    from seedwatch.daemon.fetch import HttpFetcher

log = logging.getLogger("seedwatch.cli")


def read_document(target: str, fetcher: HttpFetcher) -> Document:
    """The document at ``target``, a URL or a local file, read as the daemon reads
    a source's: the fetcher's size cap and charset detection apply to both. It
    belongs to no configured source, whichever it is: its items' ``source`` is
    null (the fetcher is given a stand-in source only for its own policies)."""
    document = fetcher.fetch(target, source=Source(id="parse", url=target), local_ok=True)
    if document is None:  # only after a conditional request, which parse never sends
        raise UserError(f"{target}: server answered 304 Not Modified")
    return replace(document, source=None)


@click.command()
@click.argument("target", metavar="FILE|URL")
@click.option("--parser", "parser_name", help="Parser to use (default: the one that sniffs best).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per item (the item schema).")
@pass_ctx
def parse(obj: Context, target: str, parser_name: str | None, as_json: bool) -> None:
    """Print the items a document yields (a plugin author's best friend)."""
    from seedwatch.daemon import runtime

    config = obj.config
    registry = runtime.registry_for(config)
    with runtime.fetcher(config) as fetcher:
        document = read_document(target, fetcher)
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
    except (ParseError, BrokenPipeError):  # a closed pipe is the reader's choice
        raise
    except Exception as exc:  # the plugin's failure, not the document's: one line, exit 1
        where = f"{document.url} (parser {parser.name!r})"
        raise PluginError(registry.owner(parser), where, exc) from exc
    if not as_json:
        click.echo(f"{count} item(s) by parser {parser.name}", err=True)
