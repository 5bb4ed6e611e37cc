"""Benchmark: per-item de-duplication checks against a growing state, and its size.

Synthesises items by shuffling sentences of real text (the seeds and the
real feeds' items) and builds a SQLite state of them in bulk
(``dedup_bulk``: the rows ``Store.index_files`` writes, checked against it
for a sample) and, in the same run, an in-memory datasketch ``MinHashLSH``
of the same shape (up to ``--baseline-max`` items). At each size it times
checking a query set (half new texts, half lightly edited copies of indexed
items): ``Store.judge`` (every layer, the LSH index in the database) and the
baseline (a datasketch MinHash, ``MinHashLSH.query``, then the Jaccard
estimate of each candidate), and reports the median and p99 latency, the
share of near copies found, the state's size on disk, the checking
process's peak resident memory and what the checks added to it, and the
baseline's memory (each side runs in a process of its own, forked from the
one that read the sentences; the state is built in another).

    python bench/dedup.py [--sizes 10000,100000] [--queries 300] [--baseline-max 100000]

A million items (``--sizes 10000,100000,1000000``) takes about half an hour
on two busy cores, most of it building the state.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

import dedup_bulk
from datasketch import LeanMinHash, MinHash

from seedwatch.models import Document, Item
from seedwatch.plugins.manager import build_registry
from seedwatch.state.dedup.features import MINHASH_SCHEME, MINHASH_SEED, Layout, shingles
from seedwatch.state.store import Store
from seedwatch.text import normalize

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
BATCH = 1000  # items recorded per transaction (one "file" of the indexer)
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def sentences() -> list[str]:
    """Sentences of the real text this repository holds."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((DATA / "seeds").iterdir())]
    registry = build_registry()
    fetched = datetime(2026, 11, 21, tzinfo=UTC)
    for feed in sorted((DATA / "feeds").glob("*.xml")):
        doc = Document(url=feed.as_uri(), content=feed.read_bytes(), fetched=fetched)
        texts.extend(item.text for item in registry.parsers["rss"].parse(doc))
    out = []
    for text in texts:
        for line in text.split("\n"):
            out.extend(s.strip() for s in _SENTENCE.split(line) if len(s.split()) >= 6)
    return sorted(set(out))


def synthesise(pool: list[str], rng: random.Random) -> str:
    """An article of 8 to 24 sentences, in paragraphs of 1 to 4."""
    picked = rng.sample(pool, rng.randint(8, 24))
    paras, i = [], 0
    while i < len(picked):
        n = rng.randint(1, 4)
        paras.append(" ".join(picked[i : i + n]))
        i += n
    return "\n\n".join(paras)


def lightly_edited(text: str, rng: random.Random) -> str:
    """A copy with two words of one paragraph swapped and a credit line added."""
    paras = text.split("\n\n")
    i = rng.randrange(len(paras))
    words = paras[i].split()
    j = rng.randrange(len(words) - 1)
    words[j], words[j + 1] = words[j + 1], words[j]
    paras[i] = " ".join(words)
    return "\n\n".join([*paras, "Originally published elsewhere."])


def batch_items(pool: list[str], seed: int, start: int, count: int) -> list[Item]:
    """Items ``start`` .. ``start + count``; the same ones in both passes."""
    rng = random.Random(f"{seed}:{start}")
    return [
        Item(key=f"synth:{n}", text=synthesise(pool, rng), parser="bench")
        for n in range(start, start + count)
    ]


def query_set(pool: list[str], seed: int, size: int, count: int) -> list[tuple[Item, bool]]:
    """Half new texts, half near copies of items indexed so far."""
    rng = random.Random(f"{seed}:queries:{size}")
    out = []
    for q in range(count):
        if q % 2:
            start = rng.randrange(0, size, BATCH)
            n = rng.randrange(min(BATCH, size - start))
            source = batch_items(pool, seed, start, n + 1)[n]
            out.append(
                (Item(key=f"q:{q}", text=lightly_edited(source.text, rng), parser="bench"), True)
            )
        else:
            out.append((Item(key=f"q:{q}", text=synthesise(pool, rng), parser="bench"), False))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(
    check: Callable[[Item], bool], queries: list[tuple[Item, bool]]
) -> tuple[list[float], float, list[str]]:
    """Latencies in ms, the share of near copies found, and the copies missed."""
    times, missed, copies = [], [], 0
    for item, is_copy in queries:
        began = time.perf_counter()
        duplicate = check(item)
        times.append((time.perf_counter() - began) * 1000)
        if is_copy:
            copies += 1
            if not duplicate:
                missed.append(item.key)
    return times, 1 - len(missed) / copies if copies else 1.0, missed


