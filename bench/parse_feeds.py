"""Benchmark: our ``rss`` parser against feedparser (defaults) and bare lxml.

Parses every file of a folder of real feeds from bytes (no network), in one
run, with these contestants:

- ``seedwatch rss``: the built-in parser, full Items with their plain text;
- ``feedparser defaults``: ``feedparser.parse`` with its default sanitizer
  and relative-URI rewriting, entries only (no text made);
- ``feedparser unsanitized``: ``feedparser.parse`` with both off, as the
  ``rss`` parser configures it (but with Python's unbuffered expat reader),
  entries only: the share of our time that is feedparser's;
- ``lxml + body text``: bare lxml, and each item's longest body (RSS
  description or content:encoded, Atom content or summary) parsed by lxml's
  HTML parser and its text joined: the least work that gives items a text;
- ``bare lxml``: ``lxml.etree`` extracting only id, link and title per item.

It prints feeds/s and items/s of each and the ratio of ours to each
baseline. Data: ``--data DIR``, a folder of real feeds (default
``../shared/bench/feeds-200`` beside the repository: 200 real feeds, 44 MB,
from kagisearch/fastfeedparser's ``benchmark_data/``; not copied here).

    .venv/bin/python bench/parse_feeds.py [--data DIR] [--rounds N] [--profile N]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import logging
import os
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
from lxml import etree

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.models import Document
from seedwatch.plugins.manager import build_registry

REPO = Path(__file__).resolve().parent.parent
# ``shared/bench/feeds-200`` beside the repository (or beside a parent of it:
# a git worktree lives further down), else where SEEDWATCH_BENCH_FEEDS says.
DEFAULT_DATA = next(
    (
        p / "shared" / "bench" / "feeds-200"
        for p in REPO.parents
        if (p / "shared" / "bench" / "feeds-200").is_dir()
    ),
    Path(os.environ.get("SEEDWATCH_BENCH_FEEDS", REPO.parent / "shared" / "bench" / "feeds-200")),
)
ATOM = "{http://www.w3.org/2005/Atom}"


@dataclass
class Result:
    name: str
    feeds: int = 0
    items: int = 0
    failed: int = 0
    seconds: float = float("inf")

    @property
    def feeds_per_s(self) -> float:
        return self.feeds / self.seconds

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds


def load(folder: Path) -> list[tuple[str, bytes]]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith("."))
    return [(p.name, p.read_bytes()) for p in files]


def ours(parser: Parser) -> Callable[[str, bytes], int]:
    fetched = datetime.now(UTC)

    def run(name: str, data: bytes) -> int:
        document = Document(url=f"https://bench.invalid/{name}", content=data, fetched=fetched)
        return sum(1 for _ in parser.parse(document))

    return run


def feedparser_defaults(name: str, data: bytes) -> int:
    return len(feedparser.parse(io.BytesIO(data))["entries"])


def feedparser_unsanitized(name: str, data: bytes) -> int:
    """feedparser as we configure it, alone: how much of our time is feedparser's."""
    parsed = feedparser.parse(io.BytesIO(data), sanitize_html=False, resolve_relative_uris=False)
    return len(parsed["entries"])


_LXML = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=True)


def bare_lxml(name: str, data: bytes) -> int:
    """id, link and title of each RSS item / Atom entry, nothing else."""
    root = etree.fromstring(data.lstrip(), _LXML)
    if root is None:
        return 0
    count = 0
    for el in root.iter("item", "{*}item", f"{ATOM}entry"):
        if el.tag == f"{ATOM}entry":
            ident = el.findtext(f"{ATOM}id")
            link_el = el.find(f"{ATOM}link")
            link = link_el.get("href") if link_el is not None else None
            title = el.findtext(f"{ATOM}title")
        else:
            ident = el.findtext("{*}guid") or el.get(
                "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
            )
            link = el.findtext("{*}link")
            title = el.findtext("{*}title")
        if ident is not None or link is not None or title is not None:
            count += 1
    return count


_HTML = etree.HTMLParser()
_BODIES = (
    "{*}description",
    "{http://purl.org/rss/1.0/modules/content/}encoded",
    f"{ATOM}content",
    f"{ATOM}summary",
)


