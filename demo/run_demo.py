"""Run seedwatch once on its embedded defaults against bundled feeds served locally.

Copies the bundled corpus into demo-run/ the first time, serves demo/feeds/
on 127.0.0.1, writes a config for it and runs the real `seedwatch run --once`.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
WORK = HERE.parent / "demo-run"
PORT = 8765  # fixed so the sources' URLs stay the same from one run to the next

SOURCES = [
    ("tenderlove", "rss2_wordpress_tenderlovemaking.xml"),
    ("miniflux-commits", "atom_github_commits_miniflux.xml"),
    ("href-considered-harmful", "rss10_rdf_hrefconsideredharmful.xml"),
    ("golem", "rss2_golem_iso-8859-1.xml"),
    ("hackernews", "rss2_hackernews_no-guid.xml"),
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def serve() -> ThreadingHTTPServer:
    handler = functools.partial(QuietHandler, directory=str(HERE / "feeds"))
    try:
        server = ThreadingHTTPServer(("127.0.0.1", PORT), handler)
    except OSError:
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)  # port taken: any free one
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def write_config(port: int) -> Path:
    lines = [
        "# Written by demo/run_demo.py: the bundled feeds, served on 127.0.0.1.",
        "[corpus]",
        'path = "corpus"',
        "[state]",
        'url = "sqlite:///state/seedwatch.db"',
        "[fetch]",
        'contact = "http://127.0.0.1/seedwatch-demo"',
        "",
    ]
    for source_id, file in SOURCES:
        lines += [
            "[[sources]]",
            f'id = "{source_id}"',
            f'url = "http://127.0.0.1:{port}/{file}"',
            'min_interval = "15m"',
            "",
        ]
    path = WORK / "seedwatch.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def main() -> int:
    WORK.mkdir(exist_ok=True)
    corpus = WORK / "corpus"
    if not corpus.exists():
        shutil.copytree(HERE / "corpus", corpus)
        print(f"demo: copied the bundled corpus into {corpus}")
    before = {p.name for p in corpus.iterdir()}
    server = serve()
    try:
        config = write_config(server.server_address[1])
        cmd = [sys.executable, "-m", "seedwatch", "--config", str(config), "run", "--once"]
        print("demo: $", " ".join(cmd[2:]), flush=True)
        status = subprocess.call(cmd, stdout=subprocess.DEVNULL)
    finally:
        server.shutdown()
    added = sorted({p.name for p in corpus.iterdir()} - before)
    print(f"demo: {len(added)} file(s) added to {corpus} (it now holds {len(before) + len(added)})")
    for name in added[:10]:
        head = (corpus / name).read_text(encoding="utf-8").split("---\n")[1]
        title = yaml.safe_load(head).get("title") or ""
        print(f"  {name}  {title[:70]}")
    if len(added) > 10:
        print(f"  ... and {len(added) - 10} more")
    if not added:
        print("demo: nothing new: everything the feeds hold is already in the corpus")
    return status


if __name__ == "__main__":
    sys.exit(main())
