"""The corpus format: names, front-matter keys, atomic and never-clobbering writes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from seedwatch import Document, ParseError, Parser, corpus, hookimpl
from seedwatch.corpus import (
    BATCH_FILES,
    CorpusConflict,
    file_name,
    next_free_seq,
    read,
    render,
    scan,
    write_atomic,
    write_batch,
)
from seedwatch.daemon.indexer import read_corpus_file
from seedwatch.models import Item, Quote, ThreadRef
from seedwatch.plugins.manager import build_registry
from seedwatch.text import fingerprint


def test_file_name_is_sequence_and_first_64_bits_of_the_fingerprint() -> None:
    text = "Hello “World”…"
    assert file_name(7, text) == f"007_{fingerprint(text)[:8].hex()}.txt"
    assert file_name(1234, text).startswith("1234_")


def test_scan_takes_seed_names_as_they_are(tmp_path: Path) -> None:
    seeds = Path(__file__).parent / "data" / "seeds"
    for seed in seeds.iterdir():
        (tmp_path / seed.name).write_bytes(seed.read_bytes())
    (tmp_path / "notes.txt").write_text("not a corpus file")
    assert [f.seq for f in scan(tmp_path)] == [0, 1, 2, 3, 4]
    assert next_free_seq(tmp_path) == 5


def test_rendered_front_matter_has_the_fixed_keys_in_order() -> None:
    hk = timezone(timedelta(hours=8))
    item = Item(
        key="xenforo:example.org:42",
        text="First paragraph.\n\nSecond.",
        parser="xenforo",
        source="forum",
        url="https://example.org/posts/42/",
        title="A thread",
        author="TaiShang",
        published=datetime(2020, 1, 2, 3, 4, 5, tzinfo=hk),
        thread=ThreadRef(id="7", title="A thread", post_number=3, quotes=(Quote("bob", "k1"),)),
    )
    text = render(item, datetime(2026, 11, 21, tzinfo=UTC))
    head, body = text.removeprefix("---\n").split("---\n", 1)
    meta = yaml.safe_load(head)
    assert list(meta) == [
        "seedwatch", "key", "source", "parser", "url", "title", "author", "published",
        "fetched", "thread",
    ]  # fmt: skip
    assert meta["seedwatch"] == 1
    assert meta["published"] == "2020-01-02T03:04:05+08:00"
    assert meta["thread"]["quotes"] == [{"author": "bob", "key": "k1"}]
    assert body == "First paragraph.\n\nSecond.\n"


def test_write_is_atomic_idempotent_and_never_replaces(tmp_path: Path) -> None:
    write_atomic(tmp_path, "000_aaaaaaaaaaaaaaaa.txt", "one\n")
    write_atomic(tmp_path, "000_aaaaaaaaaaaaaaaa.txt", "one\n")  # a retried write: fine
    with pytest.raises(CorpusConflict):
        write_atomic(tmp_path, "000_aaaaaaaaaaaaaaaa.txt", "two\n")
    assert (tmp_path / "000_aaaaaaaaaaaaaaaa.txt").read_text() == "one\n"
    assert [p.name for p in tmp_path.iterdir()] == ["000_aaaaaaaaaaaaaaaa.txt"]


@pytest.fixture(params=["nameless", "named"])
def temporary_files(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Batch writes with Linux's nameless (``O_TMPFILE``) files, and with the
    named temporary files of systems and file systems without them."""
    if request.param == "named":
        monkeypatch.setattr(corpus, "_O_TMPFILE", None)
    elif corpus._O_TMPFILE is None:
        pytest.skip("no O_TMPFILE on this system")
    return str(request.param)


def test_batch_write_is_atomic_idempotent_and_never_replaces(
    tmp_path: Path, temporary_files: str
) -> None:
    names = [f"{n:03d}_{n:016x}.txt" for n in range(BATCH_FILES + 3)]  # two chunks
    write_batch(tmp_path, [(name, f"text {name}\n") for name in names])
    write_batch(tmp_path, [(names[0], f"text {names[0]}\n")])  # a retried write: fine
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert (tmp_path / names[-1]).read_text() == f"text {names[-1]}\n"
    fresh = "999_ffffffffffffffff.txt"
    with pytest.raises(CorpusConflict):
        write_batch(tmp_path, [(fresh, "new\n"), (names[1], "other\n")])
    # Nothing of the failed batch is linked, nothing temporary is left.
    assert sorted(p.name for p in tmp_path.iterdir()) == names
    assert (tmp_path / names[1]).read_text() == f"text {names[1]}\n"


