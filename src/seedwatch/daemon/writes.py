"""The sinks' half of crash safety: recorded entries written, made durable, then
marked written; what the system refuses is left pending and tried again.

``Writer.write`` writes a batch of entries the state recorded (``Store.admit``)
to every sink, flushes them, and only then marks them written: a name is
never marked that is not on disk. A sink that fails (a full disk, a
file-size limit, a read-only folder: ``DiskError``; any other exception of
a sink plugin: ``PluginError``) leaves the entries pending, says so in one
line, and the batch is tried again item by item, so one item that cannot be
written (too large for a file-size limit) holds up no other. ``retry``
tries the pending entries again; the service calls it while it runs, and
every start completes what is still pending. Writes are serialized: the
sinks collect a batch between ``write`` and ``flush``, and two polling
threads sharing them must not flush (or mark) each other's entries.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence

from seedwatch.contracts import Accepted, Sink
from seedwatch.errors import PluginError, UserError
from seedwatch.plugins.registry import Registry
from seedwatch.state.failures import is_state_failure, state_error
from seedwatch.state.store import Store

log = logging.getLogger("seedwatch.pipeline")

# Failed writes are tried again this long after the failure, then twice as
# long after each try that fails, up to the maximum (seconds).
RETRY_FIRST = 1.0
RETRY_MAX = 300.0


class Writer:
    """Writes recorded entries to the sinks (see the module's docstring)."""

    def __init__(self, registry: Registry, store: Store, sinks: Sequence[Sink]) -> None:
        self.registry = registry
        self.store = store
        self.sinks = sinks  # the pipeline's own list
        self.lock = threading.Lock()
        # Set when a write failed: entries wait in the state for ``retry``,
        # due at ``retry_at`` (monotonic), ``delay`` after the last failure.
        self.unwritten = False
        self.delay = RETRY_FIRST
        self.retry_at = 0.0

    def write(self, entries: Sequence[Accepted]) -> list[Accepted]:
        """Write, flush, then mark ``entries`` written; returns those left
        unwritten (pending in the state, reported in one line)."""
        if not entries:
            return []
        failed: list[Accepted] = []
        error: UserError | PluginError | None
        with self.lock:
            try:
                self._flush(entries)
                written, error = list(entries), None
            except (UserError, PluginError) as exc:
                written, error = [], exc
                for entry in entries if len(entries) > 1 else ():
                    try:
                        self._flush([entry])
                    except (UserError, PluginError):
                        failed.append(entry)
                    else:
                        written.append(entry)
                if len(entries) == 1:
                    failed = list(entries)
            if failed:
                self._failed()
            if written:
                try:
                    self.store.mark_written([entry.seq for entry in written])
                except BaseException:
                    self._failed()  # on disk, pending in the state: the retry marks them
                    raise
        if error is not None and failed:
            self._report(failed, error)
        return failed

    def _flush(self, entries: Sequence[Accepted]) -> None:
        for sink in self.sinks:
            try:
                for entry in entries:
                    sink.write(entry)
                sink.flush()
            except (UserError, PluginError):
                raise
            except Exception as exc:
                # A sink plugin's own failure: named, isolated like a parser's.
                raise PluginError(self.registry.owner(sink), f"sink {sink.name!r}", exc) from exc

    def _report(self, failed: Sequence[Accepted], error: Exception) -> None:
        sources = sorted({entry.item.source or "-" for entry in failed})
        names = ", ".join(entry.name for entry in failed[:3])
        more = f" and {len(failed) - 3} more" if len(failed) > 3 else ""
        log.error(
            "%s; %d item(s) not written (%s%s, source %s): they stay recorded as pending, "
            "retried while the daemon runs and at its next start",
            error,
            len(failed),
            names,
            more,
            ", ".join(sources),
            exc_info=error.error if isinstance(error, PluginError) else None,
        )

    def _failed(self) -> None:
        if not self.unwritten:
            self.retry_at = time.monotonic() + self.delay
        self.unwritten = True

    def retry_in(self) -> float | None:
        """Seconds until a retry is due (at least a little), ``None`` if none waits."""
        if not self.unwritten:
            return None
        return max(self.retry_at - time.monotonic(), 0.05)

    def retry(self, *, due_only: bool = False) -> int | None:
        """Try the pending entries again if a write failed since the last try
        (with ``due_only``, only once its back-off is over); ``None`` when no try
        was made (or the state refused it: said in one line), else how many
        are still unwritten."""
        if not self.unwritten or (due_only and time.monotonic() < self.retry_at):
            return None
        self.unwritten = False
        try:
            pending = self.store.pending()
            failed = self.write(pending)
        except Exception as exc:
            self.unwritten = True
            if not is_state_failure(exc):
                raise
            log.error("%s", state_error(self.store.url, exc, "the items wait, pending"))
            return None
        finally:
            # Back off while the failure lasts: a full disk is not hammered.
            self.delay = min(self.delay * 2, RETRY_MAX) if self.unwritten else RETRY_FIRST
            self.retry_at = time.monotonic() + self.delay
        if len(failed) < len(pending):
            log.info(
                "wrote %d item(s) whose writes had failed; %d still pending",
                len(pending) - len(failed),
                len(failed),
            )
        return len(failed)
