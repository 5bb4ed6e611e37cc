"""A freshrss source through the whole pipeline, against the replay of a real
FreshRSS 1.24.3 API: real HTTP on 127.0.0.1, real SQLite, a real corpus folder.

From the recordings: the reading list holds 16 entries; four articles came
through two feeds each (same URL), so 12 articles reach the corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from greader_server import PASSWORD, GReaderServer
from localserver import LocalServer
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.cli import cli
from seedwatch.daemon.pipeline import Pipeline

ENV = "SEEDWATCH_TEST_FRESHRSS_PASSWORD"


@pytest.fixture
def api(server: LocalServer) -> GReaderServer:
    return GReaderServer(server)


@pytest.fixture
def pipeline(
    api: GReaderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[config_mod.Config, Pipeline]]:
    monkeypatch.setenv(ENV, PASSWORD)
    data = {
        "corpus": {"path": "corpus"},
        "state": {"url": "sqlite:///state/state.db"},
        "sources": [
            {
                "id": "home",
                "kind": "freshrss",
                "url": api.url,
                "user": "admin",
                "page_size": 5,
                "credentials": {"password": ENV},
            }
        ],
    }
    config = config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")
    built = runtime.build(config)
    yield config, built
    built.close()


def _corpus(tmp_path: Path) -> list[dict[str, object]]:
    files = sorted((tmp_path / "corpus").iterdir())
    return [yaml.safe_load(f.read_text().split("---\n")[1]) for f in files]


def test_freshrss_source_ingests_every_article_once_and_a_second_run_adds_nothing(
    api: GReaderServer, pipeline: tuple[config_mod.Config, Pipeline], tmp_path: Path
) -> None:
    config, built = pipeline
    source = config.source("home")
    first = built.poll_source(source).result
    assert first.error is None
    assert (first.documents, first.items, first.accepted, first.rejected) == (4, 16, 12, 4)
    meta = _corpus(tmp_path)
    assert len(meta) == 12
    assert len({m["url"] for m in meta}) == 12
    assert all(m["source"] == "home" and m["parser"] == "greader-json" for m in meta)
    titles = {m["title"] for m in meta}
    assert 'Escaping <tags> & "quotes" in Titles' in titles
    # The cursor is the newest entry's timestampUsec.
    assert built.store.source_state("home").cursor.mark == "1795294325163246"

    second = built.poll_source(source).result
    assert second.error is None
    assert (second.items, second.accepted) == (0, 0)
    assert api.stream_requests[-1]["ot"] == "1795294325"
    assert len(_corpus(tmp_path)) == 12


def test_backfill_since_a_date_through_the_pipeline(
    api: GReaderServer, pipeline: tuple[config_mod.Config, Pipeline], tmp_path: Path
) -> None:
    config, built = pipeline
    result = built.poll_source(
        config.source("home"), backfill=True, since=datetime(2024, 3, 1, tzinfo=UTC)
    ).result
    assert result.error is None
    # Page 1's five entries are published on or after 2024-03-01; two share a URL.
    assert (result.items, result.accepted) == (5, 4)
    assert {m["title"] for m in _corpus(tmp_path)} == {
        "Latest News: Sensor Network v2",
        "Images and Relative Links",
        "Joint Post: Lessons From Q1",
        "A Post Without Tags",
    }


def test_a_wrong_password_is_a_counted_error(
    api: GReaderServer,
    pipeline: tuple[config_mod.Config, Pipeline],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api.password = "changed-in-freshrss"
    config, built = pipeline
    result = built.poll_source(config.source("home")).result
    assert result.error is not None
    assert "wrong or missing API password" in result.error
    assert result.error_category == "http-4xx"
    assert PASSWORD not in result.error


@pytest.mark.parametrize(
    ("name", "parser", "count"),
    [
        ("seeds/004_f3d0bba74a0a2456.txt", "freshrss-text", 20),
        ("freshrss/normal_view_feed_hackernews_all_nb10.html", "freshrss-html", 10),
        ("freshrss/reader_view_feed_discourse_unread.html", "freshrss-html", 8),
        ("freshrss/global_view_unread.html", "freshrss-html", 0),
        ("freshrss/greader-api/reading-list-page2.json", "greader-json", 5),
    ],
)
def test_seedwatch_parse_json_on_freshrss_documents(
    name: str, parser: str, count: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    path = Path(__file__).parent / "data" / name
    result = CliRunner().invoke(cli, ["parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == count
    assert all(f'"parser": "{parser}"' in line for line in lines)


def test_seedwatch_backfill_since_stops_at_the_date(
    api: GReaderServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, PASSWORD)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "seedwatch.toml").write_text(
        '[corpus]\npath = "corpus"\n[state]\nurl = "sqlite:///state.db"\n'
        "[[sources]]\n"
        f'id = "home"\nkind = "freshrss"\nurl = "{api.url}"\nuser = "admin"\npage_size = 5\n'
        f'credentials = {{ password = "{ENV}" }}\n'
    )
    runner = CliRunner()
    result = runner.invoke(cli, ["backfill", "home", "--since", "2024-03-01"])
    assert result.exit_code == 0, result.output
    assert len([n for n in result.stdout.splitlines() if n.endswith(".txt")]) == 4
    again = runner.invoke(cli, ["backfill", "home", "--since", "2024-03-01"])
    assert again.exit_code == 0, again.output
    assert [n for n in again.stdout.splitlines() if n.endswith(".txt")] == []
    assert len(list((tmp_path / "corpus").iterdir())) == 4
