"""Making files durable: a folder's new names (``sync_folder``) and a batch of
written files with one flush (``make_durable``: Linux's ``syncfs``, else an
``fsync`` each).

Not a helper for plugins: the corpus (``seedwatch.corpus``) writes through it
and re-exports ``sync_folder``.
"""

from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast


def sync_folder(folder: Path) -> None:
    """fsync a folder, making the names linked into it durable."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def _syncfs() -> Callable[[int], int] | None:
    """Linux's ``syncfs(2)``: one call makes every file written on the folder's
    file system durable (what git's ``core.fsyncMethod = batch`` relies on
    too); ``None`` elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int
    return cast("Callable[[int], int]", function)


_SYNCFS = _syncfs()


def make_durable(folder: Path, fds: Sequence[int], *, dir_fd: int | None = None) -> None:
    """Flush the written files ``fds`` (all in ``folder``) to disk; ``dir_fd``:
    the folder opened already (read-only), saving an open and a close."""
    if _SYNCFS is not None:
        fd = os.open(folder, os.O_RDONLY) if dir_fd is None else dir_fd
        try:
            if _SYNCFS(fd) == 0:
                return
        finally:
            if dir_fd is None:
                os.close(fd)
    for fd in fds:
        os.fsync(fd)