def lxml_with_text(name: str, data: bytes) -> int:
    """bare lxml, and the text of each item's longest body from lxml's HTML parser."""
    root = etree.fromstring(data.lstrip(), _LXML)
    if root is None:
        return 0
    count = 0
    for el in root.iter("item", "{*}item", f"{ATOM}entry"):
        bodies = [b.text for b in el.iterchildren(*_BODIES) if b.text and b.text.strip()]
        text = ""
        if bodies:
            page = etree.fromstring(f"<html><body>{max(bodies, key=len)}</body></html>", _HTML)
            text = "".join(page.itertext()) if page is not None else ""
        if text or el.findtext("{*}title") or el.findtext(f"{ATOM}title"):
            count += 1
    return count


def measure(
    name: str, fn: Callable[[str, bytes], int], corpus: list[tuple[str, bytes]], result: Result
) -> None:
    """One pass over the corpus; keeps the fastest pass in ``result``."""
    items = failed = 0
    start = time.perf_counter()
    for file_name, data in corpus:
        try:
            items += fn(file_name, data)
        except ParseError:
            failed += 1
        except Exception:  # a baseline choking on a feed counts as failed
            failed += 1
    elapsed = time.perf_counter() - start
    if elapsed < result.seconds:
        result.feeds, result.items, result.failed, result.seconds = (
            len(corpus),
            items,
            failed,
            elapsed,
        )


def table(results: list[Result]) -> str:
    lines = [
        f"{'parser':<24} {'feeds':>6} {'items':>7} {'failed':>6} {'seconds':>8} "
        f"{'feeds/s':>9} {'items/s':>9}"
    ]
    for r in results:
        lines.append(
            f"{r.name:<24} {r.feeds:>6} {r.items:>7} {r.failed:>6} {r.seconds:>8.2f} "
            f"{r.feeds_per_s:>9.1f} {r.items_per_s:>9.0f}"
        )
    mine = results[0]
    lines.append("")
    for other in results[1:]:
        lines.append(
            f"{mine.name} / {other.name}: {mine.feeds_per_s / other.feeds_per_s:.2f}x feeds/s"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of feed files")
    ap.add_argument("--rounds", type=int, default=1, help="passes per parser; the fastest counts")
    ap.add_argument(
        "--profile", type=int, metavar="N", default=0, help="profile our parser, print top N"
    )
    args = ap.parse_args(argv)
    # One "malformed feed" warning per broken real feed would bury the table.
    logging.basicConfig(level=logging.ERROR)
    if not args.data.is_dir():
        print(
            f"benchmark data not found: {args.data} (expected the 200 feeds of "
            f"shared/bench/feeds-200 beside the repository; pass --data DIR)",
            file=sys.stderr,
        )
        return 2
    corpus = load(args.data)
    if not corpus:
        print(f"no files in {args.data}", file=sys.stderr)
        return 2
    parser = build_registry(load_external=False).parsers["rss"]
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(measure, "ours", ours(parser), corpus, Result("ours"))
        pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        return 0
    contestants = [
        ("seedwatch rss", ours(parser)),
        ("feedparser defaults", feedparser_defaults),
        ("feedparser unsanitized", feedparser_unsanitized),
        ("lxml + body text", lxml_with_text),
        ("bare lxml", bare_lxml),
    ]
    results = [Result(name) for name, _ in contestants]
    size = sum(len(data) for _, data in corpus) / 1e6
    print(f"{len(corpus)} feeds, {size:.1f} MB, from {args.data}; {args.rounds} round(s)")
    for _ in range(args.rounds):
        for (name, fn), result in zip(contestants, results, strict=True):
            measure(name, fn, corpus, result)
    print(table(results))
    mine, with_text, lxml = results[0], results[-2], results[-1]
    print(
        f"summary\tparse_feeds\t{mine.feeds_per_s:.0f} feeds/s\t"
        f"{mine.feeds_per_s / lxml.feeds_per_s:.2f}x bare lxml "
        f"({mine.feeds_per_s / with_text.feeds_per_s:.2f}x lxml + body text)\ttarget >= 0.5x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
