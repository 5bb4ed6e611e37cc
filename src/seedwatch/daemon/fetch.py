"""Fetching: turns a URL and a source's validators into a Document.

Owns conditional GET (ETag / Last-Modified, 304 -> ``None``), timeouts
(connect, read, and a total deadline per fetch), the size cap (counted after
decompression, enforced while streaming), redirects (capped, loops named,
permanent moves reported), content decoding (gzip, deflate, brotli), charset
and media-type detection, the User-Agent, and the rule that local files are
read only for locations the config names. Knows nothing about formats;
parsers never do I/O.

Every failure is a ``FetchError`` whose message is one line naming the URL
and the cause, with a ``category`` from ``seedwatch.errors`` (and ``status``
and ``retry_after`` for HTTP errors).

One ``HttpFetcher`` (one httpx client, one connection pool) serves every
polling thread. Successful fetches and 304s are also reported as
``FetchResult``s to an optional ``on_result`` callback: that is where the
daemon learns caching headers of a 304, permanent redirects and byte counts,
which the ``Fetcher`` protocol's ``Document | None`` cannot carry.
"""

from __future__ import annotations

import codecs
import re
import socket
import ssl
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import brotli
import httpcore
import httpx

from seedwatch import __version__
from seedwatch.errors import FetchError
from seedwatch.models import Document, Source

DEFAULT_CONTACT = "https://github.com/seedwatch/seedwatch"
DEFAULT_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "application/json;q=0.7, text/html;q=0.7, text/*;q=0.5, */*;q=0.1"
)
# Only what _decoder() can decode with a bounded output; httpx would add
# "zstd" when the zstandard package happens to be installed.
ACCEPT_ENCODING = "gzip, deflate, br"

