"""Helpers and a pytest plugin for people who write seedwatch plugins.

Installed with seedwatch and registered with pytest through the ``pytest11``
entry point, so these fixtures exist in any test suite of a venv where
seedwatch is installed (they need pytest, which a plugin's tests have):

- ``seedwatch_plugins``: the plugins under test; override it in your
  ``conftest.py`` (``return [my_plugin_module]``). Default: none.
- ``seedwatch_registry``: a fresh registry with the built-ins and
  ``seedwatch_plugins``, without the entry points installed in the venv (a
  test sees the same plugins wherever it runs).
- ``seedwatch_samples``: the built-in formats' sample documents, by name.

And functions: ``check_parser`` (the contract check), ``build_test_registry``,
``make_document``, ``document_from_file``, ``fetch_document`` (loopback only),
``parse_bytes``, ``parse_file``, ``parse_url``, ``no_network``.

Importing this module patches nothing and starts nothing: the network guard
is only active inside ``check_parser`` or a ``with no_network():`` block.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pytest

from seedwatch.models import Document
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry
from seedwatch.testing.contract import GARBAGE, ContractError, ContractReport, check_parser
from seedwatch.testing.documents import (
    document_from_file,
    fetch_document,
    make_document,
    parse_bytes,
    parse_file,
    parse_url,
    run_parser,
)
from seedwatch.testing.network import NetworkAttempt, NetworkBlocked, no_network
from seedwatch.testing.samples import SAMPLES, Sample, builtin_samples

__all__ = [
    "GARBAGE",
    "SAMPLES",
    "ContractError",
    "ContractReport",
    "NetworkAttempt",
    "NetworkBlocked",
    "Sample",
    "build_test_registry",
    "builtin_samples",
    "check_parser",
    "document_from_file",
    "fetch_document",
    "make_document",
    "no_network",
    "parse_bytes",
    "parse_file",
    "parse_url",
    "run_parser",
    "seedwatch_plugins",
    "seedwatch_registry",
    "seedwatch_samples",
]


def build_test_registry(*plugins: object, load_external: bool = False) -> Registry:
    """A fresh registry with the built-ins and ``plugins`` (modules or objects with
    ``@hookimpl`` functions). Installed entry points are left out unless
    ``load_external`` is true (then ``SEEDWATCH_LOAD_PLUGINS`` applies as usual)."""
    return build_registry(load_external=load_external, extra_plugins=plugins)


@pytest.fixture
def seedwatch_plugins() -> Sequence[object]:
    """The plugins under test. Override in your conftest.py::

    @pytest.fixture
    def seedwatch_plugins():
        return [my_package.plugin]
    """
    return ()


@pytest.fixture
def seedwatch_registry(seedwatch_plugins: Iterable[object]) -> Registry:
    """A fresh registry: the built-ins plus ``seedwatch_plugins``, no entry points."""
    return build_test_registry(*seedwatch_plugins)


@pytest.fixture(scope="session")
def seedwatch_samples() -> dict[str, Document]:
    """The built-in formats' sample documents by name (see ``seedwatch.testing.samples``)."""
    return builtin_samples()
