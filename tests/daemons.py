"""Daemon processes a test starts, killed when the test ends.

A test appends each ``seedwatch run`` it starts to ``started``; conftest's
autouse fixture calls ``kill_started`` after every test, so a failed
assertion never leaves a daemon polling after the run.
"""

from __future__ import annotations

import subprocess

started: list[subprocess.Popen[str]] = []


def kill_started() -> None:
    while started:
        proc = started.pop()
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
