"""The dispatcher: runs due polls on a fixed set of worker threads, host-aware.

A due source waits in its host's queue; a free worker takes the next source
of the next host (round robin) that has room: fewer than ``per_host`` of
its polls in flight and the host's spacing passed since the last one
started. So workers never sit blocked on one busy host while sources of
other hosts wait behind it (a plain FIFO pool would let 2,000 sources of one
big host starve the rest). The fetcher's politeness gate still enforces the
caps on each request; the dispatcher only keeps workers on work they can do.
A source is never queued twice nor polled twice at once.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from seedwatch.models import Source
from seedwatch.urls import host_of

log = logging.getLogger("seedwatch.dispatch")


def host_key(source: Source) -> str:
    """The host a source's polls go to; local sources get a key of their own."""
    host = host_of(source.url) if source.url else ""
    return host or f"local:{source.id}"


@dataclass
class _Queued:
    source: Source
    due: float  # time.monotonic() it was due


class Dispatcher:
    """``submit`` due sources; ``workers`` threads run ``run(source, lag)`` for
    each, ``lag`` being the seconds between due and start."""

    def __init__(
        self,
        run: Callable[[Source, float], None],
        *,
        workers: int,
        per_host: int,
        spacing: Callable[[str], float] = lambda host: 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run = run
        self.workers = workers
        self.per_host = per_host
        self.spacing = spacing
        self._clock = clock
        self._cond = threading.Condition()
        self._queues: dict[str, deque[_Queued]] = {}  # insertion order = round robin
        self._inflight: dict[str, int] = {}
        self._last_start: dict[str, float] = {}
        self._busy: set[str] = set()  # source ids queued or running
        self._running = 0
        self._stopping = False
        self._threads: list[threading.Thread] = []

    # -- control ------------------------------------------------------------

    def start(self) -> None:
        for n in range(self.workers):
            thread = threading.Thread(target=self._work, name=f"poll-{n}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def alive(self) -> bool:
        return bool(self._threads) and all(t.is_alive() for t in self._threads)

    def submit(self, source: Source, *, due: float | None = None) -> bool:
        """Queue ``source``; ``False`` when it is already queued or running."""
        with self._cond:
            if self._stopping or source.id in self._busy:
                return False
            self._busy.add(source.id)
            host = host_key(source)
            self._queues.setdefault(host, deque()).append(
                _Queued(source, self._clock() if due is None else due)
            )
            self._cond.notify()
            return True

    def pending(self) -> tuple[int, int]:
        """(queued, running) polls."""
        with self._cond:
            return sum(len(q) for q in self._queues.values()), self._running

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until nothing is queued or running; ``False`` on timeout."""
        ends = None if timeout is None else self._clock() + timeout
        with self._cond:
            while self._busy:
                left = None if ends is None else ends - self._clock()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def stop(self, timeout: float | None = None) -> bool:
        """Run no more queued polls; wait up to ``timeout`` for those running.
        Returns whether they all finished."""
        ends = None if timeout is None else self._clock() + timeout
        with self._cond:
            self._stopping = True
            for queue in self._queues.values():
                for entry in queue:
                    self._busy.discard(entry.source.id)
            self._queues.clear()
            self._cond.notify_all()
            while self._running:
                left = None if ends is None else ends - self._clock()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        for thread in self._threads:
            thread.join(timeout=1.0)
        return True

    # -- workers ------------------------------------------------------------

    def _pick(self, now: float) -> tuple[str, _Queued] | float | None:
        """The next (host, entry) to run; else the seconds until a host's spacing
        has passed, or ``None`` to wait for a poll to finish or a submission."""
        soonest: float | None = None
        for host in list(self._queues):
            queue = self._queues[host]
            if not queue:
                del self._queues[host]
                continue
            if self._inflight.get(host, 0) >= self.per_host:
                continue
            ready = self._last_start.get(host, float("-inf")) + self.spacing(host)
            if ready > now:
                soonest = ready - now if soonest is None else min(soonest, ready - now)
                continue
            entry = queue.popleft()
            # round robin: this host goes to the back of the line
            del self._queues[host]
            if queue:
                self._queues[host] = queue
            return host, entry
        return soonest

    def _work(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopping:
                        return
                    now = self._clock()
                    picked = self._pick(now)
                    if isinstance(picked, tuple):
                        break
                    self._cond.wait(picked)
                host, entry = picked
                self._inflight[host] = self._inflight.get(host, 0) + 1
                self._last_start[host] = now
                self._running += 1
            try:
                self._run(entry.source, max(0.0, now - entry.due))
            except Exception:
                log.exception("poll of %s raised", entry.source.id)
            finally:
                with self._cond:
                    self._inflight[host] -= 1
                    self._running -= 1
                    self._busy.discard(entry.source.id)
                    self._cond.notify_all()
