"""The long-running service: APScheduler keeps the clock, the dispatcher runs polls.

Each source is one APScheduler job whose next run is the source's
``next_poll`` as the scheduler (``daemon.schedule``) planned it after the
last poll; when it fires, the source is handed to the host-aware
``Dispatcher``, whose workers run ``Pipeline.poll_source`` (never two polls
of one source at once). After each poll the job is moved to the new
``next_poll`` and one log line says what happened.

Signals: SIGTERM and SIGINT (Ctrl-C) stop new polls and drain the ones in
flight (up to ``drain_timeout``; a second Ctrl-C stops at once; what is cut
off is safe by the crash-safety rule), then exit 0. SIGHUP reloads the
config's sources: added, removed and changed ones take effect without a
restart (a bad config is logged and the running one kept). Under systemd it
speaks the notify protocol (ready, reloading, stopping, watchdog). Every few
seconds the state is read back, so ``seedwatch sources resume`` (or another
process) moving a source's next poll earlier takes effect. ``run_once``
polls every source once (parked ones only when their probe is due) through
the same dispatcher.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from seedwatch.contracts import PollResult
from seedwatch.daemon import surface
from seedwatch.daemon.dispatch import Dispatcher
from seedwatch.daemon.fetch import HttpFetcher
from seedwatch.daemon.health import HealthServer
from seedwatch.daemon.metrics import Metrics
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.daemon.poll import Poll
from seedwatch.daemon.schedule import human
from seedwatch.daemon.sdnotify import Notifier
from seedwatch.errors import UserError
from seedwatch.models import Source
from seedwatch.state.failures import is_state_failure
from seedwatch.state.store import now

if TYPE_CHECKING:
    from seedwatch.daemon.websub import WebSub

log = logging.getLogger("seedwatch.service")


class Service:
    """The daemon around one ``Pipeline``: schedule, dispatch, surface, signals."""

    def __init__(
        self,
        pipeline: Pipeline,
        sources: Sequence[Source],
        *,
        concurrency: int = 4,
        jitter: timedelta = timedelta(seconds=30),
        listen: str = "",
        drain_timeout: timedelta = timedelta(minutes=2),
        reload: Callable[[], Sequence[Source]] | None = None,
        corpus: Path | None = None,
        notifier: Notifier | None = None,
        tick: float = 5.0,
        websub: WebSub | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.websub = websub  # pushes: polls of a pushed source slow down
        self.sources = {s.id: s for s in sources}
        self.concurrency = concurrency
        self.jitter = jitter
        self.listen = listen
        self.drain_timeout = drain_timeout
        self._reload = reload
        self.corpus = corpus
        self.notifier = notifier or Notifier()
        self.tick = tick
        self.stop_event = threading.Event()
        self._wake = threading.Event()
        self._reload_requested = False
        self.scheduler: BackgroundScheduler | None = None
        self.server: HealthServer | None = None
        self.planned: dict[str, datetime] = {}
        self._state_failures: dict[str, int] = {}  # polls whose record the state refused
        self.metrics = Metrics(pipeline.store, lambda: list(self.sources.values()))
        fetcher = pipeline.fetcher
        per_host, spacing = concurrency, (lambda host: 0.0)
        if isinstance(fetcher, HttpFetcher):
            fetcher.subscribe(self.metrics.on_fetch)
            per_host, spacing = fetcher.gate.per_host, fetcher.gate.spacing
        pipeline.registry.pm.register(self.metrics, name=f"seedwatch.metrics.{id(self)}")
        self.dispatcher = Dispatcher(
            self._run, workers=concurrency, per_host=per_host, spacing=spacing
        )

    # -- one poll -------------------------------------------------------------

    def _run(self, source: Source, lag: float) -> None:
        self.metrics.on_lag(lag)
        self.poll(source)

    def poll(self, source: Source) -> PollResult:
        """Poll ``source`` once, count it, log one line, and move its job."""
        started = time.monotonic()
        push = self.websub
        poll = self.pipeline.poll_source(
            source, floor=push.floor(source.id) if push is not None else None
        )
        duration = time.monotonic() - started
        result = poll.result
        if push is not None and poll.document is not None and result.error is None:
            push.saw(source, poll.document)  # a hub named by the feed: subscribe
        nxt, reason, outcome = self._next(source, poll)
        self.metrics.on_poll(result, outcome, duration)
        wait = f"in {human(max(nxt - now(), timedelta(0)))}" if nxt else "-"
        line = f"poll {source.id}: {outcome}"
        if result.error:
            line += f" ({result.error_category})"
        line += f", {result.items} item(s), {result.accepted} new, {duration:.2f}s; next {wait}"
        if result.item_errors.get("write"):
            line += f"; {result.item_errors['write']} not written (pending)"
        if reason:
            line += f" ({reason})"
        extra = {
            "source": source.id,
            "outcome": outcome,
            "error_class": result.error_category,
            "items": result.items,
            "new": result.accepted,
            "duration": round(duration, 3),
            "next_poll": nxt.isoformat() if nxt else None,
        }
        level = logging.WARNING if result.error and outcome != "deferred" else logging.INFO
        log.log(level, line, extra=extra)
        if nxt is not None:
            self._reschedule(source.id, nxt)
        return result

    def _next(self, source: Source, poll: Poll) -> tuple[datetime | None, str | None, str]:
        """The source's next poll, why, and the poll's outcome: as recorded, or,
        when the state refused the record (``Poll.state`` is ``None``), after
        a back-off kept here, so a read-only or full state is not hammered."""
        result = poll.result
        if poll.state is None and result.error_category == "state":
            failures = self._state_failures.get(source.id, 0) + 1
            self._state_failures[source.id] = failures
            delay = self.pipeline.schedule.backoff(source, failures)
            why = f"the state database refused the poll {failures} time(s) in a row"
            return now() + delay, why, "error"
        self._state_failures.pop(source.id, None)
        state = poll.state or self.pipeline.store.source_state(source.id)
        outcome = state.last_outcome or ("error" if result.error else "ok")
        return state.next_poll, state.next_poll_reason, outcome

    def _reschedule(self, source_id: str, when: datetime) -> None:
        self.planned[source_id] = when
        if self.scheduler is None or self.stop_event.is_set():
            return
        # JobLookupError: removed by a reload while it was polled
        with contextlib.suppress(JobLookupError):
            self.scheduler.modify_job(source_id, next_run_time=when)

    def _fire(self, source_id: str) -> None:
        """The APScheduler job: hand the source to the dispatcher."""
        source = self.sources.get(source_id)
        if source is None:
            return
        planned = self.planned.get(source_id)
        late = max(0.0, (now() - planned).total_seconds()) if planned else 0.0
        self.dispatcher.submit(source, due=time.monotonic() - late)

    # -- once -----------------------------------------------------------------

    def run_once(self) -> list[PollResult]:
        """Poll every source once, ``concurrency`` at a time, host-aware; parked
        sources only when their probe is due. Results in config order."""
        results: dict[str, PollResult] = {}
        due = []
        for source in self.sources.values():
            st = self.pipeline.store.source_state(source.id)
            if st.parked and st.next_poll and st.next_poll > now():
                log.info(
                    "source %s is parked (%s): next probe %s; `seedwatch sources resume %s` "
                    "resumes it",
                    source.id,
                    st.parked_reason,
                    st.next_poll.isoformat(timespec="seconds"),
                    source.id,
                )
                continue
            due.append(source)

        def run(source: Source, lag: float) -> None:
            results[source.id] = self.poll(source)

        once = Dispatcher(
            run,
            workers=self.concurrency,
            per_host=self.dispatcher.per_host,
            spacing=self.dispatcher.spacing,
        )
        once.start()
        for source in due:
            once.submit(source)
        once.wait_idle()
        once.stop()
        return [results[s.id] for s in due if s.id in results]

    # -- forever --------------------------------------------------------------

    def _first_run(self, source: Source) -> datetime:
        state = self.pipeline.store.source_state(source.id)
        if state.next_poll and state.next_poll > now():
            return state.next_poll
        spread = min(5.0, self.jitter.total_seconds())
        return now() + timedelta(seconds=spread * (hash(source.id) % 1000) / 1000)

    def _add_job(self, scheduler: BackgroundScheduler, source: Source) -> None:
        first = self._first_run(source)
        self.planned[source.id] = first
        scheduler.add_job(
            self._fire,
            # A safety net only: every poll moves the job to its planned next poll.
            IntervalTrigger(seconds=max(source.max_interval.total_seconds(), 1.0)),
            args=[source.id],
            id=source.id,
            name=f"poll {source.id}",
            next_run_time=first,
            replace_existing=True,
        )

    def run_forever(self) -> None:
        """Poll on schedule until SIGTERM/SIGINT, then drain and return."""
        self.install_signal_handlers()
        if self.listen:
            self.server = HealthServer(self.listen, self)
        scheduler = BackgroundScheduler(
            # Jobs only hand sources to the dispatcher: two threads are plenty.
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        self.scheduler = scheduler
        for source in self.sources.values():
            self._add_job(scheduler, source)
        self.dispatcher.start()
        scheduler.start()
        if self.server is not None:
            self.server.start()
        log.info("polling %d source(s); Ctrl-C or SIGTERM to stop", len(self.sources))
        self.notifier.ready(f"polling {len(self.sources)} source(s)")
        beat = self.notifier.watchdog
        tick = min(self.tick, beat / 2) if beat else self.tick
        last_beat = 0.0
        while not self.stop_event.is_set():
            self._wake.wait(min(tick, self.pipeline.writer.retry_in() or tick))
            self._wake.clear()
            if self.stop_event.is_set():
                break
            if self._reload_requested:
                self._reload_requested = False
                self.reload()
            self.pipeline.writer.retry(due_only=True)  # writes a sink refused
            self._sync_from_state()
            if beat and time.monotonic() - last_beat >= beat / 2 and self.health()[0] != "failing":
                self.notifier.alive()
                last_beat = time.monotonic()
        self._shutdown()

    def _shutdown(self) -> None:
        log.info("stopping: draining polls in flight")
        self.notifier.stopping()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        timeout = self.drain_timeout.total_seconds()
        if not self.dispatcher.stop(timeout=timeout):
            _, running = self.dispatcher.pending()
            log.warning(
                "gave up waiting after %.0fs for %d poll(s) in flight; what they recorded "
                "is kept and completed at the next start",
                timeout,
                running,
            )
        if self.server is not None:
            self.server.stop()
        self.pipeline.registry.notify("on_shutdown")
        log.info("stopped")

    def _sync_from_state(self) -> None:
        """Move jobs earlier when the state says so (a resume, another process)."""
        if self.scheduler is None:
            return
        try:
            states = self.pipeline.store.source_states()
        except Exception as exc:
            if not is_state_failure(exc):
                raise
            return  # a state that cannot be read now: the polls say so, each in a line
        for source_id in self.sources:
            st = states.get(source_id)
            planned = self.planned.get(source_id)
            if st is None or st.next_poll is None or planned is None:
                continue
            if st.next_poll < planned - timedelta(seconds=1):
                log.info("source %s: next poll moved to %s by the state", source_id, st.next_poll)
                self._reschedule(source_id, max(st.next_poll, now()))

    def reload(self) -> None:
        """Re-read the config's sources (SIGHUP): add, remove and change jobs."""
        if self._reload is None:
            log.warning("SIGHUP: no config file to reload")
            return
        self.notifier.reloading()
        try:
            fresh = {s.id: s for s in self._reload()}
            for source in fresh.values():
                if source != self.sources.get(source.id):
                    self.pipeline.registry.source_kind(source.kind).check(source)
        except UserError as exc:
            log.error("reload failed; the running config stays: %s", exc)
            self.notifier.ready(f"polling {len(self.sources)} source(s); last reload failed")
            return
        old = self.sources
        added = [i for i in fresh if i not in old]
        removed = [i for i in old if i not in fresh]
        changed = [i for i in fresh if i in old and fresh[i] != old[i]]
        self.sources = fresh
        if self.scheduler is not None:
            for source_id in removed:
                with contextlib.suppress(JobLookupError):
                    self.scheduler.remove_job(source_id)
                self.planned.pop(source_id, None)
            for source_id in added:
                self._add_job(self.scheduler, fresh[source_id])
            for source_id in changed:  # poll soon with the new settings
                self._reschedule(source_id, now())
        log.info(
            "reloaded the config: %d source(s); added %s; removed %s; changed %s",
            len(fresh),
            ", ".join(added) or "none",
            ", ".join(removed) or "none",
            ", ".join(changed) or "none",
        )
        self.notifier.ready(f"polling {len(fresh)} source(s)")

    def stop(self) -> None:
        self.stop_event.set()
        self._wake.set()

    def request_reload(self) -> None:
        self._reload_requested = True
        self._wake.set()

    def install_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum: int, _frame: FrameType | None) -> None:
            name = signal.Signals(signum).name
            if self.stop_event.is_set() and signum == signal.SIGINT:
                # A second Ctrl-C: the user will not wait for the drain. Safe to
                # cut off: what a poll recorded is completed at the next start.
                # A repeated SIGTERM still drains: service managers bound the
                # drain themselves (SIGKILL after their stop timeout).
                _, running = self.dispatcher.pending()
                log.warning("received %s again: stopping now, %d poll(s) cut off", name, running)
                logging.shutdown()
                os._exit(128 + signum)
            log.info("received %s", name)
            self.stop()

        def hup(signum: int, _frame: FrameType | None) -> None:
            log.info("received SIGHUP: reloading the config")
            self.request_reload()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, hup)

    # -- the HTTP surface (health.Surface) ------------------------------------

    def health(self) -> tuple[str, list[str]]:
        return surface.health(self)

    def ready(self) -> tuple[bool, list[str]]:
        return surface.ready(self)

    def metrics_text(self) -> bytes:
        return self.metrics.render()

    def status_page(self) -> str:
        return surface.status_page(self)
