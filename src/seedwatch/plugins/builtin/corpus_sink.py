"""The ``corpus`` sink: one file per accepted item in the corpus folder.

File names and contents come from the state (``Accepted.name`` and
``Accepted.rendered``), so a write retried after a crash produces the very
same file. ``write`` only collects; ``flush`` writes the batch with
``seedwatch.corpus.write_batch``: atomic, never replacing an existing file,
one flush to disk for the lot (the pipeline calls ``flush`` after each batch
and marks the entries written only after it returns). A write the system
refuses (a full disk, a read-only folder) raises ``DiskError`` naming the
folder: the entries stay pending and the pipeline retries them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seedwatch.contracts import Accepted, Sink
from seedwatch.corpus import sweep_temporary, write_batch
from seedwatch.errors import ConfigError, DiskError
from seedwatch.folders import ensure_folder
from seedwatch.hookspecs import hookimpl


class CorpusSink(Sink):
    name = "corpus"

    def __init__(self) -> None:
        self.folder: Path | None = None
        self.batch: list[tuple[str, str]] = []

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
        self.batch.append((entry.name, entry.rendered))

    def flush(self) -> None:
        batch, self.batch = self.batch, []
        if self.folder is not None and batch:
            try:
                write_batch(self.folder, batch)
            except OSError as exc:
                # A full disk, a file-size limit, a read-only folder: the
                # temporary files are gone, and a name is linked only once its
                # file is on disk, so whatever got its name is whole.
                raise DiskError("corpus folder", self.folder, exc) from exc


@hookimpl
def register_sinks(register: Callable[[Sink], None]) -> None:
    register(CorpusSink())
