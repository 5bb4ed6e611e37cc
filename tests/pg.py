"""PostgreSQL for the tests: the local server, one throwaway database per test.

The server is the one on 127.0.0.1:5432 (trust auth, user ``postgres``), or
``$SEEDWATCH_TEST_PG`` (an admin URL). If it does not answer, the fixture
tries to start the Debian cluster (``pg_ctlcluster``). If it still cannot be
reached, a test that needs it fails under CI (``CI=true``) and is skipped,
with the reason, elsewhere. Each test gets a database of its own, dropped
after the test (``WITH (FORCE)`` closes what a killed node left open).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

ADMIN_URL = os.environ.get("SEEDWATCH_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
_state: dict[str, str | None] = {}


def _connect() -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)


def _reachable() -> str | None:
    try:
        with _connect() as conn:
            conn.execute("SELECT 1")
        return None
    except psycopg.OperationalError as exc:
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _start_cluster() -> str:
    versions = (
        sorted(p.name for p in Path("/etc/postgresql").glob("*"))
        if Path("/etc/postgresql").is_dir()
        else []
    )
    if not versions or shutil.which("pg_ctlcluster") is None:
        return "no Debian PostgreSQL cluster to start (no /etc/postgresql, no pg_ctlcluster)"
    proc = subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    return f"pg_ctlcluster exited {proc.returncode}: {proc.stderr.strip()}"


def server() -> str:
    """The admin URL of a running server; fails under CI, skips elsewhere."""
    if "error" not in _state:
        error = _reachable()
        if error is not None:
            started = _start_cluster()
            deadline = time.monotonic() + 20
            while error is not None and time.monotonic() < deadline:
                time.sleep(0.5)
                error = _reachable()
            if error is not None:
                error = f"PostgreSQL at {ADMIN_URL} unreachable ({error}); {started}"
        _state["error"] = error
    error = _state["error"]
    if error is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs PostgreSQL: {error}")
        pytest.skip(f"needs PostgreSQL: {error}")
    return ADMIN_URL


def create_database() -> str:
    """A new empty database; returns its URL (``postgresql://``, as a user writes it)."""
    admin = server()
    name = f"seedwatch_test_{uuid.uuid4().hex[:12]}"
    with _connect() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with _connect() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for one test."""
    url = create_database()
    try:
        yield url
    finally:
        drop_database(url)
