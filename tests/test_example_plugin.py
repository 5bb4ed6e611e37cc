"""The example third-party plugin (examples/seedwatch-hackernews), installed with pip into
this venv (`make test` does it), used as a user would: `seedwatch plugins`, `seedwatch
parse`, `seedwatch backfill` and `seedwatch run --once` in fresh processes that find it
through its entry point, against a local server replaying real Hacker News API responses.
And a broken plugin next to it does not stop the daemon."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

import pytest
import yaml

from feedgen import rss
from localserver import LocalServer, Reply
from pytest_outcome import run_pytest

EXAMPLE = Path(__file__).parent.parent / "examples" / "seedwatch-hackernews"
CASSETTE = EXAMPLE / "tests" / "data" / "hacker_news_job.yml"
API = "https://hacker-news.firebaseio.com"


class _CassetteLoader(yaml.SafeLoader):
    """Safe loading plus Ruby's ``!binary`` tag, which VCR uses for non-ASCII bodies."""


def _binary(loader: yaml.SafeLoader, node: yaml.Node) -> bytes:
    assert isinstance(node, yaml.ScalarNode)
    return base64.b64decode(loader.construct_scalar(node))


_CassetteLoader.add_constructor("!binary", _binary)


def recorded() -> dict[str, bytes]:
    """Each recorded API path (``/v0/item/41247023.json``) with the body the API sent."""
    data: dict[str, Any] = yaml.load(CASSETTE.read_bytes(), _CassetteLoader)
    bodies = {}
    for interaction in data["http_interactions"]:
        body = interaction["response"]["body"]["string"]
        bodies[interaction["request"]["uri"].removeprefix(API)] = (
            body if isinstance(body, bytes) else body.encode("utf-8")
        )
    return bodies


def replay(server: LocalServer) -> dict[str, bytes]:
    """Serve the cassette's responses at their API paths on the local server."""
    bodies = recorded()
    for path, body in bodies.items():
        server.route(path, Reply(body=body, content_type="application/json; charset=utf-8"))
    return bodies


