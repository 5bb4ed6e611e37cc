"""Politeness: how many requests go to one host at once, how soon one follows
another, how many are in flight in all, and which hosts asked us to wait.

One ``HostGate`` serves every thread of a fetcher, so its rules hold across
sources that share a host. A host is a lower-cased host name without its
port (as Scrapy's download slots and browsers' connection limits count
them): two sites on one machine share its capacity.

- ``per_host`` requests at most run against one host at once;
- consecutive requests to one host *start* at least ``delay`` apart
  (``local_delay`` for loopback hosts: the server is this machine, a local
  FreshRSS or a test server), raised per host by its robots.txt
  ``Crawl-delay``;
- ``total`` requests at most run at once overall;
- a host that sends ``Retry-After`` (429 or 503) to two different sources,
  or to a request that is not any one source's (robots.txt), has said it for
  all its sources: every request to it is refused with a ``deferred``
  ``FetchError`` until then, without reaching it. One source's 429 only
  holds back that source (its schedule does): FreshRSS applies a 429 to the
  whole domain at once, which punishes a host's other feeds for one busy
  endpoint.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from seedwatch.errors import FetchError

MAX_CRAWL_DELAY = 60.0  # seconds: a robots.txt asking for more gets this much
# The longest a host's Retry-After blocks it for everyone: a longer one (a date in
# 2099, "99999999999999") is asked again after a day. Each source's own wait is
# capped at its max_interval by the scheduler.
MAX_HOST_WAIT = 86400.0


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class _Host:
    active: int = 0
    next_start: float = 0.0  # time.monotonic() before which no request may start
    floor: float = 0.0  # Crawl-delay from the host's robots.txt
    asked: dict[str, datetime] = field(default_factory=dict)  # source id -> Retry-After end
    blocked_until: datetime | None = None


class HostGate:
    """The per-host and global request slots of one fetcher (thread-safe)."""

    def __init__(
        self,
        *,
        per_host: int = 2,
        delay: float = 1.0,
        local_delay: float = 0.0,
        total: int = 16,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if per_host < 1 or total < 1 or delay < 0 or local_delay < 0:
            raise ValueError("HostGate: per_host and total must be >= 1, delays >= 0")
        self.per_host = per_host
        self.delay = delay
        self.local_delay = local_delay
        self.total = total
        self._clock = clock
        self._wall = wall
        self._cond = threading.Condition()
        self._hosts: dict[str, _Host] = {}
        self._active = 0
        self.max_active: dict[str, int] = {}  # the most requests one host has seen at once

    def _host(self, host: str) -> _Host:
        state = self._hosts.get(host)
        if state is None:
            state = self._hosts[host] = _Host()
        return state

    def spacing(self, host: str) -> float:
        """Seconds between the starts of two requests to ``host``."""
        base = self.local_delay if is_loopback(host) else self.delay
        with self._cond:
            state = self._hosts.get(host)
            return max(base, state.floor if state else 0.0)

    def set_crawl_delay(self, host: str, seconds: float) -> None:
        """A robots.txt ``Crawl-delay`` (capped at ``MAX_CRAWL_DELAY``)."""
        with self._cond:
            self._host(host).floor = min(max(seconds, 0.0), MAX_CRAWL_DELAY)

    @contextmanager
    def slot(self, host: str, *, url: str, until: float | None = None) -> Iterator[None]:
        """Hold one of ``host``'s request slots (and a global one) for a request to
        ``url``. Waits for a free slot and the host's spacing, up to ``until``
        (``time.monotonic()``), then raises a ``timeout`` ``FetchError``; raises
        a ``deferred`` one at once while the host has asked everyone to wait."""
        self._acquire(host, url, until)
        try:
            yield
        finally:
            with self._cond:
                self._hosts[host].active -= 1
                self._active -= 1
                self._cond.notify_all()

    def _acquire(self, host: str, url: str, until: float | None) -> None:
        spacing = self.spacing(host)
        with self._cond:
            state = self._host(host)
            while True:
                self._raise_if_blocked(host, state, url)
                now = self._clock()
                if self._active < self.total and state.active < self.per_host:
                    if now >= state.next_start:
                        state.active += 1
                        self._active += 1
                        state.next_start = now + spacing
                        self.max_active[host] = max(self.max_active.get(host, 0), state.active)
                        return
                    wait = state.next_start - now
                else:
                    wait = None  # until a slot is released
                if until is not None:
                    left = until - now
                    if left <= 0:
                        raise FetchError(
                            f"{url}: timed out: no free request slot for host {host} within "
                            f"the fetch's time limit (at most {self.per_host} at once)",
                            url=url,
                            category="timeout",
                        )
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def _raise_if_blocked(self, host: str, state: _Host, url: str) -> None:
        if state.blocked_until is None:
            return
        left = (state.blocked_until - self._wall()).total_seconds()
        if left <= 0:
            state.blocked_until = None
            return
        raise FetchError(
            f"{url}: deferred: host {host} asked every client to retry after "
            f"{state.blocked_until.isoformat(timespec='seconds')}",
            url=url,
            category="deferred",
            retry_after=left,
        )

    def retry_after(self, host: str, seconds: float, source_id: str | None) -> None:
        """Note a Retry-After from ``host`` to ``source_id`` (``None``: a request of
        no one source), at most ``MAX_HOST_WAIT`` seconds. The host is blocked for
        all its sources once it has said it to two sources, or to a request of
        none."""
        now = self._wall()
        until = now + timedelta(seconds=min(max(seconds, 0.0), MAX_HOST_WAIT))
        with self._cond:
            state = self._host(host)
            state.asked = {s: t for s, t in state.asked.items() if t > now}
            state.asked[source_id or ""] = max(until, state.asked.get(source_id or "", until))
            if source_id is None or len(state.asked) >= 2:
                end = max(state.asked.values())
                if state.blocked_until is None or end > state.blocked_until:
                    state.blocked_until = end

    def blocked_until(self, host: str) -> datetime | None:
        """When ``host`` lets us back in, if it has asked every client to wait."""
        with self._cond:
            state = self._hosts.get(host)
            if state is None or state.blocked_until is None:
                return None
            if state.blocked_until <= self._wall():
                state.blocked_until = None
                return None
            return state.blocked_until
