"""Run every benchmark, then print one summary table (``make bench``).

Each benchmark runs in its own process with sizes chosen so that the whole
run stays under ten minutes on a 2-core machine, and prints its own table
with ratios against a baseline measured in the same run; the benchmarks of
the performance targets also print a ``summary`` line, collected here.
A benchmark that fails or lacks its data (the 200 feeds of
``shared/bench/feeds-200``, the local PostgreSQL) is reported, not fatal.

    python bench/all.py [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (script, arguments, arguments with --quick)
RUNS: list[tuple[str, list[str], list[str]]] = [
    ("parse_feeds.py", [], []),
    ("ingest.py", ["--items", "10000"], ["--items", "3000"]),
    ("index_corpus.py", ["--files", "3000"], ["--files", "1000"]),
    ("dedup.py", ["--sizes", "10000,100000"], ["--sizes", "10000"]),
    ("scale_out.py", [], ["--sources", "50"]),
    ("parse_forums.py", [], []),
    ("poll_cycle.py", [], []),
    ("startup.py", [], []),
    ("fulltext.py", [], []),
]


def machine() -> str:
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{platform.machine()}, {cpus} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    args = parser.parse_args()
    summary: list[list[str]] = []
    timings: list[tuple[str, float, int]] = []
    began = time.perf_counter()
    for script, full, quick in RUNS:
        argv = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"== {script} {' '.join(argv[2:])}", flush=True)
        start = time.perf_counter()
        proc = subprocess.run(argv, capture_output=True, text=True, check=False)
        took = time.perf_counter() - start
        timings.append((script, took, proc.returncode))
        for line in proc.stdout.splitlines():
            if line.startswith("summary\t"):
                summary.append(line.split("\t")[1:])
            else:
                print(line)
        if proc.returncode:
            last = proc.stderr.strip().splitlines()[-1:] or [""]
            print(f"   {last[0]}", file=sys.stderr)
            print(f"   {script} failed (exit {proc.returncode})")
        print(flush=True)
    total = time.perf_counter() - began
    print(f"Summary ({machine()}; {total / 60:.1f} minutes in all)")
    print(f"{'benchmark':<14} {'measured':<44} {'ratio (same run)':<28} target")
    for name, measured, ratio, target in summary:
        print(f"{name:<14} {measured:<44} {ratio:<28} {target}")
    failed = [script for script, _t, code in timings if code]
    if failed:
        print(f"failed or skipped: {', '.join(failed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