def seedwatch(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real command in a fresh interpreter: plugins come from entry points only."""
    environ = {k: v for k, v in os.environ.items() if k != "SEEDWATCH_LOAD_PLUGINS"}
    return subprocess.run(
        [sys.executable, "-m", "seedwatch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={**environ, **(env or {})},
    )


def write_config(tmp_path: Path, sources: str) -> Path:
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[corpus]\npath = "corpus"\n[state]\nurl = "sqlite:///state/seedwatch.db"\n'
        '[fetch]\ntotal_timeout = "20s"\n' + textwrap.dedent(sources)
    )
    return config


def front_matter(path: Path) -> dict[str, Any]:
    meta: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])
    return meta


def test_the_example_is_installed_through_its_entry_point() -> None:
    [ep] = [ep for ep in entry_points(group="seedwatch") if ep.name == "hackernews"]
    assert ep.value == "seedwatch_hackernews.plugin"
    assert ep.dist is not None and ep.dist.name == "seedwatch-hackernews"


def test_seedwatch_plugins_lists_it_with_its_distribution_and_parser(tmp_path: Path) -> None:
    proc = seedwatch("plugins", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    [header] = [n for n, line in enumerate(lines) if line.startswith("hackernews ")]
    assert "seedwatch-hackernews 0.1.0" in lines[header]
    assert lines[header + 1].split() == ["parser", "hackernews"]


def test_seedwatch_parse_reads_an_api_item_with_it(tmp_path: Path) -> None:
    item = tmp_path / "41244423.json"
    item.write_bytes(recorded()["/v0/item/41244423.json"])
    proc = seedwatch("parse", str(item), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()
    parsed = json.loads(line)
    assert parsed["parser"] == "hackernews" and parsed["key"] == "hn:41244423"
    assert parsed["title"] == "Show HN: We made a tool to help developers improve OpenAPI specs"
    assert parsed["author"] == "martyndavies"
    assert parsed["published"] == "2024-08-14T10:03:32+00:00"  # "time":1723629812
    assert parsed["text"].endswith("\n\nFeedback is absolutely welcome!")


def test_seedwatch_parse_of_a_story_list_url_yields_no_item_and_exits_0(
    tmp_path: Path, server: LocalServer
) -> None:
    replay(server)
    proc = seedwatch("parse", server.url("/v0/topstories.json"), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "0 item(s) by parser hackernews" in proc.stderr


def test_a_backfill_walks_the_story_list_and_writes_each_story_once(
    tmp_path: Path, server: LocalServer
) -> None:
    bodies = replay(server)
    config = write_config(
        tmp_path,
        f"""
        [[sources]]
        id = "hn-top"
        url = "{server.url("/v0/topstories.json")}"
        hn_stories = 20
        """,
    )
    proc = seedwatch("--config", str(config), "backfill", "hn-top", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "backfill hn-top: 21 page(s), 20 item(s), added 20" in proc.stderr
    files = sorted((tmp_path / "corpus").iterdir())
    assert len(files) == 20 and proc.stdout.split() == [f.name for f in files]
    metas = [front_matter(f) for f in files]
    assert {m["parser"] for m in metas} == {"hackernews"}
    listed = json.loads(bodies["/v0/topstories.json"])[:20]
    assert sorted(m["key"] for m in metas) == sorted(f"hn:{i}" for i in listed)
    assert all(m["url"] == f"https://news.ycombinator.com/item?id={m['key'][3:]}" for m in metas)
    for item_id in listed:  # each item fetched once, nothing else of the API
        assert len(server.hits(f"/v0/item/{item_id}.json")) == 1
    assert len([r for r in server.requests if r.path.startswith("/v0/")]) == 21
    again = seedwatch("--config", str(config), "backfill", "hn-top", cwd=tmp_path)
    assert again.returncode == 0 and "added 0" in again.stderr
    assert len(list((tmp_path / "corpus").iterdir())) == 20


def test_the_examples_own_test_suite_passes() -> None:
    outcome = run_pytest(sys.executable, str(EXAMPLE), cwd=EXAMPLE)
    assert outcome.returncode == 0, outcome.output
    assert outcome.tests > 0 and outcome.passed == outcome.tests, outcome.output


@pytest.fixture
def broken_plugin(tmp_path: Path) -> dict[str, str]:
    """A distribution whose ``seedwatch`` entry point fails to import, installed for real
    (a module and a .dist-info folder on the path of the processes we start)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sw_broken_plugin.py").write_text(
        "import a_dependency_nobody_installed  # the plugin's missing dependency\n"
    )
    info = site / "sw_broken_plugin-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: sw-broken-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text("[seedwatch]\nbroken = sw_broken_plugin\n")
    return {"PYTHONPATH": str(site)}


def test_a_broken_plugin_does_not_stop_the_daemon(
    tmp_path: Path, server: LocalServer, broken_plugin: dict[str, str]
) -> None:
    replay(server)
    feed = server.route("/feed.xml", Reply(body=rss(3)))
    config = write_config(
        tmp_path,
        f"""
        [[sources]]
        id = "feed"
        url = "{feed}"

        [[sources]]
        id = "hn-new"
        url = "{server.url("/v0/topstories.json")}"
        hn_stories = 5
        """,
    )
    proc = seedwatch("--config", str(config), "run", "--once", cwd=tmp_path, env=broken_plugin)
    assert proc.returncode == 0, proc.stderr
    assert "broken" in proc.stderr and "a_dependency_nobody_installed" in proc.stderr
    assert "2 source(s) polled, 8 item(s) added, 0 failed" in proc.stderr  # 3 + 5
    parsers = sorted(front_matter(f)["parser"] for f in (tmp_path / "corpus").iterdir())
    assert parsers == ["hackernews"] * 5 + ["rss"] * 3
    listing = seedwatch("plugins", cwd=tmp_path, env=broken_plugin)
    assert listing.returncode == 0
    assert "hackernews (seedwatch-hackernews 0.1.0, entry point)" in listing.stdout
    assert "broken (sw-broken-plugin 1.0, entry point): FAILED to load" in listing.stdout
