"""Feed dates for the fast feed reader: W3DTF (ISO 8601 profile) and RFC 822.

Not a plugin: a helper of ``seedwatch.plugins.builtin.rss.fast``. The two
readers here accept exactly what feedparser 6.0's W3DTF and RFC 822 handlers
accept and give the same UTC instant (the fast reader must agree with the
feedparser path item for item); a date neither reads raises ``Unreadable``
so that the whole feed goes to feedparser, whose other handlers (asctime,
Korean, Greek, ...) may still read it.
"""

from __future__ import annotations

import datetime

UtcTuple = tuple[int, int, int, int, int, int]

_ZONES = {
    "ut": 0, "gmt": 0, "z": 0,
    "adt": -3, "ast": -4, "at": -4,
    "edt": -4, "est": -5, "et": -5,
    "cdt": -5, "cst": -6, "ct": -6,
    "mdt": -6, "mst": -7, "mt": -7,
    "pdt": -7, "pst": -8, "pt": -8,
    "a": -1, "n": 1,
    "m": -12, "y": 12,
}  # fmt: skip
_RFC822_ZONES = {**_ZONES, "met": 1, "mest": 2}
_DAYS = frozenset(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip


class Unreadable(ValueError):
    """A date this module does not read (feedparser may)."""


def _utc(
    year: int, month: int, day: int, hms: tuple[int, int, int], tz_hours: int, tz_minutes: int
) -> UtcTuple | None:
    try:
        stamp = datetime.datetime(year, month, day, *hms)
        utc = stamp - datetime.timedelta(hours=tz_hours, minutes=tz_minutes)
    except (ValueError, OverflowError):
        return None
    return (utc.year, utc.month, utc.day, utc.hour, utc.minute, utc.second)


def w3dtf(value: str) -> UtcTuple | None:
    """``2024-05-01T10:00:00+02:00`` and its shorter forms; ``None`` if not one."""
    parts = value.lower().split("t")
    if len(parts) == 1:
        parts = parts[0].split()
        if len(parts) == 1:
            parts.append("00:00:00z")
    elif len(parts) > 2:
        return None
    date = parts[0].split("-", 2)
    if len(date[0]) != 4:
        return None
    date.extend(["1"] * (3 - len(date)))
    try:
        year, month, day = (int(i) for i in date)
    except ValueError:
        return None
    if parts[1].endswith("z"):
        parts[1] = parts[1][:-1]
        parts.append("z")
    loc = (parts[1].find("-") + 1 or parts[1].find("+") + 1 or len(parts[1]) + 1) - 1
    parts.append(parts[1][loc:])
    parts[1] = parts[1][:loc]
    clock = parts[1].split(":", 2)
    clock.extend(["0"] * (3 - len(clock)))
    zone = parts[2]
    if zone[:1] in ("-", "+"):
        try:
            tz_hours, tz_minutes = int(zone[1:3]), int(zone[4:])
        except ValueError:
            return None
        if zone.startswith("-"):
            tz_hours, tz_minutes = -tz_hours, -tz_minutes
    else:
        tz_hours, tz_minutes = _ZONES.get(zone, 0), 0
    try:
        hour, minute, second = (int(float(i)) for i in clock)
    except (ValueError, OverflowError):
        return None
    return _utc(year, month, day, (hour, minute, second), tz_hours, tz_minutes)


def rfc822(value: str) -> UtcTuple | None:
    """``Wed, 02 Oct 2002 13:00:00 GMT`` and the usual slips; ``None`` if not one."""
    parts = value.lower().split()
    if len(parts) < 5:
        parts.extend(("00:00:00", "0000"))
    if parts[0][:3] in _DAYS:
        parts = parts[1:]
    if len(parts) < 5:
        return None
    month = _MONTHS.get(parts[1][:3])
    try:
        day = int(parts[0])
    except ValueError:
        if not _MONTHS.get(parts[0][:3]):
            return None
        try:
            day = int(parts[1])
        except ValueError:
            return None
        month = _MONTHS.get(parts[0][:3])
    if not month:
        return None
    try:
        year = int(parts[2])
    except ValueError:
        return None
    if len(parts[2]) <= 2:
        year += 1900 if year >= 90 else 2000
    clock = parts[3].split(":")
    clock.extend(("0",) * (3 - len(clock)))
    try:
        hour, minute, second = (int(i) for i in clock)
    except ValueError:
        return None
    zone = parts[4]
    if zone.startswith("etc/"):
        zone = zone[4:]
    if zone.startswith("gmt"):
        zone = "".join(zone[3:].split(":")) or "gmt"
    if zone and zone[0] in ("-", "+"):
        try:
            tz_hours = int(zone[1:3])
            tz_minutes = int(zone[4:]) if ":" in zone else int(zone[3:])
        except ValueError:
            return None
        if zone.startswith("-"):
            tz_hours, tz_minutes = -tz_hours, -tz_minutes
    else:
        tz_hours, tz_minutes = _RFC822_ZONES.get(zone, 0), 0
    return _utc(year, month, day, (hour, minute, second), tz_hours, tz_minutes)


def parse_date(value: str) -> UtcTuple | None:
    """The UTC instant of a feed date; ``None`` for an empty or plainly invalid
    one; ``Unreadable`` for one that only feedparser's other handlers might read."""
    if not value:
        return None
    stripped = value.strip()
    if stripped.isdigit() and len(stripped) != 8:
        return None  # a Unix epoch: the rss parser refuses it whatever reads it
    parsed = w3dtf(value)
    if parsed is None:
        parsed = rfc822(value)
    if parsed is None:
        raise Unreadable(value)
    return parsed
