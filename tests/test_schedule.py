"""The scheduler as a pure function: state before + what a poll saw -> next poll and state.

A fixed clock and a seeded random source; jitter is off unless a test is
about it. The HTTP side of the same rules runs against real servers in
test_service.py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seedwatch.contracts import PollResult
from seedwatch.daemon.config import DaemonConfig
from seedwatch.daemon.fetch import FetchResult
from seedwatch.daemon.schedule import (
    FeedHints,
    Observation,
    Schedule,
    effective_url,
    feed_hints,
    freshness,
    skip,
)
from seedwatch.models import Document, Source
from seedwatch.state.store import SourceState

DATA = Path(__file__).parent / "data" / "schedule"
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)  # a Wednesday
URL = "https://example.org/feed.xml"
SOURCE = Source(
    id="s", url=URL, min_interval=timedelta(minutes=15), max_interval=timedelta(hours=6)
)


def schedule(**settings: object) -> Schedule:
    values: dict[str, object] = {"jitter": timedelta(0), **settings}
    return Schedule(DaemonConfig(**values), rng=random.Random(7), clock=lambda: NOW)  # type: ignore[arg-type]


def fetched(
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    url: str = URL,
    moved: str | None = None,
) -> FetchResult:
    return FetchResult(
        url=url,
        status=status,
        headers=headers or {},
        document=None,
        source=SOURCE,
        permanent_redirect=moved,
    )


def document(name: str) -> Document:
    # the real feeds are read where they live; schedule/ holds the hand-made one
    path = DATA / name if (DATA / name).exists() else DATA.parent / "feeds" / name
    return Document(url=URL, content=path.read_bytes(), fetched=NOW)


def ok(**kw: int) -> PollResult:
    return PollResult(source="s", documents=1, **kw)


def failed(category: str, message: str = "boom") -> PollResult:
    return PollResult(source="s", error=message, error_category=category)


def dated(*ages: timedelta) -> Observation:
    seen = Observation(fetches=[fetched()])
    for n, age in enumerate(ages):
        seen.add_item(f"k{n}", NOW - age)
    return seen


# -- back-off ---------------------------------------------------------------------


def test_backoff_doubles_with_jitter_and_is_capped() -> None:
    source = Source(
        id="s", url=URL, min_interval=timedelta(minutes=1), max_interval=timedelta(minutes=30)
    )
    sched = schedule()
    assert sched.backoff(source, 0) == timedelta(minutes=1)
    for failures, nominal in [(1, 1), (2, 2), (3, 4), (4, 8)]:
        delay = sched.backoff(source, failures)
        assert timedelta(minutes=nominal * 0.8) <= delay <= timedelta(minutes=nominal * 1.2)
    assert sched.backoff(source, 50) == timedelta(minutes=30)


def test_a_failure_backs_off_and_counts_the_streak() -> None:
    state = SourceState(id="s", consecutive_errors=2)
    plan = schedule().plan(SOURCE, state, failed("http-5xx"), Observation())
    # third failure: 15 min * 2**2 = 1 h, +-20 %
    assert timedelta(minutes=48) <= plan.next_poll - NOW <= timedelta(minutes=72)
    assert plan.record.consecutive_errors == 3 and not plan.record.parked
    assert plan.record.reason == "back-off after 3 failure(s) in a row"


def test_retry_after_longer_than_the_backoff_wins_and_is_capped_at_max_interval() -> None:
    sched = schedule(probe_interval=timedelta(hours=12))
    asked = Observation(status=429, retry_after=7200)
    plan = sched.plan(SOURCE, SourceState(id="s"), failed("http-4xx"), asked)
    assert plan.next_poll == NOW + timedelta(hours=2)
    assert plan.record.reason == "Retry-After 2h"
    greedy = Observation(status=503, retry_after=10 * 86400)
    plan = sched.plan(SOURCE, SourceState(id="s"), failed("http-5xx"), greedy)
    assert plan.next_poll == NOW + SOURCE.max_interval
    assert plan.record.reason == (
        "Retry-After 6h: the server asked for 10d, capped at max_interval"
    )


@pytest.mark.parametrize("seconds", [99999999999999.0, float("inf"), 1e300])
def test_a_retry_after_no_calendar_holds_is_capped_at_max_interval(seconds: float) -> None:
    failure = schedule().plan(
        SOURCE, SourceState(id="s"), failed("http-5xx"), Observation(retry_after=seconds)
    )
    assert failure.next_poll == NOW + SOURCE.max_interval
    assert "capped at max_interval" in (failure.record.reason or "")
    deferred = schedule().plan(
        SOURCE, SourceState(id="s"), failed("deferred"), Observation(retry_after=seconds)
    )
    assert deferred.next_poll == NOW + SOURCE.max_interval


@pytest.mark.parametrize(
    "cache_control", ["max-age=99999999999999", "max-age=" + "9" * 5000, "max-age=\u00b2"]
)
def test_a_huge_or_odd_max_age_never_raises(cache_control: str) -> None:
    lifetime = freshness({"cache-control": cache_control}, NOW)
    assert lifetime is None or lifetime >= timedelta(days=365)
    plan = schedule().plan(
        SOURCE,
        SourceState(id="s"),
        ok(),
        Observation(fetches=[fetched(200, {"cache-control": cache_control})]),
    )
    assert plan.next_poll - NOW <= SOURCE.max_interval


def test_n_failures_in_a_row_park_the_source_and_it_is_probed_daily() -> None:
    sched = schedule(park_after=3)
    state = SourceState(id="s", consecutive_errors=2)
    plan = sched.plan(SOURCE, state, failed("timeout"), Observation())
    assert plan.parked_now and plan.record.parked
    assert plan.record.parked_reason == "3 failures in a row"
    assert plan.record.parked_at == NOW and plan.next_poll == NOW + timedelta(days=1)


def test_410_gone_parks_at_once_but_not_when_a_followed_page_is_gone() -> None:
    gone = Observation(status=410, error_url=URL)
    plan = schedule().plan(SOURCE, SourceState(id="s"), failed("http-4xx"), gone)
    assert plan.record.parked and plan.record.parked_reason == "HTTP 410 Gone"
    page_gone = Observation(status=410, error_url="https://example.org/thread/2")
    plan = schedule().plan(SOURCE, SourceState(id="s"), failed("http-4xx"), page_gone)
    assert not plan.record.parked


def test_a_parked_source_is_probed_and_resumes_on_the_first_success() -> None:
    parked = SourceState(
        id="s", consecutive_errors=10, parked=True, parked_at=NOW, parked_reason="10 failures"
    )
    again = schedule().plan(SOURCE, parked, failed("connect"), Observation())
    assert again.record.parked and again.next_poll == NOW + timedelta(days=1)
    assert not again.parked_now and again.record.consecutive_errors == 11
    back = schedule().plan(SOURCE, parked, ok(), dated(timedelta(hours=1)))
    assert back.resumed and not back.record.parked and back.record.consecutive_errors == 0
    assert back.record.parked_reason is None and back.record.parked_at is None


def test_a_deferred_poll_is_neither_success_nor_failure() -> None:
    state = SourceState(id="s", consecutive_errors=2)
    result = failed("deferred", "host asked everyone to wait")
    plan = schedule().plan(SOURCE, state, result, Observation(retry_after=120))
    assert plan.record.outcome == "deferred" and plan.record.consecutive_errors == 2
    assert plan.next_poll == NOW + timedelta(seconds=120)


# -- entry frequency ----------------------------------------------------------------


def test_interval_follows_the_weeks_entry_frequency() -> None:
    # 10 entries over the last 5 hours: about one every 30 minutes
    ages = [timedelta(minutes=30 * n) for n in range(1, 11)]
    plan = schedule().plan(SOURCE, SourceState(id="s"), ok(), dated(*ages))
    assert plan.next_poll == NOW + timedelta(minutes=30)
    assert plan.record.interval == timedelta(minutes=30)
    assert plan.record.reason == "10 entries in the last week: about one every 30m"


def test_a_busy_feed_is_polled_at_min_interval_and_a_quiet_one_at_max() -> None:
    busy = dated(*(timedelta(minutes=n) for n in range(1, 40)))
    assert schedule().plan(SOURCE, SourceState(id="s"), ok(), busy).next_poll == NOW + timedelta(
        minutes=15
    )
    quiet = dated(timedelta(days=9), timedelta(days=30))
    plan = schedule().plan(SOURCE, SourceState(id="s"), ok(), quiet)
    assert plan.next_poll == NOW + timedelta(hours=6)
    assert plan.record.reason == "no entry in the last week"


def test_entries_of_earlier_polls_count_so_a_short_feed_still_shows_the_week() -> None:
    # The feed shows only its newest 2 entries; earlier polls saw 4 more this week.
    earlier = schedule().plan(
        SOURCE,
        SourceState(id="s"),
        ok(),
        dated(*(timedelta(hours=h) for h in (20, 16, 12, 8))),
    )
    state = SourceState(id="s", entries=earlier.record.entries)
    seen = Observation(fetches=[fetched()])
    seen.add_item("new-1", NOW - timedelta(hours=4))
    seen.add_item("new-2", NOW - timedelta(hours=2))
    plan = schedule().plan(SOURCE, state, ok(), seen)
    assert len(plan.record.entries) == 6
    assert plan.record.interval == timedelta(hours=20) / 6


def test_a_304_keeps_the_weeks_entries_and_time_passing_lengthens_the_interval() -> None:
    entries = {f"e{n}": NOW - timedelta(hours=n) for n in range(1, 5)}  # 4 in 4 hours
    state = SourceState(id="s", entries=entries)
    plan = schedule().plan(
        SOURCE, state, PollResult(source="s", not_modified=1), Observation([fetched(304)])
    )
    assert plan.record.outcome == "not-modified"
    assert plan.record.interval == timedelta(hours=1)
    later = Schedule(
        DaemonConfig(jitter=timedelta(0)), clock=lambda: NOW + timedelta(hours=8)
    ).plan(SOURCE, state, PollResult(source="s", not_modified=1), Observation([fetched(304)]))
    assert later.record.interval == timedelta(hours=12) / 4  # 4 entries in 12 hours


def test_undated_items_adapt_to_whether_polls_bring_anything_new() -> None:
    state = SourceState(id="s", interval=timedelta(hours=2))
    sooner = schedule().plan(SOURCE, state, ok(accepted=3), Observation([fetched()]))
    assert sooner.record.interval == timedelta(hours=1)
    later = schedule().plan(SOURCE, state, ok(accepted=0), Observation([fetched()]))
    assert later.record.interval == timedelta(hours=3)


# -- HTTP caching and the feed's hints ----------------------------------------------


def test_freshness_from_max_age_less_age_then_expires_less_date() -> None:
    assert freshness({"cache-control": "public, max-age=3600"}, NOW) == timedelta(hours=1)
    assert freshness({"cache-control": "max-age=3600", "age": "600"}, NOW) == timedelta(minutes=50)
    assert freshness({"cache-control": "no-store, max-age=3600"}, NOW) is None
    headers = {"date": "Wed, 18 Nov 2026 12:00:00 GMT", "expires": "Wed, 18 Nov 2026 14:30:00 GMT"}
    assert freshness(headers, NOW) == timedelta(hours=2, minutes=30)
    assert freshness({"expires": "0"}, NOW) is None


def test_a_cache_lifetime_longer_than_the_frequency_interval_wins() -> None:
    busy = dated(*(timedelta(minutes=n) for n in range(1, 40)))
    busy.fetches = [fetched(200, {"cache-control": "max-age=7200"})]
    plan = schedule().plan(SOURCE, SourceState(id="s"), ok(), busy)
    assert plan.next_poll == NOW + timedelta(hours=2)
    assert plan.record.reason == "cached for 2h (HTTP caching)"
    # but never past max_interval
    busy.fetches = [fetched(304, {"cache-control": "max-age=864000"})]
    plan = schedule().plan(SOURCE, SourceState(id="s"), ok(), busy)
    assert plan.next_poll == NOW + timedelta(hours=6)


def test_hints_of_a_real_wordpress_feed_ttl_and_update_period() -> None:
    hints = feed_hints(document("rss2_wordpress_tenderlovemaking.xml"))
    assert hints.ttl == timedelta(minutes=60)  # <ttl>60</ttl>
    assert hints.update_period == timedelta(hours=1)  # hourly, frequency 1
    assert feed_hints(document("rss2_bbc_urdu_rtl.xml")).ttl == timedelta(minutes=15)


def test_the_feeds_ttl_is_a_lower_bound_on_the_interval() -> None:
    busy = dated(*(timedelta(minutes=n) for n in range(1, 40)))
    busy.document = document("rss2_wordpress_tenderlovemaking.xml")
    plan = schedule().plan(SOURCE, SourceState(id="s"), ok(), busy)
    assert plan.next_poll == NOW + timedelta(hours=1)
    assert plan.record.hints == {"ttl": 3600.0, "update_period": 3600.0}
    # a later 304 has no document: the hints kept in the state still apply
    state = SourceState(id="s", hints=plan.record.hints, entries=plan.record.entries)
    again = schedule().plan(
        SOURCE, state, PollResult(source="s", not_modified=1), Observation([fetched(304)])
    )
    assert again.next_poll == NOW + timedelta(hours=1)


def test_skip_hours_and_days_of_a_hand_made_feed_move_the_next_poll() -> None:
    hints = feed_hints(document("skiphours_handmade.xml"))
    assert hints.skip_hours == frozenset({22, 23, 0, 1, 2, 3, 4, 5})
    assert hints.skip_days == frozenset({6})  # Sunday
    assert hints.ttl == timedelta(minutes=30)
    # Wednesday 23:10 is a skipped hour: the next allowed one is Thursday 06:00
    assert skip(datetime(2026, 11, 18, 23, 10, tzinfo=UTC), hints) == datetime(
        2026, 11, 19, 6, 0, tzinfo=UTC
    )
    # Saturday 21:30 is fine; Saturday 22:00 goes past the night and the Sunday
    assert skip(datetime(2026, 11, 21, 21, 30, tzinfo=UTC), hints) == datetime(
        2026, 11, 21, 21, 30, tzinfo=UTC
    )
    assert skip(datetime(2026, 11, 21, 22, 0, tzinfo=UTC), hints) == datetime(
        2026, 11, 23, 6, 0, tzinfo=UTC
    )


def test_a_feed_that_skips_every_hour_is_not_obeyed() -> None:
    hints = FeedHints(skip_hours=frozenset(range(24)))
    moment = datetime(2026, 11, 18, 3, 0, tzinfo=UTC)
    assert skip(moment, hints) == moment


def test_documents_that_are_not_xml_have_no_hints() -> None:
    page = Document(url=URL, content=b'{"version": "https://jsonfeed.org/version/1"}', fetched=NOW)
    assert feed_hints(page) == FeedHints()


def test_jitter_spreads_successes_within_the_configured_window() -> None:
    sched = Schedule(
        DaemonConfig(jitter=timedelta(seconds=30)), rng=random.Random(1), clock=lambda: NOW
    )
    busy = dated(*(timedelta(minutes=n) for n in range(1, 40)))
    polls = {sched.plan(SOURCE, SourceState(id="s"), ok(), busy).next_poll for _ in range(20)}
    assert len(polls) > 1
    assert all(
        NOW + timedelta(minutes=15) <= p <= NOW + timedelta(minutes=15, seconds=30) for p in polls
    )


# -- permanent redirects ------------------------------------------------------------

MOVED = "https://new.example.org/feed.xml"


def test_a_permanent_redirect_moves_the_url_after_three_polls_in_a_row() -> None:
    sched = schedule()
    state = SourceState(id="s")
    for n in (1, 2):
        plan = sched.plan(SOURCE, state, ok(), Observation([fetched(moved=MOVED)]))
        assert plan.moved_to is None and plan.record.redirect_count == n
        assert plan.record.redirect_target == MOVED and plan.record.url is None
        state = SourceState(id="s", redirect_target=MOVED, redirect_count=n)
    plan = sched.plan(SOURCE, state, ok(), Observation([fetched(moved=MOVED)]))
    assert plan.moved_to == MOVED
    assert (plan.record.url, plan.record.url_from) == (MOVED, URL)
    moved = SourceState(id="s", url=plan.record.url, url_from=plan.record.url_from)
    assert effective_url(SOURCE, moved) == MOVED
    # the next poll fetches the new URL; without a redirect the move stays
    stays = sched.plan(SOURCE, moved, ok(), Observation([fetched(url=MOVED)]))
    assert (stays.record.url, stays.record.url_from) == (MOVED, URL)


def test_a_redirect_that_changes_or_stops_starts_counting_again() -> None:
    state = SourceState(id="s", redirect_target=MOVED, redirect_count=2)
    other = schedule().plan(
        SOURCE, state, ok(), Observation([fetched(moved="https://elsewhere.example/f")])
    )
    assert other.moved_to is None and other.record.redirect_count == 1
    gone = schedule().plan(SOURCE, state, ok(), Observation([fetched()]))
    assert gone.record.redirect_count == 0 and gone.record.redirect_target is None


def test_the_config_stays_the_source_of_truth_for_the_url() -> None:
    moved = SourceState(id="s", url=MOVED, url_from=URL)
    edited = Source(id="s", url="https://other.example/feed")  # the user changed the config
    assert effective_url(edited, moved) == "https://other.example/feed"
    plan = schedule().plan(edited, moved, ok(), Observation())
    assert plan.record.url is None and plan.record.url_from is None


@pytest.mark.parametrize("category", ["parse", "plugin", "dns", "tls", "too-large"])
def test_every_error_class_backs_off_the_same_way(category: str) -> None:
    plan = schedule().plan(SOURCE, SourceState(id="s"), failed(category), Observation())
    assert plan.record.outcome == "error" and plan.record.consecutive_errors == 1
    assert timedelta(minutes=12) <= plan.next_poll - NOW <= timedelta(minutes=18)