_PIECE = 64 * 1024  # most bytes a decoder emits per step: bounds memory beyond the cap
_REDIRECTS = (301, 302, 303, 307, 308)
_PERMANENT = (301, 308)
_BOMS = (  # UTF-32 LE before UTF-16 LE: its BOM starts with UTF-16 LE's
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_XML_DECL = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']")
_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r";\s*charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
# Labels the WHATWG Encoding Standard decodes as windows-1252: pages and feeds
# declared "ISO-8859-1" are full of cp1252 quotes, dashes and euro signs.
_WINDOWS_1252 = frozenset(
    {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1"}
)
# File extensions the standard table lacks or gets wrong for feeds and posts.
_LOCAL_TYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".rdf": "application/rdf+xml",
    ".xml": "application/xml",
    ".json": "application/json",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}

# The total deadline of the fetch running in this thread (time.monotonic()).
_DEADLINE: ContextVar[float | None] = ContextVar("seedwatch_fetch_deadline", default=None)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits and identity of every fetch (the config's ``[fetch]`` table).

    Timeouts are in seconds: ``connect_timeout`` and ``read_timeout`` bound
    each socket operation, ``total_timeout`` the whole fetch, redirects
    included (a server trickling one byte a second is cut off there; only
    DNS resolution, done by the C library, can overrun it). ``max_bytes``
    caps the body after decompression. ``user_agent`` replaces the default
    ``seedwatch/<version> (+<contact>)``.
    """

    contact: str = DEFAULT_CONTACT
    user_agent: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    accept: str = DEFAULT_ACCEPT

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchSettings.{name} must be positive")
        if self.max_bytes <= 0 or self.max_redirects < 0:
            raise ValueError("FetchSettings: max_bytes must be positive, max_redirects >= 0")

    @property
    def agent(self) -> str:
        """The User-Agent header sent with every request."""
        return self.user_agent or f"seedwatch/{__version__} (+{self.contact})"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Everything one successful fetch learnt, 304s included.

    ``headers`` are the final response's, names lower-cased (repeated ones
    joined with ", "). ``permanent_redirect`` is where ``url`` has moved for
    good: the target of the unbroken run of 301/308 answers that starts at
    ``url`` (``None`` when the first hop, if any, was temporary).
    ``redirects`` lists each hop as (status, target). ``wire_bytes`` counts
    the body as received, before decompression.
    """

    url: str
    final_url: str
    status: int
    headers: Mapping[str, str]
    document: Document | None
    source: Source
    permanent_redirect: str | None = None
    redirects: tuple[tuple[int, str], ...] = ()
    wire_bytes: int = 0
    elapsed: float = 0.0


class HttpFetcher:
    """The ``Fetcher`` of seedwatch: HTTP(S) through one shared httpx client,
    plus local files for the locations the config names.

    Safe to use from several threads at once. ``close()`` (or ``with``)
    releases the connection pool. ``on_result`` is called with the
    ``FetchResult`` of every fetch that succeeds or gets a 304, in the
    fetching thread; it must not raise.
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._on_result = on_result
        self._client = httpx.Client(
            transport=_DeadlineTransport(),
            headers={
                "User-Agent": self.settings.agent,
                "Accept": self.settings.accept,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=httpx.Timeout(
                connect=self.settings.connect_timeout,
                read=self.settings.read_timeout,
                write=self.settings.read_timeout,
                pool=self.settings.total_timeout,
            ),
            follow_redirects=False,  # followed one hop at a time in _exchange
            # Proxies and certificates from the environment are not read: a
            # fetch goes where the config says (set a proxy at the OS level).
            trust_env=False,
        )
        # One client serves every source: it must not carry one source's
        # session cookies into another's requests.
        self._client.cookies.jar.set_policy(DefaultCookiePolicy(allowed_domains=[]))

    def __enter__(self) -> HttpFetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close pooled connections. The fetcher cannot be used afterwards."""
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        source: Source,
        etag: str | None = None,
        last_modified: str | None = None,
        local_ok: bool = False,
        method: str = "GET",
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Document | None:
        """Fetch ``url``; ``None`` on 304 Not Modified; ``FetchError`` on failure.

        ``local_ok`` allows ``file://`` URLs and plain paths: only for
        locations the config names, never for links found inside documents.
        """
        return self.fetch_result(
            url,
            source=source,
            etag=etag,
            last_modified=last_modified,
            local_ok=local_ok,
            method=method,
            data=data,
            headers=headers,
        ).document

    def fetch_result(
        self,
        url: str,
        *,
        source: Source,
        etag: str | None = None,
        last_modified: str | None = None,
        local_ok: bool = False,
        method: str = "GET",
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> FetchResult:
        """Like ``fetch``, with the status, headers and redirects as well."""
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            result = self._fetch_http(url, source, etag, last_modified, method, data, headers)
        elif scheme == "file" or len(scheme) <= 1:  # no scheme, or a Windows drive letter
            if not local_ok:
                raise FetchError(
                    f"{url}: refused: not an http(s) URL, and local files are read only "
                    f"for locations the config names, never for links found in documents",
                    url=url,
                    category="refused",
                )
            if method != "GET" or data:
                raise FetchError(
                    f"{url}: refused: a local file can only be read (GET), not {method}",
                    url=url,
                    category="refused",
                )
            result = self._fetch_local(url, source, etag, last_modified)
        else:
            raise FetchError(
                f"{url}: refused: unsupported URL scheme {scheme!r} (only http and https)",
                url=url,
                category="refused",
            )
        if self._on_result is not None:
            self._on_result(result)
        return result

    # -- HTTP -----------------------------------------------------------------

    def _fetch_http(
        self,
        url: str,
        source: Source,
        etag: str | None,
        last_modified: str | None,
        method: str,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> FetchResult:
        started = time.monotonic()
        deadline = started + self.settings.total_timeout
        request_headers: dict[str, str] = {}
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        request_headers.update(headers or {})
        token = _DEADLINE.set(deadline)
        try:
            request = self._client.build_request(
                method, url, headers=request_headers, data=dict(data) if data else None
            )
            return self._exchange(url, request, source, started)
        except FetchError:
            raise
        except _TRANSPORT_ERRORS as exc:
            raise self._error(url, exc, deadline) from exc
        finally:
            _DEADLINE.reset(token)

    def _exchange(
        self, url: str, request: httpx.Request, source: Source, started: float
    ) -> FetchResult:
        """Send ``request``, following redirects one hop at a time."""
        hops: list[tuple[int, str]] = []
        seen = {_defragment(url)}
        permanent: str | None = None
        while True:
            response = self._client.send(request, stream=True)
            try:
                status = response.status_code
                if response.next_request is not None:  # a 3xx with a Location
                    request = response.next_request
                    target = str(request.url)
                    hops.append((status, target))
                    self._check_redirect(url, hops, seen, target)
                    if status in _PERMANENT and all(s in _PERMANENT for s, _ in hops):
                        permanent = target
                    seen.add(_defragment(target))
                    continue
                headers = dict(response.headers.items())
                if status == 304:
                    document = None
                    wire = 0
                elif 200 <= status < 300:
                    content, wire = self._read_body(url, response)
                    document = _document(str(response.url), content, headers, source)
                else:
                    raise self._status_error(url, response)
                return FetchResult(
                    url=url,
                    final_url=str(response.url),
                    status=status,
                    headers=headers,
                    document=document,
                    source=source,
                    permanent_redirect=permanent,
                    redirects=tuple(hops),
                    wire_bytes=wire,
                    elapsed=time.monotonic() - started,
                )
            finally:
                response.close()

    def _check_redirect(
        self, url: str, hops: list[tuple[int, str]], seen: set[str], target: str
    ) -> None:
        chain = " -> ".join([url, *(t for _, t in hops)])
        if _defragment(target) in seen:
            raise FetchError(f"{url}: redirect loop: {chain}", url=url, category="redirects")
        if len(hops) > self.settings.max_redirects:
            raise FetchError(
                f"{url}: too many redirects (more than {self.settings.max_redirects}): {chain}",
                url=url,
                category="redirects",
            )
        if urlsplit(target).scheme.lower() not in ("http", "https"):
            raise FetchError(
                f"{url}: refused: redirected to {target}, which is not an http(s) URL "
                f"(a redirect never leads to a local file)",
                url=url,
                category="refused",
            )

    def _read_body(self, url: str, response: httpx.Response) -> tuple[bytes, int]:
        """The decoded body and its size on the wire; ``too-large`` past ``max_bytes``."""
        cap = self.settings.max_bytes
        encodings = [
            e.strip().lower()
            for e in response.headers.get("content-encoding", "").split(",")
            if e.strip() and e.strip().lower() != "identity"
        ]
        declared = response.headers.get("content-length", "")
        if not encodings and declared.isdigit() and int(declared) > cap:
            raise self._too_large(url, f"it declares {_size(int(declared))}")
        decoder = _decoder(encodings, url)
        body = bytearray()
        wire = 0
        for raw in response.iter_raw():
            wire += len(raw)
            # A compressed stream that inflates to nothing must not run forever either.
            if encodings and wire > cap:
                raise self._too_large(url, "on the wire")
            for piece in decoder.feed(raw):
                body += piece
                if len(body) > cap:
                    raise self._too_large(url, "after decompression" if encodings else "")
        for piece in decoder.finish():
            body += piece
            if len(body) > cap:
                raise self._too_large(url, "after decompression")
        return bytes(body), wire

    def _too_large(self, url: str, how: str) -> FetchError:
        detail = f" ({how})" if how else ""
        return FetchError(
            f"{url}: response larger than the limit of {_size(self.settings.max_bytes)}"
            f"{detail}; raise [fetch] max_bytes if this source needs more",
            url=url,
            category="too-large",
        )

    def _status_error(self, url: str, response: httpx.Response) -> FetchError:
        status = response.status_code
        retry_after = _retry_after(response.headers.get("retry-after"))
        message = f"{url}: HTTP {status} {response.reason_phrase}".rstrip()
        if str(response.url) != url:
            message += f" (at {response.url}, after redirects)"
        if retry_after is not None:
            message += f"; the server asks to retry after {retry_after:.0f}s"
        if 400 <= status < 500:
            category = "http-4xx"
        elif status >= 500:
            category = "http-5xx"
        else:  # 1xx after the handshake, or a 3xx without a Location to follow
            category = "redirects" if 300 <= status < 400 else "protocol"
            message += " (nothing to follow)" if category == "redirects" else ""
        return FetchError(
            message, url=url, category=category, status=status, retry_after=retry_after
        )

    def _error(self, url: str, exc: Exception, deadline: float) -> FetchError:
        """A FetchError for an exception of httpx, httpcore or a decoder."""
        s = self.settings
        detail = _detail(exc)
        host = urlsplit(url).hostname or "?"
        if isinstance(exc, _TIMEOUTS):
            if time.monotonic() >= deadline - 0.01:
                cause = f"gave up after the total limit of {s.total_timeout:g}s"
            elif isinstance(exc, httpx.ConnectTimeout | httpcore.ConnectTimeout):
                cause = f"no connection to {host} within {s.connect_timeout:g}s"
            elif isinstance(exc, httpx.PoolTimeout | httpcore.PoolTimeout):
                cause = f"no free connection within {s.total_timeout:g}s"
            else:
                cause = f"the server sent nothing for {s.read_timeout:g}s"
            return FetchError(f"{url}: timed out: {cause}", url=url, category="timeout")
        if _caused_by(exc, ssl.SSLError | ssl.CertificateError):
            return FetchError(f"{url}: TLS failed: {detail}", url=url, category="tls")
        if _caused_by(exc, socket.gaierror):
            return FetchError(
                f"{url}: cannot resolve host {host!r}: {detail}", url=url, category="dns"
            )
        if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
            return FetchError(f"{url}: cannot connect: {detail}", url=url, category="connect")
        if isinstance(exc, httpx.NetworkError | httpcore.NetworkError):
            return FetchError(f"{url}: connection lost: {detail}", url=url, category="connect")
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return FetchError(f"{url}: refused: {detail}", url=url, category="refused")
        return FetchError(
            f"{url}: the server sent a broken response: {detail}", url=url, category="protocol"
        )

    # -- local files ----------------------------------------------------------

    def _fetch_local(
        self, url: str, source: Source, etag: str | None, last_modified: str | None
    ) -> FetchResult:
        started = time.monotonic()
        path = _local_path(url)
        try:
            stat = path.stat()
            if not path.is_file():
                raise IsADirectoryError(f"{path} is not a regular file")
            # Validators like a web server's (nginx: size and mtime), so the
            # http source kind's cursor skips unchanged local files too.
            validator = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'
            modified = formatdate(stat.st_mtime, usegmt=True)
            if etag == validator or (etag is None and last_modified == modified):
                content = None
            else:
                if stat.st_size > self.settings.max_bytes:
                    raise self._too_large(url, f"the file holds {_size(stat.st_size)}")
                with path.open("rb") as fh:
                    content = fh.read(self.settings.max_bytes + 1)
                if len(content) > self.settings.max_bytes:
                    raise self._too_large(url, "the file grew while being read")
        except OSError as exc:
            raise FetchError(
                f"{url}: cannot read {path}: {exc.strerror or exc}", url=url, category="io"
            ) from exc
        final = path.resolve().as_uri()
        media_type = _LOCAL_TYPES.get(path.suffix.lower())
        headers = {"etag": validator, "last-modified": modified}
        if media_type:
            headers["content-type"] = media_type
        document = None
        if content is not None:
            headers["content-length"] = str(len(content))
            document = Document(
                url=final,
                content=content,
                fetched=datetime.now(UTC),
                media_type=media_type,
                charset=detect_charset(content, None),
                headers=headers,
                source=source,
            )
        return FetchResult(
            url=url,
            final_url=final,
            status=200 if document is not None else 304,
            headers=headers,
            document=document,
            source=source,
            wire_bytes=len(content or b""),
            elapsed=time.monotonic() - started,
        )


# -- charset and media type ----------------------------------------------------


def detect_charset(content: bytes, header_charset: str | None) -> str | None:
    """The charset of ``content``: a byte-order mark, else the header's charset,
    else the document's own declaration (XML declaration, HTML ``<meta>``),
    else ``None`` (``Document.text()`` then tries UTF-8, then cp1252).

    A BOM wins over a contradicting header (WHATWG encoding sniffing; also
    what feed readers do with XML served as the wrong charset). Labels are
    returned lower-cased as declared (``windows-1251``) once Python knows them,
    except that ISO-8859-1 and US-ASCII mean windows-1252, as in browsers.
    Undeclared bytes are not guessed at: charset-normalizer 3.5 reads the
    French Latin-1 feed of tests/data/fetch as cp1250 (turning "è" into "č"),
    where the cp1252 fallback is right, as browsers' and feedparser's are.
    """
    for bom, encoding in _BOMS:
        if content.startswith(bom):
            return encoding
    if header_charset and _known(header_charset):
        return _label(header_charset)
    head = content[:4096]
    match = _XML_DECL.match(head) or _META_CHARSET.search(head)
    if match:
        label = match.group(1).decode("ascii")
        if _known(label):
            # The declaration was read as ASCII, so the bytes are not UTF-16/32
            # whatever it says (the HTML standard maps such labels to UTF-8).
            return "utf-8" if label.lower().startswith(("utf-16", "utf-32")) else _label(label)
    return None


def _label(label: str) -> str:
    label = label.strip().lower()
    return "windows-1252" if label in _WINDOWS_1252 else label


def _known(label: str) -> bool:
    try:
        codecs.lookup(label)
    except LookupError:
        return False
    return True


def _document(url: str, content: bytes, headers: Mapping[str, str], source: Source) -> Document:
    content_type = headers.get("content-type", "")
    media_type = content_type.split(";", 1)[0].strip().lower() or None
    match = _HEADER_CHARSET.search(content_type)
    return Document(
        url=url,
        content=content,
        fetched=datetime.now(UTC),
        media_type=media_type,
        charset=detect_charset(content, match.group(1) if match else None),
        headers=headers,
        source=source,
    )


# -- content decoding ----------------------------------------------------------
# httpx's own decoders inflate a whole network read in one call (a 158-byte
# brotli body can become 100 MB), so the cap could only be checked after the
# damage; these emit at most _PIECE bytes per step instead.


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...

    def finish(self) -> Iterator[bytes]: ...


class _BadEncoding(Exception):
    """A body that does not decode as its Content-Encoding says."""


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip (members may be concatenated, RFC 1952 2.2) or deflate (zlib-wrapped
    as RFC 9110 says, or raw as some old IIS and PHP servers send it)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._raw_tried = gzip
        self._started = False
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._d.decompress(data, _PIECE)
            except zlib.error as exc:
                if not self._started and not self._raw_tried:
                    self._raw_tried = True
                    self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise _BadEncoding(f"invalid {self._name} data: {exc}") from exc
            self._started = True
            if out:
                yield out
            if self._d.eof:
                data = self._d.unused_data
                if not self._gzip or not data.strip(b"\0"):  # trailing padding
                    return
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
            else:
                data = self._d.unconsumed_tail

    def finish(self) -> Iterator[bytes]:
        if self._started and not self._d.eof:
            raise _BadEncoding(f"truncated {self._name} data")
        return iter(())

    @property
    def _name(self) -> str:
        return "gzip" if self._gzip else "deflate"


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        self._started = True
        try:
            out = self._d.process(data, output_buffer_limit=_PIECE)
            while True:
                if out:
                    yield out
                if self._d.can_accept_more_data() or self._d.is_finished():
                    return
                out = self._d.process(b"", output_buffer_limit=_PIECE)
        except brotli.error as exc:
            raise _BadEncoding(f"invalid brotli data: {exc}") from exc

    def finish(self) -> Iterator[bytes]:
        if self._started and not self._d.is_finished():
            raise _BadEncoding("truncated brotli data")
        return iter(())


class _Chain:
    """Encodings applied in order (``Content-Encoding: gzip, br``) undone in reverse."""

    def __init__(self, decoders: list[_Decoder]) -> None:
        self._decoders = decoders  # outermost (last applied) first

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._decoders):
            yield data
            return
        for piece in self._decoders[index].feed(data):
            yield from self._through(index + 1, piece)

    def finish(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            for piece in decoder.finish():
                yield from self._through(index + 1, piece)


def _decoder(encodings: list[str], url: str) -> _Decoder:
    decoders: list[_Decoder] = []
    for name in reversed(encodings):
        if name in ("gzip", "x-gzip"):
            decoders.append(_Zlib(gzip=True))
        elif name == "deflate":
            decoders.append(_Zlib(gzip=False))
        elif name == "br":
            decoders.append(_Brotli())
        else:
            raise FetchError(
                f"{url}: the server sent an unsupported Content-Encoding {name!r} "
                f"(we ask for {ACCEPT_ENCODING})",
                url=url,
                category="protocol",
            )
    if not decoders:
        return _Identity()
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)


# -- the transport: httpx over an httpcore pool that honours the deadline ------
# httpx's timeouts bound each socket operation, so a server sending one byte
# a second (in its headers as much as its body) never trips them. Every
# socket operation of a fetch is bounded by what is left of its total
# deadline instead, through httpcore's public network-backend interface.


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = _DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("the total time limit of the fetch has passed")
    return remaining if timeout is None else min(timeout, remaining)


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        self._stream.close()


class _DeadlineTransport(httpx.BaseTransport):
    """httpx's transport contract over an httpcore pool with ``_DeadlineBackend``
    (the pool sizes are httpx's defaults). httpcore errors pass through
    unchanged; ``HttpFetcher._error`` classifies both libraries' errors."""

    def __init__(self) -> None:
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        assert isinstance(request.stream, httpx.SyncByteStream)
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        response = self._pool.handle_request(core_request)
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


_TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException)
_TRANSPORT_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    _BadEncoding,
)


# -- small helpers ---------------------------------------------------------------


def _local_path(url: str) -> Path:
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


def _defragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _size(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"


def _chain_of(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _caused_by(exc: BaseException, kinds: Any) -> bool:
    return any(isinstance(e, kinds) for e in _chain_of(exc))


def _detail(exc: BaseException) -> str:
    """The first non-empty message along the exception's causes, on one line."""
    for e in _chain_of(exc):
        text = " ".join(str(e).split())
        if text:
            return text
    return type(exc).__name__


__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_ACCEPT",
    "DEFAULT_CONTACT",
    "FetchResult",
    "FetchSettings",
    "HttpFetcher",
    "detect_charset",
]
