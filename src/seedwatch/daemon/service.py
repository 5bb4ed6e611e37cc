"""The long-running service: APScheduler polls each source on its own schedule.

Each source is one job (never two polls of one source at once; missed runs
coalesced into one). After each poll the job's next run is set from the
result: the source's ``min_interval`` after a success, exponential back-off
with jitter up to ``max_interval`` after failures. SIGTERM and SIGINT stop
new polls, drain the ones in flight, and exit 0. ``run_once`` polls every
source once through the same function.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor as Pool
from datetime import datetime, timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from seedwatch.contracts import PollResult
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.models import Source
from seedwatch.state.store import now

log = logging.getLogger("seedwatch.service")


def next_delay(source: Source, consecutive_errors: int, rng: random.Random) -> timedelta:
    """When to poll again: ``min_interval`` after a success; after failures,
    ``min_interval * 2**(n-1)`` with ±20 % jitter, capped at ``max_interval``."""
    base = source.min_interval
    if consecutive_errors <= 0:
        return base
    backoff: timedelta = base * (2 ** min(consecutive_errors - 1, 20)) * rng.uniform(0.8, 1.2)
    return min(backoff, source.max_interval)


class Service:
    def __init__(
        self,
        pipeline: Pipeline,
        sources: Sequence[Source],
        *,
        concurrency: int = 4,
        jitter: timedelta = timedelta(seconds=30),
    ) -> None:
        self.pipeline = pipeline
        self.sources = list(sources)
        self.concurrency = concurrency
        self.jitter = jitter
        self.stop_event = threading.Event()
        self.rng = random.Random()
        self.scheduler: BackgroundScheduler | None = None

    def poll(self, source: Source) -> PollResult:
        result = self.pipeline.poll_source(source)
        state = self.pipeline.store.source_state(source.id)
        delay = next_delay(source, state.consecutive_errors, self.rng)
        if result.error:
            log.warning(
                "source %s failed (%d in a row, %s): next poll in %s",
                source.id,
                state.consecutive_errors,
                result.error_category,
                delay,
            )
        elif result.accepted or result.documents:
            log.info("source %s: %d item(s), %d new", source.id, result.items, result.accepted)
        if self.scheduler is not None and not self.stop_event.is_set():
            self.scheduler.modify_job(source.id, next_run_time=now() + delay)
        return result

    def run_once(self) -> list[PollResult]:
        """Poll every source once, ``concurrency`` at a time, and return the results."""
        with Pool(max_workers=self.concurrency, thread_name_prefix="poll") as pool:
            return list(pool.map(self.pipeline.poll_source, self.sources))

    def _first_run(self, source: Source) -> datetime:
        state = self.pipeline.store.source_state(source.id)
        stagger = timedelta(seconds=self.rng.uniform(0, min(5.0, self.jitter.total_seconds())))
        if state.next_poll and state.next_poll > now():
            return state.next_poll
        return now() + stagger

    def run_forever(self) -> None:
        """Poll on schedule until SIGTERM/SIGINT, then drain and return."""
        self.install_signal_handlers()
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(self.concurrency)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        self.scheduler = scheduler
        for source in self.sources:
            scheduler.add_job(
                self.poll,
                IntervalTrigger(
                    seconds=source.min_interval.total_seconds(),
                    jitter=int(self.jitter.total_seconds()) or None,
                ),
                args=[source],
                id=source.id,
                name=f"poll {source.id}",
                next_run_time=self._first_run(source),
            )
        scheduler.start()
        log.info("polling %d source(s); send SIGTERM to stop", len(self.sources))
        self.stop_event.wait()
        log.info("stopping: draining polls in flight")
        scheduler.shutdown(wait=True)
        self.pipeline.registry.notify("on_shutdown")
        log.info("stopped")

    def stop(self) -> None:
        self.stop_event.set()

    def install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def handler(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s", signal.Signals(signum).name)
            self.stop()

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
