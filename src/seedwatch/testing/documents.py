"""Documents for tests, and running a parser on bytes, a file or a local URL.

A parser receives ``Document`` objects; these helpers build them the way the
daemon does (``document_from_file`` as ``seedwatch parse FILE``,
``fetch_document`` through the real fetcher) and return a parser's items as
a list. Where a helper takes a ``Registry`` instead of a ``Parser``, the
registry sniffs, as the daemon does for a source that names no parser.
"""

from __future__ import annotations

import ipaddress
import mimetypes
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from seedwatch.contracts import Parser
from seedwatch.models import Document, Item, Source
from seedwatch.plugins.registry import Registry


def make_document(
    content: bytes | str,
    *,
    url: str = "file:///document",
    media_type: str | None = None,
    charset: str | None = None,
    headers: Mapping[str, str] | None = None,
    source: Source | None = None,
    fetched: datetime | None = None,
) -> Document:
    """A Document holding ``content`` (a str is encoded as UTF-8)."""
    return Document(
        url=url,
        content=content.encode("utf-8") if isinstance(content, str) else content,
        fetched=fetched or datetime.now(UTC),
        media_type=media_type,
        charset=charset,
        headers=dict(headers or {}),
        source=source,
    )


def document_from_file(path: str | Path, *, media_type: str | None = None) -> Document:
    """A file as ``seedwatch parse FILE`` reads it: ``file://`` URL, media type from
    the file name."""
    file = Path(path)
    return make_document(
        file.read_bytes(),
        url=file.resolve().as_uri(),
        media_type=media_type or mimetypes.guess_type(file.name)[0],
    )


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def fetch_document(url: str, *, source: Source | None = None) -> Document:
    """Fetch ``url`` with seedwatch's real fetcher (what the daemon would hand the parser).

    Only loopback URLs (a test server on 127.0.0.1): tests never reach the internet.
    """
    if not _is_loopback(url):
        raise ValueError(
            f"fetch_document only fetches from 127.0.0.1/localhost in tests, not {url}"
        )
    # imported here: the fetcher pulls in httpx, which a plain parser test never needs
    from seedwatch.daemon.fetch import FetchSettings, HttpFetcher

    with HttpFetcher(FetchSettings(total_timeout=30.0)) as fetcher:
        document = fetcher.fetch(url, source=source or Source(id="test", url=url))
    if document is None:  # only after a conditional request, which this never sends
        raise AssertionError(f"{url}: 304 Not Modified to an unconditional request")
    return document


def run_parser(parser: Parser | Registry, document: Document) -> list[Item]:
    """The items ``parser`` yields for ``document`` (a Registry picks by sniffing)."""
    chosen = parser.sniff(document) if isinstance(parser, Registry) else parser
    return list(chosen.parse(document))


def parse_bytes(
    parser: Parser | Registry,
    content: bytes | str,
    *,
    url: str = "file:///document",
    media_type: str | None = None,
) -> list[Item]:
    """Parse ``content`` as if fetched from ``url`` with ``media_type``."""
    return run_parser(parser, make_document(content, url=url, media_type=media_type))


def parse_file(parser: Parser | Registry, path: str | Path) -> list[Item]:
    """Parse a file as ``seedwatch parse FILE`` would."""
    return run_parser(parser, document_from_file(path))


def parse_url(parser: Parser | Registry, url: str) -> list[Item]:
    """Fetch a loopback URL with the real fetcher, then parse what it returned."""
    return run_parser(parser, fetch_document(url))
