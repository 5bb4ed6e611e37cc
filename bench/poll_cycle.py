"""Benchmark: one full poll cycle of the daemon against the ideal its politeness allows.

2,000 sources spread over 20 hosts (127.0.0.1 ... 127.0.0.20, one HTTP server
each, in a separate process so that the daemon's CPU is measured alone),
each answer delayed by 50 ms. The daemon side is the real thing:
``runtime.build`` (SQLite state, corpus folder), ``Service.run_once`` (the
host-aware dispatcher, the pipeline, the politeness gate with its default
per-host cap of 2).

Two cycles: the first gets a 200 with a one-item feed from every source
(fetch, parse, de-duplicate, write one corpus file), the second a 304 for
every conditional request. For each: wall time, the ideal
``sources x latency / allowed concurrency`` (allowed concurrency = min(the
daemon's concurrency, hosts x per_host)), their ratio, and the daemon
process's CPU time per poll.

    .venv/bin/python bench/poll_cycle.py [--sources 2000] [--hosts 20]
        [--latency 0.05] [--concurrency 40 8]

Each concurrency gets a fresh state. At 40 (every host's cap in use) a
Python process is CPU-bound, not latency-bound: the CPU column says why.
At 8 the latency bound is the one that holds, and the ratio shows what the
dispatcher and the politeness gate cost. Loopback hosts have no spacing
between requests by default (``local_host_delay``); with the 1 s
``host_delay`` of remote hosts a cycle could not be shorter than
``sources per host x 1 s``.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

# Loaded by the first MinHash signature of a process (with scipy: about 0.7 s):
# imported here so that the 200 cycle measures polls, not a one-off import.
import datasketch  # noqa: F401

from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.service import Service


def feed(n: int) -> bytes:
    words = " ".join(f"s{n}w{i}" for i in range(40))
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Source '
        f"{n}</title><link>http://example.org/{n}/</link><description>bench</description>"
        f"<item><title>Post {n}</title><link>http://example.org/{n}/post</link>"
        f"<guid>post-{n}</guid><pubDate>Sat, 21 Nov 2026 10:00:00 +0000</pubDate>"
        f"<description>{words}</description></item></channel></rss>"
    ).encode()


def serve(hosts: int, latency: float, ports: Any, stop: Event) -> None:
    """The servers' process: one ThreadingHTTPServer per 127.0.0.N."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            time.sleep(latency)
            n = int(self.path.rsplit("/", 1)[1].split(".")[0])
            etag = f'"v{n}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            body = feed(n)
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    servers = []
    for h in range(hosts):
        httpd = ThreadingHTTPServer((f"127.0.0.{h + 1}", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        servers.append(httpd)
        ports.put(httpd.server_address[1])
    stop.wait()
    for httpd in servers:
        httpd.shutdown()


def cycle(service: Service) -> tuple[float, float, int, int]:
    """(wall seconds, CPU seconds of this process, polls, failed polls)."""
    wall, cpu = time.perf_counter(), time.process_time()
    results = service.run_once()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, len(results), sum(1 for r in results if r.error)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sources", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.05)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[40, 8])
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    ports: Any = multiprocessing.Queue()
    stop = multiprocessing.Event()
    proc = multiprocessing.Process(
        target=serve, args=(args.hosts, args.latency, ports, stop), daemon=True
    )
    proc.start()
    host_ports = [ports.get(timeout=30) for _ in range(args.hosts)]
    sources = [
        {
            "id": f"s{n:05d}",
            "url": f"http://127.0.0.{n % args.hosts + 1}:{host_ports[n % args.hosts]}/feed/{n}.xml",
        }
        for n in range(args.sources)
    ]
    per_host = config_mod.FetchConfig().per_host
    print(
        f"{args.sources} sources on {args.hosts} hosts, {args.latency * 1000:.0f} ms added "
        f"latency, {per_host} requests at once per host"
    )
    print(
        f"{'path':<20} {'conc.':>5} {'allowed':>7} {'cycle s':>8} {'ideal s':>8} {'ratio':>6} "
        f"{'CPU ms/poll':>12} {'polls':>6}"
    )
    for concurrency in args.concurrency:
        allowed = min(concurrency, args.hosts * per_host)
        ideal = args.sources * args.latency / allowed
        for name, wall, cpu, polls, failed in run(sources, concurrency):
            note = f"  ({failed} failed)" if failed else ""
            print(
                f"{name:<20} {concurrency:>5} {allowed:>7} {wall:>8.2f} {ideal:>8.2f} "
                f"{wall / ideal:>6.2f} {cpu / polls * 1000:>12.2f} {polls:>6}{note}",
                flush=True,
            )
    stop.set()
    proc.join(10)


def run(
    sources: list[dict[str, Any]], concurrency: int
) -> list[tuple[str, float, float, int, int]]:
    """The two cycles (200, then 304) on a fresh state."""
    with tempfile.TemporaryDirectory(prefix="seedwatch-bench-") as tmp:
        config = config_mod.from_dict(
            {
                "corpus": {"path": "corpus"},
                "state": {"url": "sqlite:///state/state.db"},
                "daemon": {"concurrency": concurrency, "listen": ""},
                "sources": sources,
            },
            file=Path(tmp) / "seedwatch.toml",
        )
        with runtime.running(config) as pipeline:
            service = Service(pipeline, config.enabled_sources(), concurrency=concurrency)
            rows = []
            for name in ("200 (new item)", "304 (not modified)"):
                rows.append((name, *cycle(service)))
        written = len(list((Path(tmp) / "corpus").iterdir()))
        assert written == len(sources), f"{written} corpus files for {len(sources)} sources"
    return rows


if __name__ == "__main__":
    main()
