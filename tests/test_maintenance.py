"""Keeping the corpus and the state honest: stats, verify, take-downs, backup, export."""

from __future__ import annotations

import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.daemon.cli import main

SEEDS = Path(__file__).parent / "data" / "seeds"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def site(tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]) -> Path:
    """A corpus holding the seeds and three items of a feed, after one `run --once`."""
    shutil.copytree(SEEDS, tmp_path / "corpus")
    url = server.route("/f.xml", Reply(body=rss(3)))
    config = tmp_path / "seedwatch.toml"
    config.write_text(f'[[sources]]\nid = "gen"\nurl = "{url}"\n')
    code, _, err = cli(capsys, "--config", str(config), "run", "--once")
    assert code == 0, err
    return config


def ours(config: Path) -> list[Path]:
    return sorted(p for p in (config.parent / "corpus").iterdir() if not (SEEDS / p.name).exists())


def test_corpus_stats_counts_items_by_parser_and_source(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "--config", str(site), "corpus", "stats")
    assert code == 0
    by_parser = out.split("items by parser:")[1].split("items by source:")[0]
    assert "rss" in by_parser and "forum-text" in by_parser and "freshrss-text" in by_parser
    by_source = out.split("items by source:")[1]
    assert [line.split() for line in by_source.strip().splitlines() if "gen" in line] == [
        ["gen", "3"]
    ]


def test_verify_reports_missing_changed_and_unknown_files(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "--config", str(site), "corpus", "verify")
    assert code == 0 and "the folder and the state agree" in out
    first, second, _ = ours(site)
    first.unlink()
    second.write_text(second.read_text().replace("w1x5", "edited"))
    stray = site.parent / "corpus" / "999_0123456789abcdef.txt"
    stray.write_text("dropped in by hand\n")
    code, out, _ = cli(capsys, "--config", str(site), "corpus", "verify")
    assert code == 1
    assert "1 file(s) recorded in the state but not in the folder" in out and first.name in out
    assert "1 file(s) changed since they were written" in out and second.name in out
    assert "1 file(s) not known to the state: run `seedwatch corpus index`" in out


def test_a_removed_item_never_comes_back(
    site: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    target = ours(site)[0]
    code, out, _ = cli(capsys, "--config", str(site), "corpus", "remove", target.name)
    assert code == 0 and target.name in out and not target.exists()
    # another source serves the same story again, under another URL and guid
    server.route("/mirror.xml", Reply(body=rss(1, base="http://mirror.example/")))
    site.write_text(
        site.read_text() + f'[[sources]]\nid = "mirror"\nurl = "{server.url("/mirror.xml")}"\n'
    )
    code, _, err = cli(capsys, "--config", str(site), "run", "--once")
    assert code == 0 and "0 item(s) added" in err
    assert not target.exists()
    code, out, _ = cli(capsys, "--config", str(site), "corpus", "verify")
    assert code == 0, out


def test_an_item_sharing_a_file_is_removed_with_its_file_only(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "--config", str(site), "state", "export")
    keys = [
        r["key"]
        for r in map(json.loads, out.splitlines())
        if r["table"] == "items" and r["name"] == "002_9f1a0bbdab6c30d1.txt"
    ]
    assert len(keys) == 13  # the forum thread's posts
    code, _, err = cli(capsys, "--config", str(site), "corpus", "remove", keys[0])
    assert code == 1 and "a file is removed whole" in err
    code, _, err = cli(capsys, "--config", str(site), "corpus", "remove", "no-such-key")
    assert code == 1 and "no item with key 'no-such-key'" in err


def test_backup_is_a_consistent_sqlite_copy_and_never_overwrites(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = tmp_path / "backups" / "state.db"
    code, _, err = cli(capsys, "--config", str(site), "state", "backup", str(copy))
    assert code == 0, err
    with sqlite3.connect(copy) as db:
        written = db.execute("select count(*) from items where status = 'written'").fetchone()
    assert written == (3,)
    code, _, err = cli(capsys, "--config", str(site), "state", "backup", str(copy))
    assert code == 1 and "never overwrite" in err


def test_a_backup_that_fails_half_way_leaves_no_file_under_the_name_asked_for(
    site: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = site.parent / "state" / "seedwatch.db"
    copy = tmp_path / "backups" / "state.db"
    copy.parent.mkdir()
    limit = state.stat().st_size // 2

    def cap_file_size() -> None:  # writes past the limit fail, as on a full disk
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "seedwatch", "--config", str(site), "state", "backup", str(copy)],
        preexec_fn=cap_file_size,
        capture_output=True,
        timeout=60,
    )
    assert proc.returncode == 1, proc.stderr.decode()[-1500:]
    assert str(copy) in proc.stderr.decode() and "nothing was written" in proc.stderr.decode()
    assert list(copy.parent.iterdir()) == []
    code, _, err = cli(capsys, "--config", str(site), "state", "backup", str(copy))
    assert code == 0, err
    with sqlite3.connect(copy) as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)


