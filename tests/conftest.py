"""Shared fixtures: a real local HTTP server, test data paths, fresh registries."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from localserver import LocalServer

DATA = Path(__file__).parent / "data"

# PostgreSQL fixtures (``pg_url``): a throwaway database per test, see tests/pg.py.
pytest_plugins = ["pg"]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def data_dir() -> Path:
    return DATA
