"""What the service shows over HTTP (``health.Surface``): its health verdict
(failing, degraded with the reasons, ok), readiness, and the status page.
Reads the service's scheduler, workers and state; changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from seedwatch.corpus import scan
from seedwatch.daemon import status
from seedwatch.daemon.schedule import human
from seedwatch.state.store import now

if TYPE_CHECKING:
    from seedwatch.daemon.service import Service

LATE = timedelta(minutes=5)  # polls queued longer than this make the daemon "degraded"


def health(service: Service) -> tuple[str, list[str]]:
    """ "failing" (scheduler or workers dead), "degraded" (sources parked or
    failing, polls late, writes failing) or "ok", with the reasons."""
    scheduler = service.scheduler
    if scheduler is not None and not service.stop_event.is_set():
        dead = []
        if not scheduler.running:
            dead.append("the scheduler is not running")
        if not service.dispatcher.alive():
            dead.append("poll workers have died")
        if dead:
            return "failing", dead
    reasons = []
    states = service.pipeline.store.source_states()
    parked = [i for i in service.sources if (st := states.get(i)) and st.parked]
    failing = [
        i
        for i in service.sources
        if (st := states.get(i)) and st.consecutive_errors and not st.parked
    ]
    if parked:
        reasons.append(f"{status.count(len(parked), 'source')} parked: {_some(parked)}")
    if failing:
        reasons.append(f"{status.count(len(failing), 'source')} failing: {_some(failing)}")
    late = [
        i
        for i, when in service.planned.items()
        if when < now() - LATE and service.scheduler is not None
    ]
    if service.pipeline.writer.unwritten:
        reasons.append("a sink refuses writes (a full disk?): items wait, pending; see the log")
    if late:
        reasons.append(
            f"{status.count(len(late), 'poll')} more than {human(LATE)} late: {_some(late)}"
        )
    return ("degraded" if reasons else "ok"), reasons


def ready(service: Service) -> tuple[bool, list[str]]:
    """Ready when the state answers and the scheduler runs."""
    reasons = []
    try:
        service.pipeline.store.ping()
    except Exception as exc:
        reasons.append(f"the state does not answer: {type(exc).__name__}: {exc}")
    if service.scheduler is None or not service.scheduler.running or service.stop_event.is_set():
        reasons.append("the scheduler is not running")
    return not reasons, reasons


def status_page(service: Service) -> str:
    """The HTML status page: the health reasons, each source's row and the corpus."""
    at = now()
    store = service.pipeline.store
    table = status.rows(
        [(s, True) for s in service.sources.values()],
        store.source_states(),
        store.items_by_day(at - timedelta(days=status.DAYS)),
        at,
    )
    corpus: dict[str, int | str] = {}
    if service.corpus is not None:
        corpus["folder"] = str(service.corpus)
        corpus["files"] = len(scan(service.corpus))
    corpus |= {k.replace("_", " "): v for k, v in store.stats().items()}
    verdict, reasons = health(service)
    return status.page(table, corpus, verdict, at, reasons=reasons)


def _some(ids: Sequence[str], n: int = 5) -> str:
    return ", ".join(ids[:n]) + (f" and {len(ids) - n} more" if len(ids) > n else "")
