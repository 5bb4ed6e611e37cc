"""What a fetch is given and what it gives back: ``FetchSettings`` (the config's
``[fetch]`` table: limits, identity, politeness) and ``FetchResult`` (everything
one successful fetch learnt). Plain values; no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import Field

from seedwatch import __version__
from seedwatch.models import Document, Source
from seedwatch.sections import FetchConfig

DEFAULT_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "application/json;q=0.7, text/html;q=0.7, text/*;q=0.5, */*;q=0.1"
)


class FetchSettings(FetchConfig):
    """Limits and identity of every fetch: the config's ``[fetch]`` table
    (``seedwatch.sections.FetchConfig``: each key, its default and bounds,
    defined once), plus ``max_concurrency`` (the daemon's ``concurrency``:
    requests at once in all) and the ``Accept`` header.

    Durations are ``timedelta``s; numbers are taken as seconds
    (``FetchSettings(total_timeout=5)``), strings as in the config file.
    Only DNS resolution, done by the C library, can overrun ``total_timeout``.
    ``robots`` is off for a bare fetcher, which fetches what its caller asks
    for; the daemon's config turns it on by default (``[fetch] robots``).
    """

    accept: str = DEFAULT_ACCEPT
    max_concurrency: int = Field(16, ge=1)
    robots: bool = False

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
