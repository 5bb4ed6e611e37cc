"""Property-based fuzzing of the built-in parsers: mutations of real documents, and
the invariant every parser must keep on them.

The seed documents are the real ones in tests/data (feeds, forum pages,
FreshRSS pages and API answers, front-matter posts, the corpus seeds), grouped
by the parser that claims them. A hypothesis strategy picks one and applies a
few mutations of the kinds hostile servers send: byte flips, truncation,
repeated or deleted spans, deep nesting, a swapped encoding, huge attributes
and numbers, NUL and control characters, bidi overrides, impossible dates and
hostile links.

The invariant (``check``): ``sniff`` answers a number in [0, 1]; ``parse``
yields valid Items or raises ``ParseError``; ``next_pages`` and ``live_pages``
give absolute URL strings or raise ``ParseError``; nothing else is raised, and
each document takes a bounded time and memory.
"""

from __future__ import annotations

import json
import math
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hypothesis import strategies as st

from seedwatch.contracts import Parser
from seedwatch.errors import ItemValidationError, NoParserError, ParseError
from seedwatch.models import Document, Item, clean_item
from seedwatch.plugins.builtin.forums import dates
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

DATA = Path(__file__).parent / "data"
# Files in tests/data that are not documents a parser reads.
_NOT_DOCUMENTS = {".toml", ".tsv"}
_FETCHED = datetime(2026, 11, 21, tzinfo=UTC)

# Bounds per document. Generous on purpose (a loaded 2-core CI machine): they
# catch runaways (a loop over a claimed page count, quadratic scanning, a
# document inflated into gigabytes), not slowness.
SECONDS_PER_DOCUMENT = 10.0
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MEMORY_GROWTH_BYTES = 1024 * 1024 * 1024


@dataclass(frozen=True)
class Seed:
    name: str
    document: Document


@cache
def registry() -> Registry:
    # dateparser builds its tables for each language the first time it tries it
    # (seconds on a loaded machine, for a text no language reads): once per
    # process, so paid here, not by the first document with such a date.
    dates.from_text("no date in any language")
    return build_registry(load_external=False)


@cache
def seeds_by_parser() -> dict[str, tuple[Seed, ...]]:
    """Every document in tests/data, under the name of the parser that claims it."""
    found: dict[str, list[Seed]] = {}
    for path in sorted(DATA.rglob("*")):
        if not path.is_file() or path.suffix in _NOT_DOCUMENTS or path.name == "README.md":
            continue
        document = Document(
            url=f"https://example.org/{path.relative_to(DATA).as_posix()}",
            content=path.read_bytes(),
            fetched=_FETCHED,
            media_type=_media_type(path),
        )
        try:
            parser = registry().sniff(document)
        except NoParserError:
            continue
        found.setdefault(parser.name, []).append(Seed(path.name, document))
    return {name: tuple(seeds) for name, seeds in found.items()}


def _media_type(path: Path) -> str | None:
    return {
        ".json": "application/json",
        ".xml": "application/xml",
        ".rss": "application/rss+xml",
        ".html": "text/html",
        ".md": "text/markdown",
        ".markdown": "text/markdown",
        ".txt": "text/plain",
    }.get(path.suffix)


# --- mutations ---------------------------------------------------------------

Mutation = Callable[[bytes], bytes]

_CONTROL = [b"\x00", b"\x1b[2J\x1b[31m", b"\x07", b"\x0b", b"\x0c", b"\r", b"\x7f", b"\x85"]
_BIDI = ["\u202e", "\u202d", "\u2066", "\u2067", "\u2068", "\u2069", "\u200f", "\ufeff"]
_MARKUP = [
    b"<script>alert(1)</script>",
    b'"><img src=x onerror=alert(1)>',
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"&#0;",
    b"&#xD800;",
    b"&#99999999999;",
    b"&nosuchentity;",
    b"<",
    b">",
    b"&",
    b'"',
    b"\xed\xa0\x80",  # a lone surrogate, as UTF-8 would encode it
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>&e;',
    b"---\n",
    b"+++\n",
    b"\xc2\xa0\n",
    b"{",
    b"}",
    b"[",
    b"]",
    b"null",
    b'"\\ud800"',
]
_LINKS = [
    "http://[",
    "http://[::1",
    "https://[zz]/x",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "data:text/html,<script>alert(1)</script>",
    "ftp://example.org/x",
    "gopher://example.org/x",
    "//evil.example/x",
    "http://a:b@[::1]:99999/",
    "http://example.org:99999999999/",
    "?page=99999999999999999999",
    "page-99999999999999999999",
    "https://example.org/" + "a" * 5000,
    "\x00",
    "",
]
_NUMBERS = ["0", "-1", "9" * 30, "9" * 5000, "1e999", "NaN", "-0", "１２３"]
_DATES = [
    "2024-13-45",
    "2024-02-30T25:61:61Z",
    "0000-00-00 00:00:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59-14:00",
    "99999-01-01",
    "Mon, 32 Foo 2024 99:99:99 +9999",
    "1e999",
    "-62135596800",
    "99999999999999999999",
]
_ENCODINGS = ["utf-16", "utf-16-be", "utf-32", "latin-1", "cp1251", "shift_jis", "utf-7"]
_CHARSET_NAMES = [b"utf-16", b"iso-8859-1", b"windows-1251", b"bogus-charset", b"utf-7", b""]


