"""Shared fixtures: a real local HTTP server, test data paths, fresh registries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from daemons import kill_started
from localserver import LocalServer

DATA = Path(__file__).parent / "data"

# PostgreSQL fixtures (``pg_url``): a throwaway database per test, see tests/pg.py.
pytest_plugins = ["pg"]


@pytest.fixture(autouse=True)
def _no_daemon_outlives_its_test() -> Iterator[None]:
    yield
    kill_started()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def data_dir() -> Path:
    return DATA
