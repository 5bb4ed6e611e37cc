"""Fetch failures: an error status or a transport exception turned into one
``FetchError`` whose message is one line naming the URL and the cause, with
its ``category`` (and ``status``/``retry_after`` for HTTP errors)."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from seedwatch.daemon.fetch.decoding import BadEncoding
from seedwatch.daemon.fetch.settings import FetchSettings
from seedwatch.daemon.fetch.transport import PrivateAddressError, TransferTooSlow
from seedwatch.errors import FetchError
from seedwatch.units import human

RETRY_STATUSES = (429, 503)
TIMEOUTS = (httpx.TimeoutException, httpcore.TimeoutException)
TRANSPORT_ERRORS = (
    httpx.HTTPError,
    httpx.InvalidURL,
    httpcore.TimeoutException,
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    BadEncoding,
)


def status_error(url: str, response: httpx.Response) -> FetchError:
    """The error for a final answer outside 2xx/304, with its Retry-After."""
    status = response.status_code
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    message = f"{url}: HTTP {status} {response.reason_phrase}".rstrip()
    if str(response.url) != url:
        message += f" (at {response.url}, after redirects)"
    if retry_after is not None:
        message += f"; the server asks to retry after {human(timedelta(seconds=retry_after))}"
    if 400 <= status < 500:
        category = "http-4xx"
    elif status >= 500:
        category = "http-5xx"
    else:  # 1xx after the handshake, or a 3xx without a Location to follow
        category = "redirects" if 300 <= status < 400 else "protocol"
        message += " (nothing to follow)" if category == "redirects" else ""
    return FetchError(message, url=url, category=category, status=status, retry_after=retry_after)


def _s(limit: timedelta) -> str:
    return f"{limit.total_seconds():g}s"


def transport_error(url: str, exc: Exception, ends: float, s: FetchSettings) -> FetchError:
    """A FetchError for an exception of httpx, httpcore or a decoder; ``ends``
    is the fetch's deadline (``time.monotonic()``), to tell the total limit
    from a read timeout."""
    detail = _detail(exc)
    host = urlsplit(url).hostname or "?"
    if isinstance(exc, TIMEOUTS):
        slow = next((e for e in _chain_of(exc) if isinstance(e, TransferTooSlow)), None)
        if slow is not None:
            cause = f"too slow: {slow} ([fetch] min_rate)"
        elif time.monotonic() >= ends - 0.01:
            cause = (
                f"gave up after the total limit of {_s(s.total_timeout)} ([fetch] total_timeout)"
            )
        elif isinstance(exc, httpx.ConnectTimeout | httpcore.ConnectTimeout):
            cause = (
                f"no connection to {host} within {_s(s.connect_timeout)} ([fetch] connect_timeout)"
            )
        elif isinstance(exc, httpx.PoolTimeout | httpcore.PoolTimeout):
            cause = f"no free connection within {_s(s.total_timeout)}"
        else:
            cause = f"the server sent nothing for {_s(s.read_timeout)} ([fetch] read_timeout)"
        return FetchError(f"{url}: timed out: {cause}", url=url, category="timeout")
    if isinstance(exc, PrivateAddressError):
        return FetchError(f"{url}: refused: {detail}", url=url, category="refused")
    if _caused_by(exc, ssl.SSLError | ssl.CertificateError):
        return FetchError(f"{url}: TLS failed: {detail}", url=url, category="tls")
    if _caused_by(exc, socket.gaierror):
        return FetchError(f"{url}: cannot resolve host {host!r}: {detail}", url=url, category="dns")
    if isinstance(exc, httpx.ConnectError | httpcore.ConnectError):
        return FetchError(f"{url}: cannot connect: {detail}", url=url, category="connect")
    if isinstance(exc, httpx.NetworkError | httpcore.NetworkError):
        return FetchError(f"{url}: connection lost: {detail}", url=url, category="connect")
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return FetchError(f"{url}: refused: {detail}", url=url, category="refused")
    return FetchError(
        f"{url}: the server sent a broken response: {detail}", url=url, category="protocol"
    )


def parse_retry_after(value: str | None) -> float | None:
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
