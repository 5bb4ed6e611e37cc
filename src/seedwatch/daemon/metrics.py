"""Prometheus metrics of one daemon process, in a registry of its own.

Counted as things happen: polls by outcome and error class, items by
verdict (``accepted`` or the de-duplication layer or filter that rejected
them, learnt through the ``on_item_*`` hooks like any plugin), fetch
latency and bytes (the fetcher's listeners), poll duration and scheduling
lag. Read from the state at each scrape (so they are the truth even after
a restart, or when another process changed it): sources by state, parked
sources, and per source its error streak, errors by class, last success and
next poll. Plus the process collector (CPU, memory, file descriptors).

A registry per ``Metrics`` (never prometheus_client's global one): several
daemons in one test process, or a library user's own metrics, never mix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from seedwatch.contracts import Accepted, PollResult, Verdict
from seedwatch.daemon.fetch import FetchResult
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Item, Source
from seedwatch.rules import count_key
from seedwatch.state.store import Store

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_LATENCY = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
_LAG = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600)


def source_health(parked: bool, consecutive_errors: int, polled: bool) -> str:
    """One word for a source's state: ``parked``, ``failing``, ``ok`` or ``new``."""
    if parked:
        return "parked"
    if consecutive_errors:
        return "failing"
    return "ok" if polled else "new"


class _StateCollector(Collector):
    """Gauges read from the state at scrape time."""

    def __init__(self, store: Store, sources: Callable[[], Sequence[Source]]) -> None:
        self.store = store
        self.sources = sources

    def collect(self) -> Iterator[Metric]:
        states = self.store.source_states()
        by_state = GaugeMetricFamily(
            "seedwatch_sources", "Configured sources by state", labels=["state"]
        )
        parked = GaugeMetricFamily("seedwatch_parked_sources", "Sources parked after failures")
        streak = GaugeMetricFamily(
            "seedwatch_source_consecutive_errors", "Failures in a row", labels=["source"]
        )
        errors = CounterMetricFamily(
            "seedwatch_source_errors",
            "Failed polls of a source by error class, over its life in the state",
            labels=["source", "error_class"],
        )
        success = GaugeMetricFamily(
            "seedwatch_source_last_success_timestamp_seconds",
            "When the source was last polled successfully (Unix time)",
            labels=["source"],
        )
        next_poll = GaugeMetricFamily(
            "seedwatch_source_next_poll_timestamp_seconds",
            "When the source is polled next (Unix time)",
            labels=["source"],
        )
        counts = dict.fromkeys(("ok", "failing", "parked", "new"), 0)
        for source in self.sources():
            st = states.get(source.id)
            health = source_health(
                bool(st and st.parked),
                st.consecutive_errors if st else 0,
                bool(st and st.last_poll),
            )
            counts[health] += 1
            if st is None:
                continue
            streak.add_metric([source.id], st.consecutive_errors)
            for category, n in sorted(st.error_counts.items()):
                errors.add_metric([source.id, category], n)
            if st.last_success:
                success.add_metric([source.id], st.last_success.timestamp())
            if st.next_poll:
                next_poll.add_metric([source.id], st.next_poll.timestamp())
        for health, n in counts.items():
            by_state.add_metric([health], n)
        parked.add_metric([], counts["parked"])
        yield from (by_state, parked, streak, errors, success, next_poll)


class Metrics:
    """The metrics of one daemon; ``render()`` is the ``/metrics`` body."""

    def __init__(self, store: Store, sources: Callable[[], Sequence[Source]]) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.polls = Counter(
            "seedwatch_polls",
            "Polls finished, by outcome (ok, not-modified, error, deferred) and error class",
            ["outcome", "error_class"],
            registry=r,
        )
        self.items = Counter(
            "seedwatch_items",
            "Items by verdict: accepted, or the de-duplication layer or filter that rejected them",
            ["verdict"],
            registry=r,
        )
        self.filtered = Counter(
            "seedwatch_filtered_items",
            "Items dropped by filters, by rule (the rules filter) or filter name",
            ["rule"],
            registry=r,
        )
        self.fetch_seconds = Histogram(
            "seedwatch_fetch_duration_seconds",
            "Time of successful fetches (200 and 304), redirects included",
            ["status"],
            buckets=_LATENCY,
            registry=r,
        )
        self.fetched_bytes = Counter(
            "seedwatch_fetched_bytes", "Response bytes received, before decompression", registry=r
        )
        self.poll_seconds = Histogram(
            "seedwatch_poll_duration_seconds",
            "Time of whole polls: fetches, parsing, de-duplication, writing",
            buckets=_LATENCY,
            registry=r,
        )
        self.lag = Histogram(
            "seedwatch_scheduling_lag_seconds",
            "How late polls started after they were due",
            buckets=_LAG,
            registry=r,
        )
        ProcessCollector(registry=r)
        r.register(_StateCollector(store, sources))

    def render(self) -> bytes:
        return generate_latest(self.registry)

    # -- events -------------------------------------------------------------

    def on_fetch(self, result: FetchResult) -> None:
        self.fetch_seconds.labels(str(result.status)).observe(result.elapsed)
        self.fetched_bytes.inc(result.wire_bytes)

    def on_poll(self, result: PollResult, outcome: str, duration: float) -> None:
        self.polls.labels(outcome, result.error_category or "").inc()
        self.poll_seconds.observe(duration)

    def on_lag(self, seconds: float) -> None:
        self.lag.observe(seconds)

    # -- the plugin hooks ---------------------------------------------------

    @hookimpl
    def on_item_accepted(self, item: Item, source: Source | None, entry: Accepted) -> None:
        self.items.labels("accepted").inc()

    @hookimpl
    def on_item_rejected(self, item: Item, source: Source | None, verdict: Verdict) -> None:
        self.items.labels(verdict.layer).inc()
        if verdict.layer == "filter":
            self.filtered.labels(count_key(verdict.reason)).inc()
