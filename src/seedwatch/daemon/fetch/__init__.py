"""Fetching: turns a URL and a source's validators into a Document.

Owns conditional GET (ETag / Last-Modified, 304 -> ``None``), timeouts
(connect, read, and a total deadline per fetch), the size cap (counted after
decompression, enforced while streaming), redirects (capped, loops named,
permanent moves reported), the User-Agent, and the rule that local files are
read only for locations the config names. Knows nothing about formats;
parsers never do I/O. Its helpers: ``transport`` (the deadline under every
socket operation), ``decoding`` (gzip, deflate and brotli with bounded
output), ``sniff`` (charset and media type), ``politeness`` (per-host and
global request slots, spacing, hosts that asked everyone to wait) and
``robots`` (robots.txt for page sources). Every request, each redirect hop
and robots.txt included, goes through the politeness gate.

Every failure is a ``FetchError`` whose message is one line naming the URL
and the cause, with a ``category`` from ``seedwatch.errors`` (and ``status``
and ``retry_after`` for HTTP errors).

One ``HttpFetcher`` (one httpx client, one connection pool) serves every
polling thread. Successful fetches and 304s are also reported as
``FetchResult``s to an optional ``on_result`` callback: that is where the
daemon learns caching headers of a 304, permanent redirects and byte counts,
which the ``Fetcher`` protocol's ``Document | None`` cannot carry. Further
listeners can ``subscribe``; ``fetch_result`` returns it to its caller (a
poll's ``RecordingFetcher`` keeps its own fetches' results that way).
"""

from __future__ import annotations

import logging
import socket
import ssl
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import httpcore
import httpx

from seedwatch import __version__
from seedwatch.daemon.fetch import robots
from seedwatch.daemon.fetch.decoding import ACCEPT_ENCODING, BadEncoding, decoder_for
from seedwatch.daemon.fetch.politeness import HostGate
from seedwatch.daemon.fetch.sniff import (
    charset_param,
    detect_charset,
    local_media_type,
    media_type,
)
from seedwatch.daemon.fetch.transport import DeadlineTransport, deadline
from seedwatch.errors import FetchError, OffSiteError
from seedwatch.models import Document, Source
from seedwatch.urls import host_of, may_carry_credentials, same_origin, same_site

