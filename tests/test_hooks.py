"""Every hook of hookspecs.py, exercised for real: each register_* hook registers a
capability the pipeline then uses on a poll against a local HTTP server; each on_*
notification is observed during a real poll or a real `seedwatch run --once`.

tests/test_hooks_documented.py checks that every hook has a test here (a test whose
name holds the hook's name) and a section in docs/plugins.md.
"""

from __future__ import annotations

import json
import sys
import textwrap
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import pytest
import yaml

from feedgen import article, rss
from localserver import LocalServer, Reply
from seedwatch import (
    Accepted,
    Cursor,
    Document,
    Filter,
    Item,
    Page,
    ParseError,
    Parser,
    PollContext,
    PollResult,
    Sink,
    Source,
    SourceKind,
    Transform,
    Verdict,
    hookimpl,
)
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.cli import main
from seedwatch.daemon.pipeline import Pipeline


@dataclass
class Run:
    tmp: Path
    config: config_mod.Config
    pipeline: Pipeline

    def poll(self, source_id: str, **kw: Any) -> PollResult:
        return self.pipeline.poll_source(self.config.source(source_id), **kw).result

    def corpus(self) -> list[dict[str, Any]]:
        """Front matter and text of each corpus file, in file order."""
        folder = self.tmp / "corpus"
        files = sorted(folder.iterdir()) if folder.exists() else []
        out = []
        for path in files:
            _, meta, text = path.read_text(encoding="utf-8").split("---\n", 2)
            out.append({"name": path.name, **yaml.safe_load(meta), "body": text})
        return out


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    built: list[Run] = []

    def make(sources: list[dict[str, Any]], *plugins: object, **sections: Any) -> Run:
        data = {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "fetch": {"total_timeout": "10s"},
            "sources": sources,
            **sections,
        }
        config = config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")
        run = Run(tmp_path, config, runtime.build(config, extra_plugins=plugins))
        built.append(run)
        return run

    yield make
    for run in built:
        run.pipeline.close()


# -- register_parsers ------------------------------------------------------------------

# HAND-MADE format for these tests: a first line "#notes", then one note per line as
# "<id>|<text>". Not a real format: it only needs to be one no built-in parser reads.
NOTES = ("#notes\n1|" + article(1) + "\n2|" + article(2) + "\n").encode()


class NotesParser(Parser):
    name = "notes"

    def sniff(self, document: Document) -> float:
        return 0.9 if document.content.startswith(b"#notes\n") else 0.0

    def parse(self, document: Document) -> Iterator[Item]:
        if not document.content.startswith(b"#notes\n"):
            raise ParseError(f"{document.url}: no #notes header")
        for line in document.content.decode().splitlines()[1:]:
            note_id, text = line.split("|", 1)
            yield Item(key=f"note:{note_id}", text=text, parser=self.name, title=f"Note {note_id}")


class NotesPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(NotesParser())