def _at(data: bytes, pos: int) -> int:
    return pos % (len(data) + 1)


def _flip(pos: int, mask: int) -> Mutation:
    def apply(data: bytes) -> bytes:
        if not data:
            return data
        i = pos % len(data)
        return data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :]

    return apply


def _truncate(pos: int) -> Mutation:
    return lambda data: data[: _at(data, pos)]


def _delete(pos: int, length: int) -> Mutation:
    def apply(data: bytes) -> bytes:
        i = _at(data, pos)
        return data[:i] + data[i + length :]

    return apply


def _times(unit: bytes, times: int) -> bytes:
    """``unit * times``, but no longer than a document can be: a 2 MB element
    nested 200,000 times would otherwise need 400 GB before the cut."""
    return unit * min(times, MAX_DOCUMENT_BYTES // max(len(unit), 1) + 1)


def _repeat(pos: int, length: int, times: int) -> Mutation:
    def apply(data: bytes) -> bytes:
        i = _at(data, pos)
        span = data[i : i + length]
        return data[:i] + _times(span, times) + data[i:]

    return apply


def _insert(pos: int, token: bytes, times: int = 1) -> Mutation:
    def apply(data: bytes) -> bytes:
        i = _at(data, pos)
        return data[:i] + _times(token, times) + data[i:]

    return apply


def _element(data: bytes, pos: int) -> tuple[int, int] | None:
    """The span of an opening tag or JSON container start at or after ``pos``."""
    for opener in (b"<", b"{", b"["):
        start = data.find(opener, pos % (len(data) or 1))
        if start < 0:
            start = data.find(opener)
        if start < 0:
            continue
        if opener == b"<":
            end = data.find(b">", start)
            if end > start and data[start + 1 : start + 2] not in (b"/", b"!", b"?"):
                return start, end + 1
        else:
            return start, start + 1
    return None


def _nest(pos: int, depth: int) -> Mutation:
    """An opening tag (or a JSON bracket) repeated ``depth`` times: deep nesting."""

    def apply(data: bytes) -> bytes:
        span = _element(data, pos)
        if span is None:
            return b"[" * depth + data + b"]" * depth
        start, end = span
        opener = data[start:end]
        if opener in (b"{", b"["):
            # a JSON value wrapped in ``depth`` arrays, where a value may stand
            return data[:start] + b"[" * depth + data[start:] + b"]" * depth
        return data[:start] + _times(opener, depth) + data[start:]

    return apply


def _huge_attribute(pos: int, size: int, byte: int) -> Mutation:
    def apply(data: bytes) -> bytes:
        span = _element(data, pos)
        value = bytes([byte]) * size
        if span is None or data[span[0] : span[0] + 1] != b"<":
            return _insert(pos, value)(data)
        end = span[1] - 1
        return data[:end] + b' data-x="' + value + b'"' + data[end:]

    return apply


def _reencode(encoding: str) -> Mutation:
    def apply(data: bytes) -> bytes:
        text = data.decode("utf-8", errors="replace")
        return text.encode(encoding, errors="replace")

    return apply


def _declared_charset(name: bytes) -> Mutation:
    """Change what the document says its encoding is, not the bytes."""

    def apply(data: bytes) -> bytes:
        for marker in (b'encoding="', b"charset=", b'charset="'):
            i = data.lower().find(marker)
            if i >= 0:
                j = i + len(marker)
                k = j
                while k < len(data) and data[k : k + 1] not in (b'"', b"'", b">", b" ", b";"):
                    k += 1
                return data[:j] + name + data[k:]
        return b'<?xml version="1.0" encoding="' + name + b'"?>' + data

    return apply


def _replace_values(pattern: bytes, values: list[str], index: int) -> Mutation:
    """Replace the value after each ``pattern`` (an attribute or a JSON key) with a
    hostile one: links, numbers, dates."""

    def apply(data: bytes) -> bytes:
        out, start = [], 0
        n = index
        while True:
            i = data.find(pattern, start)
            if i < 0:
                break
            j = i + len(pattern)
            quote = data[j : j + 1]
            if quote not in (b'"', b"'"):
                start = j
                continue
            k = data.find(quote, j + 1)
            if k < 0:
                break
            value = values[n % len(values)].encode("utf-8", errors="surrogatepass")
            out.append(data[start : j + 1] + value)
            start = k
            n += 1
        out.append(data[start:])
        return b"".join(out)

    return apply


def _replace_digits(index: int) -> Mutation:
    """Every run of digits after the ``index``-th replaced by a huge or odd number."""

    def apply(data: bytes) -> bytes:
        out, run, count = bytearray(), bytearray(), 0
        value = _NUMBERS[index % len(_NUMBERS)].encode()
        for b in data:
            if 0x30 <= b <= 0x39:
                run.append(b)
                continue
            if run:
                count += 1
                out += value if count > index % 7 and count % 3 == 0 else run
                run.clear()
            out.append(b)
        out += run
        return bytes(out)

    return apply


def _text(value: str) -> bytes:
    return value.encode("utf-8", errors="surrogatepass")


_SIZES = [1_000, 100_000, 2_000_000]
positions = st.integers(min_value=0, max_value=2**20)
mutations: st.SearchStrategy[Mutation] = st.one_of(
    st.builds(_flip, positions, st.integers(1, 255)),
    st.builds(_truncate, positions),
    st.builds(_delete, positions, st.integers(1, 4096)),
    st.builds(_repeat, positions, st.integers(1, 2048), st.integers(2, 200)),
    st.builds(_nest, positions, st.sampled_from([2, 50, 1_000, 20_000, 200_000])),
    st.builds(
        _huge_attribute,
        positions,
        st.sampled_from([1_000, 100_000, 2_000_000]),
        st.integers(1, 255),
    ),
    st.builds(_insert, positions, st.sampled_from(_CONTROL), st.integers(1, 50)),
    st.builds(_insert, positions, st.sampled_from(_BIDI).map(_text), st.integers(1, 20)),
    st.builds(_insert, positions, st.sampled_from(_MARKUP), st.integers(1, 3)),
    st.builds(_insert, positions, st.text(min_size=1, max_size=40).map(_text)),
    st.builds(_reencode, st.sampled_from(_ENCODINGS)),
    st.builds(_declared_charset, st.sampled_from(_CHARSET_NAMES)),
    st.builds(
        _replace_values,
        st.sampled_from([b"href=", b"src=", b'"url":', b'"href":', b"action=", b'"next_url":']),
        st.just(_LINKS),
        st.integers(0, len(_LINKS)),
    ),
    st.builds(
        _replace_values,
        st.sampled_from(
            [b'datetime="', b'"created_at":', b'"published":', b"data-time=", b"date: ", b"title="]
        ),
        st.just(_DATES + _NUMBERS),
        st.integers(0, 20),
    ),
    st.builds(_replace_digits, st.integers(0, 50)),
)

_DOCUMENT_URLS = [
    None,  # keep the seed's own
    "http://[::1]:8080/t/x?page=2",
    "file:///tmp/x.html",
    "https://example.org/" + "%ff" * 200,
    "https://example.org/showthread.php?t=1&page=99999999999999999999",
]
_MEDIA_TYPES = [None, "text/html", "application/json", "application/xml", "text/plain", "x/y"]


@st.composite
def mutated(
    draw: st.DrawFn, own: tuple[Seed, ...], others: tuple[Seed, ...]
) -> tuple[str, Document]:
    """A seed document with one to four mutations, maybe under another URL,
    media type or declared charset. Mostly the parser's own format; one in five
    from another (``--parser NAME`` forces any parser on any document)."""
    seed = draw(st.sampled_from(own if draw(st.integers(0, 4)) else others))
    content = seed.document.content
    for mutation in draw(st.lists(mutations, min_size=1, max_size=4)):
        # no fetch hands a parser more than max_bytes (20 MiB by default)
        content = mutation(content)[:MAX_DOCUMENT_BYTES]
    document = replace(seed.document, content=content)
    url = draw(st.sampled_from(_DOCUMENT_URLS))
    if url is not None:
        document = replace(document, url=url)
    if draw(st.integers(0, 4)) == 0:
        document = replace(
            document,
            media_type=draw(st.sampled_from(_MEDIA_TYPES)),
            charset=draw(st.sampled_from([None, "utf-16", "bogus", "latin-1"])),
        )
    return seed.name, document


# --- the invariant -----------------------------------------------------------


class Finding(AssertionError):
    """A parser broke the invariant on a fuzzed document."""


def check(parser: Parser, document: Document) -> list[Item]:
    """Run ``parser`` on ``document`` as the daemon would; raise ``Finding`` on a breach."""
    # CPU time, not wall time: other processes on a busy machine do not count
    started = time.process_time()
    peak_before = _peak_rss()
    score = _call(parser, "sniff", lambda: parser.sniff(document))
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise Finding(f"sniff returned {score!r}")
    if math.isnan(score) or not 0 <= score <= 1:
        raise Finding(f"sniff returned {score}")
    items = _call(parser, "parse", lambda: list(parser.parse(document)), [])
    for item in items:
        _check_item(parser, item)
    for method in ("next_pages", "live_pages"):
        urls = _call(parser, method, lambda m=method: list(getattr(parser, m)(document)), [])
        for url in urls:
            _check_link(method, url)
    elapsed = time.process_time() - started
    if elapsed > SECONDS_PER_DOCUMENT:
        raise Finding(f"took {elapsed:.1f} s of CPU on a {len(document.content)}-byte document")
    # The process's peak, before and after: a parser that inflated one document
    # by more than the limit shows here (make fuzz also caps the address space,
    # so that a runaway is a MemoryError rather than a dead machine).
    grown = _peak_rss() - peak_before
    if grown > MEMORY_GROWTH_BYTES:
        raise Finding(f"the process grew by {grown >> 20} MiB on one document")
    return items


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _call(parser: Parser, method: str, fn: Callable[[], Any], on_parse_error: Any = 0.0) -> Any:
    try:
        return fn()
    except ParseError:
        if method == "sniff":
            raise Finding("sniff raised ParseError; it answers 0 for what it cannot read") from None
        return on_parse_error
    except Exception as exc:
        raise Finding(f"{parser.name}.{method} raised {type(exc).__name__}: {exc!s:.300}") from exc


def _check_item(parser: Parser, item: object) -> None:
    if not isinstance(item, Item):
        raise Finding(f"yielded a {type(item).__name__}, not an Item")
    if item.parser != parser.name:
        raise Finding(f"item {item.key!r} names parser {item.parser!r}")
    if not item.key.strip():
        raise Finding("an item with an empty key")
    if not item.text.strip():
        raise Finding(f"item {item.key!r} has an empty text")
    for name in ("published", "updated"):
        value = getattr(item, name)
        if value is not None and value.utcoffset() is None:
            raise Finding(f"item {item.key!r}: {name} has no time zone")
    try:
        cleaned, _ = clean_item(item)
    except ItemValidationError:
        return  # the pipeline drops such an item with a warning, its siblings stay
    try:  # what the state and the sinks store: it must serialise
        json.dumps(cleaned.to_json(), ensure_ascii=False).encode("utf-8")
    except (ValueError, TypeError, RecursionError) as exc:
        raise Finding(f"item {item.key!r} cannot be stored: {type(exc).__name__}: {exc}") from exc


def _check_link(method: str, url: object) -> None:
    if not isinstance(url, str):
        raise Finding(f"{method} gave {url!r}, not a string")
    parts = urlsplit(url)
    if not parts.scheme or (parts.scheme != "file" and not parts.netloc):
        raise Finding(f"{method} gave {url!r}, not an absolute URL")


def all_seeds() -> tuple[Seed, ...]:
    return tuple(seed for seeds in seeds_by_parser().values() for seed in seeds)
