"""The ``jsonl`` sink: accepted items appended to a JSON Lines file.

One line per item in the schema of ``seedwatch parse --json`` plus ``seq``
and ``file``. Writes come in increasing ``seq`` order (new items, and the
pending ones a restart completes), so the sink stays idempotent by skipping
any ``seq`` not above the last one in the file, which it reads once from the
file's tail. A torn last line (a crash mid-append) is cut at start-up.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seedwatch.contracts import Accepted, Sink
from seedwatch.errors import ConfigError
from seedwatch.hookspecs import hookimpl


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line that a crash left without its newline: it was never
    acknowledged (its item is still pending in the state and is written again)."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("r+b") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 1_048_576))
        tail = fh.read()
        if tail.endswith(b"\n"):
            return
        cut = tail.rfind(b"\n")
        fh.truncate(size - len(tail) + cut + 1 if cut >= 0 else max(0, size - len(tail)))


def _last_seq(path: Path) -> int:
    if not path.exists() or path.stat().st_size == 0:
        return -1
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - 1_048_576))
        lines = fh.read().splitlines()
    for line in reversed(lines):
        try:
            return int(json.loads(line)["seq"])
        except (ValueError, KeyError, TypeError):
            continue  # a torn last line from a crash: look further back
    return -1


class JsonlSink(Sink):
    name = "jsonl"

    def __init__(self) -> None:
        self.path: Path | None = None
        self.last_seq = -1
        self.dirty = False
        self.lock = threading.Lock()

    def configure(self, options: Mapping[str, Any]) -> None:
        if "file" not in options:
            raise ConfigError('sink "jsonl" needs [sinks.jsonl] file = "items.jsonl"')
        self.path = Path(options["file"])
        _drop_torn_tail(self.path)
        self.last_seq = _last_seq(self.path)

    def write(self, entry: Accepted) -> None:
        if self.path is None:
            raise ConfigError("sink 'jsonl' used before it was configured")
        with self.lock:
            if entry.seq <= self.last_seq:
                return
            record = entry.item.to_json() | {"seq": entry.seq, "file": entry.name}
            line = json.dumps(record, ensure_ascii=False) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)
            self.last_seq = entry.seq
            self.dirty = True

    def flush(self) -> None:
        with self.lock:
            if self.path is None or not self.dirty:
                return
            with self.path.open("rb") as fh:
                os.fsync(fh.fileno())  # one fsync per batch of appended lines
            self.dirty = False


@hookimpl
def register_sinks(register: Callable[[Sink], None]) -> None:
    register(JsonlSink())
