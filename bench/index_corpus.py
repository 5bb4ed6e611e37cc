"""Benchmark: indexing a corpus folder into the state, against merely reading it.

Generates a corpus of a few thousand files from the repository's real data
(the seeds, the front-matter fixtures, and items of the real feeds rendered
as seedwatch corpus files), then, in the same run, times (1) reading every
file's bytes and (2) `index_corpus` into a fresh SQLite state, and prints
files/s, MB/s and the ratio.

    python bench/index_corpus.py [--files 3000]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from datetime import UTC, datetime
from itertools import cycle
from pathlib import Path

from seedwatch.corpus import file_name, render
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.indexer import index_corpus
from seedwatch.models import Document

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def sample_texts() -> list[str]:
    """File contents of every kind the indexer meets."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((DATA / "seeds").iterdir())]
    for path in sorted((DATA / "frontmatter").rglob("*")):
        if path.suffix in (".md", ".markdown", ".html"):
            texts.append(path.read_text(encoding="utf-8", errors="replace"))
    registry = runtime.registry_for(config_mod.Config())
    fetched = datetime(2026, 11, 21, tzinfo=UTC)
    for feed in sorted((DATA / "feeds").glob("*.xml")):
        doc = Document(url=feed.as_uri(), content=feed.read_bytes(), fetched=fetched)
        for item in registry.parsers["rss"].parse(doc):
            texts.append(render(item, fetched))
    return texts


def generate(folder: Path, count: int) -> int:
    folder.mkdir(parents=True)
    size = 0
    for seq, text in zip(range(count), cycle(sample_texts()), strict=False):
        # a marker keeps every file distinct, as a real corpus is
        body = text.rstrip("\n") + f"\n\n(copy {seq})\n"
        (folder / file_name(seq, body)).write_text(body, encoding="utf-8")
        size += len(body.encode())
    return size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=3000)
    args = parser.parse_args()
    logging.disable(logging.INFO)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        size = generate(base / "corpus", args.files)
        mb = size / 1e6

        start = time.perf_counter()
        for path in (base / "corpus").iterdir():
            path.read_bytes()
        read_s = time.perf_counter() - start

        config = config_mod.from_dict({}, file=base / "seedwatch.toml")
        registry = runtime.registry_for(config)
        store = runtime.open_state(config)
        start = time.perf_counter()
        report = index_corpus(registry, store, config.corpus_path)
        index_s = time.perf_counter() - start

        start = time.perf_counter()
        again = index_corpus(registry, store, config.corpus_path)
        rerun_s = time.perf_counter() - start
        store.close()

    print(f"corpus: {args.files} files, {mb:.1f} MB, {report.items} items indexed")
    print(f"{'path':<28} {'seconds':>9} {'files/s':>10} {'MB/s':>8} {'x read':>8}")
    for name, secs in (("read bytes (baseline)", read_s), ("index_corpus", index_s)):
        print(
            f"{name:<28} {secs:>9.2f} {args.files / secs:>10.0f} {mb / secs:>8.1f} "
            f"{secs / read_s:>8.1f}"
        )
    print(f"{'index again (no work)':<28} {rerun_s:>9.2f}   ({again.skipped} files skipped)")
    print(
        f"summary\tindex_corpus\t{args.files / index_s:.0f} files/s\t"
        f"{index_s / read_s:.0f}x reading\ttarget >= 2000 files/s, <= 20x"
    )


if __name__ == "__main__":
    main()
