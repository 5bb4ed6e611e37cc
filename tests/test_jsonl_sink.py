"""The JSONL sink: every accepted item once, in the item schema, idempotent after a crash."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.contracts import Accepted
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.models import Item
from seedwatch.plugins.builtin.jsonl_sink import JsonlSink


def test_items_go_to_the_corpus_and_the_jsonl_file(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/f.xml", Reply(body=rss(3)))
    config = config_mod.from_dict(
        {
            "corpus": {"sinks": ["corpus", "jsonl"]},
            "sinks": {"jsonl": {"file": "items.jsonl"}},
            "sources": [{"id": "gen", "url": url}],
        },
        file=tmp_path / "seedwatch.toml",
    )
    pipeline = runtime.build(config)
    try:
        assert pipeline.poll_source(config.source("gen")).result.accepted == 3
    finally:
        pipeline.close()
    lines = [json.loads(x) for x in (tmp_path / "items.jsonl").read_text().splitlines()]
    assert [x["guid"] for x in lines] == ["item-0", "item-1", "item-2"]
    assert [x["seq"] for x in lines] == [0, 1, 2]
    assert sorted(x["file"] for x in lines) == sorted(
        p.name for p in (tmp_path / "corpus").iterdir()
    )


def entry(seq: int) -> Accepted:
    item = Item(key=f"k{seq}", text=f"text {seq}", parser="rss")
    return Accepted(item, seq, f"{seq:03d}_0000000000000000.txt", "", datetime.now(UTC))


def test_a_retried_write_is_not_appended_twice_and_a_torn_line_is_tolerated(
    tmp_path: Path,
) -> None:
    file = tmp_path / "items.jsonl"
    sink = JsonlSink()
    sink.configure({"file": str(file)})
    sink.write(entry(0))
    sink.write(entry(1))
    sink.flush()
    with file.open("a") as fh:
        fh.write('{"key": "k2", "se')  # a crash in the middle of a line
    again = JsonlSink()  # the restart
    again.configure({"file": str(file)})
    again.write(entry(1))  # recorded but not marked written before the crash
    again.write(entry(2))
    again.flush()
    seqs = [json.loads(line)["seq"] for line in file.read_text().splitlines()]
    assert seqs == [0, 1, 2]  # the torn line is gone, nothing doubled


def test_entries_appended_out_of_seq_order_by_several_threads_are_all_kept(
    tmp_path: Path,
) -> None:
    file = tmp_path / "items.jsonl"
    sink = JsonlSink()
    sink.configure({"file": str(file)})
    for seq in (5, 6, 3, 4, 8, 7):  # two polling threads' batches interleaved
        sink.write(entry(seq))
    sink.flush()
    again = JsonlSink()
    again.configure({"file": str(file)})
    again.write(entry(4))  # a pending one retried after a crash
    again.write(entry(9))
    seqs = [json.loads(line)["seq"] for line in file.read_text().splitlines()]
    assert seqs == [5, 6, 3, 4, 8, 7, 9]


def test_an_item_that_spells_a_seq_does_not_pass_for_a_written_line(tmp_path: Path) -> None:
    file = tmp_path / "items.jsonl"
    sink = JsonlSink()
    sink.configure({"file": str(file)})
    spelled = {"seq": 1, "file": "001_x.txt"}
    forged = Item(key="k0", text='a\n"seq": 1, "file": "001_x.txt"}\n', parser="rss", extra=spelled)
    sink.write(Accepted(forged, 0, "000_0000000000000000.txt", "", datetime.now(UTC)))
    sink.flush()
    again = JsonlSink()
    again.configure({"file": str(file)})
    again.write(entry(0))  # the one written: skipped
    again.write(entry(1))  # never written, only spelled inside item 0
    seqs = [json.loads(line)["seq"] for line in file.read_text().splitlines()]
    assert seqs == [0, 1]
