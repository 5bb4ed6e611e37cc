"""The ``http`` source kind: one poll is one conditional fetch of the source's URL.

A feed or page at ``url`` (an http(s) URL, or a ``file://`` URL or path the
config names: ``path`` works too). The cursor keeps the response's ETag and
Last-Modified; the next poll sends them back and a 304 yields a Page with no
Document and the cursor unchanged. A backfill fetches unconditionally (it
wants the document even if it has not changed since the last poll); the
pipeline then follows the parser's ``next_pages``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

from seedwatch.contracts import Cursor, Page, PollContext, SourceKind
from seedwatch.errors import ConfigError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Source


class HttpSource(SourceKind):
    """Plain fetching of one URL per poll (RSS/Atom/JSON feeds, HTML pages, files)."""

    name = "http"
    source_options = frozenset[str]()

    def check(self, source: Source) -> None:
        if not (source.url or source.path):
            raise ConfigError(
                f'source "{source.id}" (kind "http"): field "url": expected the feed\'s '
                f"URL (http, https, or file:// and a path for a local file), got nothing"
            )
        url = source.url or ""
        scheme = urlsplit(url).scheme.lower()
        # A bare relative name ("notaurl") is a typo far more often than a file.
        if url and scheme not in ("http", "https", "file") and not Path(url).is_absolute():
            raise ConfigError(
                f'source "{source.id}" (kind "http"): field "url": expected an http(s) URL '
                f"(or file:// for a local file), got {url!r}"
            )

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        self.check(source)
        location = source.url or source.path or ""
        conditional = not context.backfill
        # local_ok: this location comes from the config, not from a document.
        document = context.fetcher.fetch(
            location,
            source=source,
            etag=cursor.etag if conditional else None,
            last_modified=cursor.last_modified if conditional else None,
            local_ok=True,
        )
        if document is None:
            yield Page(None, cursor)
            return
        yield Page(
            document,
            Cursor(
                etag=document.headers.get("etag"),
                last_modified=document.headers.get("last-modified"),
                mark=cursor.mark,
            ),
        )


@hookimpl
def register_source_kinds(register: Callable[[SourceKind], None]) -> None:
    register(HttpSource())