DEFAULT_CONTACT = "https://github.com/seedwatch/seedwatch"
DEFAULT_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "application/json;q=0.7, text/html;q=0.7, text/*;q=0.5, */*;q=0.1"
)
_PERMANENT = (301, 308)
_CREDENTIAL_HEADERS = ("cookie", "authorization")
_RETRY_STATUSES = (429, 503)
log = logging.getLogger("seedwatch.fetch")
_TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException)
_TRANSPORT_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    BadEncoding,
)

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_ACCEPT",
    "DEFAULT_CONTACT",
    "FetchResult",
    "FetchSettings",
    "HostGate",
    "HttpFetcher",
    "detect_charset",
    "host_of",
]


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits and identity of every fetch (the config's ``[fetch]`` table).

    Timeouts are in seconds: ``connect_timeout`` and ``read_timeout`` bound
    each socket operation, ``total_timeout`` the whole fetch, redirects
    included (a server trickling one byte a second is cut off there; only
    DNS resolution, done by the C library, can overrun it). ``max_bytes``
    caps the body after decompression. ``user_agent`` replaces the default
    ``seedwatch/<version> (+<contact>)``.

    Politeness (see ``politeness``): at most ``per_host`` requests at once to
    one host, starting at least ``host_delay`` seconds apart
    (``local_host_delay`` for loopback hosts), at most ``max_concurrency``
    in all. ``robots`` turns robots.txt for page sources on: the daemon's
    config does by default (``[fetch] robots``); a bare ``HttpFetcher``
    fetches what its caller asks for.
    """

    contact: str = DEFAULT_CONTACT
    user_agent: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 120.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    accept: str = DEFAULT_ACCEPT
    per_host: int = 2
    host_delay: float = 1.0
    local_host_delay: float = 0.0
    max_concurrency: int = 16
    robots: bool = False

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchSettings.{name} must be positive")
        if self.max_bytes <= 0 or self.max_redirects < 0:
            raise ValueError("FetchSettings: max_bytes must be positive, max_redirects >= 0")
        if self.per_host < 1 or self.max_concurrency < 1:
            raise ValueError("FetchSettings: per_host and max_concurrency must be >= 1")
        if self.host_delay < 0 or self.local_host_delay < 0:
            raise ValueError("FetchSettings: host delays must be >= 0")

    @property
    def agent(self) -> str:
        """The User-Agent header sent with every request."""
        return self.user_agent or f"seedwatch/{__version__} (+{self.contact})"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Everything one successful fetch learnt, 304s included.

    ``headers`` are the final response's, names lower-cased (repeated ones
    joined with ", "); ``set-cookie`` also holds, first, the cookies the
    redirect answers before it set. ``permanent_redirect`` is where ``url``
    has moved for good: the target of the unbroken run of 301/308 answers that
    starts at ``url`` (``None`` when the first hop, if any, was temporary).
    ``redirects`` lists each hop as (status, target). ``wire_bytes`` counts
    the body as received, before decompression.
    """

    url: str
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
    releases the connection pool. ``on_result`` (and each ``subscribe``d
    listener) is called with the ``FetchResult`` of every fetch that
    succeeds or gets a 304, in the fetching thread; it must not raise.
    ``gate`` holds the politeness rules; one fetcher, one gate.
    """

    def __init__(
        self,
        settings: FetchSettings | None = None,
        *,
        on_result: Callable[[FetchResult], None] | None = None,
    ) -> None:
        self.settings = settings or FetchSettings()
        self._listeners: list[Callable[[FetchResult], None]] = [on_result] if on_result else []
        s = self.settings
        self.gate = HostGate(
            per_host=s.per_host,
            delay=s.host_delay,
            local_delay=s.local_host_delay,
            total=s.max_concurrency,
        )
        self.robots = robots.RobotsCache(
            s.agent, self._load_robots, on_crawl_delay=self.gate.set_crawl_delay
        )
        self._client = httpx.Client(
            transport=DeadlineTransport(),
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
            # No proxy variables, .netrc or SSL_CERT_FILE from the environment:
            # a request goes where the config says, the way the config says.
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

    def subscribe(self, listener: Callable[[FetchResult], None]) -> None:
        """Call ``listener`` with every successful fetch's ``FetchResult`` (304s too)."""
        self._listeners.append(listener)

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
        site: str | None = None,
    ) -> Document | None:
        """Fetch ``url``; ``None`` on 304 Not Modified; ``FetchError`` on failure.

        ``local_ok`` allows ``file://`` URLs and plain paths: only for
        locations the config names, never for links found inside documents.
        ``site``, for a link found in a document, is that document's URL: the
        link and every hop of its redirects must stay on its site
        (``urls.same_site``), else ``OffSiteError``.
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
            site=site,
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
        site: str | None = None,
    ) -> FetchResult:
        """Like ``fetch``, with the status, headers and redirects as well."""
        scheme = urlsplit(url).scheme.lower()
        if site is not None and not same_site(url, site):
            raise OffSiteError(
                f"{url}: refused: a link off the site of {site}, where it was found",
                url=url,
            )
        if scheme in ("http", "https"):
            check_robots = self.settings.robots and robots.applies(
                source, local_ok=local_ok, method=method, headers=headers
            )
            result = self._fetch_http(
                url,
                source,
                etag,
                last_modified,
                method,
                data,
                headers,
                check_robots=check_robots,
                owner=source.id,
                site=site,
            )
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
        for listener in self._listeners:
            listener(result)
        return result

    def _load_robots(self, url: str) -> tuple[int, bytes]:
        """robots.txt of one origin: its first ``robots.MAX_BYTES``, through the gate."""
        result = self._fetch_http(
            url,
            Source(id="robots.txt", url=url),
            None,
            None,
            "GET",
            None,
            None,
            check_robots=False,
            owner=None,
            truncate_at=robots.MAX_BYTES,
        )
        for listener in self._listeners:
            listener(result)
        return result.status, result.document.content if result.document else b""

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
        *,
        check_robots: bool,
        owner: str | None,
        truncate_at: int | None = None,
        site: str | None = None,
    ) -> FetchResult:
        """``owner`` is the source the request is made for (``None``: robots.txt),
        to whom a Retry-After is attributed; ``truncate_at`` keeps a body's head
        instead of failing past the size cap; ``site`` as for ``fetch``."""
        started = time.monotonic()
        ends = started + self.settings.total_timeout
        request_headers: dict[str, str] = {}
        if etag:
            request_headers["If-None-Match"] = etag
        if last_modified:
            request_headers["If-Modified-Since"] = last_modified
        request_headers.update(headers or {})
        try:
            with deadline(ends):
                request = self._client.build_request(
                    method, url, headers=request_headers, data=dict(data) if data else None
                )
                return self._exchange(
                    url, request, source, started, ends, check_robots, owner, truncate_at, site
                )
        except FetchError:
            raise
        except _TRANSPORT_ERRORS as exc:
            raise self._error(url, exc, ends) from exc

    def _exchange(
        self,
        url: str,
        request: httpx.Request,
        source: Source,
        started: float,
        ends: float,
        check_robots: bool,
        owner: str | None,
        truncate_at: int | None,
        site: str | None,
    ) -> FetchResult:
        """Send ``request``, following redirects one hop at a time, each hop
        checked against the URL policy and robots.txt (when it applies) and sent
        through the gate."""
        hops: list[tuple[int, str]] = []
        # Cookies the redirect answers set, with where they were set: a login that
        # answers with a redirect (phpBB 3.1+, SMF) sets its session there, not on
        # the page it leads to.
        hop_cookies: list[tuple[str, str]] = []
        # The caller's credentials go along a redirect to where they may go only.
        given = {
            k.decode("latin-1"): v.decode("latin-1")
            for k, v in request.headers.raw
            if k.decode("latin-1").lower() in _CREDENTIAL_HEADERS
        }
        seen = {_defragment(url)}
        permanent: str | None = None
        while True:
            target_url = str(request.url)
            if check_robots:
                self.robots.check(target_url)
            host = host_of(target_url)
            with self.gate.slot(host, url=url, until=ends):
                response = self._client.send(request, stream=True)
                try:
                    step = self._step(url, response, source, hops, seen, owner, truncate_at)
                finally:
                    response.close()
            if isinstance(step, httpx.Request):
                self._check_hop(url, request, step, site)
                hop_cookies.extend(
                    (target_url, cookie) for cookie in response.headers.get_list("set-cookie")
                )
                request = _with_credentials(step, given, url)
                if all(status in _PERMANENT for status, _ in hops):
                    permanent = hops[-1][1]
                continue
            status, headers, document, wire = step
            # Only the cookies set by the final answer's own origin are its.
            own = [c for at, c in hop_cookies if may_carry_credentials(str(response.url), at)]
            if own:
                headers, document = _with_hop_cookies(headers, document, own)
            return FetchResult(
                url=url,
                status=status,
                headers=headers,
                document=document,
                source=source,
                permanent_redirect=permanent,
                redirects=tuple(hops),
                wire_bytes=wire,
                elapsed=time.monotonic() - started,
            )

    def _step(
        self,
        url: str,
        response: httpx.Response,
        source: Source,
        hops: list[tuple[int, str]],
        seen: set[str],
        owner: str | None,
        truncate_at: int | None,
    ) -> httpx.Request | tuple[int, dict[str, str], Document | None, int]:
        """One response: the next request of a redirect, or the final answer
        (status, headers, document, wire bytes); raises for an error status."""
        status = response.status_code
        if response.next_request is not None:  # a 3xx with a Location
            target = str(response.next_request.url)
            hops.append((status, target))
            self._check_redirect(url, hops, seen, target)
            seen.add(_defragment(target))
            _drain(response)
            return response.next_request
        headers = dict(response.headers.items())
        if status == 304:
            _drain(response)
            return status, headers, None, 0
        if not 200 <= status < 300:
            raise self._status_error(url, response, owner)
        content, wire = self._read_body(url, response, truncate_at)
        content_type = headers.get("content-type", "")
        document = Document(
            url=str(response.url),
            content=content,
            fetched=datetime.now(UTC),
            media_type=media_type(content_type),
            charset=detect_charset(content, charset_param(content_type)),
            headers=headers,
            source=source,
        )
        return status, headers, document, wire

    def _check_hop(
        self, url: str, request: httpx.Request, following: httpx.Request, site: str | None
    ) -> None:
        """The URL policy on one redirect hop, from ``request`` to ``following``."""
        target = str(following.url)
        if site is not None and not same_site(target, site):
            raise OffSiteError(
                f"{url}: refused: redirected to {target}, off the site of {site},"
                " where the link was found",
                url=url,
            )
        # A 307 or 308 repeats the request, body and all: a login form's password,
        # an API password, go to the origin they were posted to and nowhere else.
        if following.method not in ("GET", "HEAD") and not same_origin(target, str(request.url)):
            raise FetchError(
                f"{url}: refused: the server asks to send the {following.method} again to"
                f" {target}, another origin; its body is not sent there",
                url=url,
                category="refused",
            )

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

    def _read_body(
        self, url: str, response: httpx.Response, truncate_at: int | None = None
    ) -> tuple[bytes, int]:
        """The decoded body and its size on the wire; ``too-large`` past ``max_bytes``,
        or, with ``truncate_at``, its first ``truncate_at`` bytes.

        The limit is checked after every decoded piece (at most ``PIECE`` bytes),
        never after a whole network read: a few bytes of brotli inflate to
        gigabytes, and a robots.txt is as compressible as a feed."""
        cap = self.settings.max_bytes if truncate_at is None else truncate_at
        encoding = response.headers.get("content-encoding", "").strip().lower()
        compressed = encoding not in ("", "identity")
        declared = response.headers.get("content-length", "").strip()
        if truncate_at is None and not compressed and declared.isascii() and declared.isdigit():
            size = int(declared) if len(declared) <= 18 else 10**18  # int() refuses 4300+ digits
            if size > cap:
                raise self._too_large(url, f"it declares {_size(size)}")
        body = bytearray()
        wire = [0]
        for piece in _decoded(response, encoding, wire):
            body += piece
            # A compressed stream that inflates to nothing must not run forever either.
            if len(body) > cap or (compressed and wire[0] > cap):
                if truncate_at is not None:
                    return bytes(body[:cap]), wire[0]
                if len(body) <= cap:
                    raise self._too_large(url, "on the wire")
                raise self._too_large(url, "after decompression" if compressed else "")
        return bytes(body), wire[0]

    def _too_large(self, url: str, how: str) -> FetchError:
        detail = f" ({how})" if how else ""
        return FetchError(
            f"{url}: response larger than the limit of {_size(self.settings.max_bytes)}"
            f"{detail}; raise [fetch] max_bytes if this source needs more",
            url=url,
            category="too-large",
        )

    def _status_error(self, url: str, response: httpx.Response, owner: str | None) -> FetchError:
        status = response.status_code
        retry_after = _retry_after(response.headers.get("retry-after"))
        if retry_after is not None and status in _RETRY_STATUSES:
            self.gate.retry_after(host_of(str(response.url)), retry_after, owner)
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

    def _error(self, url: str, exc: Exception, ends: float) -> FetchError:
        """A FetchError for an exception of httpx, httpcore or a decoder."""
        s = self.settings
        detail = _detail(exc)
        host = urlsplit(url).hostname or "?"
        if isinstance(exc, _TIMEOUTS):
            if time.monotonic() >= ends - 0.01:
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


# -- helpers ---------------------------------------------------------------------


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


def _with_credentials(request: httpx.Request, given: Mapping[str, str], url: str) -> httpx.Request:
    """The next hop's request with the caller's Cookie and Authorization headers
    where they may go (``urls.may_carry_credentials`` of the first URL), and
    without them elsewhere (httpx keeps Authorization on a same-host https
    upgrade and drops Cookie on every hop)."""
    allowed = may_carry_credentials(str(request.url), url)
    for name in _CREDENTIAL_HEADERS:
        request.headers.pop(name, None)
    if allowed:
        request.headers.update(given)
    return request


def _with_hop_cookies(
    headers: dict[str, str], document: Document | None, cookies: list[str]
) -> tuple[dict[str, str], Document | None]:
    """The final answer's headers with the redirects' Set-Cookie values before its
    own, joined with ", " like every repeated header."""
    own = [headers["set-cookie"]] if "set-cookie" in headers else []
    headers = {**headers, "set-cookie": ", ".join([*cookies, *own])}
    return headers, replace(document, headers=headers) if document is not None else None


def _drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read what is left of a small body (a 304's, a redirect's), so that the
    connection goes back to the pool: httpcore closes a connection whose
    response was closed unread, and a new one costs a handshake per poll."""
    read = 0
    for raw in response.iter_raw():
        read += len(raw)
        if read > limit:
            return


def _decoded(response: httpx.Response, encoding: str, wire: list[int]) -> Iterator[bytes]:
    """The body of ``response`` decoded, in pieces of at most ``PIECE`` bytes, with
    an empty piece after each network read (so that the caller can check
    ``wire[0]``, the bytes received so far, even when nothing comes out)."""
    decoder = decoder_for(encoding)
    for raw in response.iter_raw():
        wire[0] += len(raw)
        yield from decoder.feed(raw)
        yield b""
    yield from decoder.finish()


def _defragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        # "99999999999999" (or 5000 digits, which int() refuses) means "never".
        return float(value) if len(value) <= 12 else 1e12
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
