"""The state-store suites of tests/test_store.py and tests/test_dedup.py, run
again on PostgreSQL, plus what only PostgreSQL has: the URL forms, the
corpus sequence, migrations of nodes starting together.

Every test of those two files that needs nothing but a ``store`` runs here
with a store on a throwaway PostgreSQL database (the tests that build
their own SQLite files, or check SQLite pragmas, stay SQLite-only).
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text

import pg
import test_dedup
import test_store
from seedwatch.corpus import render
from seedwatch.errors import ConfigError
from seedwatch.models import Item
from seedwatch.state import postgres
from seedwatch.state.failures import is_state_failure
from seedwatch.state.postgres import engine_url
from seedwatch.state.schema import items
from seedwatch.state.store import MIGRATIONS, Store

pytestmark = pytest.mark.postgres

FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LONG = " ".join(f"word{i}" for i in range(40))
TEXTS = [" ".join(f"{stem}{i}" for i in range(40)) for stem in ("alpha", "beta", "gamma")]


def _store_only(func: Any) -> bool:
    return list(inspect.signature(func).parameters) == ["store"]


SHARED: dict[str, Any] = {
    f"{name}__{module.__name__.removeprefix('test_')}": func
    for module in (test_store, test_dedup)
    for name, func in vars(module).items()
    if name.startswith("test_") and callable(func) and _store_only(func)
}
globals().update(SHARED)


@pytest.fixture
def store(pg_url: str) -> Iterator[Store]:
    s = Store(pg_url)
    s.migrate()
    try:
        yield s
    finally:
        s.close()


def rendered(item: Item, fetched: datetime, revision_of: str | None) -> str:
    return render(item, fetched, revision_of=revision_of)


def test_the_shared_suites_are_collected() -> None:
    # A rename in either file must not silently drop the PostgreSQL run.
    assert len(SHARED) >= 20, sorted(SHARED)


def test_plain_postgresql_urls_mean_psycopg_3() -> None:
    assert engine_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert engine_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert engine_url("postgresql+psycopg://u@h/db").database == "db"
    with pytest.raises(ConfigError, match="psycopg 3"):
        engine_url("postgresql+psycopg2://u@h/db")


def test_sequence_numbers_come_from_a_database_sequence(store: Store) -> None:
    out = store.admit(
        [(Item(key=f"k{n}", text=TEXTS[n], parser="t"), FETCHED) for n in range(3)],
        rendered,
    )
    assert [entry.seq for _, entry in out if entry] == [0, 1, 2]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT last_value FROM corpus_seq")).scalar() == 2
    store.ensure_seq_at_least(10)
    assert store.stats()["next_seq"] == 10
    store.ensure_seq_at_least(5)  # never backwards
    out = store.admit([(Item(key="late", text="late " + LONG, parser="t"), FETCHED)], rendered)
    assert out[0][1] is not None and out[0][1].seq == 10


def test_a_second_file_of_one_sequence_number_is_refused(store: Store) -> None:
    out = store.admit([(Item(key="a", text=LONG, parser="t"), FETCHED)], rendered)
    assert out[0][1] is not None
    with store.engine.connect() as conn:
        row = conn.execute(select(items).where(items.c.key == "a")).one()._asdict()
        row.pop("id")
        row["key"] = "b"
        with pytest.raises(Exception, match="ux_items_seq_accepted"):
            conn.execute(items.insert().values(**row))


def test_nodes_starting_together_migrate_once(pg_url: str) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def node() -> None:
        store = Store(pg_url)
        try:
            start.wait()
            store.migrate()
        except BaseException as exc:  # reported below, with the others
            errors.append(exc)
        finally:
            store.close()

    threads = [threading.Thread(target=node) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = Store(pg_url)
    with store.engine.connect() as conn:
        version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == ScriptDirectory(str(MIGRATIONS)).get_current_head()
        assert conn.execute(text("SELECT count(*) FROM dedup_params")).scalar() == 4
    store.close()


def backend_pid(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_a_connection_the_server_dropped_while_idle_is_replaced_before_use(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = backend_pid(store)
    assert backend_pid(store) == first, "the pool hands the same connection back"
    with psycopg.connect(pg.ADMIN_URL, autocommit=True) as admin:  # a restart, for one
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    monkeypatch.setattr(postgres, "PING_AFTER", 0.0)  # idle long enough to be pinged
    second = backend_pid(store)
    assert second != first
    assert store.stats()["items_written"] == 0


def test_a_connection_dropped_under_an_admit_is_a_state_failure_and_is_replaced(
    store: Store,
) -> None:
    # The admit's first statements go to the driver's own cursor (no SQLAlchemy
    # statement sees the dropped connection): still one state failure, and the
    # pool must not hand the dead connection out again.
    first = backend_pid(store)
    with psycopg.connect(pg.ADMIN_URL, autocommit=True) as admin:  # a restart, for one
        admin.execute("SELECT pg_terminate_backend(%s)", [first])
    with pytest.raises(Exception) as failed:
        store.admit([(Item(key="a", text=LONG, parser="t"), FETCHED)], rendered)
    assert is_state_failure(failed.value), repr(failed.value)
    ((verdict, entry),) = store.admit([(Item(key="a", text=LONG, parser="t"), FETCHED)], rendered)
    assert verdict.accepted and entry is not None
    assert backend_pid(store) != first