def test_corpus_sink_writes_its_batch_at_flush(tmp_path: Path) -> None:
    from seedwatch.contracts import Accepted
    from seedwatch.plugins.builtin.corpus_sink import CorpusSink

    sink = CorpusSink()
    sink.configure({"path": str(tmp_path)})
    item = Item(key="k", text="Body.", parser="plaintext")
    entry = Accepted(item, 1, "001_0000000000000001.txt", "Body.\n", datetime.now(UTC), {})
    sink.write(entry)
    sink.write(entry)  # the same entry twice in a batch: written once
    assert list(tmp_path.iterdir()) == []
    sink.flush()
    assert [p.read_text() for p in tmp_path.iterdir()] == ["Body.\n"]


def test_temporary_files_of_a_killed_writer_are_swept(tmp_path: Path) -> None:
    from seedwatch.corpus import sweep_temporary

    (tmp_path / ".007_aaaaaaaaaaaaaaaa.txt.1234.tmp").write_text("half")
    (tmp_path / ".notes.tmp").write_text("not ours")
    assert sweep_temporary(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.tmp"]


def test_read_gives_back_the_item_render_wrote() -> None:
    hk = timezone(timedelta(hours=8))
    item = Item(
        key="xenforo:example.org:42",
        text="First paragraph: a 'quote' and --- dashes.\n\nSecond.",
        parser="xenforo",
        source="forum",
        url="https://example.org/posts/42/",
        guid="42",
        title='A thread: "quoted" #1',
        author="TaiShang",
        site="Example forum",
        published=datetime(2020, 1, 2, 3, 4, 5, tzinfo=hk),
        updated=datetime(2020, 1, 3, tzinfo=UTC),
        tags=("china", "ev"),
        thread=ThreadRef(id="7", title="A thread", post_number=3, quotes=(Quote("bob", "k1"),)),
    )
    fetched = datetime(2026, 11, 21, tzinfo=UTC)
    back = read(render(item, fetched, revision_of="old-key"))
    assert back is not None
    assert back == replace(item, extra={"fetched": fetched.isoformat(), "revision_of": "old-key"})
    plain = Item(key="k", text="Just text.", parser="rss")
    assert read(render(plain, fetched)) == replace(plain, extra={"fetched": fetched.isoformat()})


def test_read_leaves_files_that_are_not_ours_and_refuses_damaged_ones() -> None:
    seed = Path(__file__).parent / "data" / "seeds"
    for path in seed.iterdir():  # blog front-matter and plain texts: not ours
        assert read(path.read_text()) is None
    assert read("---\ntitle: a post\n---\nText.\n") is None
    with pytest.raises(ParseError, match="seedwatch: 2"):
        read("---\nseedwatch: 2\nkey: k\n---\nText.\n")
    with pytest.raises(ParseError, match="no 'key'"):
        read("---\nseedwatch: 1\ntitle: t\n---\nText.\n")
    with pytest.raises(ParseError, match="never closed"):
        read("---\nseedwatch: 1\nkey: k\nText.\n")


class Greedy(Parser):
    """A third-party parser sure of every document."""

    name = "greedy"

    def sniff(self, document: Document) -> float:
        return 1.0

    def parse(self, document: Document) -> Iterator[Item]:
        yield Item(key="greedy", text=document.text(), parser=self.name)


class GreedyPlugin:
    @hookimpl
    def register_parsers(self, register: Callable[[Parser], None]) -> None:
        register(Greedy())


def test_our_own_files_are_indexed_as_ours_whatever_parsers_are_installed(
    tmp_path: Path,
) -> None:
    item = Item(key="rss:item-1", text="A story of our own corpus.", parser="rss", source="s")
    path = tmp_path / file_name(5, item.text)
    path.write_text(render(item, datetime(2026, 11, 21, tzinfo=UTC)))
    registry = build_registry(load_external=False, extra_plugins=[GreedyPlugin()])
    probe = Document(url="x", content=b"---\nseedwatch: 1\n", fetched=datetime.now(UTC))
    assert registry.sniff(probe).name == "greedy"
    (indexed,) = read_corpus_file(registry, path)
    assert indexed.key == "rss:item-1" and indexed.parser == "rss" and indexed.source == "s"
