"""A forum engine from outside seedwatch works with ``kind = "forum"``: the source
kind reads boards with every ``ForumParser`` the plugin manager registered, not
with a closed list of the built-in engines.

"TinyBoard" is a throwaway engine written here the way a third party would
(``seedwatch.plugins.builtin.forums.engine``), registered as a plugin from the
test; its pages are served by a local HTTP server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml.html import HtmlElement

from localserver import LocalServer, Reply
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.plugins.builtin.forums.engine import (
    ForumParser,
    Page,
    Pagination,
    Post,
    Thread,
    ThreadEntry,
    each_post,
    engine_hook,
    first,
    text_of,
)
from seedwatch.plugins.manager import build_registry


class TinyBoardParser(ForumParser):
    name = "tinyboard"
    engine = "tinyboard"
    label = "TinyBoard"
    expected = "div.tb-post"

    def score(self, head: str) -> float:
        return 0.9 if 'content="TinyBoard' in head else 0.0

    def posts(self, page: Page) -> Iterator[Post]:
        return each_post(page, "//div[@class='tb-post']", self._post)

    def _post(self, page: Page, el: HtmlElement) -> Post | None:
        body = first(el, "./div[@class='tb-body']")
        if body is None:
            return None
        number = int(el.get("id", "p0")[1:])
        return Post(
            id=str(number),
            body=body,
            author=text_of(first(el, "./span[@class='tb-author']")),
            number=number,
            url=f"{page.document.url}?post={number}",
        )

    def thread(self, page: Page) -> Thread:
        return Thread(id=page.document.url.rsplit("/", 1)[-1], title=page.title)

    def pagination(self, page: Page) -> Pagination:
        return Pagination()

    def threads(self, page: Page) -> Iterator[ThreadEntry]:
        for row in page.root.xpath("//li[@class='tb-thread']"):
            link = first(row, "./a")
            url = page.url(link.get("href")) if link is not None else None
            if url:
                yield ThreadEntry(url, text_of(link), text_of(first(row, "./span")))


# The plugin a pip-installed package would expose through its entry point.
PLUGIN = SimpleNamespace(register_parsers=engine_hook(TinyBoardParser))

HEAD = '<html><head><meta name="generator" content="TinyBoard 1.0"><title>{}</title></head>'
BOARD = (HEAD.format("General") + '<body><ul><li class="tb-thread"><a href="/t/1">Hello</a>'
         "<span>3 replies</span></li></ul></body></html>")  # fmt: skip
THREAD = HEAD.format("Hello") + (
    '<body><div class="tb-post" id="p1"><span class="tb-author">ann</span>'
    '<div class="tb-body"><p>The first post of the thread, long enough to be a post of its'
    " own and not a title.</p></div></div>"
    '<div class="tb-post" id="p2"><span class="tb-author">bob</span>'
    '<div class="tb-body"><p>A reply that says something else entirely about boards and'
    " the engines that serve them.</p></div></div></body></html>"
)


def config_for(tmp_path: Path, url: str, **source: str) -> config_mod.Config:
    data = {
        "corpus": {"path": "corpus"},
        "state": {"url": "sqlite:///state/state.db"},
        "fetch": {"total_timeout": "10s"},
        "sources": [{"id": "tiny", "kind": "forum", "url": url, **source}],
    }
    return config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")


def forum_source(parser: str) -> Source:
    return Source(id="tiny", kind="forum", url="https://board.example/f/1", parser=parser)


def test_a_registered_engine_is_one_the_forum_kind_reads() -> None:
    kind = build_registry(load_external=False, extra_plugins=[PLUGIN]).source_kind("forum")
    kind.check(forum_source("tinyboard"))
    with pytest.raises(ConfigError, match="tinyboard"):  # listed among the engines it reads
        kind.check(forum_source("nosuchboard"))


def test_without_the_plugin_the_engine_is_unknown() -> None:
    kind = build_registry(load_external=False).source_kind("forum")
    with pytest.raises(ConfigError, match="got 'tinyboard'"):
        kind.check(forum_source("tinyboard"))


def test_a_board_of_an_installed_engine_is_polled_thread_by_thread(
    server: LocalServer, tmp_path: Path
) -> None:
    server.route("/f/1", Reply(body=BOARD.encode(), content_type="text/html; charset=utf-8"))
    server.route("/t/1", Reply(body=THREAD.encode(), content_type="text/html; charset=utf-8"))
    config = config_for(tmp_path, server.url("/f/1"))
    pipeline = runtime.build(config, extra_plugins=[PLUGIN])
    try:
        result = pipeline.poll_source(config.source("tiny")).result
    finally:
        pipeline.close()
    assert result.error is None, result.error
    assert [r.path for r in server.requests if r.path != "/robots.txt"] == ["/f/1", "/t/1"]
    texts = sorted(p.read_text(encoding="utf-8") for p in (tmp_path / "corpus").iterdir())
    assert len(texts) == 2
    host = f"127.0.0.1:{server.port}"
    assert any(f"key: tinyboard:{host}:1" in t and "The first post" in t for t in texts)
    assert any(f"key: tinyboard:{host}:2" in t and "parser: tinyboard" in t for t in texts)
