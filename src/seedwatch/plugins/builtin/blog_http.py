"""Source kind ``http-files``: a blog kept as raw files served over HTTP.

For posts that are only reachable as files on a web server (a
``raw.githubusercontent.com``-style URL per post) when cloning with the
``git`` kind is not an option. ``options["urls"]`` lists the files; entries
that are not absolute are resolved against ``source.url`` (the folder's
URL). Each poll fetches every file through the daemon's fetcher with a
conditional GET, so an unchanged file costs a 304 and yields nothing; a
backfill fetches them all unconditionally.

The cursor's ``mark`` keeps each file's validators as compact JSON,
``{"<url>": ["<etag>", "<last-modified>"]}``, one entry per file that sent
any: it grows with the list, which is meant for tens of files, not
thousands (use ``git`` for a whole archive). Each page's cursor holds the
validators of the files fetched so far, so a poll cut short resumes safely.

A file answering 4xx (a post deleted or renamed) is logged and skipped so
the others still arrive; any other failure (server down, timeout) ends the
poll with the fetcher's ``FetchError``, and the daemon backs off as usual.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urljoin

from seedwatch.contracts import Cursor, Page, PollContext, SourceKind
from seedwatch.errors import ConfigError, FetchError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Source

log = logging.getLogger(__name__)


class HttpFilesKind(SourceKind):
    """A fixed list of post files fetched over HTTP, each with its own validators."""

    name = "http-files"
    source_options = frozenset({"urls"})

    def check(self, source: Source) -> None:
        self.urls(source)

    @staticmethod
    def urls(source: Source) -> list[str]:
        entries = source.options.get("urls")
        if (
            isinstance(entries, str)
            or not isinstance(entries, Sequence)
            or not entries
            or not all(isinstance(e, str) and e.strip() for e in entries)
        ):
            raise ConfigError(
                f'source "{source.id}": field "urls": expected a list of the post files\' '
                f"URLs (absolute, or relative to the source's url), got {entries!r}"
            )
        return [urljoin(source.url, e.strip()) if source.url else e.strip() for e in entries]

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        validators = _read_mark(cursor.mark, source)
        for url in self.urls(source):
            etag, modified = (None, None) if context.backfill else validators.get(url, (None, None))
            try:
                # local_ok: these locations come from the config, not from a document
                document = context.fetcher.fetch(
                    url, source=source, etag=etag, last_modified=modified, local_ok=True
                )
            except FetchError as exc:
                if exc.category != "http-4xx":
                    raise
                log.error("source %s: skipping %s: %s", source.id, url, exc)
                continue
            if document is not None:
                fresh = (document.headers.get("etag"), document.headers.get("last-modified"))
                if any(fresh):
                    validators[url] = fresh
                else:
                    validators.pop(url, None)
            yield Page(document, Cursor(mark=_write_mark(validators)))


def _read_mark(mark: str | None, source: Source) -> dict[str, tuple[str | None, str | None]]:
    if not mark:
        return {}
    try:
        data = json.loads(mark)
        return {str(url): (pair[0], pair[1]) for url, pair in data.items()}
    except (ValueError, AttributeError, TypeError, IndexError, KeyError):
        log.warning("source %s: unreadable cursor; fetching every file", source.id)
        return {}


def _write_mark(validators: dict[str, tuple[str | None, str | None]]) -> str | None:
    if not validators:
        return None
    return json.dumps({u: list(v) for u, v in validators.items()}, separators=(",", ":"))


@hookimpl
def register_source_kinds(register: Callable[[SourceKind], None]) -> None:
    register(HttpFilesKind())
