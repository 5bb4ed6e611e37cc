"""The one pipeline: Source -> fetch -> parse -> transform -> filter -> dedup -> sinks.

``poll_source`` is what ``seedwatch run`` does for each due source and what
``seedwatch backfill`` runs to exhaustion once: the same function, with
``backfill=True`` following the parsers' ``next_pages`` instead of their
``live_pages``. Crash safety: items are recorded (with their rendered file
text and sequence numbers) before any file is written, written, then marked;
a source's cursor is saved only after its page's items are recorded.

Poll accounting: every poll ends in ``record_poll`` with the scheduler's
plan (``daemon.schedule``): the error class (a fetch error's category,
``parse`` for a document no parser reads, ``plugin`` for a plugin that
raised), the next poll, parking, and a URL moved by permanent redirects,
which the next polls fetch instead of the configured one.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import islice

from seedwatch.contracts import (
    MAX_LIVE_PAGES,
    Accepted,
    Cursor,
    Fetcher,
    Filter,
    Page,
    Parser,
    PollContext,
    PollResult,
    Sink,
    Transform,
    Verdict,
)
from seedwatch.corpus import render
from seedwatch.daemon import fulltext
from seedwatch.daemon.fetch import recording
from seedwatch.daemon.schedule import Observation, Plan, Schedule, effective_url, human
from seedwatch.errors import (
    FetchError,
    ItemValidationError,
    OffSiteError,
    ParseError,
    UserError,
)
from seedwatch.models import Document, Item, Source, clean_item
from seedwatch.plugins.registry import Registry
from seedwatch.rules import count_key
from seedwatch.state import filter_counts
from seedwatch.state.store import SourceState, Store, now

log = logging.getLogger("seedwatch.pipeline")

BATCH = 200  # items recorded per transaction: fewer commits, same crash safety

# The observation of the poll running in this thread (items' dates for the scheduler).
_OBSERVING: ContextVar[Observation | None] = ContextVar("seedwatch_poll", default=None)


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
    on_progress: Callable[[PollResult], None] | None = None
    schedule: Schedule = field(default_factory=Schedule)
    # What each source's last poll recorded, for the service's log line
    # without a second query (a source is never polled twice at once).
    recorded: dict[str, SourceState] = field(default_factory=dict)
    _full_text: fulltext.FullText | None = None
    # WebSub (daemon.websub): each poll's first document, to find a feed's hub;
    # and the least time to the next poll of a source whose pushes come.
    on_feed: Callable[[Source, Document], None] | None = None
    poll_floor: Callable[[str], timedelta | None] | None = None

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
        flushed before the entries are marked written."""
        pending = self.store.pending()
        if source_id is not None:
            pending = [entry for entry in pending if entry.item.source == source_id]
        self._write(pending)
        if pending:
            where = f"source {source_id}: " if source_id is not None else ""
            log.info("%scompleted %d corpus write(s) recorded before a stop", where, len(pending))
        return len(pending)

    # -- documents ------------------------------------------------------------

    def parser_for(self, source: Source | None, document: Document) -> Parser:
        if source is not None and source.parser:
            return self.registry.parser(source.parser)
        return self.registry.sniff(document)

    def items_of(self, parser: Parser, document: Document) -> Iterator[Item]:
        """The parser's items, with the plugin isolated: anything but a ParseError
        becomes a ParseError naming the plugin, so one broken plugin fails one
        document, never the daemon."""
        try:
            yield from parser.parse(document)
        except (ParseError, ItemValidationError) as exc:
            # Parsers' messages usually start with the URL already: name it once.
            where = "" if document.url in str(exc) else f"{document.url}: "
            raise ParseError(f"{parser.name}: {where}{exc}") from exc
        except Exception as exc:
            plugin = self.registry.owner(parser)
            raise ParseError(
                f"parser {parser.name!r} (plugin {plugin}) failed on {document.url}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc

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
        self, source: Source | None, document: Document, result: PollResult, *, dry_run: bool
    ) -> tuple[Parser, int]:
        """Parse one document and record its new items; returns the parser and how
        many items were new. Raises ParseError for an unreadable document (items
        recorded before the failure stay recorded)."""
        parser = self.parser_for(source, document)
        new = 0
        items = self.items_of(parser, document)
        failure: ParseError | None = None
        while True:
            batch: list[Item] = []
            try:
                batch.extend(islice(items, BATCH))
            except ParseError as exc:
                failure = exc  # keep what the parser yielded before it failed
            if not batch:
                break
            prepared = []
            observing = _OBSERVING.get()
            full_text = self._full_text_for(source, dry_run)
            for raw in batch:
                result.items += 1
                cleaned = self._cleaned(raw, source, document, result)
                if cleaned is None:
                    continue
                if observing is not None:
                    observing.add_item(cleaned.key, cleaned.published or cleaned.updated)
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
            self._write(accepted)
            for item, (verdict, entry) in zip(prepared, outcomes, strict=True):
                if entry is None:
                    self._rejected(item, source, verdict, result)
                    continue
                new += 1
                result.accepted += 1
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
                self._fetch_link, fulltext.identity_check(self.store)
            )
        return self._full_text

    def _rejected(
        self, item: Item, source: Source | None, verdict: Verdict, result: PollResult
    ) -> None:
        result.rejected += 1
        if verdict.layer == "filter":
            key = count_key(verdict.reason)
            result.filtered[key] = result.filtered.get(key, 0) + 1
        log.debug("skip %s: %s (%s)", item.key, verdict.layer, verdict.reason)
        self.registry.notify("on_item_rejected", item=item, source=source, verdict=verdict)

    def _write(self, entries: list[Accepted]) -> None:
        """Write recorded entries to every sink, make them durable, then mark them
        written: one flush and one transaction per batch, not per item."""
        if not entries:
            return
        for sink in self.sinks:
            for entry in entries:
                sink.write(entry)
            sink.flush()
        self.store.mark_written([entry.seq for entry in entries])

    # -- sources --------------------------------------------------------------

    def poll_source(
        self,
        source: Source,
        *,
        backfill: bool = False,
        since: datetime | None = None,
        max_pages: int | None = None,
        dry_run: bool = False,
    ) -> PollResult:
        """One poll (or, with ``backfill``, a walk through the source's history)."""
        result = PollResult(source=source.id)
        state = self.store.source_state(source.id)
        configured = source
        url = effective_url(source, state)
        if url != source.url:
            source = replace(source, url=url)
        cursor = Cursor() if backfill else state.cursor
        kind = self.registry.source_kind(source.kind)
        context = PollContext(
            fetcher=self.fetcher,
            backfill=backfill,
            since=since,
            max_pages=max_pages,
        )
        seen = Observation()
        started = time.monotonic()
        token = _OBSERVING.set(seen)
        try:
            with recording() as fetches:
                seen.fetches = fetches
                self._poll_pages(
                    source,
                    kind.poll(source, cursor, context),
                    cursor,
                    result,
                    seen,
                    backfill=backfill,
                    max_pages=max_pages,
                    dry_run=dry_run,
                )
        finally:
            _OBSERVING.reset(token)
        if not dry_run:
            plan = self.schedule.plan(
                configured, state, result, seen, duration=time.monotonic() - started
            )
            floor = self.poll_floor(source.id) if self.poll_floor is not None else None
            if floor is not None and plan.next_poll < now() + floor:
                plan = replace(plan, next_poll=now() + floor)
            if self.on_feed is not None and seen.document is not None and result.error is None:
                self.on_feed(source, seen.document)
            self.recorded[source.id] = self.store.record_poll(
                source.id, result, at=now(), next_poll=plan.next_poll, record=plan.record
            )
            if result.filtered:
                filter_counts.add(self.store, result.filtered)
            self._log_plan(source, plan)
        self.registry.notify("on_poll_finished", source=source, result=result)
        return result

    def _poll_pages(
        self,
        source: Source,
        pages: Iterator[Page],
        start: Cursor,
        result: PollResult,
        seen: Observation,
        *,
        backfill: bool,
        max_pages: int | None,
        dry_run: bool,
    ) -> None:
        """Record each page's items, then its cursor; an error ends the poll and is
        classified: the fetcher's category, ``parse``, or ``plugin`` for a
        plugin (a source kind) that raised something else than our errors."""
        try:
            for page in pages:
                if page.document is None:
                    result.not_modified += 1
                else:
                    if seen.document is None:
                        seen.document = page.document
                    self._page(source, page.document, result, backfill, max_pages, dry_run)
                # A 304 leaves the cursor the poll started from: nothing to save.
                changed = page.cursor != start and not backfill
                if not dry_run and (page.document is not None or changed):
                    self.store.save_cursor(source.id, page.cursor)
                if max_pages is not None and result.documents >= max_pages:
                    break
        except FetchError as exc:
            result.error, result.error_category = str(exc), exc.category
            seen.status, seen.retry_after, seen.error_url = exc.status, exc.retry_after, exc.url
            if exc.category == "deferred":
                log.info("source %s: %s", source.id, exc)
            else:
                log.error("source %s: %s", source.id, exc)
        except UserError as exc:
            result.error, result.error_category = str(exc), "parse"
            log.error("source %s: %s", source.id, exc)
        except Exception as exc:
            plugin = self.registry.owner(self.registry.source_kind(source.kind))
            result.error = (
                f"source kind {source.kind!r} (plugin {plugin}) failed: {type(exc).__name__}: {exc}"
            )
            result.error_category = "plugin"
            log.exception("source %s: %s", source.id, result.error)

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

    def _page(
        self,
        source: Source,
        document: Document,
        result: PollResult,
        backfill: bool,
        max_pages: int | None,
        dry_run: bool,
    ) -> None:
        """Process a source's document and the further pages its parser points to."""
        parser = self._document(source, document, result, dry_run)
        if parser is None:
            return
        if backfill:
            self._follow(source, document, parser.next_pages(document), result, max_pages, dry_run)
        else:
            self._walk_live(source, document, parser.live_pages(document), result, dry_run)

    def _document(
        self, source: Source, document: Document, result: PollResult, dry_run: bool
    ) -> Parser | None:
        result.documents += 1
        try:
            parser, _ = self.process_document(source, document, result, dry_run=dry_run)
        except ParseError as exc:
            result.failed_documents += 1
            # items_of wraps what a plugin raised (anything but our own errors)
            # in a ParseError naming it: that is a plugin's failure, not the input's.
            cause = exc.__cause__
            plugin = cause is not None and not isinstance(cause, ParseError | ItemValidationError)
            result.error, result.error_category = str(exc), "plugin" if plugin else "parse"
            log.error("source %s: %s", source.id, exc)
            return None
        if self.on_progress:
            self.on_progress(result)
        return parser

    def _fetch_link(self, source: Source, url: str, base: str) -> Document | None:
        """Fetch a link found in a document: on the site of ``base`` (its redirects
        too) unless the source allows more, never local files; with the headers
        the source's kind asks for (a members-only board's cookie)."""
        headers = self.registry.source_kind(source.kind).link_headers(source, url)
        site = None if source.options.get("follow_offsite") else base
        try:
            return self.fetcher.fetch(
                url, source=source, local_ok=False, headers=headers or None, site=site
            )
        except OffSiteError as exc:
            log.warning("source %s: not following off-site link %s: %s", source.id, url, exc)
            return None

    def _follow(
        self,
        source: Source,
        first: Document,
        links: Iterable[str],
        result: PollResult,
        max_pages: int | None,
        dry_run: bool,
    ) -> None:
        """Backfill: breadth-first through ``next_pages``, each URL once."""
        seen = {first.url}
        queue = deque((url, first.url) for url in links)
        while queue:
            if max_pages is not None and result.documents >= max_pages:
                log.info("source %s: stopped at --max-pages %d", source.id, max_pages)
                return
            url, base = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            document = self._fetch_link(source, url, base)
            if document is None:
                continue
            parser = self._document(source, document, result, dry_run)
            if parser is not None:
                queue.extend((u, document.url) for u in parser.next_pages(document))

    def _walk_live(
        self,
        source: Source,
        first: Document,
        links: Iterable[str],
        result: PollResult,
        dry_run: bool,
    ) -> None:
        """Live poll: the pages a parser names newest first, until one brings nothing
        new, and never more than ``MAX_LIVE_PAGES`` of them (a parser may name a
        thread's every page; a backfill is the way to read them all)."""
        seen = {first.url}
        fetched = 0
        for url in links:
            if url in seen:
                continue
            seen.add(url)
            fetched += 1
            document = self._fetch_link(source, url, first.url)
            if document is None:
                return
            before = result.accepted
            if self._document(source, document, result, dry_run) is None:
                return
            if result.accepted == before:
                return
            if fetched == MAX_LIVE_PAGES:
                log.warning(
                    "source %s: the live poll read %d further pages, each with new items,"
                    " and stops there; if more is missing, seedwatch backfill %s reads it",
                    source.id,
                    fetched,
                    source.id,
                )
                return