def rss() -> int:
    """This process's resident memory, in bytes (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def peak_rss() -> int:
    """This process's peak resident memory so far, in bytes (Linux: VmHWM)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def file_size(db: Path) -> int:
    return sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))


@dataclass
class Row:
    size: int
    latencies: list[float]
    recall: float
    memory: int  # resident memory gained since the checks began
    missed: list[str]
    disk: int = 0
    build: float = 0.0
    peak: int = 0  # the checking process's peak resident memory


def bulk_build(db: Path, pool: list[str], seed: int, start: int, stop: int) -> float:
    """Add items ``start`` .. ``stop`` to the state (in a process of its own, so
    that the checking process's memory is the daemon's, not the loader's)."""
    store = Store(f"sqlite:///{db}")
    shape, min_words = store.dedup_layout(), store.dedup.paragraph_min_words
    store.close()
    began = time.perf_counter()
    features = dedup_bulk.Pool(pool, shape)
    # The bulk rows must be the ones Store.index_files writes: a sample first.
    dedup_bulk.check(features, seed, start, 50, min_words)
    dedup_bulk.build(db, features, seed, start, stop, BATCH, min_words)
    return time.perf_counter() - began


def ours(pool: list[str], args: argparse.Namespace, sizes: list[int], tmp: Path) -> list[Row]:
    db = tmp / "state.db"
    store = Store(f"sqlite:///{db}")
    store.migrate()
    store.dedup_layout()
    rows, indexed, build = [], 0, 0.0
    for size in sizes:
        with ProcessPoolExecutor(1, mp_context=get_context("fork")) as loader:
            build += loader.submit(bulk_build, db, pool, args.seed, indexed, size).result()
        indexed = size
        print(f"  ours: {size} items indexed in bulk in {build:.0f} s", flush=True)
        queries = query_set(pool, args.seed, size, args.queries)
        before = rss()
        for item, _ in queries[:10]:  # warm the caches
            store.judge(item)
        latencies, recall, missed = timed(lambda i: not store.judge(i).accepted, queries)
        raw = store.engine.raw_connection()  # outside a transaction: fold the WAL in
        try:
            raw.cursor().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
        rows.append(
            Row(size, latencies, recall, rss() - before, missed, file_size(db), build, peak_rss())
        )
    store.close()
    return rows


