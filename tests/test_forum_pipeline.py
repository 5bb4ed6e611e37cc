"""Forum threads through the real pipeline and the command line: a two-page MyBB thread
(the real pages in tests/data/forum/mybb/) served by a local HTTP server, real SQLite,
a real corpus folder; ``seedwatch parse --json`` on every real forum fixture.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from localserver import LocalServer, Reply, Request
from seedwatch.contracts import MAX_LIVE_PAGES, PollResult
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.cli import main
from seedwatch.daemon.pipeline import Pipeline

FORUM = Path(__file__).parent / "data" / "forum"
DATA = FORUM / "mybb"
PAGE1 = "/showthread.php?tid=1"
PAGE2 = "/showthread.php?tid=1&page=2"


def html(name: str) -> Reply:
    return Reply(body=(DATA / name).read_bytes(), content_type="text/html; charset=UTF-8")


@dataclass
class Harness:
    config: config_mod.Config
    pipeline: Pipeline

    def poll(self, **kw: Any) -> PollResult:
        return self.pipeline.poll_source(self.config.source("thread"), **kw).result


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    built: list[Harness] = []

    def make(url: str, **fields: str) -> Harness:
        data: dict[str, Any] = {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "fetch": {"total_timeout": "10s"},
            "sources": [{"id": "thread", "url": url, **fields}],  # no parser: sniffed
        }
        config = config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")
        built.append(Harness(config, runtime.build(config)))
        return built[-1]

    yield make
    for h in built:
        h.pipeline.close()


def corpus(tmp_path: Path) -> list[dict[str, Any]]:
    folder = tmp_path / "corpus"
    return [
        yaml.safe_load(p.read_text(encoding="utf-8").split("---\n")[1])
        for p in sorted(folder.iterdir())
    ]


def test_backfill_records_every_post_once_and_a_second_run_nothing(
    server: LocalServer, tmp_path: Path, harness: Callable[[str], Harness]
) -> None:
    server.route(PAGE1, html("showthread-tid1-page1.html"))
    server.route(PAGE2, html("showthread-tid1-page2.html"))
    h = harness(server.url(PAGE1))
    first = h.poll(backfill=True)
    assert first.error is None, first.error
    assert first.documents == 2 and first.accepted == 9
    entries = corpus(tmp_path)
    host = f"127.0.0.1:{server.port}"
    assert sorted(e["key"] for e in entries) == sorted(f"mybb:{host}:{n}" for n in range(1, 10))
    assert all(e["parser"] == "mybb" for e in entries)
    assert {e["thread"]["post_number"] for e in entries} == set(range(1, 10))
    second = h.poll(backfill=True)
    assert second.error is None and second.documents == 2
    assert second.accepted == 0
    assert len(corpus(tmp_path)) == 9


def test_live_poll_reads_the_first_page_then_the_last(
    server: LocalServer, tmp_path: Path, harness: Callable[[str], Harness]
) -> None:
    server.route(PAGE1, html("showthread-tid1-page1.html"))
    server.route(PAGE2, html("showthread-tid1-page2.html"))
    result = harness(server.url(PAGE1)).poll()
    assert result.error is None and result.accepted == 9
    pages = [r.path for r in server.requests if r.path != "/robots.txt"]
    assert pages == [PAGE1, PAGE2]


def test_thread_deleted_between_pages_keeps_what_was_read(
    server: LocalServer, tmp_path: Path, harness: Callable[[str], Harness]
) -> None:
    server.route(PAGE1, html("showthread-tid1-page1.html"))
    server.route(
        PAGE2, Reply(404, b"The specified thread does not exist.", content_type="text/html")
    )
    result = harness(server.url(PAGE1)).poll(backfill=True)
    assert result.accepted == 5  # page 1's posts are recorded
    assert result.error is not None and "404" in result.error
    assert len(corpus(tmp_path)) == 5


def claimed_pages(server: LocalServer, claimed: int) -> None:
    """A MyBB thread whose every page says "Pages (claimed):", links page 2, and
    holds two posts no other page holds (so every page brings something new)."""

    def page(req: Request) -> Reply:
        query = parse_qs(urlsplit(req.path).query)
        n = int(query.get("page", ["1"])[0])
        posts = "".join(
            f'<div class="post" id="post_{n * 10 + i}"><div class="post_body">'
            f"Post {i} of page {n}.</div></div>"
            for i in (1, 2)
        )
        body = (
            "<html><head><title>A long thread</title></head><body>"
            f'<div class="pagination"><span class="pages">Pages ({claimed}):</span>'
            f'<span class="pagination_current">{n}</span>'
            '<a href="showthread.php?tid=1&amp;page=2" class="pagination_page">2</a></div>'
            f"{posts}</body></html>"
        )
        return Reply(body=body.encode(), content_type="text/html; charset=UTF-8")

    server.route("/showthread.php", page)


def pages_requested(server: LocalServer) -> list[int]:
    return [
        int(parse_qs(urlsplit(r.path).query).get("page", ["1"])[0])
        for r in server.requests
        if r.path != "/robots.txt"
    ]


def test_live_poll_steps_back_a_bounded_number_of_pages(
    server: LocalServer, harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    claimed_pages(server, 500)
    result = harness(server.url(PAGE1), parser="mybb").poll()
    assert result.error is None, result.error
    # the first page, then the last and the pages before it, MAX_LIVE_PAGES in all
    assert pages_requested(server) == [1, *range(500, 500 - MAX_LIVE_PAGES, -1)]
    assert result.accepted == 2 * (1 + MAX_LIVE_PAGES)
    assert "seedwatch backfill thread" in caplog.text


@pytest.mark.timeout(60)
def test_a_page_count_no_thread_has_falls_back_to_the_linked_pages(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    claimed_pages(server, 20_000_000)
    result = harness(server.url(PAGE1), parser="mybb").poll()
    assert result.error is None, result.error
    assert pages_requested(server) == [1, 2]  # page 2 is the highest page linked
    assert result.accepted == 4


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_seedwatch_backfill_command_twice(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route(PAGE1, html("showthread-tid1-page1.html"))
    server.route(PAGE2, html("showthread-tid1-page2.html"))
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[corpus]\npath = "corpus"\n[state]\nurl = "sqlite:///state/state.db"\n'
        f'[[sources]]\nid = "thread"\nurl = "{server.url(PAGE1)}"\n',
        encoding="utf-8",
    )
    code, out, err = cli(capsys, "-c", str(config), "backfill", "thread")
    assert code == 0, err
    assert "2 page(s), 9 item(s), added 9" in err
    assert len(out.split()) == 9  # the corpus files written
    code, out, err = cli(capsys, "-c", str(config), "backfill", "thread")
    assert code == 0, err
    assert "added 0" in err and out == ""


# Posts per real fixture, counted in the pages (see each engine's test module).
FIXTURES = {
    "xenforo2/xenforo_community_dark_theme_option.html": ("xenforo", 8),
    "xenforo1/sufficientvelocity_renascence_page54.html": ("xenforo", 25),
    "phpbb3/ilovephilosophy_biological_will.html": ("phpbb", 25),
    "vbulletin3/animesuki_hibike_euphonium_page152.html": ("vbulletin", 20),
    "vbulletin3/vozforums_vi_page1of3.html": ("vbulletin", 10),
    "vbulletin4/militarytimes_bob_dorr_dies.html": ("vbulletin", 10),
    "vbulletin5/fandompost_isekai_quartet_page1.html": ("vbulletin", 15),
    "mybb/showthread-tid1-page1.html": ("mybb", 5),
    "mybb/showthread-tid1-page2.html": ("mybb", 4),
    "discourse/posts_json_topic2144_from_post5.json": ("discourse", 4),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_seedwatch_parse_json_on_every_real_fixture(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    parser, count = FIXTURES[name]
    code, out, err = cli(capsys, "parse", str(FORUM / name), "--json")
    assert code == 0, err
    items = [json.loads(line) for line in out.splitlines()]
    assert len(items) == count
    for item in items:
        assert item["parser"] == parser
        assert item["author"] and item["published"] and item["text"].strip()
        assert item["thread"]["quotes"] is not None
    assert len({item["key"] for item in items}) == count
    # a post's url is its own: no two posts' URLs are the same page up to a #fragment
    urls = [item["url"].split("#", 1)[0] for item in items if item["url"]]
    assert len(set(urls)) == len(urls)


def test_seedwatch_parse_with_the_wrong_parser_explains(capsys: pytest.CaptureFixture[str]) -> None:
    page = FORUM / "phpbb3/ilovephilosophy_biological_will.html"
    code, out, err = cli(capsys, "parse", str(page), "--parser", "xenforo")
    assert code == 1 and out == ""
    assert "no XenForo posts found" in err
