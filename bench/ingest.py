"""Benchmark: end-to-end ingestion of one big feed, against parsing it alone.

One generated RSS feed of N items (default 10,000) is served from a local
HTTP server. In the same run, each in a fresh child process: (1) the rss
parser alone over the same bytes (the baseline), (2) a bare loop creating N
files of the very texts the poll writes (open, write, close) in a new folder
of the same file system (the kernel's share: what no code of ours can
save), (3) a full `poll_source`: fetch, parse, de-duplication, record, write
N corpus files. Prints items/s, the poll's ratio to each baseline, and each
child's CPU time in its timed part (all threads: the poll's includes the
local server sending the feed) and peak resident memory.

File creation on ext4 without a journal is several times slower for a few
minutes after many files were deleted on the file system (the inode
allocator skips recently freed inodes): the two file-writing children run
one after the other and nothing is deleted before both are done, so they
meet the same state; a run started right after another one's clean-up (or
another program's mass deletion) is slower in both.

    python bench/ingest.py [--items 10000]
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.corpus import file_name, render
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.models import Document, clean_item


def cpu() -> float:
    """The process's CPU time so far (user + system), all its threads: what
    other programs' load on the machine leaves about the same, unlike seconds."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def parse_only(body: bytes, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    registry = runtime.registry_for(config_mod.Config())
    doc = Document(url="http://127.0.0.1/f.xml", content=body, fetched=datetime.now(UTC))
    start, cpu0 = time.perf_counter(), cpu()
    count = sum(1 for _ in registry.parsers["rss"].parse(doc))
    out.put((count, time.perf_counter() - start, cpu() - cpu0, peak_rss()))


def create_files(body: bytes, folder: Path, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    """The files the poll writes (names and texts alike, rendered untimed),
    created by a bare loop: no temporary name, no link, no flush."""
    registry = runtime.registry_for(config_mod.Config())
    fetched = datetime.now(UTC)
    doc = Document(url="http://127.0.0.1/f.xml", content=body, fetched=fetched)
    files = []
    for seq, item in enumerate(registry.parsers["rss"].parse(doc)):
        text = render(replace(clean_item(item)[0], source="big"), fetched)
        files.append((file_name(seq, item.text), text.encode()))
    folder.mkdir()
    start, cpu0 = time.perf_counter(), cpu()
    for name, data in files:
        fd = os.open(folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, data)
        os.close(fd)
    took = time.perf_counter() - start
    out.put((len(files), took, cpu() - cpu0, peak_rss()))


def full_poll(body: bytes, folder: Path, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    logging.disable(logging.INFO)
    folder.mkdir()
    with LocalServer() as server:
        url = server.route("/f.xml", Reply(body=body))
        config = config_mod.from_dict(
            {"sources": [{"id": "big", "url": url}]}, file=folder / "seedwatch.toml"
        )
        pipeline = runtime.build(config)
        start, cpu0 = time.perf_counter(), cpu()
        result = pipeline.poll_source(config.source("big")).result
        took, used = time.perf_counter() - start, cpu() - cpu0
        pipeline.close()
    out.put((result.accepted, took, used, peak_rss()))


def measure(target: object, *args: object) -> tuple[int, float, float, int]:
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    proc = multiprocessing.Process(target=target, args=(*args, queue))  # type: ignore[arg-type]
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
    base_n, base_s, base_cpu, base_rss = measure(parse_only, body)
    # Both file-writing children in one new folder, deleted only after both.
    work = Path(tempfile.mkdtemp(prefix="seedwatch-bench-"))
    try:
        files_n, files_s, files_cpu, files_rss = measure(create_files, body, work / "files")
        full_n, full_s, full_cpu, full_rss = measure(full_poll, body, work / "poll")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        f"{'path':<34} {'items':>7} {'seconds':>8} {'items/s':>9} {'x parse':>8} "
        f"{'x files':>8} {'CPU s':>7} {'peak RSS':>10}"
    )
    for name, n, secs, used, rss_kb in (
        ("rss parser alone (baseline)", base_n, base_s, base_cpu, base_rss),
        ("create the files alone (baseline)", files_n, files_s, files_cpu, files_rss),
        ("poll_source: fetch..write files", full_n, full_s, full_cpu, full_rss),
    ):
        print(
            f"{name:<34} {n:>7} {secs:>8.2f} {n / secs:>9.0f} {secs / base_s:>8.1f} "
            f"{secs / files_s:>8.1f} {used:>7.2f} {rss_kb / 1024:>8.0f} MB"
        )
    print(
        f"summary\tingest\t{full_n / full_s:.0f} items/s\t{full_s / base_s:.1f}x the parse, "
        f"{full_s / files_s:.1f}x creating the files ({files_n / files_s:.0f} files/s)"
        f"\ttarget >= 1000 items/s, <= 2x the parse"
    )


if __name__ == "__main__":
    main()
