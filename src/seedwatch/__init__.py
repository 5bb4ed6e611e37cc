"""seedwatch: a feed-watching ingestion daemon that grows a plain-text corpus.

This module is the public API for plugin authors: the hook marker, the value
objects, the capability base classes and the errors.
"""

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
