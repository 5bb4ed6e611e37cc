"""The ``corpus`` sink: one file per accepted item in the corpus folder.

File names and contents come from the state (``Accepted.name`` and
``Accepted.rendered``), so a write retried after a crash produces the very
same file; ``seedwatch.corpus.write_atomic`` makes it atomic and never
replaces an existing file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seedwatch.contracts import Accepted, Sink
from seedwatch.corpus import sweep_temporary, sync_folder, write_atomic
from seedwatch.errors import ConfigError
from seedwatch.folders import ensure_folder
from seedwatch.hookspecs import hookimpl


class CorpusSink(Sink):
    name = "corpus"

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.dirty = False

    def configure(self, options: Mapping[str, Any]) -> None:
        path = options.get("path") or options.get("corpus_path")
        if not path:
            raise ConfigError("sink 'corpus' needs a path ([corpus] path in the config)")
        self.folder = Path(options.get("config_dir", ".")) / path
        ensure_folder(self.folder, "[corpus] path")
        # Configured once at start-up, before any write: what a killed
        # process left half-written is garbage now (the state re-writes it).
        sweep_temporary(self.folder)

    def write(self, entry: Accepted) -> None:
        if self.folder is None:
            raise ConfigError("sink 'corpus' used before it was configured")
        write_atomic(self.folder, entry.name, entry.rendered, sync_dir=False)
        self.dirty = True

    def flush(self) -> None:
        if self.folder is not None and self.dirty:
            sync_folder(self.folder)  # one directory fsync per batch of files
            self.dirty = False


@hookimpl
def register_sinks(register: Callable[[Sink], None]) -> None:
    register(CorpusSink())
