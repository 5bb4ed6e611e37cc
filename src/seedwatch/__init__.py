"""seedwatch: a feed-watching ingestion daemon that grows a plain-text corpus.

This module is the public API for plugin authors: the hook marker, the value
objects, the capability base classes and the errors.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from seedwatch.contracts import (
        Accepted,
        Cursor,
        Filter,
        Page,
        Parser,
        PollContext,
        PollResult,
        Sink,
        SourceKind,
        Transform,
        Verdict,
    )
    from seedwatch.errors import (
        ConfigError,
        FetchError,
        ItemValidationError,
        NoParserError,
        ParseError,
        PluginError,
        SeedwatchError,
        StartupError,
        UserError,
    )
    from seedwatch.hookspecs import hookimpl
    from seedwatch.models import Document, Item, Quote, Source, ThreadRef

# Loaded when first used (PEP 562), not on ``import seedwatch``: every
# ``seedwatch.*`` import runs this file, and ``seedwatch --help`` needs none
# of it (see bench/startup.py).
_HOME = {
    **dict.fromkeys(
        ("Accepted", "Cursor", "Filter", "Page", "Parser", "PollContext", "PollResult", "Sink",
         "SourceKind", "Transform", "Verdict"),
        "seedwatch.contracts",
    ),
    **dict.fromkeys(
        ("ConfigError", "FetchError", "ItemValidationError", "NoParserError", "ParseError",
         "PluginError", "SeedwatchError", "StartupError", "UserError"),
        "seedwatch.errors",
    ),
    "hookimpl": "seedwatch.hookspecs",
    **dict.fromkeys(("Document", "Item", "Quote", "Source", "ThreadRef"), "seedwatch.models"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'seedwatch' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


__version__ = "0.1.0"

__all__ = [
    "Accepted",
    "ConfigError",
    "Cursor",
    "Document",
    "FetchError",
    "Filter",
    "Item",
    "ItemValidationError",
    "NoParserError",
    "Page",
    "ParseError",
    "Parser",
    "PluginError",
    "PollContext",
    "PollResult",
    "Quote",
    "SeedwatchError",
    "Sink",
    "Source",
    "SourceKind",
    "StartupError",
    "ThreadRef",
    "Transform",
    "UserError",
    "Verdict",
    "__version__",
    "hookimpl",
]


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
