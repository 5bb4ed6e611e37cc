"""Full text for excerpt-only feeds: real article pages, a local server, the real pipeline.

The expected paragraphs come from tests/data/articles/expected.toml, written
by reading the pages. A feed of excerpts served on 127.0.0.1 links to the
pages; the corpus must end up with the articles, the state must say where
they came from, and nothing already known is fetched twice.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from sqlalchemy import select

from localserver import LocalServer, Reply
from seedwatch.contracts import PollResult
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.cli import main
from seedwatch.daemon.fulltext import extract
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.state.schema import items
from seedwatch.text import paragraphs

ARTICLES = Path(__file__).parent / "data" / "articles"
EXPECTED: dict[str, dict[str, Any]] = tomllib.loads((ARTICLES / "expected.toml").read_text())


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def page(name: str) -> bytes:
    return (ARTICLES / EXPECTED[name]["file"]).read_bytes()


def assert_is_the_article(text: str, name: str) -> None:
    expected = EXPECTED[name]
    paras = [flat(p) for p in paragraphs(text)]
    assert paras[0] == flat(expected["first"])
    assert paras[-1] == flat(expected["last"])
    for chrome in expected["not_in_article"]:
        assert chrome not in text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_readability_finds_the_article_of_a_real_page(name: str) -> None:
    text, method = extract(page(name).decode("utf-8"), "http://127.0.0.1/a")
    assert method == "readability"
    assert_is_the_article(text, name)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_css_selector_takes_the_article_as_the_site_marks_it(name: str) -> None:
    html = page(name).decode("utf-8")
    text, method = extract(html, "http://127.0.0.1/a", EXPECTED[name]["selector"])
    assert method == "selector"
    assert flat(paragraphs(text)[0]) == flat(EXPECTED[name]["first"])
    assert flat(EXPECTED[name]["last"]) in flat(text)


# -- end to end -------------------------------------------------------------

EXCERPT = "{first} Read more"


def feed(base: str, entries: list[tuple[str, str, str]]) -> bytes:
    """An excerpt-only RSS feed: (slug, title, excerpt) per item, linking to base/slug."""
    body = "".join(
        f"<item><title>{escape(title)}</title><link>{base}{slug}</link>"
        f"<guid>{base}{slug}</guid><pubDate>Sat, 21 Nov 2026 10:00:00 +0000</pubDate>"
        f"<description>{escape(excerpt)}</description></item>"
        for slug, title, excerpt in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Excerpts</title><link>{base}</link><description>t</description>"
        f"{body}</channel></rss>"
    ).encode()


def excerpt_of(name: str) -> str:
    """The feed's excerpt: the article's first sentence, as excerpt feeds cut it."""
    return " ".join(EXPECTED[name]["first"].split()[:12]) + " […]"


@dataclass
class Run:
    pipeline: Pipeline
    source: Source

    def poll(self) -> PollResult:
        return self.pipeline.poll_source(self.source).result


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    built: list[Pipeline] = []

    def make(source: dict[str, Any], **fetch: Any) -> Run:
        data = {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "fetch": {"total_timeout": "10s", **fetch},
            "sources": [{"id": "blog", "full_text": True, **source}],
        }
        config = config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")
        pipeline = runtime.build(config)
        built.append(pipeline)
        return Run(pipeline, config.source("blog"))

    yield make
    for p in built:
        p.close()


def corpus_texts(tmp_path: Path) -> list[str]:
    return [p.read_text() for p in sorted((tmp_path / "corpus").glob("*.txt"))]


def stored_extra(pipeline: Pipeline) -> dict[str, dict[str, Any]]:
    with pipeline.store.engine.connect() as conn:
        rows = conn.execute(select(items.c.key, items.c.item_json)).all()
    return {key: json.loads(doc)["extra"] for key, doc in rows}


def test_an_excerpt_feed_ends_in_the_corpus_with_the_full_articles(
    server: LocalServer, tmp_path: Path, build: Any
) -> None:
    base = server.url("/")
    names = sorted(EXPECTED)
    for name in names:
        server.route(f"/posts/{name}", Reply(body=page(name), content_type="text/html"))
    url = server.route(
        "/feed.xml",
        Reply(body=feed(base + "posts/", [(n, n, excerpt_of(n)) for n in names])),
    )
    run = build({"url": url})
    result = run.poll()
    assert result.error is None and result.accepted == 3 and not result.item_errors
    texts = corpus_texts(tmp_path)
    for name in names:
        (text,) = [t for t in texts if flat(EXPECTED[name]["last"]) in flat(t)]
        body = text.split("---\n", 2)[2]
        assert_is_the_article(body, name)
    extra = stored_extra(run.pipeline)
    for name in names:
        info = extra[f"{base}posts/{name}"]["full_text"]
        assert info["url"] == f"{base}posts/{name}"
        assert info["method"] == "readability"
        assert info["excerpt_words"] == len(excerpt_of(name).split())

    # The next poll brings the same excerpts: known items, no page fetched again.
    pages_before = [r.path for r in server.requests if r.path.startswith("/posts/")]
    again = run.poll()
    assert again.accepted == 0 and again.rejected == 3 and again.error is None
    assert [r.path for r in server.requests if r.path.startswith("/posts/")] == pages_before
    assert len(corpus_texts(tmp_path)) == 3


def test_pages_that_cannot_be_had_keep_the_excerpt_and_count_as_extract_errors(
    server: LocalServer, tmp_path: Path, build: Callable[..., Run]
) -> None:
    """robots.txt forbids one page, one is missing, one times out, one holds no
    article, one is on another site: five excerpts kept, five ``extract``
    errors, and the poll itself succeeds."""
    base = server.url("/")
    server.route(
        "/robots.txt",
        Reply(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"),
    )
    server.route(
        "/posts/slow", Reply(body=page("v8_standalone_wasm"), content_type="text/html", delay=3)
    )
    server.route(
        "/posts/empty",
        Reply(body=b"<html><body><nav>Home</nav></body></html>", content_type="text/html"),
    )
    entries = [
        ("private/secret", "Secret", "An excerpt of a page robots.txt forbids us to fetch."),
        ("posts/missing", "Missing", "An excerpt of a page the server no longer has."),
        ("posts/slow", "Slow", "An excerpt of a page that takes longer than the timeout."),
        ("posts/empty", "Empty", "An excerpt of a page that holds no article at all."),
    ]
    body = feed(base, entries).replace(
        b"</channel>",
        b"<item><title>Elsewhere</title><link>http://localhost:1/x</link><guid>elsewhere</guid>"
        b"<description>An excerpt of an article on another site.</description></item></channel>",
    )
    url = server.route("/feed.xml", Reply(body=body))
    run = build({"url": url}, total_timeout="1s")
    result = run.poll()
    assert result.error is None
    assert result.accepted == 5
    assert result.item_errors == {"extract": 5}
    assert server.hits("/private/secret") == []
    texts = corpus_texts(tmp_path)
    for _, _, excerpt in entries:
        assert sum(t.endswith(excerpt + "\n") for t in texts) == 1
    state = run.pipeline.store.source_state("blog")
    assert state.error_counts == {"extract": 5}
    assert state.consecutive_errors == 0
    assert all("full_text" not in extra for extra in stored_extra(run.pipeline).values())


def test_an_article_shorter_than_the_excerpt_is_not_taken(
    server: LocalServer, tmp_path: Path, build: Callable[..., Run]
) -> None:
    excerpt = " ".join(f"word{i}" for i in range(80))
    server.route(
        "/posts/a",
        Reply(
            body=b"<html><body><article><p>Too short.</p></article></body></html>",
            content_type="text/html",
        ),
    )
    url = server.route("/feed.xml", Reply(body=feed(server.url("/"), [("posts/a", "A", excerpt)])))
    result = build({"url": url}).poll()
    assert result.item_errors == {"extract": 1}
    assert corpus_texts(tmp_path)[0].endswith(excerpt + "\n")


def test_full_text_selector_overrides_the_extractor(
    server: LocalServer, tmp_path: Path, build: Callable[..., Run]
) -> None:
    name = "v8_standalone_wasm"
    server.route("/posts/v8", Reply(body=page(name), content_type="text/html"))
    url = server.route(
        "/feed.xml", Reply(body=feed(server.url("/"), [("posts/v8", "V8", excerpt_of(name))]))
    )
    run = build({"url": url, "full_text_selector": EXPECTED[name]["selector"]})
    assert run.poll().accepted == 1
    (text,) = corpus_texts(tmp_path)
    assert flat(EXPECTED[name]["last"]) in flat(text)
    (extra,) = stored_extra(run.pipeline).values()
    assert extra["full_text"]["method"] == "selector"


@pytest.mark.parametrize(
    ("key", "value"),
    [("full_text", "yes"), ("full_text_selector", "div[itemprop="), ("full_text_selector", "")],
)
def test_bad_full_text_keys_are_config_errors_naming_source_and_key(key: str, value: str) -> None:
    data = {"sources": [{"id": "blog", "url": "http://127.0.0.1/feed", key: value}]}
    with pytest.raises(ConfigError) as info:
        config_mod.from_dict(data)
    assert "'blog'" in str(info.value) and f'"{key}"' in str(info.value)
    assert info.value.exit_code == 2


def test_config_check_exits_2_on_a_bad_selector(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[[sources]]\nid = "blog"\nurl = "http://127.0.0.1/feed"\n'
        'full_text = true\nfull_text_selector = "article >"\n'
    )
    with pytest.raises(SystemExit) as info:
        main(["--config", str(config), "config", "check"])
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "full_text_selector" in err
