"""When to poll a source next, and what a finished poll changes in its state.

Owns the adaptive interval, back-off, parking and permanent moves; pure
computation over the state before the poll and what the poll saw (an
``Observation`` the pipeline gathers), with the clock and the random
source injectable. The pipeline persists the resulting ``PollRecord``;
the service reschedules the source's job at ``Plan.next_poll``.

After a success (a 304 is one), the next poll comes after an interval:

1. from how often the source published over the last week: the entries
   seen in any poll of the past 7 days (their keys and dates are kept in
   the state, so a feed that shows only its last 10 entries, or a 304,
   still counts the week): ``n`` entries since the oldest one make one
   every ``(now - oldest) / n``. A week with none means ``max_interval``.
   A source whose items carry no dates adapts to whether polls bring
   anything new: half the interval when they do, half again as long when
   they don't;
2. never shorter than the server's caching lifetime (``Cache-Control:
   max-age`` less ``Age``, else ``Expires`` less ``Date``) nor the feed's
   own hints (RSS ``ttl``, ``sy:updatePeriod``/``sy:updateFrequency``);
3. clamped to the source's ``min_interval``/``max_interval``, plus up to
   ``jitter``, then moved out of the feed's ``skipHours``/``skipDays``.

After a failure: ``min_interval * 2**(n-1)`` with ±20 % jitter, capped at
``max_interval``, and never before a ``Retry-After``. Every interval a
server gives (``Retry-After``, ``max-age``, ``Expires``) is capped at
``max_interval``: a server cannot make a source silent for longer.
``park_after`` failures in a row, or a ``410 Gone``, park the source: it is
then only probed every ``probe_interval``, and the first probe that succeeds
resumes it (so does ``seedwatch sources resume``). A ``deferred`` poll (its
host asked every client to wait) is neither: the source simply comes back
when the host allows. A permanent redirect (301/308) of the source's URL
seen on ``redirect_after`` consecutive polls replaces the URL in the state;
the config stays the source of truth, so the move holds only while the
config still names the old URL.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from seedwatch.contracts import PollResult
from seedwatch.daemon.config import DaemonConfig
from seedwatch.daemon.fetch import FetchResult
from seedwatch.models import Document, Source
from seedwatch.state.store import PollRecord, SourceState

WEEK = timedelta(days=7)
# The longest delay a header is read as before it is compared with max_interval:
# timedelta overflows past 999,999,999 days, and "max-age=99999999999999" is
# a server saying "forever".
LONGEST = timedelta(days=3650)
MAX_ENTRIES = 500  # entry dates kept per source: more than a week of a busy feed
HINT_SCAN = 256 * 1024  # bytes of a feed's head searched for its channel hints


# -- the feed's own hints ----------------------------------------------------------

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


# -- HTTP caching ------------------------------------------------------------------


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


# -- one poll ----------------------------------------------------------------------


@dataclass
class Observation:
    """What one poll saw, gathered by the pipeline: its fetches' results, the
    items' (key, date) pairs, its first document, and the fetch error that
    ended it (HTTP status, Retry-After seconds, the URL that failed)."""

    fetches: Sequence[FetchResult] = ()
    entries: list[tuple[str, datetime]] = field(default_factory=list)
    document: Document | None = None
    status: int | None = None
    retry_after: float | None = None
    error_url: str | None = None

    def add_item(self, key: str, published: datetime | None) -> None:
        if published is not None:
            self.entries.append((key, published))


@dataclass(frozen=True, slots=True)
class Plan:
    """The next poll, the state to record, and what is worth a log line."""

    next_poll: datetime
    record: PollRecord
    moved_to: str | None = None
    parked_now: bool = False
    resumed: bool = False


def effective_url(source: Source, state: SourceState) -> str | None:
    """The URL to fetch: the state's, after a permanent move, while the config
    still names the URL the move was seen from."""
    if state.url and state.url_from and state.url_from == source.url:
        return state.url
    return source.url


def _entry_id(key: str) -> str:
    return hashlib.blake2b(key.encode(), digest_size=6).hexdigest()


class Schedule:
    """Turns (source, state before, poll result, observation) into a ``Plan``."""

    def __init__(
        self,
        settings: DaemonConfig | None = None,
        *,
        rng: random.Random | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings or DaemonConfig()  # its scheduling keys
        self.rng = rng or random.Random()
        self.clock = clock

    def backoff(self, source: Source, failures: int) -> timedelta:
        """``min_interval * 2**(failures-1)`` with ±20 % jitter, capped at ``max_interval``."""
        if failures <= 0:
            return source.min_interval
        factor = 2 ** min(failures - 1, 30) * self.rng.uniform(0.8, 1.2)
        step: timedelta = source.min_interval * factor
        return min(step, source.max_interval)

    def _jitter(self) -> timedelta:
        return self.settings.jitter * self.rng.random()

    def plan(
        self,
        source: Source,
        state: SourceState,
        result: PollResult,
        seen: Observation,
        *,
        duration: float | None = None,
    ) -> Plan:
        now = self.clock()
        base = PollRecord(
            outcome="ok",
            consecutive_errors=state.consecutive_errors,
            parked=state.parked,
            parked_at=state.parked_at,
            parked_reason=state.parked_reason,
            interval=state.interval,
            reason=None,
            entries=dict(state.entries),
            hints=dict(state.hints),
            redirect_target=state.redirect_target,
            redirect_count=state.redirect_count,
            url=state.url if effective_url(source, state) != source.url else None,
            url_from=state.url_from if effective_url(source, state) != source.url else None,
            duration=duration,
        )
        if result.error_category == "deferred":
            wait, _ = server_wait(seen.retry_after or 0, source, "Retry-After")
            wait = max(wait + self._jitter(), timedelta(seconds=1))
            record = base.replace(outcome="deferred", reason="the host asked every client to wait")
            return Plan(now + wait, record)
        if result.error:
            return self._failed(source, state, result, seen, now, base)
        return self._succeeded(source, state, result, seen, now, base)

    def _failed(
        self,
        source: Source,
        state: SourceState,
        result: PollResult,
        seen: Observation,
        now: datetime,
        base: PollRecord,
    ) -> Plan:
        s = self.settings
        failures = state.consecutive_errors + 1
        probe = s.probe_interval + self._jitter()
        if state.parked:
            reason = f"parked ({state.parked_reason}); the probe failed, next probe"
            record = base.replace(outcome="error", consecutive_errors=failures, reason=reason)
            return Plan(now + probe, record)
        park_reason = None
        if seen.status == 410 and seen.error_url == effective_url(source, state):
            park_reason = "HTTP 410 Gone"
        elif failures >= s.park_after:
            park_reason = f"{failures} failures in a row"
        if park_reason:
            record = base.replace(
                outcome="error",
                consecutive_errors=failures,
                parked=True,
                parked_at=now,
                parked_reason=park_reason,
                reason=f"parked ({park_reason}); probed every {human(s.probe_interval)}",
            )
            return Plan(now + probe, record, parked_now=True)
        delay = self.backoff(source, failures)
        reason = f"back-off after {failures} failure(s) in a row"
        if seen.retry_after is not None:
            asked, why = server_wait(seen.retry_after, source, "Retry-After")
            if asked > delay:
                delay, reason = asked, why
        record = base.replace(outcome="error", consecutive_errors=failures, reason=reason)
        return Plan(now + delay, record)

    def _succeeded(
        self,
        source: Source,
        state: SourceState,
        result: PollResult,
        seen: Observation,
        now: datetime,
        base: PollRecord,
    ) -> Plan:
        main = self._main_fetch(source, state, seen)
        not_modified = result.not_modified > 0 and result.documents == 0
        entries = self._entries(state, seen, now)
        hints = (
            feed_hints(seen.document)
            if seen.document is not None
            else FeedHints.from_json(state.hints)
        )
        interval, reason = self._interval(source, state, result, seen, entries, now)
        bounds: list[tuple[timedelta, str]] = []
        if main is not None:
            lifetime = freshness(main.headers, now)
            if lifetime:
                bounds.append((lifetime, f"cached for {human(lifetime)} (HTTP caching)"))
        if hints.ttl:
            bounds.append((hints.ttl, f"the feed's ttl of {human(hints.ttl)}"))
        if hints.update_period:
            bounds.append(
                (hints.update_period, f"the feed updates every {human(hints.update_period)}")
            )
        for bound, why in bounds:
            bound = min(bound, source.max_interval)
            if bound > interval:
                interval, reason = bound, why
        next_poll = skip(now + interval + self._jitter(), hints)
        if next_poll - now > interval + self.settings.jitter + timedelta(seconds=1):
            reason += "; skipping the hours or days the feed asks to skip"
        moved_to, target, count, url, url_from = self._redirect(source, state, main)
        record = base.replace(
            outcome="not-modified" if not_modified else "ok",
            consecutive_errors=0,
            parked=False,
            parked_at=None,
            parked_reason=None,
            interval=interval,
            reason=reason,
            entries=entries,
            hints=hints.to_json(),
            redirect_target=target,
            redirect_count=count,
            url=url,
            url_from=url_from,
        )
        return Plan(next_poll, record, moved_to=moved_to, resumed=state.parked)

    @staticmethod
    def _main_fetch(source: Source, state: SourceState, seen: Observation) -> FetchResult | None:
        """The fetch of the source's own URL (not robots.txt, pages or API calls)."""
        url = effective_url(source, state)
        return next((f for f in seen.fetches if url and f.url == url), None)

    @staticmethod
    def _entries(state: SourceState, seen: Observation, now: datetime) -> dict[str, datetime]:
        merged = dict(state.entries)
        merged.update((_entry_id(key), when) for key, when in seen.entries)
        window = {k: t for k, t in merged.items() if now - WEEK <= t <= now + timedelta(hours=1)}
        newest = sorted(window.items(), key=lambda kv: kv[1])[-MAX_ENTRIES:]
        return dict(newest)

    def _interval(
        self,
        source: Source,
        state: SourceState,
        result: PollResult,
        seen: Observation,
        entries: Mapping[str, datetime],
        now: datetime,
    ) -> tuple[timedelta, str]:
        low, high = source.min_interval, source.max_interval
        if entries:
            oldest = min(entries.values())
            span = max(now - oldest, timedelta(seconds=1))
            every = span / len(entries)
            interval = min(max(every, low), high)
            reason = f"{len(entries)} entries in the last week: about one every {human(every)}"
            if every > high:
                reason += "; at most max_interval"
            elif every < low:
                reason += "; at least min_interval"
            return interval, reason
        if seen.entries:
            return high, "no entry in the last week"
        previous = state.interval or low
        if result.accepted:
            return max(previous / 2, low), "new items, no dates: polling sooner"
        return min(previous * 1.5, high), "nothing new, no dates: polling later"

    def _redirect(
        self, source: Source, state: SourceState, main: FetchResult | None
    ) -> tuple[str | None, str | None, int, str | None, str | None]:
        """(moved to, redirect target, count, url, url_from) after this poll."""
        moved = effective_url(source, state) != source.url
        url = state.url if moved else None
        url_from = state.url_from if moved else None
        if main is None or main.permanent_redirect is None:
            return None, None, 0, url, url_from
        target = main.permanent_redirect
        count = state.redirect_count + 1 if state.redirect_target == target else 1
        if count >= self.settings.redirect_after:
            return target, None, 0, target, source.url
        return None, target, count, url, url_from


def human(delta: timedelta) -> str:
    """``90m`` -> ``1.5h``: a duration for people."""
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            value = seconds / size
            return (
                f"{value:.0f}{unit}" if value >= 10 or value.is_integer() else f"{value:.1f}{unit}"
            )
    return f"{seconds:.0f}s"
