"""Scheduling: when to poll each source next (see ``planner`` for the rules).

Modules: ``planner`` (``Schedule``: a finished poll and the state before it
made a ``Plan``), ``caching`` (intervals servers give, capped) and ``hints``
(a feed's own ttl, update period and skip hours/days). This ``__init__``
holds no logic: it re-exports the public names.
"""

from seedwatch.daemon.schedule.caching import (
    LONGEST,
    delta_seconds,
    freshness,
    seconds_of,
    server_wait,
)
from seedwatch.daemon.schedule.hints import HINT_SCAN, FeedHints, feed_hints, skip
from seedwatch.daemon.schedule.planner import (
    MAX_ENTRIES,
    WEEK,
    Observation,
    Plan,
    Schedule,
    effective_url,
)
from seedwatch.units import human  # re-exported: it words the reasons above

__all__ = [
    "HINT_SCAN",
    "LONGEST",
    "MAX_ENTRIES",
    "WEEK",
    "FeedHints",
    "Observation",
    "Plan",
    "Schedule",
    "delta_seconds",
    "effective_url",
    "feed_hints",
    "freshness",
    "human",
    "seconds_of",
    "server_wait",
    "skip",
]