def test_export_writes_every_table_as_json_lines(
    site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = cli(capsys, "--config", str(site), "state", "export")
    assert code == 0
    records = [json.loads(line) for line in out.splitlines()]
    tables = {r["table"] for r in records}
    assert tables == {"sources", "corpus_files", "items"}
    assert f"{len(records)} record(s) exported" in err
    gen = [r for r in records if r["table"] == "items" and r["source_id"] == "gen"]
    assert sorted(r["guid"] for r in gen) == ["item-0", "item-1", "item-2"]
    assert all("rendered" not in r for r in records)


def test_status_counts_rejections_by_layer(
    site: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("/mirror.xml", Reply(body=rss(2, base="http://mirror.example/")))
    site.write_text(
        site.read_text() + f'[[sources]]\nid = "mirror"\nurl = "{server.url("/mirror.xml")}"\n'
    )
    assert cli(capsys, "--config", str(site), "run", "--once")[0] == 0
    _, out, _ = cli(capsys, "--config", str(site), "status", "--json")
    counts = json.loads(out)["rejected"]
    # gen's own three items seen again (same keys), the mirror's two (same texts)
    assert (counts["identity"], counts["exact"]) == (3, 2)
    # the table says the same, however the line is wrapped to the terminal
    _, out, _ = cli(capsys, "--config", str(site), "status")
    words = " ".join(out.split())
    assert "rejected as duplicates, by layer:" in words
    assert "exact 2," in words and "identity 3" in words


def make_unreadable(path: Path) -> None:
    """``path`` becomes a corpus file no read succeeds on. Permission bits do not
    bind root (containers, CI): there it names a file the kernel refuses to read
    from offset 0 (this process's own memory, whose first page is never mapped)."""
    if os.geteuid() != 0:
        path.write_text("a private note\n")
        path.chmod(0)
    else:
        path.symlink_to("/proc/self/mem")
    with pytest.raises(OSError):
        path.read_bytes()


def test_an_unreadable_or_unparsable_corpus_file_is_skipped_with_a_warning(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    bad_date = corpus / "000_00000000000000aa.txt"
    bad_date.write_text(
        "---\ntitle: Month thirteen\npublished: 2024-13-45\n---\n"
        "A post whose front-matter date no calendar has, dropped here by hand.\n"
    )
    locked = corpus / "001_00000000000000bb.txt"
    make_unreadable(locked)
    url = server.route("/f.xml", Reply(body=rss(2)))
    config = tmp_path / "seedwatch.toml"
    config.write_text(f'[[sources]]\nid = "gen"\nurl = "{url}"\n')

    code, out, err = cli(capsys, "--config", str(config), "corpus", "index")
    assert code == 0, err
    assert "indexed 1 file(s)" in out and "1 unreadable file(s) skipped" in out
    assert locked.name in err and bad_date.name in err
    # the readable file's text is known although its parser failed on it
    code, out, _ = cli(capsys, "--config", str(config), "state", "export")
    texts = [r for r in map(json.loads, out.splitlines()) if r.get("name") == bad_date.name]
    assert [r["table"] for r in texts] == ["corpus_files", "items"]

    code, _, err = cli(capsys, "--config", str(config), "run", "--once")
    assert code == 0, err
    assert "2 item(s) added" in err and locked.name in err

    code, out, _ = cli(capsys, "--config", str(config), "corpus", "verify")
    assert code == 1
    assert "1 file(s) cannot be read" in out and locked.name in out
    assert "not known to the state" not in out
