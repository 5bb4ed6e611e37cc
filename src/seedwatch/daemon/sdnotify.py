"""systemd's notification protocol (sd_notify(3)), without libsystemd.

Under a ``Type=notify`` unit systemd sets ``NOTIFY_SOCKET``; the daemon
sends ``READY=1`` once it polls, ``RELOADING=1`` and ``READY=1`` around a
SIGHUP reload, ``STOPPING=1`` when it drains, a ``STATUS=`` line, and
``WATCHDOG=1`` every half of ``WATCHDOG_USEC`` while it is healthy (so a
wedged daemon gets restarted). Outside systemd every call does nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import time

log = logging.getLogger("seedwatch.sdnotify")


class Notifier:
    """Sends notifications to ``NOTIFY_SOCKET`` (read once, at construction)."""

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.address = env.get("NOTIFY_SOCKET") or None
        usec = env.get("WATCHDOG_USEC", "")
        pid = env.get("WATCHDOG_PID", "")
        mine = not pid or (pid.isdigit() and int(pid) == os.getpid())
        self.watchdog = int(usec) / 1e6 if usec.isdigit() and int(usec) > 0 and mine else None

    def send(self, *fields: str) -> bool:
        """Send ``KEY=value`` lines; ``False`` when not under systemd or on failure."""
        if self.address is None:
            return False
        target = self.address
        if target.startswith("@"):  # an abstract socket
            target = "\0" + target[1:]
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
                sock.connect(target)
                sock.sendall("\n".join(fields).encode())
        except OSError as exc:
            log.warning("cannot notify systemd at %s: %s", self.address, exc)
            return False
        return True

    def ready(self, status: str) -> bool:
        return self.send("READY=1", f"STATUS={status}")

    def reloading(self) -> bool:
        # MONOTONIC_USEC lets Type=notify-reload (systemd 253+) match this reload.
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        return self.send("RELOADING=1", f"MONOTONIC_USEC={usec}")

    def stopping(self) -> bool:
        return self.send("STOPPING=1", "STATUS=draining polls in flight")

    def alive(self) -> bool:
        return self.send("WATCHDOG=1")
