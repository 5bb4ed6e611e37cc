"""Local files as fetches: ``file://`` URLs and plain paths, for the locations
the config names only (the client checks that). Answers with web-server-like
validators (size and mtime, as nginx does) so the http source kind's cursor
skips unchanged files, and holds files to the same size cap as bodies."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from seedwatch.daemon.fetch.body import size_text, too_large
from seedwatch.daemon.fetch.settings import FetchResult
from seedwatch.daemon.fetch.sniff import detect_charset, local_media_type
from seedwatch.errors import FetchError
from seedwatch.models import Document, Source


def fetch_local(
    url: str, source: Source, etag: str | None, last_modified: str | None, max_bytes: int
) -> FetchResult:
    """Read the file ``url`` names; a 304-like result when the validators match."""
    started = time.monotonic()
    path = local_path(url)
    try:
        stat = path.stat()
        if not path.is_file():
            raise FetchError(
                f"{url}: cannot read {path}: not a regular file", url=url, category="io"
            )
        # Validators like a web server's (nginx: size and mtime), so the
        # http source kind's cursor skips unchanged local files too.
        validator = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
        modified = formatdate(stat.st_mtime, usegmt=True)
        if etag == validator or (etag is None and last_modified == modified):
            content = None
        else:
            if stat.st_size > max_bytes:
                raise too_large(url, max_bytes, f"the file holds {size_text(stat.st_size)}")
            with path.open("rb") as fh:
                content = fh.read(max_bytes + 1)
            if len(content) > max_bytes:
                raise too_large(url, max_bytes, "the file grew while being read")
    except OSError as exc:
        raise FetchError(
            f"{url}: cannot read {path}: {exc.strerror or exc}", url=url, category="io"
        ) from exc
    final = path.resolve().as_uri()
    local_type = local_media_type(path)
    headers = {"etag": validator, "last-modified": modified}
    if local_type:
        headers["content-type"] = local_type
    document = None
    if content is not None:
        headers["content-length"] = str(len(content))
        document = Document(
            url=final,
            content=content,
            fetched=datetime.now(UTC),
            media_type=local_type,
            charset=detect_charset(content, None),
            headers=headers,
            source=source,
        )
    return FetchResult(
        url=url,
        status=200 if document is not None else 304,
        headers=headers,
        document=document,
        source=source,
        wire_bytes=len(content or b""),
        elapsed=time.monotonic() - started,
    )


def local_path(url: str) -> Path:
    """The path a ``file://`` URL (on this machine) or a plain path names."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file":
        return Path(url).expanduser()
    if parts.netloc not in ("", "localhost"):
        raise FetchError(
            f"{url}: refused: a file:// URL must name a file on this machine",
            url=url,
            category="refused",
        )
    return Path(url2pathname(parts.path))
