"""The cluster's parts, one at a time, on a throwaway PostgreSQL database:
the clock's queueing, the host slots, the completion of a dead node's writes,
the retry of a dead node's jobs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import procrastinate
import psycopg
import pytest
from sqlalchemy import text

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.contracts import Accepted, Sink
from seedwatch.corpus import render
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.cluster import POLL_TASK, Clock, HostSlots, Node, conninfo, install_queue
from seedwatch.errors import ConfigError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Item
from seedwatch.state.store import Store

pytestmark = pytest.mark.postgres


def make_config(
    tmp_path: Path, pg_url: str, server: LocalServer, sources: int
) -> config_mod.Config:
    return config_mod.from_dict(
        {
            "corpus": {"path": "corpus"},
            "state": {"url": pg_url},
            "cluster": {"tick": "1s", "heartbeat": "1s", "stalled_after": "2s"},
            "sources": [
                {"id": f"s{n}", "url": server.route(f"/{n}.xml", Reply(body=rss(2, start=2 * n)))}
                for n in range(sources)
            ],
        },
        file=tmp_path / "seedwatch.toml",
    )


@pytest.fixture
def node(tmp_path: Path, pg_url: str, server: LocalServer) -> Iterator[Node]:
    config = make_config(tmp_path, pg_url, server, 3)
    with runtime.running(config) as pipeline:
        node = Node(config, pipeline, clock=True)
        node.deferrer.open()
        install_queue(pipeline.store, node.deferrer)
        try:
            yield node
        finally:
            node.deferrer.close()
            node.slot_engine.dispose()


def jobs(node: Node) -> list[tuple[str, str]]:
    with node.pipeline.store.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT lock, status FROM procrastinate_jobs WHERE task_name = :t ORDER BY id"),
            {"t": POLL_TASK},
        )
        return [(str(lock), str(status)) for lock, status in rows]


def test_cluster_mode_needs_a_postgresql_state(tmp_path: Path, server: LocalServer) -> None:
    config = make_config(tmp_path, "sqlite:///state.db", server, 1)
    with runtime.running(config) as pipeline, pytest.raises(ConfigError, match="PostgreSQL"):
        Node(config, pipeline, clock=True)


def test_clocks_queue_each_due_source_once(node: Node) -> None:
    other = Clock(node.pipeline.store, node.deferrer, list(node.sources.values()), "seedwatch")
    assert node.clock.tick() == 3
    assert other.tick() == 0  # a second clock: everything is queued already
    assert node.clock.tick() == 0
    assert jobs(node) == [("poll:s0", "todo"), ("poll:s1", "todo"), ("poll:s2", "todo")]


def test_a_polled_source_is_not_due_until_its_next_poll(node: Node) -> None:
    node.poll("s1")  # what a worker does with the job
    assert [s.id for s in node.clock.due()] == ["s0", "s2"]
    state = node.pipeline.store.source_state("s1")
    assert state.next_poll is not None and state.next_poll > datetime.now(UTC)
    files = sorted(p.name for p in node.config.corpus_path.iterdir())
    assert len(files) == 2
    node.poll("s1")  # a stale job for it does nothing
    assert sorted(p.name for p in node.config.corpus_path.iterdir()) == files


def advisory_locks(node: Node) -> int:
    with node.pipeline.store.engine.connect() as conn:
        return int(
            conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND database = (SELECT oid FROM pg_database "
                    "WHERE datname = current_database())"
                )
            ).scalar_one()
        )


def test_host_slots_cap_polls_of_one_host_across_nodes(node: Node) -> None:
    first = HostSlots(node.slot_engine, 2)
    second = HostSlots(node.slot_engine, 2)  # another node: its own connections
    with first.hold("example.org", 0) as a, second.hold("example.org", 0) as b:
        assert a and b
        assert advisory_locks(node) == 2, "a poll takes one slot, however many are free"
        with first.hold("example.org", 0.2) as c, second.hold("other.example", 0) as d:
            assert not c, "a third poll of one host waits"
            assert d, "other hosts are not held back"
    with second.hold("example.org", 0) as again:
        assert again, "slots come back when a poll ends"


def test_a_dead_nodes_recorded_writes_are_completed_by_the_next_poll(node: Node) -> None:
    store = node.pipeline.store
    fetched = datetime.now(UTC)
    item = Item(key="dead-1", text=" ".join(f"w{n}" for n in range(40)), parser="rss", source="s0")
    ((_, entry),) = store.admit([(item, fetched)], lambda i, f, r: render(i, f, revision_of=r))
    assert entry is not None and [e.name for e in store.pending()] == [entry.name]
    node.poll("s0")
    assert store.pending() == []
    assert (node.config.corpus_path / entry.name).read_text() == entry.rendered


class OrderSink(Sink):
    """Notes each write, and at each flush what the state still holds as pending."""

    name = "order"

    def __init__(self) -> None:
        self.events: list[tuple[str, list[str]]] = []
        self.store: Store | None = None

    def write(self, entry: Accepted) -> None:
        self.events.append(("write", [entry.name]))

    def flush(self) -> None:
        pending = self.store.pending() if self.store is not None else []
        self.events.append(("flush", [e.name for e in pending]))


def test_a_dead_nodes_writes_are_flushed_before_they_are_marked_written(
    tmp_path: Path, pg_url: str, server: LocalServer
) -> None:
    sink = OrderSink()

    class Plugin:
        @hookimpl
        def register_sinks(self, register: Callable[[Sink], None]) -> None:
            register(sink)

    config = make_config(tmp_path, pg_url, server, 1)
    config = config.model_copy(
        update={"corpus": config.corpus.model_copy(update={"sinks": ["corpus", "order"]})}
    )
    with runtime.running(config, extra_plugins=[Plugin()]) as pipeline:
        node = Node(config, pipeline, clock=True)
        try:
            store = pipeline.store
            sink.store = store
            item = Item(key="dead-2", text=" ".join(f"w{n}" for n in range(40)), parser="rss",
                        source="s0")  # fmt: skip
            ((_, entry),) = store.admit(
                [(item, datetime.now(UTC))], lambda i, f, r: render(i, f, revision_of=r)
            )
            assert entry is not None
            sink.events.clear()
            node.poll("s0")  # first completes the dead node's write, then polls
            # Written, made durable (the corpus folder's fsync) while still
            # pending, and only then marked written.
            assert sink.events[:2] == [("write", [entry.name]), ("flush", [entry.name])]
            assert store.pending() == []
        finally:
            node.deferrer.close()
            node.slot_engine.dispose()


def test_jobs_of_a_node_without_heartbeat_are_retried(node: Node) -> None:
    node.clock.tick()

    async def die_with_a_job() -> int:
        app = procrastinate.App(
            connector=procrastinate.PsycopgConnector(conninfo=conninfo(node.config.state_url))
        )
        async with app.open_async():
            worker_id = await app.job_manager.register_worker()
            job = await app.job_manager.fetch_job(queues=["seedwatch"], worker_id=worker_id)
            assert job is not None and job.id is not None
            return job.id

    job_id = asyncio.run(die_with_a_job())
    with node.pipeline.store.engine.begin() as conn:
        conn.execute(
            text("UPDATE procrastinate_workers SET last_heartbeat = now() - :age"),
            {"age": timedelta(minutes=5)},
        )

    async def recover() -> int:
        async with node.app.open_async():
            return await node.recover_stalled()

    assert asyncio.run(recover()) == 1
    with node.pipeline.store.engine.connect() as conn:
        status = conn.execute(
            text("SELECT status FROM procrastinate_jobs WHERE id = :id"), {"id": job_id}
        ).scalar()
    assert status == "todo"


def test_the_workers_pool_replaces_a_connection_the_server_closed(node: Node) -> None:
    # The workers' pool checks a connection before lending it only when it
    # idled long or the server wrote to it: a backend ended by the server (a
    # restart, pg_terminate_backend) in between two jobs must still be
    # replaced, not lent to fetch the next job.
    async def backend_pid() -> int:
        connector = node.app.connector
        assert isinstance(connector, procrastinate.PsycopgConnector)
        async with connector.pool.connection() as conn:
            row = await (await conn.execute("SELECT pg_backend_pid()")).fetchone()
            assert row is not None
            return int(row[0])

    async def run() -> tuple[int, int]:
        async with node.app.open_async():
            first = await backend_pid()
            with psycopg.connect(conninfo(node.config.state_url), autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [first])
                # the server ends it asynchronously: wait until it is gone
                while admin.execute(
                    "SELECT 1 FROM pg_stat_activity WHERE pid = %s", [first]
                ).fetchone():
                    await asyncio.sleep(0.05)
            return first, await backend_pid()

    first, second = asyncio.run(run())
    assert second != first
