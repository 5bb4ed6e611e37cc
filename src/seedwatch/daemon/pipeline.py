"""The one pipeline: Source -> fetch -> parse -> transform -> filter -> dedup -> sinks.

``poll_source`` is what ``seedwatch run`` does for each due source and what
``seedwatch backfill`` runs to exhaustion once: the same function, with
``backfill=True`` following the parsers' ``next_pages`` instead of their
``live_pages``. Crash safety: items are recorded (with their rendered file
text and sequence numbers) before any file is written, written, then marked;
a source's cursor is saved only after its page's items are recorded.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
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
from seedwatch.errors import FetchError, ItemValidationError, ParseError, UserError
from seedwatch.models import Document, Item, Source
from seedwatch.plugins.registry import Registry
from seedwatch.state.store import Store, now
from seedwatch.urls import same_site

log = logging.getLogger("seedwatch.pipeline")

BATCH = 200  # items recorded per transaction: fewer commits, same crash safety


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

    def close(self) -> None:
        close = getattr(self.fetcher, "close", None)
        if close is not None:
            close()
        self.store.close()

    # -- start-up -------------------------------------------------------------

    def complete_pending(self) -> int:
        """Write what a crash left recorded but unwritten; returns how many."""
        pending = self.store.pending()
        self._write(pending)
        if pending:
            log.info("completed %d corpus writes recorded before a stop", len(pending))
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
            raise ParseError(f"{parser.name}: {document.url}: {exc}") from exc
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
            for raw in batch:
                result.items += 1
                item, dropped = self.prepare(raw, source)
                if dropped is not None:
                    self._rejected(item, source, dropped, result)
                else:
                    prepared.append(item)
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

    def _rejected(
        self, item: Item, source: Source | None, verdict: Verdict, result: PollResult
    ) -> None:
        result.rejected += 1
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
        cursor = Cursor() if backfill else state.cursor
        kind = self.registry.source_kind(source.kind)
        context = PollContext(
            fetcher=self.fetcher,
            backfill=backfill,
            since=since,
            max_pages=max_pages,
        )
        started = now()
        try:
            for page in kind.poll(source, cursor, context):
                if page.document is None:
                    result.not_modified += 1
                else:
                    self._page(source, page.document, result, backfill, max_pages, dry_run)
                if not dry_run and (not backfill or page.document is not None):
                    self.store.save_cursor(source.id, page.cursor)
                if max_pages is not None and result.documents >= max_pages:
                    break
        except UserError as exc:
            result.error = str(exc)
            result.error_category = exc.category if isinstance(exc, FetchError) else "parse"
            log.error("source %s: %s", source.id, exc)
        if not dry_run:
            next_poll = started + source.min_interval
            self.store.record_poll(source.id, result, at=now(), next_poll=next_poll)
        self.registry.notify("on_poll_finished", source=source, result=result)
        return result

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
            result.error, result.error_category = str(exc), "parse"
            log.error("source %s: %s", source.id, exc)
            return None
        if self.on_progress:
            self.on_progress(result)
        return parser

    def _fetch_link(self, source: Source, url: str, base: str) -> Document | None:
        """Fetch a link found in a document: same site only, never local files."""
        if not same_site(url, base) and not source.options.get("follow_offsite"):
            log.warning("source %s: not following off-site link %s", source.id, url)
            return None
        return self.fetcher.fetch(url, source=source, local_ok=False)

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
        """Live poll: the pages a parser names newest first, until one brings nothing new."""
        seen = {first.url}
        for url in links:
            if url in seen:
                continue
            seen.add(url)
            document = self._fetch_link(source, url, first.url)
            if document is None:
                return
            before = result.accepted
            if self._document(source, document, result, dry_run) is None:
                return
            if result.accepted == before:
                return
