"""Fetching: turns a URL and a source's validators into a Document.

Owns conditional GET (ETag / Last-Modified, 304 -> ``None``), timeouts
(connect, read, and a total deadline per fetch), the size cap (counted after
decompression, enforced while streaming), redirects (capped, loops named,
permanent moves reported), the User-Agent, and the rule that local files are
read only for locations the config names. Knows nothing about formats;
parsers never do I/O. Its modules: ``client`` (``HttpFetcher``: the
request loop), ``settings`` (``FetchSettings``, ``FetchResult``), ``policy``
(where a request and each redirect hop may go), ``body`` (reading a body
under the size cap), ``failures`` (errors worded and classified), ``local``
(local files), ``transport`` (the deadline under every
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

This ``__init__`` holds no logic: it re-exports the public names.
"""

from seedwatch.daemon.fetch.client import HttpFetcher
from seedwatch.daemon.fetch.decoding import ACCEPT_ENCODING
from seedwatch.daemon.fetch.politeness import HostGate
from seedwatch.daemon.fetch.settings import (
    DEFAULT_ACCEPT,
    FetchResult,
    FetchSettings,
)
from seedwatch.daemon.fetch.sniff import detect_charset
from seedwatch.urls import host_of

__all__ = [
    "ACCEPT_ENCODING",
    "DEFAULT_ACCEPT",
    "FetchResult",
    "FetchSettings",
    "HostGate",
    "HttpFetcher",
    "detect_charset",
    "host_of",
]