def test_register_parsers_a_registered_parser_reads_what_a_poll_fetches(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    url = server.route("/notes", Reply(body=NOTES, content_type="text/plain"))
    run = pipeline([{"id": "notes", "url": url}], NotesPlugin())  # no parser named: sniffed
    assert run.pipeline.registry.owners[("register_parsers", "notes")] == "NotesPlugin"
    result = run.poll("notes")
    assert result.error is None and result.accepted == 2
    corpus = run.corpus()
    assert [(c["parser"], c["key"], c["title"]) for c in corpus] == [
        ("notes", "note:1", "Note 1"),
        ("notes", "note:2", "Note 2"),
    ]
    assert corpus[0]["body"] == article(1) + "\n"


# -- register_source_kinds -------------------------------------------------------------


class ListKind(SourceKind):
    """Polls each URL of the source's ``urls`` option, one Page each; the cursor's mark
    is the last URL read, so the next poll starts after it."""

    name = "url-list"
    checked: ClassVar[list[str]] = []

    def check(self, source: Source) -> None:
        self.checked.append(source.id)

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        urls: list[str] = list(source.options["urls"])
        start = urls.index(cursor.mark) + 1 if cursor.mark in urls else 0
        for url in urls[start:]:
            document = context.fetcher.fetch(url, source=source)
            yield Page(document, Cursor(mark=url))


class ListKindPlugin:
    @hookimpl
    def register_source_kinds(self, register: Callable[[SourceKind], None]) -> None:
        register(ListKind())


def test_register_source_kinds_a_registered_kind_yields_pages_the_pipeline_records(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    urls = [
        server.route("/a.xml", Reply(body=rss(2))),
        server.route("/b.xml", Reply(body=rss(2, start=2))),
    ]
    source = {"id": "two", "kind": "url-list", "url": urls[0], "urls": urls}
    run = pipeline([source], ListKindPlugin())
    assert ListKind.checked[-1] == "two"  # start-up validated the source with the kind
    result = run.poll("two")
    assert result.documents == 2 and result.accepted == 4
    assert [c["guid"] for c in run.corpus()] == ["item-0", "item-1", "item-2", "item-3"]
    assert run.pipeline.store.source_state("two").cursor.mark == urls[1]
    assert run.poll("two").documents == 0  # the saved cursor says both were read


# -- register_sinks --------------------------------------------------------------------


class MemorySink(Sink):
    name = "memory"

    def __init__(self) -> None:
        self.entries: list[Accepted] = []
        self.options: dict[str, Any] = {}

    def configure(self, options: Mapping[str, Any]) -> None:
        self.options = dict(options)

    def write(self, entry: Accepted) -> None:
        self.entries.append(entry)


class MemorySinkPlugin:
    def __init__(self) -> None:
        self.sink = MemorySink()

    @hookimpl
    def register_sinks(self, register: Callable[[Sink], None]) -> None:
        register(self.sink)


def test_register_sinks_a_registered_sink_receives_every_accepted_item(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(3)))
    plugin = MemorySinkPlugin()
    run = pipeline(
        [{"id": "gen", "url": url}],
        plugin,
        corpus={"path": "corpus", "sinks": ["corpus", "memory"]},
        sinks={"memory": {"label": "kept"}},
    )
    # its [sinks.memory] table, and where the corpus and the config are
    assert plugin.sink.options == {
        "label": "kept",
        "corpus_path": str(run.tmp / "corpus"),
        "config_dir": str(run.tmp),
    }
    assert run.poll("gen").accepted == 3
    corpus = run.corpus()
    assert [e.item.guid for e in plugin.sink.entries] == ["item-0", "item-1", "item-2"]
    assert [e.name for e in plugin.sink.entries] == [c["name"] for c in corpus]
    first = (run.tmp / "corpus" / corpus[0]["name"]).read_text(encoding="utf-8")
    assert plugin.sink.entries[0].rendered == first  # the very text of the corpus file
    assert run.poll("gen").accepted == 0 and len(plugin.sink.entries) == 3


# -- register_filters ------------------------------------------------------------------


class EvenOnly(Filter):
    name = "even-only"

    def check(self, item: Item, source: Source | None) -> str | None:
        return "odd item number" if item.guid and int(item.guid[-1]) % 2 else None


class EvenOnlyPlugin:
    @hookimpl
    def register_filters(self, register: Callable[[Filter], None]) -> None:
        register(EvenOnly())


def test_register_filters_a_registered_filter_drops_items_before_the_corpus(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(4)))
    run = pipeline([{"id": "gen", "url": url}], EvenOnlyPlugin())
    result = run.poll("gen")
    assert result.accepted == 2 and result.rejected == 2
    assert [c["guid"] for c in run.corpus()] == ["item-0", "item-2"]


# -- register_transforms ---------------------------------------------------------------


class Signature(Transform):
    """Appends the source id as a last paragraph and upper-cases the title."""

    name = "signature"

    def apply(self, item: Item, source: Source | None) -> Item:
        where = source.id if source else "nowhere"
        return replace(item, title=(item.title or "").upper(), text=f"{item.text}\n\nvia {where}")


