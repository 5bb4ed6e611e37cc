"""The parser contract check: what every seedwatch parser must do, checked on real input.

``check_parser(parser, [your sample documents])`` runs the parser the way the
daemon does and collects every breach of the rules in DESIGN.md and
docs/plugins.md before failing once, with one line per problem:

- ``sniff`` answers a number in [0, 1]: above 0 for the author's own samples,
  exactly 0 for the built-in formats' samples and for empty or garbage input;
- ``parse`` yields valid ``Item`` objects: non-empty key and text, the
  parser's own name in ``parser``, timezone-aware dates, keys unique within a
  document and a ``url`` no other item of the document shares (it is the
  item's own permalink);
- a second parse of the same document, fetched later, gives the same keys and
  texts (keys are stable across fetches);
- ``next_pages`` and ``live_pages`` give absolute URLs;
- no network I/O in ``sniff``, ``parse``, ``next_pages`` or ``live_pages``
  (enforced: see ``seedwatch.testing.network``);
- ``parse`` raises ``ParseError``, and nothing else, on empty and garbage input.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document, Item
from seedwatch.testing.documents import document_from_file, make_document
from seedwatch.testing.network import no_network
from seedwatch.testing.samples import builtin_samples

T = TypeVar("T")

# Binary noise no format reads: every byte value, NULs included, repeated.
GARBAGE = bytes(range(256)) * 16

DocumentLike = Document | bytes | str | Path


class ContractError(AssertionError):
    """A parser broke the contract; ``problems`` lists each breach, one line each.

    An ``AssertionError``, so pytest reports it as a test failure with the message.
    """

    def __init__(self, parser: str, problems: list[str]) -> None:
        self.parser = parser
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(
            f"parser {parser!r} breaks the seedwatch parser contract "
            f"({len(problems)} problem{'s' if len(problems) != 1 else ''}):\n{lines}"
        )


@dataclass
class ContractReport:
    """What a passing check saw: the items of each of the author's documents, by name."""

    parser: str
    items: dict[str, list[Item]] = field(default_factory=dict)
    foreign_checked: list[str] = field(default_factory=list)


class _Checker:
    def __init__(self, parser: Parser) -> None:
        self.parser = parser
        self.problems: list[str] = []

    def call(self, what: str, fn: Callable[[], T]) -> tuple[bool, T | None]:
        """Run ``fn`` with the network blocked; a raise or an attempt is a problem."""
        with no_network() as attempts:
            try:
                value = fn()
            except Exception as exc:
                if not attempts:
                    self.problems.append(f"{what}: raised {type(exc).__name__}: {exc}")
                ok, value = False, None
            else:
                ok = True
        for attempt in attempts:
            self.problems.append(f"{what}: tried network I/O: {attempt} (parsers never do I/O)")
        return ok and not attempts, value

    def sniff(self, name: str, document: Document) -> float | None:
        ok, score = self.call(f"sniff({name})", lambda: self.parser.sniff(document))
        if not ok:
            return None
        if isinstance(score, bool) or not isinstance(score, int | float) or math.isnan(score):
            self.problems.append(f"sniff({name}): returned {score!r}; expected a number in [0, 1]")
            return None
        if not 0 <= score <= 1:
            self.problems.append(f"sniff({name}): returned {score}; expected a number in [0, 1]")
        return float(score)

    def parse(self, name: str, document: Document) -> list[Item] | None:
        ok, items = self.call(f"parse({name})", lambda: list(self.parser.parse(document)))
        if not ok or items is None:
            return None
        valid: list[Item] = []
        for n, item in enumerate(items, 1):
            problem = _item_problem(item, self.parser.name)
            if problem:
                self.problems.append(f"parse({name}): item {n}: {problem}")
            else:
                valid.append(item)
        for key, count in Counter(i.key for i in valid).items():
            if count > 1:
                self.problems.append(f"parse({name}): {count} items share the key {key!r}")
        for url, count in Counter(i.url for i in valid if i.url).items():
            if count > 1:
                self.problems.append(
                    f"parse({name}): {count} items share the url {url!r}; url is the item's "
                    f"own permalink: leave it None rather than repeat the page's URL"
                )
        return valid if len(valid) == len(items) else None

    def links(self, method: str, name: str, fn: Callable[[], Iterable[str]]) -> None:
        ok, urls = self.call(f"{method}({name})", lambda: list(fn()))
        if not ok or urls is None:
            return
        for url in urls:
            parts = urlsplit(url) if isinstance(url, str) else None
            # file:// is absolute too: links in a local file resolve against its file URL
            if parts is None or not parts.scheme or (parts.scheme != "file" and not parts.netloc):
                self.problems.append(
                    f"{method}({name}): {url!r} is not an absolute URL "
                    f"(resolve links against document.url)"
                )

    def garbage(self, name: str, content: bytes) -> None:
        document = make_document(content, url=f"file:///seedwatch-contract/{name}")
        score = self.sniff(name, document)
        if score:
            self.problems.append(f"sniff({name}): returned {score}; expected 0 for {name} input")
        with no_network() as attempts:
            try:
                count = len(list(self.parser.parse(document)))
            except ParseError:
                pass
            except Exception as exc:
                self.problems.append(
                    f"parse({name}): raised {type(exc).__name__}: {exc}; "
                    f"raise ParseError (seedwatch.ParseError) for input you cannot read"
                )
            else:
                self.problems.append(
                    f"parse({name}): yielded {count} item(s) without error; "
                    f"raise ParseError for input you cannot read"
                )
        for attempt in attempts:
            self.problems.append(f"parse({name}): tried network I/O: {attempt}")


