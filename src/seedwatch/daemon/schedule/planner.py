"""The planner: when to poll a source next, and what a finished poll changes in its state.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from seedwatch.contracts import PollResult
from seedwatch.daemon.config import DaemonConfig
from seedwatch.daemon.fetch import FetchResult
from seedwatch.daemon.schedule.caching import freshness, server_wait
from seedwatch.daemon.schedule.hints import FeedHints, feed_hints, skip
from seedwatch.models import Document, Source
from seedwatch.state.store import PollRecord, SourceState
from seedwatch.units import human

WEEK = timedelta(days=7)
MAX_ENTRIES = 500  # entry dates kept per source: more than a week of a busy feed


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
        if result.not_modified and not result.documents:
            # A 304 shows no entries: whether the feed dates them is unknown here.
            return min(previous * 1.5, high), "not modified since the last poll: polling later"
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
