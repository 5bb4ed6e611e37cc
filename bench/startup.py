"""Benchmark: how long the ``seedwatch`` command takes to start.

Times, in fresh processes, ``python -c pass`` (the baseline: the interpreter
alone), ``seedwatch --help``, ``seedwatch parse`` of one of the demo feeds
(plugins, the fetcher, the rss parser) and ``seedwatch config check`` (plugins
and the state's code), each run alternately ``--runs`` times, and prints the
median and best wall time and the ratio of medians to the baseline, plus
which heavy modules each command imported (none of the cluster, S3 or
PostgreSQL code should be there).

    python bench/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FEED = ROOT / "demo" / "feeds" / "rss2_wordpress_tenderlovemaking.xml"
HEAVY = ("sqlalchemy", "alembic", "numpy", "procrastinate", "psycopg", "boto3")
_MODULES = (
    "import json, runpy, sys\n"
    "sys.argv = ['seedwatch', *sys.argv[1:]]\n"
    "try:\n"
    "    runpy.run_module('seedwatch', run_name='__main__')\n"
    "except SystemExit:\n"
    "    pass\n"
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr)\n"
)


def timed(argv: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - started


def heavy_imports(args: list[str], cwd: Path) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _MODULES, *args], cwd=cwd, capture_output=True, text=True
    )
    modules = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    return [name for name in HEAVY if name in modules]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    seedwatch = str(Path(sys.executable).parent / "seedwatch")
    commands = {
        "python -c pass (baseline)": ([sys.executable, "-c", "pass"], None),
        "seedwatch --help": ([seedwatch, "--help"], ["--help"]),
        "seedwatch parse FEED": ([seedwatch, "parse", str(FEED)], ["parse", str(FEED)]),
        "seedwatch config check": ([seedwatch, "config", "check"], ["config", "check"]),
    }
    with tempfile.TemporaryDirectory() as scratch:
        cwd = Path(scratch)  # no seedwatch.toml here: the embedded defaults
        os.environ.pop("SEEDWATCH_CONFIG", None)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):  # alternate, so load spikes hit every command alike
            for name, (argv, _) in commands.items():
                times[name].append(timed(argv, cwd))
        base = statistics.median(times["python -c pass (baseline)"])
        print(f"start-up, {args.runs} runs each, Python {sys.version.split()[0]}")
        print(f"{'command':<28} {'median':>8} {'best':>8} {'ratio':>7}  heavy imports")
        for name, (_, cli_args) in commands.items():
            median = statistics.median(times[name])
            heavy = ", ".join(heavy_imports(cli_args, cwd)) if cli_args else ""
            print(
                f"{name:<28} {median * 1000:>6.0f}ms {min(times[name]) * 1000:>6.0f}ms "
                f"{median / base:>6.1f}x  {heavy or '-'}"
            )


if __name__ == "__main__":
    main()