def _item_problem(item: Any, parser_name: str) -> str | None:
    if not isinstance(item, Item):
        return f"{item!r} is a {type(item).__name__}, not a seedwatch.Item"
    if not item.key.strip():
        return "empty key"
    if not item.text.strip():
        return f"key {item.key!r}: empty text"
    if item.parser != parser_name:
        return f"key {item.key!r}: parser is {item.parser!r}, expected {parser_name!r}"
    for name in ("published", "updated"):
        value = getattr(item, name)
        if value is not None and value.utcoffset() is None:
            return f"key {item.key!r}: {name} {value.isoformat()} has no time zone"
    return None


def _named(documents: Iterable[DocumentLike]) -> dict[str, Document]:
    named: dict[str, Document] = {}
    for n, entry in enumerate(documents, 1):
        if isinstance(entry, Document):
            document = entry
            name = Path(urlsplit(entry.url).path).name or f"document {n}"
        elif isinstance(entry, bytes):
            document, name = make_document(entry), f"document {n}"
        else:
            document, name = document_from_file(entry), Path(entry).name
        if name in named:
            name = f"{name} ({n})"
        named[name] = document
    return named


def check_parser(
    parser: Parser,
    documents: Iterable[DocumentLike],
    *,
    foreign: Mapping[str, Document] | None = None,
    skip_foreign: Iterable[str] = (),
    min_items: int = 1,
) -> ContractReport:
    """Check ``parser`` against the contract; raise ``ContractError`` listing every problem.

    :param documents: the author's own sample documents (``Document`` objects,
        bytes, or file paths), each of which the parser must claim and parse into
        at least ``min_items`` items.
    :param foreign: documents the parser must not claim; default: the built-in
        formats' samples (``seedwatch.testing.samples``).
    :param skip_foreign: sample or parser names to leave out of the default
        samples, for a parser that replaces a built-in one.
    :returns: a ``ContractReport`` with the items of each document, for further asserts.
    """
    checker = _Checker(parser)
    if not isinstance(parser, Parser):
        raise ContractError(repr(parser), [f"{parser!r} is not a seedwatch.Parser"])
    if not isinstance(parser.name, str) or not parser.name:
        raise ContractError(repr(parser), [f"{type(parser).__name__} has no name"])
    own = _named(documents)
    if not own:
        raise ValueError("check_parser needs at least one sample document of the parser's format")
    report = ContractReport(parser=parser.name)
    for name, document in own.items():
        score = checker.sniff(name, document)
        if score == 0:
            checker.problems.append(f"sniff({name}): returned 0 for the parser's own sample")
        first = checker.parse(name, document)
        if first is None:
            continue
        if len(first) < min_items:
            checker.problems.append(
                f"parse({name}): yielded {len(first)} item(s), expected at least {min_items}"
            )
        later = replace(document, fetched=document.fetched + timedelta(days=1))
        second = checker.parse(f"{name}, parsed again", later)
        if second is not None:
            if [i.key for i in second] != [i.key for i in first]:
                checker.problems.append(
                    f"parse({name}): a second parse gave other keys: "
                    f"{[i.key for i in first][:5]} then {[i.key for i in second][:5]}; "
                    f"keys must be stable across fetches (not from the fetch time or a counter)"
                )
            else:
                for a, b in zip(first, second, strict=True):
                    if a.text != b.text:
                        checker.problems.append(
                            f"parse({name}): a second parse gave another text for key {a.key!r}"
                        )
                        break
        checker.links("next_pages", name, partial(parser.next_pages, document))
        checker.links("live_pages", name, partial(parser.live_pages, document))
        report.items[name] = first
    others = builtin_samples(skip=set(skip_foreign)) if foreign is None else dict(foreign)
    for name, document in others.items():
        score = checker.sniff(name, document)
        if score:
            checker.problems.append(
                f"sniff({name}): returned {score} for a document of another format "
                f"(a built-in sample); expected 0"
            )
        report.foreign_checked.append(name)
    checker.garbage("empty", b"")
    checker.garbage("garbage", GARBAGE)
    if checker.problems:
        raise ContractError(parser.name, checker.problems)
    return report
