"""Checks of the source keys that features read from ``Source.options``.

The config model keeps a source's unknown keys as options for its kind and
parser; the keys of pipeline features (``full_text``...) are checked here,
once, when the config is loaded, so a mistake is a config error (exit 2)
that names the file, the source and the key, never a failure mid-poll.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from seedwatch.daemon import fulltext
from seedwatch.models import Source

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config


def check(config: Config) -> None:
    """Raise ``ConfigError`` for the first bad feature key of any source."""
    for src in config.sources:
        # Options only: no credentials are read to check them.
        source = Source(id=src.id, kind=src.kind, url=src.url, options=dict(src.model_extra or {}))
        fulltext.check(source, config.where)
