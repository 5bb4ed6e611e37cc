"""The pipeline end to end: a real local HTTP server, real SQLite, a real corpus folder."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from feedgen import article, rss
from localserver import LocalServer, Reply
from seedwatch import Accepted, Document, Filter, Item, Parser, Sink, Source, Transform, hookimpl
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.errors import ParseError

SEEDS = Path(__file__).parent / "data" / "seeds"


@dataclass
class Harness:
    tmp: Path
    config: config_mod.Config
    pipeline: Pipeline

    def source(self, source_id: str) -> Source:
        return self.config.source(source_id)

    def poll(self, source_id: str, **kw: Any) -> Any:
        return self.pipeline.poll_source(self.source(source_id), **kw).result

    def files(self) -> list[str]:
        folder = self.tmp / "corpus"
        return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    built: list[Harness] = []

    def make(
        sources: list[dict[str, Any]], *, plugins: Iterable[object] = (), **sections: Any
    ) -> Harness:
        data = {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "fetch": {"total_timeout": "10s"},
            "sources": sources,
            **sections,
        }
        config = config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")
        h = Harness(tmp_path, config, runtime.build(config, extra_plugins=plugins))
        built.append(h)
        return h

    yield make
    for h in built:
        h.pipeline.close()


def test_new_items_become_corpus_files_numbered_after_the_seeds(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    shutil.copytree(SEEDS, tmp_path / "corpus")
    url = server.route("/feed.xml", Reply(body=rss(3)))
    h = harness([{"id": "gen", "url": url}])
    result = h.poll("gen")
    assert result.error is None and result.accepted == 3
    new = [n for n in h.files() if not (SEEDS / n).exists()]
    assert [n[:4] for n in new] == ["005_", "006_", "007_"]
    text = (tmp_path / "corpus" / new[0]).read_text()
    meta = yaml.safe_load(text.split("---\n")[1])
    assert meta["seedwatch"] == 1 and meta["source"] == "gen" and meta["parser"] == "rss"
    assert meta["guid"] == "item-0" and meta["title"] == "Item 0"
    assert text.endswith(article(0) + "\n")
    for seed in SEEDS.iterdir():  # existing files are never touched
        assert (tmp_path / "corpus" / seed.name).read_bytes() == seed.read_bytes()


def test_second_poll_is_conditional_and_adds_nothing(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    body = rss(4)

    def feed(req: Any) -> Reply:
        if req.headers.get("If-None-Match") == '"v1"':
            return Reply(304, content_type=None)
        return Reply(body=body, headers={"ETag": '"v1"'})

    url = server.route("/feed.xml", feed)
    h = harness([{"id": "gen", "url": url}])
    assert h.poll("gen").accepted == 4
    second = h.poll("gen")
    assert second.not_modified == 1 and second.accepted == 0 and second.error is None
    assert server.hits("/feed.xml")[-1].headers.get("If-None-Match") == '"v1"'
    assert len(h.files()) == 4


def test_a_failing_source_keeps_what_was_recorded_and_counts_the_error(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    replies = iter([Reply(body=rss(2)), Reply(500, b"oops", content_type="text/plain")])
    url = server.route("/feed.xml", lambda req: next(replies))
    h = harness([{"id": "gen", "url": url}])
    assert h.poll("gen").accepted == 2
    failed = h.poll("gen")
    assert failed.error and "500" in failed.error and failed.error_category == "http-5xx"
    state = h.pipeline.store.source_state("gen")
    assert state.consecutive_errors == 1 and state.items_accepted == 2
    assert len(h.files()) == 2


def test_the_same_story_through_two_feeds_is_written_once(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    a = server.route("/a.xml", Reply(body=rss(3)))
    b = server.route("/b.xml", Reply(body=rss(3, base="http://mirror.example/")))
    h = harness([{"id": "a", "url": a}, {"id": "b", "url": b}])
    assert h.poll("a").accepted == 3
    mirrored = h.poll("b")
    assert mirrored.accepted == 0 and mirrored.rejected == 3
    assert len(h.files()) == 3


class RaisingParser(Parser):
    name = "raising"

    def sniff(self, document: Document) -> float:
        return 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        yield Item(key="first", text="fine", parser=self.name)
        raise RuntimeError("the plugin broke")


class RaisingPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(RaisingParser())


class RefusingParser(Parser):
    name = "refusing"

    def sniff(self, document: Document) -> float:
        return 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        raise ParseError(f"{document.url}: not a document of mine")


class RefusingPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(RefusingParser())


def test_a_parse_error_names_the_parser_and_the_url_once(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    url = server.route("/doc", Reply(body=b"anything"))
    h = harness([{"id": "doc", "url": url, "parser": "refusing"}], plugins=[RefusingPlugin()])
    result = h.poll("doc")
    assert result.error_category == "parse" and result.error is not None
    assert result.error.count(url) == 1 and "refusing" in result.error


def test_a_plugin_that_raises_fails_one_document_and_names_itself(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    bad = server.route("/bad", Reply(body=b"anything"))
    good = server.route("/good.xml", Reply(body=rss(1)))
    h = harness(
        [{"id": "bad", "url": bad, "parser": "raising"}, {"id": "good", "url": good}],
        plugins=[RaisingPlugin()],
    )
    result = h.poll("bad")
    assert result.failed_documents == 1 and result.accepted == 1  # the first item is kept
    assert result.error and "raising" in result.error and "the plugin broke" in result.error
    assert result.error_category == "plugin" and "RaisingPlugin" in result.error
    assert h.poll("good").accepted == 1


class Shout(Transform):
    name = "shout"

    def apply(self, item: Item, source: Source | None) -> Item:
        return replace(item, title=(item.title or "").upper())


class NoOdd(Filter):
    name = "no-odd"

    def check(self, item: Item, source: Source | None) -> str | None:
        return "odd item" if item.title and item.title[-1] in "13579" else None


class EditorialPlugin:
    @hookimpl
    def register_transforms(self, register: Callable[[Transform], None]) -> None:
        register(Shout())

    @hookimpl
    def register_filters(self, register: Callable[[Filter], None]) -> None:
        register(NoOdd())


# Three JSON Feed items: a title holding a lone surrogate (an escape JSON allows and
# UTF-8 cannot encode), a date in year 1 at +05:00 (year 0 in UTC), and a sound one.
POISONED_FEED = (
    "{"
    '"version": "https://jsonfeed.org/version/1.1", "title": "Poisoned",'
    ' "home_page_url": "https://poisoned.example/", "items": ['
    '{"id": "1", "url": "https://poisoned.example/1", "title": "Half \\ud800 a pair",'
    f' "content_text": "{article(1)}"}},'
    '{"id": "2", "url": "https://poisoned.example/2", "title": "Year one",'
    f' "date_published": "0001-01-01T00:00:00+05:00", "content_text": "{article(2)}"}},'
    '{"id": "3", "url": "https://poisoned.example/3", "title": "Sound",'
    f' "date_published": "2024-05-01T10:00:00+02:00", "content_text": "{article(3)}"}}'
    "]}"
).encode()


def test_one_bad_item_never_costs_its_siblings(
    server: LocalServer, harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    url = server.route(
        "/feed.json", Reply(body=POISONED_FEED, content_type="application/feed+json")
    )
    h = harness([{"id": "poisoned", "url": url}])
    result = h.poll("poisoned")
    assert result.error is None, result.error
    assert result.accepted == 3
    meta = {}
    for name in h.files():
        header = (h.tmp / "corpus" / name).read_text(encoding="utf-8").split("---\n")[1]
        entry = yaml.safe_load(header)
        meta[entry["guid"]] = entry
    assert meta["1"]["title"] == "Half \ufffd a pair"
    assert "published" not in meta["2"]  # no date rather than year 0
    assert meta["3"]["published"] == "2024-05-01T10:00:00+02:00"
    assert "item poisoned.example:2: published: 0001-01-01T00:00:00+05:00" in caplog.text


def test_transforms_then_filters_apply_to_every_item(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(4)))
    h = harness([{"id": "gen", "url": url}], plugins=[EditorialPlugin()])
    result = h.poll("gen")
    assert result.accepted == 2 and result.rejected == 2
    titles = sorted(
        yaml.safe_load((tmp_path / "corpus" / n).read_text().split("---\n")[1])["title"]
        for n in h.files()
    )
    assert titles == ["ITEM 0", "ITEM 2"]


def test_pipeline_config_can_disable_a_filter(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(4)))
    h = harness(
        [{"id": "gen", "url": url}],
        plugins=[EditorialPlugin()],
        pipeline={"filters": [], "transforms": ["shout"]},
    )
    assert h.poll("gen").accepted == 4


def test_dry_run_records_nothing(server: LocalServer, harness: Callable[..., Harness]) -> None:
    url = server.route("/feed.xml", Reply(body=rss(3)))
    h = harness([{"id": "gen", "url": url}])
    result = h.poll("gen", backfill=True, dry_run=True)
    assert result.accepted == 3
    assert h.files() == [] and h.pipeline.store.stats()["items_pending"] == 0
    assert h.poll("gen").accepted == 3


class PagedParser(Parser):
    """Pages ``/p/N`` hold item N and link to ``/p/N+1``, plus off-site and local links."""

    name = "paged"

    def sniff(self, document: Document) -> float:
        return 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        n = int(document.url.rsplit("/", 1)[1])
        yield Item(key=f"page-{n}", text=article(n), parser=self.name, url=document.url)

    def next_pages(self, document: Document) -> list[str]:
        n = int(document.url.rsplit("/", 1)[1])
        base = document.url.rsplit("/", 1)[0]
        return [f"{base}/{n + 1}", "http://elsewhere.invalid/p/1", "file:///etc/passwd"]

    def live_pages(self, document: Document) -> list[str]:
        base = document.url.rsplit("/", 1)[0]
        return [f"{base}/{n}" for n in (5, 4, 3, 2)]


class PagedPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(PagedParser())


def test_backfill_follows_next_pages_on_the_same_site_only(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    for n in range(1, 6):
        server.route(f"/p/{n}", Reply(body=b"page", content_type="text/html"))
    h = harness(
        [{"id": "paged", "url": server.url("/p/1"), "parser": "paged"}], plugins=[PagedPlugin()]
    )
    result = h.poll("paged", backfill=True)
    assert result.accepted == 5 and result.documents == 5
    assert result.error and "404" in result.error  # /p/6 does not exist
    assert not any("passwd" in r.path for r in server.requests)
    again = h.poll("paged", backfill=True, max_pages=2)
    assert again.documents == 2 and again.accepted == 0


@pytest.mark.parametrize("where", ["another host", "another port"])
def test_a_same_site_link_redirected_off_site_is_not_followed(
    server: LocalServer,
    harness: Callable[..., Harness],
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    with LocalServer() as other:
        for srv in (server, other):
            srv.route("/moved/2", Reply(body=b"page", content_type="text/html"))
        host = f"localhost:{server.port}" if where == "another host" else f"127.0.0.1:{other.port}"
        server.route("/p/1", Reply(body=b"page", content_type="text/html"))
        server.route("/p/2", Reply(302, headers={"Location": f"http://{host}/moved/2"}))
        h = harness(
            [{"id": "paged", "url": server.url("/p/1"), "parser": "paged"}],
            plugins=[PagedPlugin()],
        )
        result = h.poll("paged", backfill=True)
        moved = [r for srv in (server, other) for r in srv.requests if r.path == "/moved/2"]
    assert moved == []
    assert result.error is None and result.accepted == 1  # /p/1 only: nothing from /moved/2
    assert len(h.files()) == 1
    assert f"not following off-site link {server.url('/p/2')}" in caplog.text


def test_live_poll_walks_back_until_a_page_brings_nothing_new(
    server: LocalServer, harness: Callable[..., Harness]
) -> None:
    for n in range(1, 6):
        server.route(f"/p/{n}", Reply(body=b"page", content_type="text/html"))
    h = harness(
        [{"id": "paged", "url": server.url("/p/1"), "parser": "paged"}], plugins=[PagedPlugin()]
    )
    first = h.poll("paged")
    assert first.accepted == 5  # page 1, then 5, 4, 3, 2: all new
    server.requests.clear()
    second = h.poll("paged")
    assert second.accepted == 0
    assert [r.path for r in server.requests] == ["/p/1", "/p/5"]  # stopped at the first old page


class CaptureSink(Sink):
    name = "capture"

    def __init__(self) -> None:
        self.options: dict[str, Any] = {}

    def configure(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)

    def write(self, entry: Accepted) -> None:
        pass


def test_every_sink_is_given_the_corpus_folder_and_the_config_folder(
    tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    sink = CaptureSink()

    class Plugin:
        @hookimpl
        def register_sinks(self, register: Callable[[Sink], None]) -> None:
            register(sink)

    h = harness(
        [],
        plugins=[Plugin()],
        corpus={"path": "corpus", "sinks": ["corpus", "capture"]},
        sinks={"capture": {"outbox": "out"}},
    )
    assert sink.options == {
        "corpus_path": str(tmp_path / "corpus"),
        "config_dir": str(tmp_path),
        "outbox": "out",
    }
    assert h.pipeline.sinks[0].name == "corpus"
