"""The seeds are known before anything is added: a feed repeating them adds nothing.

The feed is built the way a blog's feed carries its posts: the HTML rendering
of seed 001's Markdown body, and seed 003's paragraphs as <p> elements. The
same words, another path: only the state's knowledge of the corpus stops them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from xml.sax.saxutils import escape

from markdown_it import MarkdownIt

from localserver import LocalServer, Reply
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.indexer import index_corpus

SEEDS = Path(__file__).parent / "data" / "seeds"


def feed_repeating_seeds_001_and_003() -> bytes:
    post = (SEEDS / "001_5bac19b7e5a398cf.txt").read_text(encoding="utf-8")
    markdown_body = post.split("\n---\n", 1)[1]
    article = (SEEDS / "003_3e2d132cdabf0ac4.txt").read_text(encoding="utf-8")
    paragraphs = [p.strip() for p in article.split("\n\n") if p.strip()]
    # The article's own header (title line, PUBLISHED/UPDATED lines) is page
    # chrome; a feed carries the title in <title> and the body alone.
    body = [p for p in paragraphs[1:] if not p.startswith(("PUBLISHED :", "UPDATED :"))]
    items = [
        (
            "Chinese startup Showmac Tech, which makes eSIMs for Xiaomi IoT devices, raises $15M",
            "https://techcrunch.example/2020/09/24/showmac/",
            MarkdownIt().render(markdown_body),
        ),
        (
            paragraphs[0],
            "https://scmp.example/tech/article/1846412/xiaomi-marshals-army",
            "".join(f"<p>{escape(p)}</p>" for p in body),
        ),
    ]
    xml = "".join(
        f"<item><title>{escape(t)}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{escape(html)}</description></item>"
        for t, link, html in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Repeats</title><link>https://repeats.example/</link>{xml}</channel></rss>"
    ).encode()


def test_a_feed_repeating_seeds_001_and_003_adds_neither(
    server: LocalServer, tmp_path: Path
) -> None:
    shutil.copytree(SEEDS, tmp_path / "corpus")
    url = server.route("/repeats.xml", Reply(body=feed_repeating_seeds_001_and_003()))
    config = config_mod.from_dict(
        {"sources": [{"id": "repeats", "url": url}]}, file=tmp_path / "seedwatch.toml"
    )
    pipeline = runtime.build(config)
    try:
        result = pipeline.poll_source(config.source("repeats")).result
    finally:
        pipeline.close()
    assert result.error is None and result.items == 2
    assert result.accepted == 0 and result.rejected == 2
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == sorted(
        p.name for p in SEEDS.iterdir()
    )


def test_corpus_index_reads_all_five_seeds_once(tmp_path: Path) -> None:
    shutil.copytree(SEEDS, tmp_path / "corpus")
    config = config_mod.from_dict({}, file=tmp_path / "seedwatch.toml")
    registry = runtime.registry_for(config)
    store = runtime.open_state(config)
    first = index_corpus(registry, store, config.corpus_path)
    assert first.files == 5 and first.skipped == 0
    second = index_corpus(registry, store, config.corpus_path)
    assert second.files == 0 and second.skipped == 5 and second.items == 0
    assert store.stats()["next_seq"] == 5
