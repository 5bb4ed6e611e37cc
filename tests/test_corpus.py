"""The corpus format: names, front-matter keys, atomic and never-clobbering writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from seedwatch.corpus import CorpusConflict, file_name, next_free_seq, render, scan, write_atomic
from seedwatch.models import Item, Quote, ThreadRef
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


def test_temporary_files_of_a_killed_writer_are_swept(tmp_path: Path) -> None:
    from seedwatch.corpus import sweep_temporary

    (tmp_path / ".007_aaaaaaaaaaaaaaaa.txt.1234.tmp").write_text("half")
    (tmp_path / ".notes.tmp").write_text("not ours")
    assert sweep_temporary(tmp_path) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [".notes.tmp"]
