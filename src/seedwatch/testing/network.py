"""Blocking network access for the length of a ``with`` block, and saying who tried.

Parsers never do I/O: they receive Documents. ``no_network()`` replaces the
socket entry points every Python HTTP stack goes through (``socket.socket``'s
``connect``/``connect_ex``, ``socket.create_connection``, the resolver
functions) with guards that record the attempt (the call, its target and the
innermost frame outside the standard library) and raise ``NetworkBlocked``.
Attempts are recorded even when the parser swallows the error. The originals
are put back when the block ends; nothing is patched at import time.
"""

from __future__ import annotations

import socket
import sysconfig
import threading
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STDLIB = str(Path(sysconfig.get_paths()["stdlib"]).resolve())
_HERE = str(Path(__file__).resolve())

# (owner, attribute) pairs that open connections or resolve names. http.client,
# urllib3, httpx/httpcore and asyncio all end up in one of these.
_TARGETS: tuple[tuple[Any, str], ...] = (
    (socket.socket, "connect"),
    (socket.socket, "connect_ex"),
    (socket, "create_connection"),
    (socket, "getaddrinfo"),
    (socket, "gethostbyname"),
    (socket, "gethostbyname_ex"),
)

# One block at a time across threads (the patches are process-wide); a nested
# block in the same thread patches over the outer one and restores it.
_LOCK = threading.RLock()
_MISSING = object()


class NetworkBlocked(OSError):
    """Raised by a guarded socket call inside ``no_network()``.

    An ``OSError``, like a real network failure, so code under test takes its
    ordinary error path; the attempt is recorded either way.
    """


@dataclass(frozen=True, slots=True)
class NetworkAttempt:
    """One blocked call: ``call`` (``socket.create_connection``...), its ``target``
    (address or host name) and ``where`` (file:line in function)."""

    call: str
    target: str
    where: str

    def __str__(self) -> str:
        return f"{self.call}({self.target}) from {self.where}"


def _where() -> str:
    """The innermost frame that is neither this module nor the standard library
    (the parser's own line, or the library it called), else the innermost frame."""
    frames = [f for f in traceback.extract_stack()[:-2] if str(Path(f.filename).resolve()) != _HERE]
    for frame in reversed(frames):
        if not str(Path(frame.filename).resolve()).startswith(_STDLIB):
            return f"{frame.filename}:{frame.lineno} in {frame.name}"
    frame = frames[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}"


def _target(name: str, args: tuple[Any, ...]) -> str:
    # socket.socket.connect(self, address): the address is the second argument
    shown = args[1:] if name in ("connect", "connect_ex") else args
    return ", ".join(repr(a) for a in shown[:2])


def _guard(name: str, label: str, attempts: list[NetworkAttempt]) -> Callable[..., Any]:
    def blocked(*args: Any, **kwargs: Any) -> Any:
        attempt = NetworkAttempt(label, _target(name, args), _where())
        attempts.append(attempt)
        raise NetworkBlocked(f"network access blocked while parsing: {attempt}")

    return blocked


@contextmanager
def no_network() -> Iterator[list[NetworkAttempt]]:
    """``with no_network() as attempts: ...``: any connection or name lookup in the
    block (from any thread) raises ``NetworkBlocked`` and is appended to ``attempts``."""
    attempts: list[NetworkAttempt] = []
    with _LOCK:
        # socket.socket inherits connect from _socket.socket: nothing of its own to save
        saved = [(owner, attr, owner.__dict__.get(attr, _MISSING)) for owner, attr in _TARGETS]
        try:
            for owner, attr in _TARGETS:
                prefix = "socket.socket" if owner is socket.socket else "socket"
                setattr(owner, attr, _guard(attr, f"{prefix}.{attr}", attempts))
            yield attempts
        finally:
            for owner, attr, original in saved:
                if original is _MISSING:
                    delattr(owner, attr)
                else:
                    setattr(owner, attr, original)
