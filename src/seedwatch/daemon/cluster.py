"""Cluster mode: several nodes, one PostgreSQL holding the state and the work.

The work queue is procrastinate (a task queue in the same PostgreSQL; no
broker, no protocol of our own). Each node may run:

- the **clock** (``seedwatch run --cluster``): an APScheduler job that, every
  ``[cluster] tick``, reads the sources' next poll times from the state and
  only *defers* the due ones as ``seedwatch.poll`` jobs, each with the
  queueing lock ``poll:<source id>``: however many clocks run, a source is
  queued at most once (procrastinate refuses a second waiting job with the
  same queueing lock), and a source whose job is queued or running is not
  deferred again;
- **workers** (``seedwatch worker``, and ``run --cluster``): procrastinate
  workers whose one task runs ``Pipeline.poll_source``, the very function of
  the single-node daemon, which records the source's next poll in the state.
  The job's lock (also ``poll:<source id>``) keeps two polls of one source
  from running at once.

The per-host cap holds across the cluster: a poll first takes one of its
host's ``[cluster] per_host`` slots (default: ``[fetch] per_host``), session advisory locks in
PostgreSQL held for the poll (a dead node's go with its connections); none
free within ``slot_wait``: the job defers itself a little later.

A node that dies mid-poll stops sending heartbeats; after ``stalled_after``
another node's worker finds its jobs stalled and retries them (procrastinate
``get_stalled_jobs``/``retry_job``). The crash-safety rule makes the retry
harmless: items the dead node recorded are known to the state (the retry
does not record them again), and the retry first completes the writes the
dead node recorded but did not finish.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import select
import time
import weakref
from collections.abc import Iterator, Sequence
from datetime import timedelta
from typing import Any

import procrastinate
import psycopg
import psycopg_pool
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from procrastinate import exceptions as pq_errors
from procrastinate.jobs import Status
from sqlalchemy import Engine, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY, BIGINT

from seedwatch.daemon.config import Config
from seedwatch.daemon.dispatch import host_key
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.state import postgres
from seedwatch.state.dialect import parse_url
from seedwatch.state.schema import UTCDateTime
from seedwatch.state.store import Store, now

log = logging.getLogger("seedwatch.cluster")

POLL_TASK = "seedwatch.poll"


# Why a source is not due: a poll job waiting or running ("busy"), or a next
# poll time still ahead ("later"); a configured source the state never saw is due.
_NOT_DUE = text(
    "SELECT 'busy', lock FROM procrastinate_jobs WHERE task_name = :task "
    "AND status IN ('todo', 'doing') AND lock IS NOT NULL "
    "UNION ALL SELECT 'later', id FROM sources WHERE next_poll > :now"
).bindparams(bindparam("now", type_=UTCDateTime))


def poll_lock(source_id: str) -> str:
    return f"poll:{source_id}"


def conninfo(state_url: str) -> str:
    """The libpq URI of the state database, for procrastinate's psycopg pool."""
    url = postgres.engine_url(state_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def require_postgres(config: Config) -> None:
    if parse_url(config.state_url).get_backend_name() != "postgresql":
        raise ConfigError(
            f"config {config.where}: cluster mode needs a PostgreSQL state shared by "
            f'every node: [state] url = "postgresql://user@host/db", got {config.state.url!r}'
        )


def sync_app(config: Config) -> procrastinate.App:
    """An app for deferring from threads (the clock, the CLI): a plain psycopg pool."""
    connector = procrastinate.SyncPsycopgConnector(
        conninfo=conninfo(config.state_url), min_size=1, max_size=2
    )
    return procrastinate.App(connector=connector)


def install_queue(store: Store, app: procrastinate.App) -> None:
    """Create procrastinate's tables once, even with several nodes starting together."""
    with store.exclusive("procrastinate-schema"):
        with store.engine.connect() as conn:
            present = conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar()
        if present is None:
            log.info("creating the task queue's tables (procrastinate)")
            app.schema_manager.apply_schema()


async def _autocommit(conn: psycopg.AsyncConnection[Any]) -> None:
    """The workers' connections: procrastinate's every query is one statement
    (a function call), so no BEGIN and COMMIT around each: two round trips
    less for each job fetched and each job finished."""
    await conn.set_autocommit(True)


# When each of the workers' connections went back to their pool.
_IDLE_SINCE: weakref.WeakKeyDictionary[psycopg.AsyncConnection[Any], float] = (
    weakref.WeakKeyDictionary()
)


async def _returned(conn: psycopg.AsyncConnection[Any]) -> None:
    _IDLE_SINCE[conn] = time.monotonic()


async def _check_when_idle(conn: psycopg.AsyncConnection[Any]) -> None:
    """The workers' pool checks a connection before lending it: with a query
    (procrastinate's own check, at every checkout: two round trips of a
    poll's, the job fetched and the job finished) only when the connection
    sat idle for ``postgres.PING_AFTER`` seconds, as the state's engine does,
    or when its socket has something to read. A server that closes a
    connection (a restart, ``pg_terminate_backend``, an idle timeout) sends
    an error and the end of the stream, so such a connection is still
    checked, found dead and replaced, as before; a healthy idle connection
    has nothing to read (a stray message only costs the query)."""
    since = _IDLE_SINCE.get(conn)
    idle = since is not None and time.monotonic() - since >= postgres.PING_AFTER
    if idle or _readable(conn.fileno()):
        await psycopg_pool.AsyncConnectionPool.check_connection(conn)


def _readable(fd: int) -> bool:
    """Whether ``fd`` has something to read now (``poll``: ``select`` refuses
    descriptors past 1023, which a daemon allowed many open files reaches)."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return bool(poller.poll(0))


def _worker_pool(**kwargs: Any) -> psycopg_pool.AsyncConnectionPool:
    """procrastinate's pool with the check above in place of its own."""
    kwargs.update(check=_check_when_idle, reset=_returned)
    return psycopg_pool.AsyncConnectionPool(**kwargs)


# -- host slots ------------------------------------------------------------------


# The first of the keys free, locked (session advisory lock), in one statement
# whatever the number of slots: the filter runs on the keys in array order and
# LIMIT stops the scan at the first lock taken, so no other is taken.
_TRY_SLOT = text(
    "SELECT k FROM unnest(:keys) AS t(k) WHERE pg_try_advisory_lock(k) LIMIT 1"
).bindparams(bindparam("keys", type_=ARRAY(BIGINT)))


class HostSlots:
    """``per_host`` cluster-wide slots per host: session advisory locks, each
    held on a connection of its own for the length of a poll."""

    def __init__(self, engine: Engine, per_host: int) -> None:
        self.engine = engine
        self.per_host = per_host

    def keys(self, host: str) -> list[int]:
        return [postgres.lock_key("host-slot", f"{host}\0{n}") for n in range(self.per_host)]

    @contextlib.contextmanager
    def hold(self, host: str, wait: float) -> Iterator[bool]:
        """Yields True with a slot held, False if none came free within ``wait`` s."""
        keys = self.keys(host)
        random.shuffle(keys)  # spread the nodes over the slots
        deadline = time.monotonic() + wait
        pause = 0.05
        with self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            while (held := conn.execute(_TRY_SLOT, {"keys": keys}).scalar()) is None:
                if time.monotonic() >= deadline:
                    break
                time.sleep(min(pause, max(0.0, deadline - time.monotonic())))
                pause = min(pause * 2, 1.0)
            try:
                yield held is not None
            finally:
                if held is not None:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": held})


# -- the clock -------------------------------------------------------------------


class Clock:
    """Defers due polls; holds no schedule of its own (the state does)."""

    def __init__(
        self, store: Store, app: procrastinate.App, sources: Sequence[Source], queue: str
    ) -> None:
        self.store = store
        self.app = app
        self.sources = list(sources)
        self.queue = queue

    def busy(self) -> set[str]:
        """Sources with a poll job waiting or running."""
        return self._not_due()[0]

    def _not_due(self) -> tuple[set[str], set[str]]:
        """(sources with a poll job waiting or running, sources whose next poll is
        later), read in one statement, so in one snapshot: a poll finishing writes
        its next poll time before its job is finished, so a source is never seen
        neither busy nor scheduled. Only the ids: a tick every half second read
        every source's whole state before (most of the clock's time)."""
        with self.store.engine.connect() as conn:
            rows = conn.execute(_NOT_DUE, {"task": POLL_TASK, "now": now()}).all()
        busy = {str(value).removeprefix("poll:") for kind, value in rows if kind == "busy"}
        later = {str(value) for kind, value in rows if kind == "later"}
        return busy, later

    def due(self) -> list[Source]:
        busy, later = self._not_due()
        return [s for s in self.sources if s.id not in busy and s.id not in later]

    def tick(self) -> int:
        """Defer every due source once; returns how many this clock queued."""
        due = self.due()
        queued = self.defer_all(due) if due else 0
        if queued:
            log.info("queued %d due poll(s)", queued)
        return queued

    def defer_all(self, sources: Sequence[Source]) -> int:
        """Queue polls of ``sources`` in one statement (one commit); when another
        clock queued one of them meanwhile (its queueing lock refuses the whole
        batch), one at a time. Returns how many this clock queued."""
        jobs = [
            self.app.configure_task(
                POLL_TASK, queue=self.queue, lock=poll_lock(s.id), queueing_lock=poll_lock(s.id)
            ).make_new_job(source_id=s.id)
            for s in sources
        ]
        try:
            self.app.job_manager.batch_defer_jobs(jobs)
        except pq_errors.AlreadyEnqueued:
            return sum(1 for source in sources if self.defer(source))
        return len(jobs)

    def defer(self, source: Source, *, delay: timedelta | None = None) -> bool:
        lock = poll_lock(source.id)
        later = {"seconds": int(delay.total_seconds())} if delay is not None else None
        try:
            self.app.configure_task(
                POLL_TASK, queue=self.queue, lock=lock, queueing_lock=lock, schedule_in=later
            ).defer(source_id=source.id)
        except pq_errors.AlreadyEnqueued:
            return False  # another clock (or the last poll's retry) queued it
        return True


# -- the worker ------------------------------------------------------------------


class Node:
    """One cluster node: workers, and the clock if asked, until SIGTERM/SIGINT."""

    def __init__(self, config: Config, pipeline: Pipeline, *, clock: bool) -> None:
        require_postgres(config)
        self.config = config
        self.pipeline = pipeline
        self.settings = config.cluster
        self.workers = self.settings.workers or config.daemon.concurrency
        self.sources = {s.id: s for s in config.enabled_sources()}
        self.with_clock = clock
        self.deferrer = sync_app(config)
        self.slot_engine = postgres.create(config.state_url, pool_size=self.workers)
        self.slots = HostSlots(self.slot_engine, self.settings.per_host or config.fetch.per_host)
        self.clock = Clock(
            pipeline.store, self.deferrer, list(self.sources.values()), self.settings.queue
        )
        self.app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(
                conninfo=conninfo(config.state_url),
                min_size=1,
                max_size=self.workers + 3,
                configure=_autocommit,
                pool_factory=_worker_pool,
            )
        )
        self.app.task(name=POLL_TASK, queue=self.settings.queue)(self.poll)

    # -- one job ------------------------------------------------------------------

    def poll(self, source_id: str) -> None:
        """The worker's task: one poll of one source, through ``Pipeline.poll_source``."""
        source = self.sources.get(source_id)
        if source is None:
            log.warning("poll job for %r: no such enabled source in this node's config", source_id)
            return
        # First what an earlier poll of this source recorded and did not write
        # (a node killed between the two), even if that poll is over.
        self.pipeline.complete_pending(source_id)
        state = self.pipeline.store.source_state(source_id)
        if state.next_poll is not None and state.next_poll > now():
            log.debug("source %s was polled since this job was queued", source_id)
            return
        wait = self.settings.slot_wait.total_seconds()
        with self.slots.hold(host_key(source), wait) as held:
            if not held:
                log.info("source %s: every slot of its host is busy; later", source_id)
                self.clock.defer(source, delay=self.settings.slot_wait)
                return
            result = self.pipeline.poll_source(source, state=state).result
        if result.error:
            log.warning("source %s failed (%s): %s", source_id, result.error_category, result.error)
        elif result.accepted:
            log.info("source %s: %d item(s), %d new", source_id, result.items, result.accepted)

    # -- stalled jobs ---------------------------------------------------------------

    async def recover_stalled(self) -> int:
        """Retry the jobs of nodes whose heartbeat stopped; returns how many."""
        manager = self.app.job_manager
        stalled = await manager.get_stalled_jobs(
            queue=self.settings.queue,
            task_name=POLL_TASK,
            seconds_since_heartbeat=self.settings.stalled_after.total_seconds(),
        )
        retried = 0
        for job in stalled:
            assert job.id is not None
            try:
                await manager.retry_job(job)
                retried += 1
                log.warning("retrying job %d (%s) of a stopped node", job.id, job.lock)
            except pq_errors.UniqueViolation:
                # The clock queued the source again meanwhile: that job polls it.
                await manager.finish_job_by_id_async(job.id, Status.FAILED, delete_job=False)
            except pq_errors.ConnectorException as exc:
                log.debug("job %d: taken by another node (%s)", job.id, exc.__cause__)
        return retried

    async def _write_retry_loop(self) -> None:
        """Writes a sink refused (a full disk, a read-only folder) are tried again
        while the node runs, with the single-node daemon's back-off
        (``Writer.retry``), not only at the source's next poll, an hour or a
        day later. The retry writes every pending entry, other nodes' in
        flight too, as a starting node does: a corpus file is never replaced,
        one already there with the same text counts as written."""
        writer = self.pipeline.writer
        idle = self.settings.heartbeat.total_seconds()
        while True:
            await asyncio.sleep(writer.retry_in() or idle)
            try:
                await asyncio.to_thread(writer.retry, due_only=True)
            except Exception:  # the loop must outlive a plugin's bug
                log.exception("retrying the pending writes failed")

    async def _recovery_loop(self) -> None:
        period = self.settings.heartbeat.total_seconds()
        while True:
            await asyncio.sleep(period)
            try:
                await self.recover_stalled()
            except pq_errors.ConnectorException as exc:
                log.error("stalled-job check failed: %s", exc)

    # -- running ----------------------------------------------------------------

    def start_clock(self) -> BackgroundScheduler:
        scheduler = BackgroundScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone="UTC",
        )
        scheduler.add_job(
            self._tick,
            IntervalTrigger(seconds=self.settings.tick.total_seconds()),
            id="clock",
            name="defer due polls",
            next_run_time=now(),
        )
        scheduler.start()
        return scheduler

    def _tick(self) -> None:
        try:
            self.clock.tick()
        except Exception:  # the clock must outlive a database hiccup
            log.exception("clock tick failed")

    async def _work(self) -> None:
        async with self.app.open_async():
            recovery = asyncio.create_task(self._recovery_loop())
            retries = asyncio.create_task(self._write_retry_loop())
            try:
                await self.app.run_worker_async(
                    queues=[self.settings.queue],
                    concurrency=self.workers,
                    name=f"seedwatch-{self.settings.queue}",
                    delete_jobs="successful",
                    update_heartbeat_interval=self.settings.heartbeat.total_seconds(),
                    stalled_worker_timeout=self.settings.stalled_after.total_seconds(),
                    install_signal_handlers=True,
                )
            finally:
                for task in (recovery, retries):
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    def run(self) -> None:
        """Run until SIGTERM or SIGINT: in-flight polls finish, then the node exits."""
        self.deferrer.open()
        try:
            install_queue(self.pipeline.store, self.deferrer)
            scheduler = self.start_clock() if self.with_clock else None
            log.info(
                "cluster node: %d worker(s)%s, %d source(s); SIGTERM to stop",
                self.workers,
                " and the clock" if scheduler else "",
                len(self.sources),
            )
            try:
                asyncio.run(self._work())
            finally:
                if scheduler is not None:
                    scheduler.shutdown(wait=True)
        finally:
            self.deferrer.close()
            self.slot_engine.dispose()
        log.info("cluster node stopped")


def run_node(config: Config, *, clock: bool) -> None:
    """``seedwatch run --cluster`` (``clock=True``) and ``seedwatch worker``."""
    from seedwatch.daemon import runtime

    require_postgres(config)
    if log.getEffectiveLevel() > logging.DEBUG:
        # procrastinate logs every job start and end at INFO: thousands an hour.
        logging.getLogger("procrastinate").setLevel(logging.WARNING)
    with runtime.running(config) as pipeline:
        Node(config, pipeline, clock=clock).run()
