"""Benchmark: end-to-end ingestion of one big feed, against parsing it alone.

One generated RSS feed of N items (default 10,000) is served from a local
HTTP server. In the same run, each in a fresh child process: (1) the rss
parser alone over the same bytes (the baseline), (2) a full `poll_source`:
fetch, parse, de-duplication, record, write N corpus files. Prints items/s,
the ratio to the baseline, and each child's peak resident memory.

    python bench/ingest.py [--items 10000]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.models import Document


def parse_only(body: bytes, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    registry = runtime.registry_for(config_mod.Config())
    doc = Document(url="http://127.0.0.1/f.xml", content=body, fetched=datetime.now(UTC))
    start = time.perf_counter()
    count = sum(1 for _ in registry.parsers["rss"].parse(doc))
    out.put(
        (count, time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    )


def full_poll(body: bytes, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    logging.disable(logging.INFO)
    with LocalServer() as server, tempfile.TemporaryDirectory() as tmp:
        url = server.route("/f.xml", Reply(body=body))
        config = config_mod.from_dict(
            {"sources": [{"id": "big", "url": url}]}, file=Path(tmp) / "seedwatch.toml"
        )
        pipeline = runtime.build(config)
        start = time.perf_counter()
        result = pipeline.poll_source(config.source("big")).result
        took = time.perf_counter() - start
        pipeline.close()
    out.put((result.accepted, took, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def measure(target: object, body: bytes) -> tuple[int, float, int]:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.Process(target=target, args=(body, queue))  # type: ignore[arg-type]
    proc.start()
    result = queue.get()
    proc.join()
    return result  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    args = parser.parse_args()
    body = rss(args.items)
    print(f"feed: {args.items} items, {len(body) / 1e6:.1f} MB")
    base_n, base_s, base_rss = measure(parse_only, body)
    full_n, full_s, full_rss = measure(full_poll, body)
    print(
        f"{'path':<34} {'items':>7} {'seconds':>8} {'items/s':>9} {'x parse':>8} {'peak RSS':>10}"
    )
    for name, n, secs, rss_kb in (
        ("rss parser alone (baseline)", base_n, base_s, base_rss),
        ("poll_source: fetch..write files", full_n, full_s, full_rss),
    ):
        print(
            f"{name:<34} {n:>7} {secs:>8.2f} {n / secs:>9.0f} {secs / base_s:>8.1f} "
            f"{rss_kb / 1024:>8.0f} MB"
        )
    print(
        f"summary\tingest\t{full_n / full_s:.0f} items/s\t{full_s / base_s:.1f}x the parse"
        f"\ttarget >= 1000 items/s, <= 2x"
    )


if __name__ == "__main__":
    main()
