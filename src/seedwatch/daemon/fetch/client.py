"""The client: ``HttpFetcher`` turns a URL and a source's validators into a Document.

Owns the one httpx client and connection pool that serves every polling
thread, conditional GET (ETag / Last-Modified, 304 -> ``None``), the total
deadline per fetch, following redirects one hop at a time (each held to
``policy``, robots.txt when it applies, and the politeness gate), and telling
listeners what each fetch learnt (``FetchResult``). Bodies are read by
``body``, failures worded by ``failures``, local files read by ``local``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from http.cookiejar import DefaultCookiePolicy
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from seedwatch.daemon.fetch import policy, robots
from seedwatch.daemon.fetch.body import drain, read_body
from seedwatch.daemon.fetch.decoding import ACCEPT_ENCODING
from seedwatch.daemon.fetch.failures import (
    RETRY_STATUSES,
    TRANSPORT_ERRORS,
    status_error,
    transport_error,
)
from seedwatch.daemon.fetch.local import fetch_local
from seedwatch.daemon.fetch.politeness import HostGate
from seedwatch.daemon.fetch.settings import FetchResult, FetchSettings
from seedwatch.daemon.fetch.sniff import charset_param, detect_charset, media_type
from seedwatch.daemon.fetch.transport import DeadlineTransport, deadline
from seedwatch.errors import FetchError
from seedwatch.models import Document, Source
from seedwatch.urls import host_of


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
            delay=s.host_delay.total_seconds(),
            local_delay=s.local_host_delay.total_seconds(),
            total=s.max_concurrency,
        )
        self.robots = robots.RobotsCache(
            s.agent, self._load_robots, on_crawl_delay=self.gate.set_crawl_delay
        )
        self._client = httpx.Client(
            transport=DeadlineTransport(
                s.min_rate, s.min_rate_window.total_seconds(), deny_private=s.deny_private
            ),
            headers={
                "User-Agent": self.settings.agent,
                "Accept": self.settings.accept,
                "Accept-Encoding": ACCEPT_ENCODING,
            },
            timeout=httpx.Timeout(
                connect=s.connect_timeout.total_seconds(),
                read=s.read_timeout.total_seconds(),
                write=s.read_timeout.total_seconds(),
                pool=s.total_timeout.total_seconds(),
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
        policy.check_link(url, site)
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
            policy.check_local(url, local_ok=local_ok, method=method, data=data)
            result = fetch_local(url, source, etag, last_modified, self.settings.max_bytes)
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
        ends = started + self.settings.total_timeout.total_seconds()
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
        except TRANSPORT_ERRORS as exc:
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
        given = policy.credentials_of(request)
        seen = {policy.defragment(url)}
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
                policy.check_hop(url, request, step, site)
                hop_cookies.extend(
                    (target_url, cookie) for cookie in response.headers.get_list("set-cookie")
                )
                request = policy.with_credentials(step, given, url)
                if all(status in policy.PERMANENT for status, _ in hops):
                    permanent = hops[-1][1]
                continue
            status, headers, document, wire = step
            headers, document = policy.with_hop_cookies(
                headers, document, str(response.url), hop_cookies
            )
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
            policy.check_redirect(url, hops, seen, target, self.settings.max_redirects)
            seen.add(policy.defragment(target))
            drain(response)
            return response.next_request
        headers = dict(response.headers.items())
        if status == 304:
            drain(response)
            return status, headers, None, 0
        if not 200 <= status < 300:
            error = status_error(url, response)
            if error.retry_after is not None and status in RETRY_STATUSES:
                self.gate.retry_after(host_of(str(response.url)), error.retry_after, owner)
            raise error
        content, wire = read_body(url, response, self.settings.max_bytes, truncate_at)
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

    def _error(self, url: str, exc: Exception, ends: float) -> FetchError:
        """A FetchError for an exception of httpx, httpcore or a decoder."""
        return transport_error(url, exc, ends, self.settings)
