"""Intervals a server gives: HTTP caching (``Cache-Control: max-age`` less
``Age``, else ``Expires`` less ``Date``) and ``Retry-After``, read as ASCII
delta-seconds or HTTP dates, capped (``LONGEST``, then ``max_interval``) so
no server can silence a source for longer."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from seedwatch.models import Source
from seedwatch.units import human

# The longest delay a header is read as before it is compared with max_interval:
# timedelta overflows past 999,999,999 days, and "max-age=99999999999999" is
# a server saying "forever".
LONGEST = timedelta(days=3650)


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def freshness(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the response stays fresh (RFC 9111 4.2.1): ``max-age`` less
    ``Age``, else ``Expires`` less ``Date``; ``None`` for none or no-store."""
    directives: dict[str, str] = {}
    for part in headers.get("cache-control", "").split(","):
        name, _, value = part.strip().partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if "no-store" in directives:
        return None
    max_age = delta_seconds(directives.get("max-age", ""))
    if max_age is not None:
        seconds = max_age - (delta_seconds(headers.get("age", "")) or 0)
        return seconds_of(seconds) if seconds > 0 else None
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    left = expires - (_http_date(headers.get("date")) or now)
    return left if left > timedelta(0) else None


def delta_seconds(value: str) -> int | None:
    """An HTTP delta-seconds value (ASCII digits only: ``"²".isdigit()`` is true),
    at most 10**12 (a longer run of digits is "forever", and ``int()`` refuses
    more than 4300 digits); ``None`` for anything else."""
    value = value.strip()
    if not value or not value.isascii() or not value.isdigit():
        return None
    return 10**12 if len(value) > 12 else int(value)


def seconds_of(value: float) -> timedelta:
    """A server-given number of seconds as a duration, at most ``LONGEST``."""
    if not value < LONGEST.total_seconds():  # NaN and infinity too
        return LONGEST
    return timedelta(seconds=max(value, 0))


def server_wait(seconds: float, source: Source, what: str) -> tuple[timedelta, str]:
    """A wait the server asked for (``what``: "Retry-After"), capped at the source's
    ``max_interval``, and the reason to show for it."""
    asked = seconds_of(seconds)
    if asked > source.max_interval:
        return source.max_interval, (
            f"{what} {human(source.max_interval)}: the server asked for {human(asked)}"
            f"{'+' if asked == LONGEST else ''}, capped at max_interval"
        )
    return asked, f"{what} {human(asked)}"
