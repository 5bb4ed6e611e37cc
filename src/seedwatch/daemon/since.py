"""``backfill --since DATE`` for every source kind: a filter, added to the
pipeline for that one run, that drops items published before DATE.

Some kinds ask their server for less (FreshRSS's ``ot=``), but only the
item's own date says what it is, so every kind's items pass here. An item
without a date is kept (nothing says it is old) and counted, so the command
can say how many it could not judge.
"""

from __future__ import annotations

from datetime import datetime

from seedwatch.contracts import Filter
from seedwatch.models import Item, Source


class SinceFilter(Filter):
    name = "since"

    def __init__(self, since: datetime) -> None:
        self.since = since
        self.dropped = 0
        self.undated = 0

    def check(self, item: Item, source: Source | None) -> str | None:
        published = item.published or item.updated
        if published is None:
            self.undated += 1
            return None
        if published < self.since:
            self.dropped += 1
            return f"published {published.date().isoformat()}, before --since"
        return None
