"""What a fetch is given and what it gives back: ``FetchSettings`` (the config's
``[fetch]`` table: limits, identity, politeness) and ``FetchResult`` (everything
one successful fetch learnt). Plain values; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from seedwatch import __version__
from seedwatch.models import Document, Source

DEFAULT_CONTACT = "https://github.com/seedwatch/seedwatch"
DEFAULT_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "application/json;q=0.7, text/html;q=0.7, text/*;q=0.5, */*;q=0.1"
)


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Limits and identity of every fetch (the config's ``[fetch]`` table).

    Timeouts are in seconds: ``connect_timeout`` and ``read_timeout`` bound
    each socket operation, ``total_timeout`` the whole fetch, redirects
    included (a server trickling its headers is cut off there; only DNS
    resolution, done by the C library, can overrun it). A body averaging
    less than ``min_rate`` bytes a second once ``min_rate_window`` seconds
    have passed since its first bytes is cut (0: no floor). ``max_bytes``
    caps the body after decompression. ``user_agent`` replaces the default
    ``seedwatch/<version> (+<contact>)``.

    Politeness (see ``politeness``): at most ``per_host`` requests at once to
    one host, starting at least ``host_delay`` seconds apart
    (``local_host_delay`` for loopback hosts), at most ``max_concurrency``
    in all. ``robots`` turns robots.txt for page sources on: the daemon's
    config does by default (``[fetch] robots``); a bare ``HttpFetcher``
    fetches what its caller asks for.

    ``deny_private`` refuses hosts that resolve to no public address
    (loopback, private, link-local...), checked on the resolved address
    (``transport``): for deployments where feeds come from untrusted users.
    """

    contact: str = DEFAULT_CONTACT
    user_agent: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 60.0
    min_rate: float = 1024.0
    min_rate_window: float = 10.0
    max_bytes: int = 20 * 1024 * 1024
    max_redirects: int = 5
    accept: str = DEFAULT_ACCEPT
    per_host: int = 2
    host_delay: float = 1.0
    local_host_delay: float = 0.0
    max_concurrency: int = 16
    robots: bool = False
    deny_private: bool = False

    def __post_init__(self) -> None:
        for name in ("connect_timeout", "read_timeout", "total_timeout", "min_rate_window"):
            if getattr(self, name) <= 0:
                raise ValueError(f"FetchSettings.{name} must be positive")
        if self.min_rate < 0:
            raise ValueError("FetchSettings.min_rate must be >= 0")
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
