"""``seedwatch parse`` reads a document outside any configured source, so every
item's ``source`` is null: for a local file and a URL alike."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.daemon.cli import main


def parsed(capsys: pytest.CaptureFixture[str], target: str) -> list[dict[str, object]]:
    try:
        main(["parse", target, "--json"])
    except SystemExit as exc:
        assert not exc.code
    out, _ = capsys.readouterr()
    return [json.loads(line) for line in out.splitlines()]


def test_source_is_null_for_a_file_and_for_a_url(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    feed = rss(3)
    url = server.route("/feed.xml", Reply(body=feed))
    local = tmp_path / "feed.xml"
    local.write_bytes(feed)
    from_url = parsed(capsys, url)
    from_file = parsed(capsys, str(local))
    assert len(from_url) == 3
    assert [item["source"] for item in from_url + from_file] == [None] * 6
    assert from_url == from_file  # the same bytes give the same items, wherever read