def baseline(
    pool: list[str], args: argparse.Namespace, sizes: list[int], shape: Layout, near: float
) -> list[Row]:
    template = MinHash(num_perm=shape.num_perm, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)

    def minhash(text: str) -> MinHash:
        m = MinHash(seed=MINHASH_SEED, permutations=template.permutations, scheme=MINHASH_SCHEME)
        m.update_batch(shingles(normalize(text), shape.shingle))
        return m

    index = shape.baseline(near)
    signatures: dict[str, LeanMinHash] = {}  # what verifying a candidate needs

    def check(item: Item) -> bool:
        m = minhash(item.text)
        return any(m.jaccard(signatures[key]) >= near for key in index.query(m))

    # The indexed items' signatures are put together as the bulk build does
    # (the same values as datasketch's: tests/test_minhash.py); what is timed
    # is the in-memory index's check, a datasketch MinHash of the text included.
    features = dedup_bulk.Pool(pool, shape)
    rows, indexed, build, before = [], 0, 0.0, rss()
    for size in sizes:
        began = time.perf_counter()
        for first in range(indexed, size, BATCH):
            rng = random.Random(f"{args.seed}:{first}")
            for n in range(first, min(first + BATCH, size)):
                sig = features.item(*dedup_bulk.synthesised(len(pool), rng))[2]
                m = LeanMinHash(
                    seed=MINHASH_SEED, hashvalues=sig.astype("uint64"), scheme=MINHASH_SCHEME
                )
                signatures[f"synth:{n}"] = m
                index.insert(f"synth:{n}", m)
        build += time.perf_counter() - began
        indexed = size
        latencies, recall, missed = timed(check, query_set(pool, args.seed, size, args.queries))
        rows.append(Row(size, latencies, recall, rss() - before, missed, build=build))
        print(f"  baseline: {size} items indexed in {build:.0f} s", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated item counts")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=20261121)
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=100000,
        help="largest size the in-memory baseline is built to (about 7 KB of RAM an item)",
    )
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # a malformed real feed says so; not news here
    sizes = sorted(int(s) for s in args.sizes.split(","))
    base_sizes = [size for size in sizes if size <= args.baseline_max] or sizes[:1]
    pool = sentences()
    print(f"sentence pool: {len(pool)} real sentences", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(f"sqlite:///{tmp}/state.db")
        store.migrate()
        shape, near = store.dedup_layout(), store.dedup.near
        store.close()
        # One process per side, so that neither inherits the other's memory.
        with ProcessPoolExecutor(1, mp_context=get_context("fork")) as side:
            mine = side.submit(ours, pool, args, sizes, Path(tmp)).result()
        with ProcessPoolExecutor(1, mp_context=get_context("fork")) as side:
            theirs = side.submit(baseline, pool, args, base_sizes, shape, near).result()

    print()
    print(
        f"MinHash {shape.num_perm} perms, {shape.bands} bands x {shape.rows} rows, "
        f"{shape.shingle}-word shingles, threshold {near}; {args.queries} checks per size, "
        f"half of them near copies of indexed items"
    )
    head = (
        f"{'items':>9} | {'ours p50':>8} {'p99':>8} {'found':>5} | {'base p50':>8} {'p99':>8} "
        f"{'found':>5} | {'p50 ratio':>9} | {'state on disk':>13} {'per item':>8} | "
        f"{'our RSS':>8} {'gained':>6} | {'baseline RAM':>12}"
    )
    print(head)
    print("-" * len(head))
    by_size = {row.size: row for row in theirs}
    for a in mine:
        o50 = statistics.median(a.latencies)
        b = by_size.get(a.size)
        if b is None:
            theirs_text = f"{'-':>8} {'-':>8} {'-':>5} | {'-':>9}"
            base_ram = f"{'-':>12}"
        else:
            b50 = statistics.median(b.latencies)
            theirs_text = (
                f"{b50:>6.2f}ms {percentile(b.latencies, 0.99):>6.2f}ms {b.recall:>5.2f} | "
                f"{o50 / b50:>8.1f}x"
            )
            base_ram = f"{b.memory / 2**20:>9.0f} MB"
        print(
            f"{a.size:>9} | {o50:>6.2f}ms {percentile(a.latencies, 0.99):>6.2f}ms "
            f"{a.recall:>5.2f} | {theirs_text} | {a.disk / 2**20:>10.1f} MB "
            f"{a.disk / a.size:>6.0f} B | {a.peak / 2**20:>5.0f} MB {a.memory / 2**20:>3.0f} MB"
            f" | {base_ram}"
        )
    last, base = mine[-1], theirs[-1]
    ours_at_base = next(row for row in mine if row.size == base.size)
    print(
        f"summary\tdedup\tp50 {statistics.median(last.latencies):.2f} ms, "
        f"p99 {percentile(last.latencies, 0.99):.2f} ms at {last.size}, "
        f"peak RSS {last.peak / 2**20:.0f} MB\t"
        f"{statistics.median(ours_at_base.latencies) / statistics.median(base.latencies):.1f}x "
        f"datasketch in memory at {base.size}\ttarget p99 <= 2 ms at 1M"
    )
    for a in mine:
        b = by_size.get(a.size)
        if a.missed or (b is not None and b.missed):
            print(
                f"near copies missed at {a.size}: ours {a.missed}, "
                f"baseline {b.missed if b is not None else '-'}"
            )


if __name__ == "__main__":
    main()