class SignaturePlugin:
    @hookimpl
    def register_transforms(self, register: Callable[[Transform], None]) -> None:
        register(Signature())


def test_register_transforms_a_registered_transform_rewrites_what_is_written(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(2)))
    run = pipeline([{"id": "gen", "url": url}], SignaturePlugin())
    assert run.poll("gen").accepted == 2
    corpus = run.corpus()
    assert [c["title"] for c in corpus] == ["ITEM 0", "ITEM 1"]
    assert corpus[1]["body"] == f"{article(1)}\n\nvia gen\n"


# -- on_item_accepted, on_item_rejected, on_poll_finished ------------------------------


class Recorder:
    def __init__(self) -> None:
        self.accepted: list[tuple[str, str | None, str]] = []
        self.rejected: list[tuple[str, str | None, Verdict]] = []
        self.finished: list[tuple[str, PollResult]] = []

    @hookimpl
    def on_item_accepted(self, item: Item, source: Source | None, entry: Accepted) -> None:
        self.accepted.append((item.key, source.id if source else None, entry.name))

    @hookimpl
    def on_item_rejected(self, item: Item, source: Source | None, verdict: Verdict) -> None:
        self.rejected.append((item.key, source.id if source else None, verdict))

    @hookimpl
    def on_poll_finished(self, source: Source, result: PollResult) -> None:
        self.finished.append((source.id, result))


def test_on_item_accepted_is_called_once_per_item_written_with_its_corpus_entry(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(3)))
    recorder = Recorder()
    run = pipeline([{"id": "gen", "url": url}], recorder)
    run.poll("gen")
    names = [c["name"] for c in run.corpus()]
    keys = [c["key"] for c in run.corpus()]
    assert recorder.accepted == [(k, "gen", n) for k, n in zip(keys, names, strict=True)]
    run.poll("gen")
    assert len(recorder.accepted) == 3  # nothing new the second time


def test_on_item_rejected_says_which_layer_rejected_and_why(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    first = server.route("/a.xml", Reply(body=rss(2)))
    mirror = server.route("/b.xml", Reply(body=rss(2, base="http://mirror.example/")))
    recorder = Recorder()
    run = pipeline([{"id": "a", "url": first}, {"id": "b", "url": mirror}], recorder)
    run.poll("a")
    assert recorder.rejected == []
    run.poll("b")  # the same two articles (same guids and texts) under other URLs
    assert [source for _, source, _ in recorder.rejected] == ["b", "b"]
    for (_, _, verdict), (first_key, _, name) in zip(
        recorder.rejected, recorder.accepted, strict=True
    ):
        # identity (same key) or exact (same text), depending on how the rss parser keys
        assert not verdict.accepted and verdict.layer in ("identity", "exact")
        assert verdict.matched == (first_key,)  # the recorded item it repeats
        assert name in verdict.reason  # and the corpus file holding it


def test_on_item_rejected_is_called_for_filtered_items_with_the_filter_named(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(2)))
    recorder = Recorder()
    run = pipeline([{"id": "gen", "url": url}], recorder, EvenOnlyPlugin())
    run.poll("gen")
    [(_, source, verdict)] = recorder.rejected
    assert source == "gen" and verdict.layer == "filter"
    assert verdict.reason == "even-only: odd item number"


def test_on_poll_finished_reports_successes_and_failures_alike(
    server: LocalServer, pipeline: Callable[..., Run]
) -> None:
    replies = iter([Reply(body=rss(2)), Reply(503, b"busy", content_type="text/plain")])
    url = server.route("/feed.xml", lambda request: next(replies))
    recorder = Recorder()
    run = pipeline([{"id": "gen", "url": url}], recorder)
    run.poll("gen")
    run.poll("gen")
    [(first_id, first), (second_id, second)] = recorder.finished
    assert first_id == second_id == "gen"
    assert (first.documents, first.items, first.accepted, first.error) == (1, 2, 2, None)
    assert second.error and "503" in second.error and second.error_category == "http-5xx"


# -- on_startup, on_shutdown: a real `seedwatch run --once` ----------------------------

