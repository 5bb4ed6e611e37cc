"""Benchmark: the forum parsers against BeautifulSoup's plain ``get_text()``.

For each engine, the same pages (the repository's forum test pages: the real
ones in ``tests/data/forum/<engine>/``, the hand-made ones in
``tests/data/forum/handmade/``, and seed ``002_*`` for ``forum-text``) are read
from bytes, in one run, by two contestants:

- ``seedwatch``: the engine's parser, full Items (posts with authors, dates,
  quotes taken out, text rendered);
- ``bs4 get_text``: ``BeautifulSoup(page, "lxml").get_text()``, the whole
  page's text with no structure at all (the cheapest "scrape").

Each contestant parses the engine's pages ``--repeat`` times per pass; the
fastest of ``--rounds`` passes counts. It prints pages/s and posts/s per engine
and the ratio of ours to the baseline (above 1: ours is faster).

    .venv/bin/python bench/parse_forums.py [--rounds N] [--repeat N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bs4 import BeautifulSoup

from seedwatch.models import Document
from seedwatch.plugins.manager import build_registry

REPO = Path(__file__).resolve().parent.parent
FORUM = REPO / "tests" / "data" / "forum"
SEEDS = REPO / "tests" / "data" / "seeds"

# parser name -> its pages (paths relative to tests/data/forum, or a seed prefix)
PAGES = {
    "xenforo": [
        "xenforo1/sufficientvelocity_renascence_page54.html",
        "xenforo2/xenforo_community_dark_theme_option.html",
    ],
    "vbulletin": [
        "vbulletin3/animesuki_hibike_euphonium_page152.html",
        "vbulletin3/vozforums_vi_page1of3.html",
        "vbulletin4/militarytimes_bob_dorr_dies.html",
        "vbulletin5/fandompost_isekai_quartet_page1.html",
    ],
    "phpbb": [
        "phpbb3/ilovephilosophy_biological_will.html",
        "handmade/phpbb33_prosilver_topic.html",
        "handmade/phpbb30_subsilver2_topic.html",
    ],
    "mybb": ["mybb/showthread-tid1-page1.html", "mybb/showthread-tid1-page2.html"],
    "discourse": [
        "discourse/posts_json_topic2144_from_post5.json",
        "handmade/discourse_topic_2144_crawler_view.html",
    ],
    "smf": ["handmade/smf21_topic.html", "handmade/smf20_topic.html"],
    "invision": ["handmade/invision4_topic.html"],
    "forum-text": ["seed:002"],
}


@dataclass
class Row:
    engine: str
    pages: int
    posts: int
    kilobytes: float
    ours: float = float("inf")  # seconds for one pass
    baseline: float = float("inf")


def load(name: str) -> Document:
    if name.startswith("seed:"):
        path = next(SEEDS.glob(f"{name.removeprefix('seed:')}_*.txt"))
        media = "text/plain"
    else:
        path = FORUM / name
        media = "application/json" if path.suffix == ".json" else "text/html"
    return Document(
        url=path.as_uri(),
        content=path.read_bytes(),
        fetched=datetime(2026, 1, 1, tzinfo=UTC),
        media_type=media,
    )


def timed(fn: Callable[[], object], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        fn()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    ap.add_argument("--rounds", type=int, default=3, help="passes; the fastest counts")
    ap.add_argument("--repeat", type=int, default=10, help="times each page is parsed per pass")
    args = ap.parse_args(argv)
    registry = build_registry(load_external=False)
    rows = []
    for engine, names in PAGES.items():
        parser = registry.parsers[engine]
        documents = [load(name) for name in names]
        posts = sum(len(list(parser.parse(d))) for d in documents)
        size = sum(len(d.content) for d in documents) / 1000
        row = Row(engine, len(documents), posts, size)

        def ours() -> None:
            for d in documents:  # noqa: B023  (called within this iteration only)
                list(parser.parse(d))  # noqa: B023

        def baseline() -> None:
            for d in documents:  # noqa: B023
                BeautifulSoup(d.content, "lxml").get_text()

        for _ in range(args.rounds):
            row.ours = min(row.ours, timed(ours, args.repeat) / args.repeat)
            row.baseline = min(row.baseline, timed(baseline, args.repeat) / args.repeat)
        rows.append(row)
    print(table(rows))
    return 0


def table(rows: list[Row]) -> str:
    head = (
        f"{'engine':<11}{'pages':>6}{'posts':>6}{'KB':>7} | {'ours pages/s':>13}"
        f"{'posts/s':>9} | {'bs4 pages/s':>12}{'posts/s':>9} | {'ours/bs4':>9}"
    )
    lines = [head, "-" * len(head)]
    total = Row("all", 0, 0, 0.0, 0.0, 0.0)
    for r in rows:
        lines.append(
            f"{r.engine:<11}{r.pages:>6}{r.posts:>6}{r.kilobytes:>7.0f} | "
            f"{r.pages / r.ours:>13.1f}{r.posts / r.ours:>9.0f} | "
            f"{r.pages / r.baseline:>12.1f}{r.posts / r.baseline:>9.0f} | "
            f"{r.baseline / r.ours:>8.2f}x"
        )
        total.pages += r.pages
        total.posts += r.posts
        total.kilobytes += r.kilobytes
        total.ours += r.ours
        total.baseline += r.baseline
    lines.append("-" * len(head))
    lines.append(
        f"{'all':<11}{total.pages:>6}{total.posts:>6}{total.kilobytes:>7.0f} | "
        f"{total.pages / total.ours:>13.1f}{total.posts / total.ours:>9.0f} | "
        f"{total.pages / total.baseline:>12.1f}{total.posts / total.baseline:>9.0f} | "
        f"{total.baseline / total.ours:>8.2f}x"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
