"""Benchmark: article extraction for ``full_text`` sources, readability-lxml against trafilatura.

On the real article pages of tests/data/articles (expected first and last
paragraphs and chrome written by reading the pages, in expected.toml), each
extractor's HTML output goes through seedwatch's own ``html_to_text`` (what
the corpus would hold) and is scored:

- first / last: the first and last paragraphs are the article's;
- chrome: none of the page's navigation, byline or footer texts leaked in;
- whole: share of the article's paragraphs (the page's article body, taken
  by the selector in expected.toml) found intact as paragraphs of the output:
  an extractor that breaks a sentence at inline ``<code>`` loses here;
- time: median of ``--runs`` extractions, and its ratio to readability's.

trafilatura is not a dependency of seedwatch: ``pip install trafilatura`` to
include it.

    python bench/fulltext.py [--runs 7]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

from bs4 import BeautifulSoup

from seedwatch.text import html_to_text, paragraphs

ARTICLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "articles"


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def readability_html(html: str) -> str:
    from readability import Document

    return str(Document(html).summary(html_partial=True))


def trafilatura_html(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, output_format="html", include_tables=True) or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    expected = tomllib.loads((ARTICLES / "expected.toml").read_text())
    extractors: dict[str, Callable[[str], str]] = {"readability": readability_html}
    try:
        import trafilatura  # noqa: F401

        extractors["trafilatura"] = trafilatura_html
    except ImportError:
        print("trafilatura is not installed: measuring readability alone")
    print(f"{'page':<28} {'extractor':<12} first last chrome whole  median ms  ratio")
    for name, exp in sorted(expected.items()):
        html = (ARTICLES / exp["file"]).read_text(encoding="utf-8")
        body = BeautifulSoup(html, "lxml").select(exp["selector"])
        reference = {flat(p) for node in body for p in paragraphs(html_to_text(str(node)))}
        base: float | None = None
        for label, run in extractors.items():
            times = []
            for _ in range(args.runs):
                started = time.perf_counter()
                text = html_to_text(run(html))
                times.append(time.perf_counter() - started)
            paras = [flat(p) for p in paragraphs(text)]
            first = bool(paras) and paras[0] == flat(exp["first"])
            last = bool(paras) and paras[-1] == flat(exp["last"])
            chrome = sum(c in text for c in exp["not_in_article"])
            whole = len(reference & set(paras)) / len(reference)
            median = statistics.median(times)
            base = base or median
            print(
                f"{name:<28} {label:<12} {'yes' if first else 'NO':<5} "
                f"{'yes' if last else 'NO':<4} {chrome:<6} {whole:>5.0%} "
                f"{median * 1000:>9.1f}  {median / base:>5.2f}"
            )


if __name__ == "__main__":
    main()
