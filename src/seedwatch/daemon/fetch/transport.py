"""The transport under the fetcher: httpx over an httpcore pool whose every
socket operation is bounded by what is left of the current fetch's deadline.

httpx's timeouts bound each socket operation, so a server sending one byte a
second (in its status line and headers as much as in its body) never trips
them. Here each connect, TLS handshake, read and write gets
``min(its own timeout, time left)``, through httpcore's public
network-backend interface. The deadline is per thread (a ``ContextVar``), so
one pool serves every polling thread. Only DNS resolution, done inside the C
library by ``socket.create_connection``, can overrun it.

With ``deny_private`` the backend resolves each host itself, refuses it when
no address is public (loopback, private, link-local, shared, reserved,
multicast: ``PrivateAddressError``) and connects to the very address it
checked, so a name that resolves elsewhere a moment later (DNS rebinding)
cannot slip past the check.

A body must also keep up a minimum rate: once ``window`` seconds have passed
since its first bytes, a body whose average rate since then is below
``min_rate`` bytes a second is cut (``TransferTooSlow``), so a server
dripping a byte a second holds a poll for seconds, not for the whole total
limit. The clock starts at the body's first bytes: a server that sends its
headers and then takes its time to produce the body is not penalised.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx

_DEADLINE: ContextVar[float | None] = ContextVar("seedwatch_fetch_deadline", default=None)


@contextmanager
def deadline(at: float) -> Iterator[None]:
    """Bound every socket operation of this thread by ``at`` (``time.monotonic()``)."""
    token = _DEADLINE.set(at)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


class TransferTooSlow(httpcore.ReadTimeout):
    """A body slower than the minimum rate (a timeout: the same error class)."""

    def __init__(self, received: int, elapsed: float, min_rate: float) -> None:
        super().__init__(
            f"{received} bytes in {elapsed:.0f}s since the first bytes of the body, "
            f"below the minimum rate of {min_rate:g} bytes/s"
        )
        self.received, self.elapsed, self.min_rate = received, elapsed, min_rate


class DeadlineTransport(httpx.BaseTransport):
    """httpx's transport contract over an httpcore pool with the deadline backend
    (pool sizes are httpx's defaults). httpcore errors pass through unchanged:
    the fetcher classifies both libraries' errors. ``min_rate`` (bytes a
    second, 0 for none) applies to every body once ``window`` seconds have
    passed since its first bytes."""

    def __init__(
        self, min_rate: float = 0.0, window: float = 10.0, *, deny_private: bool = False
    ) -> None:
        self._min_rate, self._window = min_rate, window
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=_DeadlineBackend(deny_private=deny_private),
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
            stream=_ResponseStream(response.stream, self._min_rate, self._window),
            extensions=response.extensions,
        )

    def close(self) -> None:
        self._pool.close()


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    at = _DEADLINE.get()
    if at is None:
        return timeout
    remaining = at - time.monotonic()
    if remaining <= 0:
        raise error("the total time limit of the fetch has passed")
    return remaining if timeout is None else min(timeout, remaining)


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


class PrivateAddressError(httpcore.ConnectError):
    """A host resolves to no public address while ``[fetch] deny_private`` is on."""


def is_public(address: str) -> bool:
    """Whether ``address`` (an IP) is a public unicast one (IPv4 mapped into IPv6
    judged as the IPv4 address it holds)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


# The resolver, one name so that tests can answer for names no DNS holds.
resolve = socket.getaddrinfo


def public_address(host: str, port: int) -> str:
    """The first public address ``host`` resolves to; ``PrivateAddressError`` if none."""
    found = [info[4][0] for info in resolve(host, port, type=socket.SOCK_STREAM)]
    for address in found:
        if is_public(str(address)):
            return str(address)
    raise PrivateAddressError(
        f"{host} resolves to no public address ({', '.join(map(str, found))}) "
        "and [fetch] deny_private is on"
    )


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, *, deny_private: bool = False) -> None:
        self._backend = httpcore.SyncBackend()
        self._deny_private = deny_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        if self._deny_private:
            host = public_address(host, port)  # connect to the address just checked
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _ResponseStream(httpx.SyncByteStream):
    def __init__(self, stream: Any, min_rate: float, window: float) -> None:
        self._stream = stream
        self._min_rate, self._window = min_rate, window

    def __iter__(self) -> Iterator[bytes]:
        if self._min_rate <= 0:
            yield from self._stream
            return
        first: float | None = None
        received = 0
        for chunk in self._stream:  # one chunk per network read
            at = time.monotonic()
            if first is None:
                first = at
            received += len(chunk)
            elapsed = at - first
            if elapsed >= self._window and received < self._min_rate * elapsed:
                raise TransferTooSlow(received, elapsed, self._min_rate)
            yield chunk

    def close(self) -> None:
        self._stream.close()
