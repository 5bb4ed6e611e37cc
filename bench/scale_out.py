"""Benchmark: cluster nodes on PostgreSQL against the single-node SQLite daemon.

N generated feeds of K items each (default 200 x 10) are served from a local
HTTP server. In the same run, from process start to the last item written:

- ``sqlite, 1 process``: ``seedwatch run --once`` on a SQLite state (the
  baseline: the single-node daemon, ``[daemon] concurrency`` threads);
- ``postgresql, W processes`` for W in 1, 2, 4: W ``seedwatch run --cluster``
  nodes (each a clock and ``[cluster] workers`` threads) on a fresh
  PostgreSQL database, one corpus folder.

Two times per run, and each one's ratio to the baseline:

- ``seconds``: from process start to the last item written, start-up
  included (imports, schema migrations; the cluster also installs its task
  queue's tables and waits for its clock's first tick), what a user waits
  for a ``--once`` run;
- ``polling``: from the start of the first poll to the end of the last, read
  from the state each run left (each source's last poll time, recorded as a
  poll ends, less its duration): the steady throughput, without the start-up
  (2 to 4 s of either process on a busy 2-core machine: a large share of a
  run of 10 to 15 s, so the first time alone says more about start-up than
  about polling).

Prints seconds, polls/s, items/s and the ratio of each to the baseline.
Needs the local PostgreSQL the tests use (tests/pg.py). The cluster's
per-host cap is raised (every feed is on 127.0.0.1: the cap is not what is
measured); ``[fetch]`` politeness is the same for every contestant.

    python bench/scale_out.py [--sources 200] [--items 10] [--threads 4]
                              [--modes sqlite,1,2,4]
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from sqlalchemy import Engine, create_engine, select, text

import pg
from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.state.postgres import engine_url
from seedwatch.state.schema import sources


def config_text(urls: list[str], state: str, threads: int) -> str:
    head = (
        f'[corpus]\npath = "corpus"\n[state]\nurl = "{state}"\n'
        f"[daemon]\nconcurrency = {threads}\n"
        f'[cluster]\nworkers = {threads}\ntick = "0.5s"\nper_host = 64\n'
    )
    sources = "".join(
        f'[[sources]]\nid = "f{n:04d}"\nurl = "{url}"\nmin_interval = "1h"\n'
        for n, url in enumerate(urls)
    )
    return head + sources


def seedwatch(config: Path, *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "seedwatch", "-q", "--config", str(config), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def files(folder: Path) -> int:
    return sum(1 for p in folder.glob("*.txt")) if folder.exists() else 0


def polling(engine: Engine) -> float:
    """Seconds from the first poll's start to the last poll's end, from the state."""
    with engine.connect() as conn:
        rows = conn.execute(select(sources.c.last_poll, sources.c.last_duration)).all()
    starts = [at.timestamp() - (duration or 0.0) for at, duration in rows]
    return max(at.timestamp() for at, _ in rows) - min(starts)


def sqlite_run(urls: list[str], expected: int, threads: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "seedwatch.toml"
        config.write_text(config_text(urls, "sqlite:///state.db", threads))
        start = time.perf_counter()
        proc = seedwatch(config, "run", "--once")
        proc.wait()
        took = time.perf_counter() - start
        assert files(Path(tmp) / "corpus") == expected, "the baseline lost items"
        engine = create_engine(f"sqlite:///{tmp}/state.db")
        try:
            steady = polling(engine)
        finally:
            engine.dispose()
    return took, steady


def cluster_run(
    urls: list[str], expected: int, threads: int, processes: int
) -> tuple[float, float]:
    url = pg.create_database()
    engine = create_engine(engine_url(url))
    try:
        with tempfile.TemporaryDirectory() as tmp:
            config = Path(tmp) / "seedwatch.toml"
            config.write_text(config_text(urls, url, threads))
            start = time.perf_counter()
            nodes = [seedwatch(config, "run", "--cluster") for _ in range(processes)]
            corpus = Path(tmp) / "corpus"
            while True:
                time.sleep(0.05)
                if files(corpus) < expected:
                    continue
                with engine.connect() as conn:
                    polled = conn.execute(
                        text("SELECT count(*) FROM sources WHERE last_success IS NOT NULL")
                    ).scalar_one()
                if polled == len(urls):
                    break
            took = time.perf_counter() - start
            for node in nodes:
                node.send_signal(signal.SIGTERM)
            for node in nodes:
                node.wait(timeout=60)
            assert files(corpus) == expected, "a cluster run doubled items"
            steady = polling(engine)
    finally:
        engine.dispose()
        pg.drop_database(url)
    return took, steady


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", type=int, default=200)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--modes",
        default="sqlite,1,2,4",
        help="runs, in order: sqlite, and cluster process counts (the ratios need sqlite)",
    )
    args = parser.parse_args()
    modes = args.modes.split(",")
    expected = args.sources * args.items
    rows: list[tuple[str, float, float]] = []
    with LocalServer() as server:
        urls = [
            server.route(f"/{n}.xml", Reply(body=rss(args.items, start=n * args.items)))
            for n in range(args.sources)
        ]
        for mode in modes:
            if mode == "sqlite":
                rows.append(("sqlite, 1 process", *sqlite_run(urls, expected, args.threads)))
            else:
                took = cluster_run(urls, expected, args.threads, int(mode))
                rows.append((f"postgresql, {mode} process(es)", *took))
    base = {"seconds": rows[0][1], "polling": rows[0][2]} if modes[0] == "sqlite" else None
    print(f"{args.sources} sources x {args.items} items, {args.threads} threads per process")
    print(
        f"{'mode':<28} {'seconds':>8} {'items/s':>8} {'vs sqlite':>9}   "
        f"{'polling':>8} {'polls/s':>8} {'items/s':>8} {'vs sqlite':>9}"
    )
    for name, took, steady in rows:
        ratio = f"{base['seconds'] / took:>8.2f}x" if base else f"{'-':>9}"
        steady_ratio = f"{base['polling'] / steady:>8.2f}x" if base else f"{'-':>9}"
        print(
            f"{name:<28} {took:>8.2f} {expected / took:>8.0f} {ratio}   "
            f"{steady:>8.2f} {args.sources / steady:>8.1f} {expected / steady:>8.0f} {steady_ratio}"
        )
    if base and len(rows) > 1 and modes[1] == "1":
        _name, took, steady = rows[1]
        print(
            f"summary\tscale_out\t{expected / took:.0f} items/s on PostgreSQL, 1 process "
            f"({expected / steady:.0f} polling)\t{base['seconds'] / took:.2f}x SQLite, 1 process "
            f"({base['polling'] / steady:.2f}x polling)\ttarget >= 0.9x"
        )


if __name__ == "__main__":
    main()
