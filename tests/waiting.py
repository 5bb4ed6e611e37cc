"""``wait_for``: poll a condition until it holds, for tests of running daemons.

A hang guard, not a speed check: it returns as soon as the condition holds,
and its bound is generous because a daemon starting on a loaded 2-core
machine can take many seconds (a 20 s bound once failed on plain main).
"""

from __future__ import annotations

import time
from collections.abc import Callable

HANG_GUARD = 90.0


def wait_for(condition: Callable[[], bool], timeout: float = HANG_GUARD) -> bool:
    """``True`` once ``condition()`` holds, ``False`` if it did not within ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
