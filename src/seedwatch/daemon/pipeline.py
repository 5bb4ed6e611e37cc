"""The one pipeline: Source -> fetch -> parse -> transform -> filter -> dedup -> sinks.

``poll_source`` is what ``seedwatch run`` does for each due source and what
``seedwatch backfill`` runs to exhaustion once: the same function, with
``backfill=True`` following the parsers' ``next_pages`` instead of their
``live_pages`` (the walk through a poll's pages is ``daemon.poll``). It takes
what the poll needs as arguments and returns one ``Poll``: the counts, the
source's state as recorded, the scheduler's plan. Crash safety: items are
recorded (with their rendered file text and sequence numbers) before any
file is written, written, then marked; a source's cursor is saved only after
its page's items are recorded.

Poll accounting: every poll ends in ``record_poll`` with the scheduler's
plan (``daemon.schedule``): the error class (a fetch error's category,
``parse`` for a document no parser reads, ``plugin`` for a plugin that
raised), the next poll, parking, and a URL moved by permanent redirects,
which the next polls fetch instead of the configured one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice

from seedwatch.contracts import (
    Accepted,
    Cursor,
    Fetcher,
    Filter,
    Parser,
    PollContext,
    PollResult,
    Sink,
    Transform,
    Verdict,
)
from seedwatch.corpus import render
from seedwatch.daemon import fulltext
from seedwatch.daemon.poll import Poll, PollRun, Progress, fetch_link
from seedwatch.daemon.schedule import Observation, Plan, Schedule, effective_url
from seedwatch.daemon.writes import Writer
from seedwatch.errors import ItemValidationError, ParseError, PluginError
from seedwatch.models import Document, Item, Source, clean_item
from seedwatch.plugins.registry import Registry
from seedwatch.rules import count_key
from seedwatch.state import filter_counts
from seedwatch.state.failures import is_state_failure, state_error
from seedwatch.state.store import SourceState, Store, now
from seedwatch.units import human

log = logging.getLogger("seedwatch.pipeline")

# Items judged and recorded per transaction, then written and marked written:
# fewer commits, same crash safety. Each batch also costs a prescreen query,
# the marking transaction and a disk flush a corpus chunk (256 files): at 200
# those were a sixth of a 10,000-item poll's CPU time.
BATCH = 1024


@dataclass
class Pipeline:
    """Everything a poll needs, built once per process (see ``runtime.build``)."""

    registry: Registry
    store: Store
    fetcher: Fetcher
    sinks: list[Sink]
    transforms: list[Transform]
    filters: list[Filter]
    front_matter: bool = True
    schedule: Schedule = field(default_factory=Schedule)
    _full_text: fulltext.FullText | None = None
    writer: Writer = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.writer = Writer(self.registry, self.store, self.sinks)

    def close(self) -> None:
        close = getattr(self.fetcher, "close", None)
        if close is not None:
            close()
        self.store.close()

    # -- start-up -------------------------------------------------------------

    def complete_pending(self, source_id: str | None = None) -> int:
        """Write what a crash left recorded but unwritten (only ``source_id``'s
        items if given: a cluster node completing a dead node's poll); returns
        how many. The same write path as a poll's: sinks are idempotent and
        flushed before the entries are marked written; what a sink still cannot
        write (a full disk) is reported and stays pending for ``Writer.retry``."""
        pending = self.store.pending(source_id)
        done = len(pending) - len(self._write(pending))
        if done:
            where = f"source {source_id}: " if source_id is not None else ""
            log.info("%scompleted %d corpus write(s) recorded before a stop", where, done)
        return done

    # -- documents ------------------------------------------------------------

    def parser_for(self, source: Source | None, document: Document) -> Parser:
        if source is not None and source.parser:
            return self.registry.parser(source.parser)
        return self.registry.sniff(document)

    def items_of(self, parser: Parser, document: Document) -> Iterator[Item]:
        """The parser's items, with the plugin isolated: anything but our errors
        becomes a ``PluginError`` naming the plugin, so one broken plugin fails
        one document, never the daemon."""
        try:
            yield from parser.parse(document)
        except (ParseError, ItemValidationError) as exc:
            # Parsers' messages usually start with the URL already: name it once.
            where = "" if document.url in str(exc) else f"{document.url}: "
            raise ParseError(f"{parser.name}: {where}{exc}") from exc
        except Exception as exc:
            where = f"{document.url} (parser {parser.name!r})"
            raise PluginError(self.registry.owner(parser), where, exc) from exc

    def prepare(self, item: Item, source: Source | None) -> tuple[Item, Verdict | None]:
        """Transforms, then filters. Returns the item and, if a filter dropped it, why."""
        if source is not None and item.source is None:
            item = replace(item, source=source.id)
        for transform in self.transforms:
            item = transform.apply(item, source)
        for flt in self.filters:
            reason = flt.check(item, source)
            if reason:
                return item, Verdict(False, "filter", f"{flt.name}: {reason}")
        return item, None

    def process_document(
        self,
        source: Source | None,
        document: Document,
        result: PollResult,
        *,
        dry_run: bool,
        seen: Observation | None = None,
    ) -> tuple[Parser, int]:
        """Parse one document and record its new items (their dates noted in
        ``seen``, the poll's observation); returns the parser and how many items
        were new. Raises ``ParseError`` for an unreadable document, ``PluginError``
        for a parser that broke (items recorded before the failure stay recorded)."""
        parser = self.parser_for(source, document)
        new = 0
        items = self.items_of(parser, document)
        failure: ParseError | PluginError | None = None
        while True:
            batch: list[Item] = []
            try:
                batch.extend(islice(items, BATCH))
            except (ParseError, PluginError) as exc:
                failure = exc  # keep what the parser yielded before it failed
            if not batch:
                break
            prepared = []
            full_text = self._full_text_for(source, dry_run)
            for raw in batch:
                result.items += 1
                cleaned = self._cleaned(raw, source, document, result)
                if cleaned is None:
                    continue
                if seen is not None:
                    seen.add_item(cleaned.key, cleaned.published or cleaned.updated)
                if full_text is not None and source is not None:
                    cleaned, known = full_text.apply(
                        replace(cleaned, source=cleaned.source or source.id),
                        source,
                        document.url,
                        result,
                    )
                    if known is not None:
                        self._rejected(cleaned, source, known, result)
                        continue
                item, dropped = self.prepare(cleaned, source)
                if dropped is not None:
                    self._rejected(item, source, dropped, result)
                    continue
                # Once more: a transform may have brought what the first pass removed.
                ready = self._cleaned(item, source, document, result)
                if ready is not None:
                    prepared.append(ready)
            if dry_run:
                for item in prepared:
                    verdict = self.store.judge(item)
                    if verdict.accepted:
                        new += 1
                        result.accepted += 1
                        log.info("would add %s (%s)", item.key, item.title or "untitled")
                    else:
                        self._rejected(item, source, verdict, result)
                continue
            outcomes = self.store.admit(
                ((item, document.fetched) for item in prepared),
                lambda item, fetched, revision_of: render(
                    item, fetched, with_front_matter=self.front_matter, revision_of=revision_of
                ),
            )
            accepted = [entry for _, entry in outcomes if entry is not None]
            # Items a sink could not write stay recorded (pending): counted
            # under ``write`` without failing the poll, whose source is fine.
            unwritten = {entry.seq for entry in self._write(accepted)}
            if unwritten:
                result.item_errors["write"] = result.item_errors.get("write", 0) + len(unwritten)
            for item, (verdict, entry) in zip(prepared, outcomes, strict=True):
                if entry is None:
                    self._rejected(item, source, verdict, result)
                    continue
                new += 1
                result.accepted += 1
                if entry.seq not in unwritten:
                    result.written.append(entry.name)
                self.registry.notify("on_item_accepted", item=item, source=source, entry=entry)
            if failure is not None:
                break
        if failure is not None:
            raise failure
        return parser, new

    def _cleaned(
        self, item: Item, source: Source | None, document: Document, result: PollResult
    ) -> Item | None:
        """``item`` made safe to record (``clean_item``), with a warning saying what
        was changed; ``None`` (counted as rejected) when it cannot be: one bad
        item never costs the document its other items."""
        where = f"source {source.id}: " if source is not None else ""
        try:
            cleaned, notes = clean_item(item)
        except ItemValidationError as exc:
            log.warning("%s%s: item %s dropped: %s", where, document.url, item.key, exc)
            self._rejected(item, source, Verdict(False, "invalid", str(exc)), result)
            return None
        if notes:
            log.warning("%s%s: item %s: %s", where, document.url, cleaned.key, "; ".join(notes))
        return cleaned

    def _full_text_for(self, source: Source | None, dry_run: bool) -> fulltext.FullText | None:
        """The full-text step for a ``full_text`` source; dry runs fetch no article pages."""
        if dry_run or source is None or not fulltext.wanted(source):
            return None
        if self._full_text is None:
            self._full_text = fulltext.FullText(
                lambda source, url, base: fetch_link(
                    self.registry, self.fetcher, source, url, base
                ),
                fulltext.identity_check(self.store),
            )
        return self._full_text

    def _fetch_article(self, source: Source, url: str, base: str) -> Document | None:
        return fetch_link(self.registry, self.fetcher, source, url, base)

    def _rejected(
        self, item: Item, source: Source | None, verdict: Verdict, result: PollResult
    ) -> None:
        result.rejected += 1
        if verdict.layer == "filter":
            key = count_key(verdict.reason)
            result.filtered[key] = result.filtered.get(key, 0) + 1
        log.debug("skip %s: %s (%s)", item.key, verdict.layer, verdict.reason)
        self.registry.notify("on_item_rejected", item=item, source=source, verdict=verdict)

    def _write(self, entries: list[Accepted]) -> list[Accepted]:
        """Write recorded entries to every sink, make them durable, then mark them
        written (``daemon.writes``); returns those a sink could not write."""
        return self.writer.write(entries)

    # -- sources --------------------------------------------------------------

    def poll_source(
        self,
        source: Source,
        *,
        backfill: bool = False,
        since: datetime | None = None,
        max_pages: int | None = None,
        dry_run: bool = False,
        on_progress: Progress | None = None,
        floor: timedelta | None = None,
        state: SourceState | None = None,
    ) -> Poll:
        """One poll (or, with ``backfill``, a walk through the source's history).
        ``on_progress`` hears of each document processed; ``floor`` is the least
        time to the next poll (a source whose WebSub pushes come); ``state`` is
        the source's state if the caller has just read it (else read here)."""
        if state is None:
            try:
                state = self.store.source_state(source.id)
            except Exception as exc:
                if not is_state_failure(exc):
                    raise
                return self._state_failed(source, PollResult(source=source.id), exc)
        url = effective_url(source, state)
        polled = source if url == source.url else replace(source, url=url)
        run = PollRun(self, polled, backfill, since, max_pages, dry_run, on_progress)
        cursor = Cursor() if backfill else state.cursor
        context = PollContext(
            fetcher=run.fetcher, backfill=backfill, since=since, max_pages=max_pages
        )
        started = time.monotonic()
        run.run(self.registry.source_kind(source.kind), cursor, context)
        result, seen = run.result, run.seen
        poll = Poll(result, document=seen.document)
        if not dry_run:
            plan = self.schedule.plan(
                source, state, result, seen, duration=time.monotonic() - started
            )
            if floor is not None and plan.next_poll < now() + floor:
                plan = replace(plan, next_poll=now() + floor)
            try:
                recorded = self.store.record_poll(
                    source.id,
                    result,
                    at=now(),
                    next_poll=plan.next_poll,
                    record=plan.record,
                    cursor=run.cursor,
                )
                if result.filtered:
                    filter_counts.add(self.store, result.filtered)
            except Exception as exc:
                if not is_state_failure(exc):
                    raise
                return self._state_failed(polled, result, exc, seen.document)
            self._log_plan(polled, plan)
            poll = Poll(result, recorded, plan, seen.document)
        self.registry.notify("on_poll_finished", source=polled, result=result)
        return poll

    def _state_failed(
        self, source: Source, result: PollResult, exc: Exception, document: Document | None = None
    ) -> Poll:
        """The poll whose outcome the state refused to record (a full disk, a
        read-only file): one line unless the poll already said it; no recorded
        state and no plan, so the service retries the source after a back-off."""
        if result.error_category != "state":
            error = state_error(self.store.url, exc, "the poll's outcome is not recorded")
            log.error("source %s: %s", source.id, error)
            result.error, result.error_category = str(error), error.category
        self.registry.notify("on_poll_finished", source=source, result=result)
        return Poll(result, document=document)

    def _log_plan(self, source: Source, plan: Plan) -> None:
        if plan.moved_to:
            log.warning(
                "source %s: %s has moved permanently to %s (seen on %d polls in a row): "
                "polling the new URL; update the config",
                source.id,
                source.url,
                plan.moved_to,
                self.schedule.settings.redirect_after,
            )
        if plan.parked_now:
            log.warning(
                "source %s: parked (%s); probed every %s; `seedwatch sources resume %s` "
                "resumes it now",
                source.id,
                plan.record.parked_reason,
                human(self.schedule.settings.probe_interval),
                source.id,
            )
        if plan.resumed:
            log.info("source %s: the probe succeeded; resumed", source.id)
