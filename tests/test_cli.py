"""The command line: schemas, exit statuses, one-line errors, config editing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.daemon.cli import main
from seedwatch.daemon.cli.parse import read_document
from seedwatch.daemon.fetch import FetchSettings, HttpFetcher
from seedwatch.models import Source

DATA = Path(__file__).parent / "data"
SCHEMA_KEYS = [
    "key", "parser", "source", "url", "guid", "title", "author", "site", "published",
    "updated", "text", "tags", "thread", "extra",
]  # fmt: skip


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seedwatch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=60,
    )


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_parse_json_prints_the_item_schema(capsys: pytest.CaptureFixture[str]) -> None:
    feed = DATA / "feeds" / "rss2_wordpress_tenderlovemaking.xml"
    code, out, _ = cli(capsys, "parse", str(feed), "--json")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 10
    for item in lines:
        assert list(item) == SCHEMA_KEYS
        assert item["parser"] == "rss" and item["source"] is None
        assert item["published"].endswith("+00:00")


def test_parse_cleans_a_bad_item_and_prints_every_item(tmp_path: Path) -> None:
    feed = tmp_path / "feed.json"
    feed.write_text(
        '{"version": "https://jsonfeed.org/version/1.1", "title": "F", "items": ['
        '{"id": "https://f.example/1", "title": "Half \\ud800 a pair", "content_text": "a"},'
        '{"id": "https://f.example/2", "date_published": "0001-01-01T00:00:00+05:00",'
        ' "content_text": "b"},'
        '{"id": "https://f.example/3", "content_text": "c\\u0000d"}]}',
        encoding="utf-8",
    )
    proc = run_cli("parse", str(feed), "--json")
    assert proc.returncode == 0, proc.stderr
    items = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [i["title"] for i in items] == ["Half \ufffd a pair", None, None]
    assert items[1]["published"] is None
    assert items[2]["text"] == "cd"
    assert proc.stderr.count("https://f.example/") == 3  # one warning per cleaned item


def test_parse_of_garbage_exits_1_with_one_line(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.bin"
    garbage.write_bytes(bytes(range(256)) * 4)
    proc = run_cli("parse", str(garbage), "--json")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "no parser recognises" in proc.stderr


def test_parse_with_unknown_parser_names_the_known_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, _, err = cli(
        capsys, "parse", str(DATA / "seeds" / "003_3e2d132cdabf0ac4.txt"), "--parser", "nope"
    )
    assert code == 1 and "no parser named 'nope'" in err and "rss" in err


def test_parse_a_url_from_a_local_server(
    server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.route("/f.xml", Reply(body=rss(2)))
    code, out, _ = cli(capsys, "parse", url, "--json")
    assert code == 0 and [json.loads(x)["guid"] for x in out.splitlines()] == ["item-0", "item-1"]


def test_a_bad_config_names_file_source_and_field(tmp_path: Path) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[[sources]]\nid = "hn"\nurl = "http://127.0.0.1:9/x"\nmin_interval = "soon"\n'
    )
    proc = run_cli("--config", str(config), "config", "check")
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f"seedwatch: config {config}, source 'hn': field \"min_interval\": "
        f"expected a duration such as \"15m\", got 'soon'"
    )


def test_config_check_accepts_a_good_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text('[[sources]]\nid = "a"\nurl = "http://127.0.0.1:9/a.xml"\nparser = "rss"\n')
    code, out, _ = cli(capsys, "--config", str(config), "config", "check")
    assert code == 0 and "ok, 1 source(s)" in out


def test_sources_add_remove_and_opml_round_trip(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text('# my sources\n[corpus]\npath = "corpus"\n')
    code, _, err = cli(
        capsys, "--config", str(config), "sources", "add", "blog", "http://127.0.0.1:9/feed"
    )
    assert code == 0, err
    assert "# my sources" in config.read_text()  # the user's comments survive
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><body>'
        '<outline text="Tech"><outline text="Some Blog" xmlUrl="http://127.0.0.1:9/a.xml"/>'
        '<outline text="Blog" xmlUrl="http://127.0.0.1:9/feed"/></outline></body></opml>'
    )
    code, out, _ = cli(capsys, "--config", str(config), "sources", "import-opml", str(opml))
    assert code == 0 and "imported 1 source(s)" in out  # the known URL is skipped
    code, out, _ = cli(capsys, "--config", str(config), "sources", "export-opml")
    assert out.count("xmlUrl=") == 2 and 'xmlUrl="http://127.0.0.1:9/a.xml"' in out
    code, _, _ = cli(capsys, "--config", str(config), "sources", "remove", "blog")
    assert code == 0 and 'id = "blog"' not in config.read_text()
    code, _, err = cli(capsys, "--config", str(config), "sources", "remove", "blog")
    assert code == 2 and "no source 'blog'" in err


def test_plugins_lists_the_builtins(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "plugins")
    assert code == 0
    assert "seedwatch.plugins.builtin.rss (seedwatch 0.1.0, built-in)" in out
    assert "parser rss" in out


def test_run_once_then_status(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/f.xml", Reply(body=rss(3)))
    config = tmp_path / "seedwatch.toml"
    config.write_text(f'[[sources]]\nid = "gen"\nurl = "{url}"\n')
    proc = run_cli("--config", str(config), "run", "--once")
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 3 and "3 item(s) added" in proc.stderr
    again = run_cli("--config", str(config), "run", "--once")
    assert again.stdout == "" and "0 item(s) added" in again.stderr
    status = run_cli("--config", str(config), "status")
    row = next(line.split() for line in status.stdout.splitlines() if line.startswith("gen "))
    assert row[:2] == ["gen", "ok"] and row[-2:] == ["3", "-"]  # state; 3 items, no errors


def test_run_once_exits_1_when_a_source_fails(tmp_path: Path) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text('[[sources]]\nid = "down"\nurl = "http://127.0.0.1:9/feed.xml"\n')
    proc = run_cli("--config", str(config), "run", "--once")
    assert proc.returncode == 1 and "FAILED (connect)" in proc.stderr


def test_the_example_config_in_deploy_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    example = Path(__file__).parent.parent / "deploy" / "seedwatch.example.toml"
    code, _out, err = cli(capsys, "--config", str(example), "config", "check")
    assert code == 0, err


def test_dedup_explain_says_which_layers_match_a_seed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in (DATA / "seeds").iterdir():
        (corpus / seed.name).write_bytes(seed.read_bytes())
    config = tmp_path / "seedwatch.toml"
    config.write_text('[corpus]\npath = "corpus"\n')
    assert cli(capsys, "--config", str(config), "corpus", "index")[0] == 0
    code, out, _ = cli(
        capsys,
        "--config",
        str(config),
        "dedup",
        "explain",
        str(corpus / "003_3e2d132cdabf0ac4.txt"),
    )
    assert code == 0
    assert "verdict: DUPLICATE" in out
    assert "exact" in out and "files: 003_3e2d132cdabf0ac4.txt" in out


def test_parse_reads_a_local_file_as_the_daemon_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The fetcher's charset detection: the Document a parser gets from the CLI is
    # the one the daemon would give it.
    text = tmp_path / "latin1.xml"
    text.write_bytes(
        '<?xml version="1.0" encoding="ISO-8859-1"?><rss version="2.0"><channel>'
        "<title>Café</title><item><guid>a</guid><title>Déjà vu</title>"
        "<description>Un café à Paris.</description></item></channel></rss>".encode("latin-1")
    )
    with HttpFetcher(FetchSettings()) as fetcher:
        cli_document = read_document(str(text), fetcher)
        daemon_document = fetcher.fetch(str(text), source=Source(id="s"), local_ok=True)
    assert daemon_document is not None and daemon_document.charset == "windows-1252"
    assert cli_document.charset == daemon_document.charset
    code, out, _ = cli(capsys, "parse", str(text), "--json")
    assert code == 0
    (item,) = [json.loads(line) for line in out.splitlines()]
    assert item["text"] == "Un café à Paris." and item["source"] is None
    # and its size cap ([fetch] max_bytes)
    config = tmp_path / "seedwatch.toml"
    config.write_text('[fetch]\nmax_bytes = "100B"\n')
    code, _, err = cli(capsys, "-c", str(config), "parse", str(text))
    assert code == 1 and "latin1.xml" in err


@pytest.mark.parametrize(
    "command", [["status"], ["sources", "list"], ["corpus", "stats"], ["state", "export"]]
)
def test_commands_close_the_state_they_open(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]
) -> None:
    # SQLite removes a WAL database's -wal file when its last connection closes.
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[state]\nurl = "sqlite:///state.db"\n'
        '[[sources]]\nid = "a"\nurl = "http://127.0.0.1:9/feed.xml"\n'
    )
    code, _, err = cli(capsys, "-c", str(config), *command)
    assert code == 0, err
    assert (tmp_path / "state.db").exists()
    assert not (tmp_path / "state.db-wal").exists()
