"""Quantities as people and servers write them: durations, sizes, Unix timestamps.

``parse_duration("15m")`` and ``parse_size("20MB")`` are used by the
config file, the ``[dedup]`` table and per-source options alike, so they
live at the bottom layer, next to the models: the state must be able to
read a duration without importing the daemon. ``human`` writes a duration
back for people (schedule reasons, fetch errors). ``from_epoch`` reads a
server's Unix timestamp (forum attributes, GReader JSON), whatever its size.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?\s*$", re.IGNORECASE)


def parse_duration(value: Any) -> timedelta:
    """``"15m"``, ``"6h"``, ``"1d"``, ``"90s"``, or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            unit = (match.group(2) or "s").lower()
            return timedelta(seconds=float(match.group(1)) * _UNITS[unit])
    raise ValueError(f'expected a duration such as "15m", got {value!r}')


def parse_size(value: Any) -> int:
    """``"20MB"``, ``"512k"``, or a number of bytes."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        match = _SIZE.match(value)
        if match:
            unit = (match.group(2) or "b").lower()[:1]
            factor = {"b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[unit]
            return int(float(match.group(1)) * factor)
    raise ValueError(f'expected a size such as "20MB", got {value!r}')


def from_epoch(value: str | int | float | None, per_second: int = 1) -> datetime | None:
    """A Unix timestamp as an aware UTC datetime, in seconds (``per_second=1000``
    for milliseconds...); ``None`` when it is unreadable, not after 1970, or
    outside what the platform's clock and ``datetime`` can hold (a server may
    send any number)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        stamp = (int(value) if isinstance(value, int) else float(value)) / per_second
        return datetime.fromtimestamp(stamp, UTC) if stamp > 0 else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def human(delta: timedelta) -> str:
    """``90m`` -> ``1.5h``, 80 years -> ``80y``: a duration for people."""
    seconds = delta.total_seconds()
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return (
                f"{value:.0f}{unit}" if value >= 10 or value.is_integer() else f"{value:.1f}{unit}"
            )
    return f"{seconds:.0f}s"


# The helpers plugins may use (docs/plugins.md, "Helper modules").
__all__ = ["from_epoch", "human", "parse_duration", "parse_size"]
