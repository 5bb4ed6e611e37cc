"""Front-matter values read as Item fields: dates (offsets, assumed zones),
display strings, authors in their many shapes, tags, absolute URLs, and
anything else made JSON-serialisable for ``extra``. Pure functions."""

from __future__ import annotations

import base64
import html
import math
import re
import warnings
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.text import clean_text


def source_timezone(source: Source | None, default: tzinfo) -> tzinfo:
    """The zone in ``source.options["timezone"]`` (an IANA name), else ``default``."""
    name = source.options.get("timezone") if source is not None else None
    if name is None:
        return default
    try:
        return ZoneInfo(str(name))
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f'source "{source.id if source else "?"}": field "timezone": expected an IANA '
            f'time zone such as "Asia/Hong_Kong" or "UTC", got {name!r}'
        ) from None


def as_datetime(value: object, zone: tzinfo = UTC) -> tuple[datetime | None, str | None]:
    """A timezone-aware datetime from a front-matter value, and a note when one was assumed.

    Naive values and bare dates are taken in ``zone``. Strings are ISO 8601
    (``+1000`` offsets too) or anything dateutil reads that holds a year.
    """
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=zone), f"no UTC offset: taken as {_zone_name(zone)}"
        return value, None
    if isinstance(value, date):
        midnight = datetime.combine(value, time(), tzinfo=zone)
        return midnight, f"date without a time: taken as 00:00 {_zone_name(zone)}"
    if not isinstance(value, str) or not re.search(r"\d{4}", value):
        return None, None
    text = value.strip()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            return as_datetime(date.fromisoformat(text), zone)
        except ValueError:  # "2024-13-45"
            return None, None
    try:
        return as_datetime(datetime.fromisoformat(text), zone)
    except ValueError:
        pass
    # dateutil fills what a string lacks from a default date: parsing with two
    # different defaults tells which parts the string really held.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", dateutil_parser.UnknownTimezoneWarning)
            first = dateutil_parser.parse(text, default=datetime(1900, 1, 1, 0, 0))
            second = dateutil_parser.parse(text, default=datetime(1901, 2, 2, 1, 1))
    except (ValueError, ArithmeticError):  # decimal.InvalidOperation too, for "1e999" seconds
        return None, None
    if first.date() != second.date():  # "2020" or "March 2020": no day
        return None, None
    if (first.hour, first.minute) != (second.hour, second.minute):  # a date without a time
        return as_datetime(first.date(), zone)
    return as_datetime(first, zone)


def _zone_name(zone: tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone.tzname(None) or zone)


def json_safe(value: object) -> Any:
    """``value`` with dates as ISO strings, bytes as base64, sets and tuples as lists."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=repr)
    if isinstance(value, Iterable):
        return [json_safe(v) for v in value]
    return str(value)


def text_value(value: object) -> str | None:
    """A one-line display string: entities decoded, invisible characters dropped."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None or isinstance(value, dict):
        return None
    if isinstance(value, datetime | date):
        value = value.isoformat()
    line = " ".join(clean_text(html.unescape(str(value))).split())
    return line or None


def author(value: object) -> str | None:
    if isinstance(value, list | tuple):
        names = [name for name in (author(v) for v in value) if name]
        return ", ".join(names) or None
    if isinstance(value, Mapping):
        for key in ("display_name", "name", "displayname", "full_name"):
            if value.get(key):
                return text_value(value[key])
        full = " ".join(str(value[k]) for k in ("first_name", "last_name") if value.get(k))
        if full:
            return text_value(full)
        for key in ("login", "username", "nickname"):
            if value.get(key):
                return text_value(value[key])
        return None
    return text_value(value)


def tags(*values: object) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for value in values:
        if isinstance(value, str):
            items: list[object] = list(value.split(",") if "," in value else value.split())
        elif isinstance(value, list | tuple):
            items = list(value)
        elif value is None:
            items = []
        else:
            items = [value]
        for item in items:
            tag = text_value(item)
            if tag:
                out.setdefault(tag, None)
    return tuple(out)


def absolute(value: object) -> str | None:
    if isinstance(value, str) and re.match(r"https?://", value.strip(), re.I):
        return value.strip()
    return None