LIFECYCLE_PLUGIN = """
import json, os
from seedwatch import hookimpl

def _log(event, **data):
    with open(os.environ["SW_TEST_HOOK_LOG"], "a") as log:
        log.write(json.dumps({"event": event, **data}) + "\\n")

@hookimpl
def on_startup(sources):
    _log("startup", sources=[s.id for s in sources])

@hookimpl
def on_poll_finished(source, result):
    _log("poll", source=source.id, accepted=result.accepted)

@hookimpl
def on_shutdown():
    _log("shutdown")
"""

LOUD_PLUGIN = """
from seedwatch import hookimpl

@hookimpl
def on_startup(sources):
    raise RuntimeError("a plugin that fails at start-up")

@hookimpl
def on_shutdown():
    raise RuntimeError("a plugin that fails at shutdown")
"""


def install(site: Path, dist: str, module: str, source: str) -> None:
    """A distribution with a ``seedwatch`` entry point: a module and its .dist-info."""
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[seedwatch]\n{dist} = {module}\n")


@pytest.fixture
def run_once(
    tmp_path: Path, server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., list[dict[str, Any]]]]:
    """`seedwatch run --once` (or the command given) over two feeds, with the lifecycle
    plugin (and one that raises in every notification) installed as entry points;
    returns the events logged."""
    site = tmp_path / "site"
    site.mkdir()
    install(site, "sw-test-lifecycle", "sw_test_lifecycle", LIFECYCLE_PLUGIN)
    install(site, "sw-test-loud", "sw_test_loud", LOUD_PLUGIN)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("SEEDWATCH_LOAD_PLUGINS", raising=False)
    log = tmp_path / "hooks.jsonl"
    monkeypatch.setenv("SW_TEST_HOOK_LOG", str(log))
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[corpus]\npath = "corpus"\n[state]\nurl = "sqlite:///state/s.db"\n'
        f'[[sources]]\nid = "one"\nurl = "{server.route("/1.xml", Reply(body=rss(2)))}"\n'
        f'[[sources]]\nid = "two"\nurl = "{server.route("/2.xml", Reply(body=rss(1, start=5)))}"\n'
    )

    def run(*command: str) -> list[dict[str, Any]]:
        command = command or ("run", "--once")
        try:
            main(["--config", str(config), *command])
        except SystemExit as exc:
            assert exc.code in (0, None), f"{' '.join(command)} exited {exc.code}"
        return [json.loads(line) for line in log.read_text().splitlines()]

    yield run
    for name in list(sys.modules):
        if name.startswith("sw_test_"):
            del sys.modules[name]


def test_on_startup_is_called_once_with_the_sources_before_any_poll(
    run_once: Callable[..., list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    events = run_once()
    assert events[0] == {"event": "startup", "sources": ["one", "two"]}
    assert [e["event"] for e in events].count("startup") == 1
    assert sorted((e["source"], e["accepted"]) for e in events if e["event"] == "poll") == [
        ("one", 2),
        ("two", 1),
    ]
    # a plugin raising in on_startup is logged with its name and stops nothing
    logged = capsys.readouterr().err
    assert "plugin sw-test-loud raised in on_startup" in logged
    assert "a plugin that fails at start-up" in logged


def test_on_shutdown_is_called_once_after_the_last_poll(
    run_once: Callable[..., list[dict[str, Any]]], capsys: pytest.CaptureFixture[str]
) -> None:
    events = run_once()
    assert events[-1] == {"event": "shutdown"}
    assert [e["event"] for e in events].count("shutdown") == 1
    assert "plugin sw-test-loud raised in on_shutdown" in capsys.readouterr().err


def test_on_startup_and_on_shutdown_frame_a_backfill(
    run_once: Callable[..., list[dict[str, Any]]],
) -> None:
    events = run_once("backfill", "two")
    assert events[0] == {"event": "startup", "sources": ["two"]}
    assert events[-1] == {"event": "shutdown"}
    assert [(e["source"], e["accepted"]) for e in events if e["event"] == "poll"] == [("two", 1)]
