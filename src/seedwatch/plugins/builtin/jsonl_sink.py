"""The ``jsonl`` sink: accepted items appended to a JSON Lines file.

One line per item in the schema of ``seedwatch parse --json`` plus ``seq``
and ``file``. Idempotent: after a crash the pipeline writes again the items
recorded but not marked written, which are always among the last ones
appended (several polling threads append out of ``seq`` order, so the last
``seq`` alone cannot tell). At start-up the sink reads the ``seq`` of every
line in the file's last ``TAIL_BYTES`` and skips those; a torn last line (a
crash mid-append) is cut first. Not for cluster mode: one file per node.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from seedwatch.contracts import Accepted, Sink
from seedwatch.errors import ConfigError, DiskError
from seedwatch.hookspecs import hookimpl
from seedwatch.redact import redact_item


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


def _append(path: Path, data: bytes) -> None:
    """Append ``data`` whole or not at all: a full disk or a file-size limit
    mid-line cuts the torn line, or the retry's line would be glued to it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.lseek(fd, 0, os.SEEK_END)
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            os.ftruncate(fd, size)
            raise
    finally:
        os.close(fd)


# Far more than the lines in flight at a crash: polling threads x the
# pipeline's batch (4 x 1,024 by default) x a long item's line (a forum
# thread's can pass 50 kB). Read at start-up only, at about 1 GB/s.
TAIL_BYTES = 256 * 1024 * 1024

# A line's ``seq``, read without decoding the line: the record ends with
# ``"seq": N, "file": "NAME"}`` (``write`` adds them last), and no string
# inside a JSON line can hold an unescaped quote or line break.
_SEQ_AT_END = re.compile(rb'"seq": (\d{1,19}), "file": "[^"\\\n]*"}$', re.MULTILINE)


def _recent_seqs(path: Path) -> set[int]:
    """The ``seq`` of every line in the file's last ``TAIL_BYTES`` (the first
    line of the window may be cut: it has no end to match, or a whole one)."""
    if not path.exists():
        return set()
    with path.open("rb") as fh:
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - TAIL_BYTES))
        window = fh.read()
    return {int(seq) for seq in _SEQ_AT_END.findall(window)}


class JsonlSink(Sink):
    name = "jsonl"

    def __init__(self) -> None:
        self.path: Path | None = None
        self.recent: set[int] = set()
        self.dirty = False
        self.lock = threading.Lock()

    def configure(self, options: Mapping[str, Any]) -> None:
        if "file" not in options:
            raise ConfigError('sink "jsonl" needs [sinks.jsonl] file = "items.jsonl"')
        self.path = Path(options.get("config_dir", ".")) / options["file"]
        _drop_torn_tail(self.path)
        self.recent = _recent_seqs(self.path)

    def write(self, entry: Accepted) -> None:
        if self.path is None:
            raise ConfigError("sink 'jsonl' used before it was configured")
        with self.lock:
            if entry.seq in self.recent:
                return  # written before a crash, now retried
            item = redact_item(entry.item)  # URLs as the corpus files show them
            record = item.to_json() | {"seq": entry.seq, "file": entry.name}
            line = json.dumps(record, ensure_ascii=False) + "\n"
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                _append(self.path, line.encode("utf-8"))
            except OSError as exc:
                raise DiskError("jsonl sink file", self.path, exc) from exc
            self.recent.add(entry.seq)  # appended: a retry after a failed flush skips it
            self.dirty = True

    def flush(self) -> None:
        with self.lock:
            if self.path is None or not self.dirty:
                return
            try:
                with self.path.open("rb") as fh:
                    os.fsync(fh.fileno())  # one fsync per batch of appended lines
            except OSError as exc:
                raise DiskError("jsonl sink file", self.path, exc) from exc
            self.dirty = False


@hookimpl
def register_sinks(register: Callable[[Sink], None]) -> None:
    register(JsonlSink())
