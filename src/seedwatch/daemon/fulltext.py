"""Full text for excerpt-only feeds: fetch each new item's page and extract its article.

A source with ``full_text = true`` gets, for every item that the identity
layer does not know yet (never a page fetch for an item already recorded),
its ``url`` fetched like any link the pipeline follows: through the
politeness gate, under robots.txt, on the source's own site unless
``follow_offsite`` allows more. The article is taken from the page by
``full_text_selector`` (a CSS selector, when the site's markup is known) or
by readability-lxml (the ``fulltext`` extra; docs/fulltext.md says why it
and not trafilatura). The item keeps its feed fields; its ``text`` becomes
the article, and ``extra["full_text"]`` says from where and how.

A page that cannot be fetched or read, or whose article is shorter than the
feed's own excerpt, leaves the excerpt in place and is counted under the
error class ``extract`` for the source; the poll itself still succeeds
(a missing article must not back the feed off or park it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from seedwatch.contracts import PollResult, Verdict
from seedwatch.errors import ConfigError, FetchError
from seedwatch.extras import require
from seedwatch.models import Document, Item, Source
from seedwatch.text import html_to_text, word_count

if TYPE_CHECKING:
    from seedwatch.state.store import Store

log = logging.getLogger("seedwatch.fulltext")

ERROR_CLASS = "extract"
# Markup bigger than this is not handed to the extractor: lxml and readability
# hold the whole tree in memory, several times the page's size.
MAX_PAGE_CHARS = 5_000_000

FetchLink = Callable[[Source, str, str], Document | None]
Known = Callable[[Item], Verdict | None]


class ExtractError(Exception):
    """The page holds no article we can read."""


def wanted(source: Source) -> bool:
    return bool(source.options.get("full_text"))


def check(source: Source, where: str) -> None:
    """Config errors in a source's ``full_text`` keys, naming the source and the key."""
    opts = source.options
    value = opts.get("full_text")
    if value is not None and not isinstance(value, bool):
        raise ConfigError(
            f'config {where}, source {source.id!r}: field "full_text": expected true or '
            f"false, got {value!r}"
        )
    selector = opts.get("full_text_selector")
    if selector is None:
        return
    if not isinstance(selector, str) or not selector.strip():
        raise ConfigError(
            f'config {where}, source {source.id!r}: field "full_text_selector": expected a '
            f'CSS selector such as "article .entry-content", got {selector!r}'
        )
    import soupsieve

    try:
        soupsieve.compile(selector)
    except soupsieve.SelectorSyntaxError:
        raise ConfigError(
            f'config {where}, source {source.id!r}: field "full_text_selector": not a valid '
            f"CSS selector, got {selector!r}"
        ) from None


def require_extractor(sources: Iterable[Source]) -> None:
    """Fail at start-up, in one line naming the extra, when a source needs readability."""
    for source in sources:
        if wanted(source) and not source.options.get("full_text_selector"):
            require(
                "readability",
                extra="fulltext",
                needed_for=f"source {source.id!r}: full_text = true",
            )
            return


def extract(html: str, url: str, selector: str | None = None) -> tuple[str, str]:
    """The article's plain text and the method that found it (``selector`` or
    ``readability``); ``ExtractError`` when there is none."""
    if len(html) > MAX_PAGE_CHARS:
        raise ExtractError(f"page too large to extract ({len(html)} characters)")
    if selector:
        from bs4 import BeautifulSoup

        soup = BeautifulSoup(html, "lxml")
        found = soup.select(selector)
        if not found:
            raise ExtractError(f"full_text_selector {selector!r} matches nothing")
        text = "\n\n".join(html_to_text(str(node)) for node in found)
        method = "selector"
    else:
        readability = require("readability", extra="fulltext", needed_for="full_text = true")
        try:
            summary = readability.Document(html, url=url).summary(html_partial=True)
        except Exception as exc:  # readability raises Unparseable and lxml's errors
            raise ExtractError(f"readability: {type(exc).__name__}: {exc}") from exc
        text = html_to_text(summary)
        method = "readability"
    text = text.strip()
    if not text:
        raise ExtractError("no article text on the page")
    return text, method


@dataclass
class FullText:
    """The full-text step of one pipeline: ``fetch_link`` fetches a page for a
    source (same site, gate, robots), ``known`` is the identity layer's verdict."""

    fetch_link: FetchLink
    known: Known

    def apply(
        self, item: Item, source: Source, base: str, result: PollResult
    ) -> tuple[Item, Verdict | None]:
        """The item with its article text; or, for an item the identity layer
        already knows, the item as it is with the verdict that rejects it."""
        verdict = self.known(item)
        if verdict is not None:
            return item, verdict
        return self._one(item, source, base, result), None

    def _one(self, item: Item, source: Source, base: str, result: PollResult) -> Item:
        if not item.url:
            return self._failed(item, source, result, "the item has no link to fetch")
        try:
            page = self.fetch_link(source, item.url, base)
        except FetchError as exc:
            return self._failed(item, source, result, f"fetch failed ({exc.category}): {exc}")
        if page is None:
            return self._failed(item, source, result, f"{item.url}: not followed (off-site)")
        selector = source.options.get("full_text_selector") or None
        try:
            text, method = extract(page.text(), page.url, selector)
        except ExtractError as exc:
            return self._failed(item, source, result, f"{page.url}: {exc}")
        excerpt = word_count(item.text)
        if word_count(text) < excerpt:
            return self._failed(
                item,
                source,
                result,
                f"{page.url}: the extracted text ({word_count(text)} words) is shorter than "
                f"the feed's excerpt ({excerpt} words)",
            )
        info: Mapping[str, Any] = {
            "url": page.url,
            "method": method,
            "excerpt_words": excerpt,
        }
        return replace(item, text=text, html=None, extra={**item.extra, "full_text": info})

    def _failed(self, item: Item, source: Source, result: PollResult, why: str) -> Item:
        result.item_errors[ERROR_CLASS] = result.item_errors.get(ERROR_CLASS, 0) + 1
        log.warning("source %s: item %s keeps its excerpt: %s", source.id, item.key, why)
        return item


def identity_check(store: Store) -> Known:
    """The identity layer alone (key, source + guid, canonical URL): a known
    item is rejected as ``identity`` whatever its text, since the corpus holds
    the extracted article and the feed still sends the excerpt."""
    from seedwatch.state.dedup.features import Candidate
    from seedwatch.state.dedup.layers import identity

    def known(item: Item) -> Verdict | None:
        cand = Candidate(item, store.dedup_layout(), store.dedup.paragraph_min_words)
        with store.engine.connect() as conn:
            found = identity(conn, cand, store.dedup)
        if found.verdict is None:
            return None
        return Verdict(
            False,
            "identity",
            f"known item (full-text source, page not fetched again): {found.note}",
            found.verdict.matched,
        )

    return known
