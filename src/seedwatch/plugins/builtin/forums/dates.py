"""Forum dates: timezone-aware datetimes from attributes, epoch stamps and human text.

Engines give a post's date as an ISO attribute (``<time datetime>``), an epoch
stamp (XenForo's ``data-time``, vBulletin 5's ``data-node-publishdate``), or
human text in the board's zone ("Oct 30, 2014 at 10:48 PM", "Today, 16:21",
"1 minute ago"). Relative text is resolved against the document's fetch time,
seen from the page's zone. The zone comes from the page's own hints
(vBulletin's "All times are GMT -5", phpBB's "All times are UTC [ DST ]" or
its IANA zone name, XenForo 1's ``serverTimeInfo``); when a page gives none,
human dates are read as UTC, consistently for every engine.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser
from dateutil import tz as dateutil_tz

_UNITS = {
    "second": timedelta(seconds=1),
    "sec": timedelta(seconds=1),
    "minute": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "hour": timedelta(hours=1),
    "hr": timedelta(hours=1),
    "day": timedelta(days=1),
    "week": timedelta(weeks=1),
    "month": timedelta(days=30),
    "year": timedelta(days=365),
}
_AGO = re.compile(
    r"^(\d+|an?|one)\s+(second|sec|minute|min|hour|hr|day|week|month|year)s?\s+ago$", re.I
)
_NOW = re.compile(
    r"^(?:just now|a moment ago|moments ago|now|less than (?:a|an|one|1) minute ago)$", re.I
)
_DAY_WORD = re.compile(r"^(today|yesterday)\b[\s,]*(?:at\s+)?(.*)$", re.I)
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"[\d:.\s]+(?:[ap]\.?m\.?)?", re.I)
_WEEKDAY = re.compile(r"^(" + "|".join(_WEEKDAYS) + r")\b[\s,]*(?:at\s+)?(.*)$", re.I)
# A text dateutil may read: it has a clock time or a full date, not just words.
_DATEISH = re.compile(r"\d{4}|\d{1,2}[:/.-]\d{1,2}|\d+\s*[A-Za-z]{3}|[A-Za-z]{3}\w*\.?\s+\d")


def from_iso(value: str | None, zone: tzinfo = UTC) -> datetime | None:
    """An ISO 8601 attribute value; a value without an offset is read in ``zone``."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = dateutil_parser.isoparse(value.strip())
        except (ValueError, ArithmeticError):  # decimal.InvalidOperation for '1e999' seconds
            return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)


def from_text(
    text: str | None,
    *,
    zone: tzinfo = UTC,
    fetched: datetime | None = None,
    dayfirst: bool = False,
    guess: bool = True,
) -> datetime | None:
    """A human date as boards print it, in ``zone``; relative forms against ``fetched``.

    ``None`` when the text holds no date (rather than guessing today's).
    ``guess=False`` leaves out the last resort, dateparser, which tries every
    language it knows (tens of milliseconds a text).
    """
    if not text:
        return None
    text = " ".join(text.replace("\u00a0", " ").split()).strip(" ,.")
    if not text:
        return None
    if _is_relative(text):
        # nothing to count from without the fetch time
        return _relative(text, zone, fetched) if fetched is not None else None
    if _DATEISH.search(text):
        try:
            parsed = dateutil_parser.parse(
                text, dayfirst=dayfirst, fuzzy=True, tzinfos=_stated_offset
            )
        except (ValueError, ArithmeticError):
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=zone)
    return _dateparser(text, zone, fetched) if guess else None


