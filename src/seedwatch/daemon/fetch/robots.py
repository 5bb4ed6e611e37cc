"""robots.txt: fetched once a day per origin, read with Protego, applied to page sources.

Which requests it applies to (``applies``): a source's option ``robots``
(true or false) decides when set. Otherwise robots.txt governs crawling,
not subscriptions, as feed readers read it: it applies to every link a
parser asks to follow (``local_ok=False``: pages found in documents) and to
the configured URL of a *page* source (a ``parser`` other than the feed
parser ``rss``: forums, blogs' HTML, FreshRSS pages); not to a feed the
config names (``rss``, or a sniffed source), nor to authenticated API
requests (an ``Authorization`` header, or a method other than GET: a
FreshRSS login and API walk act for the user), nor to local files.

Why Protego and not ``urllib.robotparser``: Protego follows RFC 9309 and
Google's reading of it (the longest matching rule wins, so ``Allow:
/forum/`` inside ``Disallow: /`` works; ``*`` and ``$`` wildcards; groups
merged per user agent), where the standard library takes the first match
in file order and knows no wildcards, and so disallows or allows the
wrong pages of real forums' files. Protego is Scrapy's parser.

Answers (RFC 9309 section 2.3.1): 2xx is parsed (the first 512 KiB);
4xx means no rules; 5xx, a timeout or a broken connection mean
"unreachable", which disallows everything for a short while (then it is
asked again); redirects are followed (the fetcher's cap). The group matched
is the User-Agent's product token (``seedwatch`` by default).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from seedwatch.errors import FetchError
from seedwatch.models import Source

FEED_PARSERS = frozenset({"rss"})
MAX_BYTES = 512 * 1024
FRESH = 24 * 3600.0  # seconds a robots.txt is kept (RFC 9309: not more than a day)
UNREACHABLE = 600.0  # seconds "unreachable" (everything disallowed) is kept


def origin(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "", "", ""))


def product_token(agent: str) -> str:
    """``seedwatch/0.1 (+https://...)`` -> ``seedwatch``: what robots.txt groups name."""
    return agent.split("/", 1)[0].split()[0] if agent.strip() else "*"


def applies(
    source: Source, *, local_ok: bool, method: str, headers: Mapping[str, str] | None
) -> bool:
    """Whether robots.txt governs this request (see the module's docstring)."""
    choice = source.options.get("robots")
    if choice is not None and not isinstance(choice, bool):
        raise FetchError(
            f'source "{source.id}": option "robots": expected true or false, got {choice!r}',
            url=source.location,
            category="refused",
        )
    if method != "GET" or any(k.lower() == "authorization" for k in headers or {}):
        return choice is True and method == "GET"
    if choice is not None:
        return choice
    if not local_ok:
        return True
    return source.parser is not None and source.parser not in FEED_PARSERS


@dataclass(frozen=True, slots=True)
class Rules:
    """One origin's robots.txt as read: ``parser`` is None when it has no rules
    (4xx), ``unreachable`` when everything is disallowed for now."""

    parser: Protego | None
    fetched: float
    unreachable: str | None = None

    def fresh(self, now: float) -> bool:
        ttl = UNREACHABLE if self.unreachable else FRESH
        return now - self.fetched < ttl


# Fetches /robots.txt of an origin (its first MAX_BYTES): returns (status,
# body); raises FetchError for error statuses and failures.
Loader = Callable[[str], tuple[int, bytes]]


class RobotsCache:
    """robots.txt per origin, each fetched by one thread while others wait."""

    def __init__(
        self,
        agent: str,
        loader: Loader,
        *,
        on_crawl_delay: Callable[[str, float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = product_token(agent)
        self._loader = loader
        self._on_crawl_delay = on_crawl_delay
        self._clock = clock
        self._rules: dict[str, Rules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def check(self, url: str) -> None:
        """Raise a ``refused`` ``FetchError`` when robots.txt disallows ``url``."""
        base = origin(url)
        rules = self._get(base)
        if rules.unreachable:
            raise FetchError(
                f"{url}: refused: {base}/robots.txt is unreachable ({rules.unreachable}), "
                f"which means everything is disallowed for now (RFC 9309); it is asked again "
                f"in {UNREACHABLE / 60:.0f} minutes",
                url=url,
                category="refused",
            )
        if rules.parser is not None and not rules.parser.can_fetch(url, self.token):
            raise FetchError(
                f"{url}: refused: {base}/robots.txt disallows it for {self.token!r}; set "
                f"robots = false on the source only if the site allows you otherwise",
                url=url,
                category="refused",
            )

    def _get(self, base: str) -> Rules:
        with self._guard:
            rules = self._rules.get(base)
            if rules is not None and rules.fresh(self._clock()):
                return rules
            lock = self._locks.setdefault(base, threading.Lock())
        with lock:
            with self._guard:
                rules = self._rules.get(base)
            if rules is None or not rules.fresh(self._clock()):
                rules = self._load(base)
                with self._guard:
                    self._rules[base] = rules
            return rules

    def _load(self, base: str) -> Rules:
        now = self._clock()
        try:
            status, body = self._loader(base + "/robots.txt")
        except FetchError as exc:
            # 429 is "unreachable" too, as Google reads it: a host that limits
            # our rate has not said we may crawl everything.
            if exc.status is not None and 400 <= exc.status < 500 and exc.status != 429:
                return Rules(None, now)
            return Rules(None, now, unreachable=str(exc).split(": ", 1)[-1])
        if not 200 <= status < 300:  # a 304 never comes: the loader sends no validators
            return Rules(None, now)
        parser = Protego.parse(body[:MAX_BYTES].decode("utf-8", errors="replace"))
        delay = parser.crawl_delay(self.token)
        if delay and self._on_crawl_delay is not None:
            self._on_crawl_delay(urlsplit(base).hostname or "", float(delay))
        return Rules(parser, now)
