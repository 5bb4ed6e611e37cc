"""A feed's own hints about when to poll it: RSS ``ttl``,
``sy:updatePeriod``/``sy:updateFrequency``, ``skipHours``/``skipDays``, read
from the head of the feed (before its first entry) with bounded patterns."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from seedwatch.models import Document

HINT_SCAN = 256 * 1024  # bytes of a feed's head searched for its channel hints

_PERIODS = {
    b"hourly": timedelta(hours=1),
    b"daily": timedelta(days=1),
    b"weekly": timedelta(weeks=1),
    b"monthly": timedelta(days=30),
    b"yearly": timedelta(days=365),
}
_DAYS = {
    b"monday": 0,
    b"tuesday": 1,
    b"wednesday": 2,
    b"thursday": 3,
    b"friday": 4,
    b"saturday": 5,
    b"sunday": 6,
}
_FIRST_ENTRY = re.compile(rb"<(?:[\w.-]+:)?(?:item|entry)[\s>/]", re.I)
_TTL = re.compile(rb"<ttl>\s*(\d{1,7})\s*</ttl>", re.I)
_PERIOD = re.compile(rb"<(?:[\w.-]+:)?updatePeriod>\s*(\w+)\s*</", re.I)
_FREQUENCY = re.compile(rb"<(?:[\w.-]+:)?updateFrequency>\s*(\d{1,6})\s*</", re.I)
_SKIP_HOURS = re.compile(rb"<skipHours>(.*?)</skipHours>", re.I | re.S)
_SKIP_DAYS = re.compile(rb"<skipDays>(.*?)</skipDays>", re.I | re.S)
_HOUR = re.compile(rb"<hour>\s*(\d{1,2})\s*</hour>", re.I)
_DAY = re.compile(rb"<day>\s*(\w+)\s*</day>", re.I)


@dataclass(frozen=True, slots=True)
class FeedHints:
    """What an RSS channel says about its own schedule. ``skip_hours`` are UTC
    hours (0-23), ``skip_days`` weekdays (0 = Monday)."""

    ttl: timedelta | None = None
    update_period: timedelta | None = None
    skip_hours: frozenset[int] = frozenset()
    skip_days: frozenset[int] = frozenset()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        if self.ttl:
            data["ttl"] = self.ttl.total_seconds()
        if self.update_period:
            data["update_period"] = self.update_period.total_seconds()
        if self.skip_hours:
            data["skip_hours"] = sorted(self.skip_hours)
        if self.skip_days:
            data["skip_days"] = sorted(self.skip_days)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FeedHints:
        def seconds(key: str) -> timedelta | None:
            value = data.get(key)
            return timedelta(seconds=float(value)) if value else None

        return cls(
            ttl=seconds("ttl"),
            update_period=seconds("update_period"),
            skip_hours=frozenset(int(h) for h in data.get("skip_hours", ())),
            skip_days=frozenset(int(d) for d in data.get("skip_days", ())),
        )


def feed_hints(document: Document) -> FeedHints:
    """The channel hints of an RSS document, read from its head (the part before
    the first item, where feed generators write them) with a few byte searches:
    no second parse of the feed. Anything else yields no hints."""
    head = document.content[:HINT_SCAN]
    if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return FeedHints()
    first = _FIRST_ENTRY.search(head)
    if first:
        head = head[: first.start()]
    ttl = _TTL.search(head)
    period = _PERIOD.search(head)
    frequency = _FREQUENCY.search(head)
    update_period = None
    if period and period.group(1).lower() in _PERIODS:
        times = int(frequency.group(1)) if frequency else 1
        update_period = _PERIODS[period.group(1).lower()] / max(times, 1)
    hours: set[int] = set()
    for block in _SKIP_HOURS.findall(head):
        hours.update(int(h) % 24 for h in _HOUR.findall(block))
    days: set[int] = set()
    for block in _SKIP_DAYS.findall(head):
        days.update(_DAYS[d.lower()] for d in _DAY.findall(block) if d.lower() in _DAYS)
    return FeedHints(
        ttl=timedelta(minutes=int(ttl.group(1))) if ttl and int(ttl.group(1)) else None,
        update_period=update_period,
        skip_hours=frozenset(hours),
        skip_days=frozenset(days),
    )


def skip(moment: datetime, hints: FeedHints) -> datetime:
    """The first full hour at or after ``moment`` that the feed does not skip."""
    if len(hints.skip_hours) >= 24 or len(hints.skip_days) >= 7:
        return moment  # a feed that skips everything has said nothing usable
    at = moment.astimezone(UTC)
    for _ in range(24 * 8):
        if at.hour not in hints.skip_hours and at.weekday() not in hints.skip_days:
            return at
        at = at.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    return moment