def _stated_offset(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's ``tzinfos``: the offset a date states ("+0200", "UTC"), never a
    zone guessed from a name; a name dateutil does not know ("M", "EST") leaves
    the date in the board's zone instead of a warning (an error under tests)."""
    return dateutil_tz.tzoffset(name, offset) if offset is not None else None


def _is_relative(text: str) -> bool:
    if _NOW.match(text) or _AGO.match(text) or _DAY_WORD.match(text):
        return True
    weekday = _WEEKDAY.match(text)  # "Monday at 3:15 PM", not "Sunday, May 26, 2019"
    if weekday is None:
        return False
    return not weekday.group(2) or bool(_CLOCK.fullmatch(weekday.group(2)))


def _relative(text: str, zone: tzinfo, fetched: datetime) -> datetime | None:
    now = fetched.astimezone(zone)
    if _NOW.match(text):
        return now
    match = _AGO.match(text)
    if match:
        count_word, unit = match.groups()
        if len(count_word) > 9:  # "99999999999 years ago": before any calendar
            return None
        count = int(count_word) if count_word.isdigit() else 1
        try:
            return now - count * _UNITS[unit.lower()]
        except OverflowError:
            return None
    match = _DAY_WORD.match(text)
    if match:
        day = now.date() - timedelta(days=1 if match.group(1).lower() == "yesterday" else 0)
        return _on_day(day, match.group(2), zone)
    match = _WEEKDAY.match(text)
    if match:
        # XenForo writes "Monday at 3:15 PM" for the past week: the latest such
        # day before today.
        back = (now.weekday() - _WEEKDAYS.index(match.group(1).lower())) % 7 or 7
        return _on_day(now.date() - timedelta(days=back), match.group(2), zone)
    return None


def _on_day(day: date, clock: str, zone: tzinfo) -> datetime:
    at = time()
    if clock.strip():
        try:
            at = dateutil_parser.parse(clock, default=datetime(2000, 1, 1)).time()
        except (ValueError, ArithmeticError):
            at = time()
    return datetime.combine(day, at).replace(tzinfo=zone)


# Longer texts are no date a board prints, and dateparser's time grows with the
# text and with each language it tries (a mangled 1 MB post date took minutes).
_DATEPARSER_MAX = 100
_LETTERS = re.compile(r"[^\W\d_]")
_MERIDIEM = re.compile(r"\b[ap]\.?m\b\.?", re.I)


def _dateparser(text: str, zone: tzinfo, fetched: datetime | None) -> datetime | None:
    """Last resort for other languages ("Hôm nay, 16:21", "vor 5 Minuten"): slow, rare.

    Imported here, not at the top: dateparser takes a sixth of a second to
    import, which every command that builds the plugins would pay.
    """
    if len(text) > _DATEPARSER_MAX or not _LETTERS.search(_MERIDIEM.sub("", text)):
        # too long for a date, or digits only, which dateutil has refused already
        return None
    import dateparser

    settings: dict[str, object] = {"RETURN_AS_TIMEZONE_AWARE": False}
    if fetched is not None:
        settings["RELATIVE_BASE"] = fetched.astimezone(zone).replace(tzinfo=None)
    try:
        parsed = dateparser.parse(text, settings=settings)
    except (ValueError, ArithmeticError, TypeError):
        return None
    return parsed.replace(tzinfo=zone) if parsed is not None else None


# -- the page's own zone ------------------------------------------------------------

# vBulletin 3/4: "All times are GMT -5. The time now is ..." (half hours as "+5.5").
_VB_ZONE = re.compile(r"All times are GMT\s*(?:([+-])\s*(\d+(?:\.\d+)?))?", re.I)
# phpBB 3.0: "All times are UTC + 1 hour [ DST ]", "All times are UTC - 5 hours"
# (prosilver wraps DST in <abbr title="Daylight Saving Time">).
_PHPBB30_ZONE = re.compile(
    r"All times are UTC\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*hours?)?\s*(\[\s*(?:<abbr[^>]*>)?DST)?",
    re.I,
)
# phpBB 3.1+: "All times are <span title="Europe/Paris">UTC+01:00</span>".
_PHPBB31_ZONE = re.compile(
    r"All times are\s*<span title=\"([\w/+-]+)\">UTC([+-]\d\d):?(\d\d)", re.I
)


def fixed(hours: float) -> tzinfo | None:
    """A fixed offset of ``hours`` from UTC (UTC itself for 0); None past the
    14 hours any zone keeps (a mangled page's "All times are UTC + 99999 hours")."""
    if not abs(hours) <= 14:  # NaN too
        return None
    return UTC if hours == 0 else timezone(timedelta(minutes=round(hours * 60)))


def vbulletin_zone(html: str) -> tzinfo | None:
    match = _VB_ZONE.search(html)
    if not match:
        return None
    sign, hours = match.groups()
    return fixed((-1 if sign == "-" else 1) * float(hours or 0))


def phpbb_zone(html: str) -> tzinfo | None:
    match = _PHPBB31_ZONE.search(html)
    if match:
        try:
            return ZoneInfo(match.group(1))
        except (ZoneInfoNotFoundError, ValueError):
            factor = -1 if match.group(2).startswith("-") else 1
            return fixed(factor * (abs(int(match.group(2))) + int(match.group(3)) / 60))
    match = _PHPBB30_ZONE.search(html)
    if not match:
        return None
    sign, hours, dst = match.groups()
    offset = (-1 if sign == "-" else 1) * float(hours or 0)
    return fixed(offset + (1 if dst else 0))


def midnight_zone(now_epoch: int, today_epoch: int) -> tzinfo | None:
    """The zone whose midnight is ``today_epoch`` (XenForo's ``serverTimeInfo``):
    the visitor's zone the page's human dates are written in."""
    if not 0 <= now_epoch - today_epoch < 86400 + 3600:
        return None
    seconds = -(today_epoch % 86400)
    if seconds <= -12 * 3600:
        seconds += 86400
    return fixed(seconds / 3600)


def infer_zone(pairs: list[tuple[datetime, datetime]]) -> tzinfo | None:
    """The offset that maps naive wall-clock dates onto the same instants given
    relatively ("1 minute ago" resolved against the fetch time). Only minute-precise
    pairs should be passed; the offset is rounded to a quarter hour."""
    offsets = set()
    for wall, instant in pairs:
        delta = wall.replace(tzinfo=UTC) - instant.astimezone(UTC)
        offsets.add(round(delta.total_seconds() / 900) * 15)
    if len(offsets) != 1:
        return None
    minutes = offsets.pop()
    return fixed(minutes / 60)
