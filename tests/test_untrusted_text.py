"""Where text from servers goes, and what it cannot do there.

Titles, authors, guids and URLs holding ``../``, NUL, newlines, ESC, bidi
overrides, ``<script>`` and ``"><img onerror=...>``, and 100 kB strings, served
by a real local server and taken through a real poll:

- corpus file names and S3 object keys never derive from them;
- a newline cannot forge a log line (text and JSON formats), and no ESC or
  NUL reaches the terminal;
- ``seedwatch status`` and the status page escape them (the page is loaded in
  headless chromium: no script runs);
- a title that looks like YAML round-trips exactly through ``corpus index``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from lxml import html as lxml_html

from localserver import LocalServer, Reply
from seedwatch.contracts import PollResult
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import logs, runtime
from seedwatch.daemon.service import Service
from seedwatch.errors import ConfigError
from seedwatch.state.store import now
from seedwatch.terminal import printable
from test_s3_sink import BUCKET, s3  # noqa: F401 (the fixture)

SCRIPT = '<script>document.title="PWNED"</script>'
IMG = '"><img src=x onerror="document.body.dataset.pwned=1">'
FORGED = "\n00:00:00 ERROR   forged line\r"
HOSTILE = f"../../etc/passwd{FORGED}\x1b]0;owned\x07\x1b[2J\x00 {SCRIPT} {IMG} \u202egnp.exe"
NAME = re.compile(r"^\d{3,}_[0-9a-f]{16}\.txt$")
LINE = re.compile(r"^\d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def words(n: int) -> str:
    return " ".join(f"w{n}x{i}" for i in range(40))


def hostile_feed(base: str) -> bytes:
    items = [
        {
            "id": f"../../{HOSTILE}",
            "url": f"{base}/../../x?{SCRIPT}",
            "title": HOSTILE,
            "authors": [{"name": HOSTILE + "A" * 100_000}],
            "content_text": f"{words(1)} {HOSTILE}",
            "tags": [HOSTILE],
        },
        {
            "id": "../" * 30 + "x",
            "url": f"{base}/{'%2e%2e/' * 20}y",
            "title": "B" * 100_000,
            "content_text": f"{words(2)}\n\n{'C' * 100_000}",
        },
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": HOSTILE, "items": items}
    return json.dumps(feed).encode()


def write_config(tmp_path: Path, url: str) -> Path:
    config = tmp_path / "seedwatch.toml"
    lines = [
        '[corpus]\npath = "corpus"',
        '[state]\nurl = "sqlite:///state/state.db"',
        f'[[sources]]\nid = "hostile"\nurl = "{url}"',
    ]
    config.write_text("\n".join(lines) + "\n")
    return config


def seedwatch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "seedwatch", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        errors="surrogateescape",
    )


def files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*")}


# -- names ----------------------------------------------------------------------------


def test_corpus_file_names_never_derive_from_item_text(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/feed.json", Reply(body=hostile_feed(server.url("")), content_type=None))
    config = write_config(tmp_path, url)
    before = files(tmp_path)
    proc = seedwatch("--config", str(config), "run", "--once", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    written = sorted((tmp_path / "corpus").iterdir())
    assert len(written) == 2
    assert all(NAME.match(p.name) for p in written)
    created = files(tmp_path) - before
    # nothing outside the corpus and the state folders, whatever the items said
    assert {p.parts[0] for p in created} == {"corpus", "state"}
    assert not (tmp_path.parent / "etc").exists()


def test_s3_object_keys_never_derive_from_item_text(
    s3: tuple[str, Any],  # noqa: F811 (the fixture)
    server: LocalServer,
    tmp_path: Path,
) -> None:
    endpoint, client = s3
    url = server.route("/feed.json", Reply(body=hostile_feed(server.url("")), content_type=None))
    config = config_mod.from_dict(
        {
            "corpus": {"path": "corpus", "sinks": ["s3"]},
            "state": {"url": "sqlite:///state.db"},
            "sinks": {"s3": {"bucket": BUCKET, "endpoint_url": endpoint, "prefix": "c/"}},
            "sources": [{"id": "hostile", "url": url}],
        },
        file=tmp_path / "seedwatch.toml",
    )
    with runtime.running(config) as pipeline:
        result = pipeline.poll_source(config.source("hostile")).result
    assert result.accepted == 2
    keys = [o["Key"] for o in client.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 2
    assert all(k.startswith("c/") and NAME.match(k.removeprefix("c/")) for k in keys)


@pytest.mark.parametrize("source_id", ["../etc", "a/b", "a\nb", "<script>", ""])
def test_a_source_id_that_could_name_a_path_or_markup_is_a_config_error(
    tmp_path: Path, source_id: str
) -> None:
    with pytest.raises(ConfigError):
        config_mod.from_dict(
            {"sources": [{"id": source_id, "url": "http://127.0.0.1:9/f"}]},
            file=tmp_path / "seedwatch.toml",
        )


# -- log lines ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_newline_in_server_text_cannot_forge_a_log_line(
    server: LocalServer, tmp_path: Path, fmt: str
) -> None:
    url = server.route("/feed.json", Reply(body=hostile_feed(server.url("")), content_type=None))
    config = write_config(tmp_path, url)
    proc = seedwatch(
        "--config", str(config), "--log-format", fmt, "-vv", "run", "--once", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    # the items' keys (with NUL) are named in a warning: the hostile text is there
    assert any("forged line" in line for line in lines)
    assert not any(c in proc.stderr for c in "\x1b\x00\x07\r\u202e\x85\u2028")
    for line in lines:
        assert not line.startswith("00:00:00 ERROR")
        if "forged line" not in line:
            continue  # the run's summary lines (not log records) hold no server text
        if fmt == "json":
            assert set(json.loads(line)) >= {"time", "level", "message"}
        else:
            assert LINE.match(line), line


def test_the_text_format_escapes_and_indents_a_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    logs.setup(fmt="text")
    log = __import__("logging").getLogger("seedwatch.test")
    try:
        raise ValueError(f"bad {HOSTILE}")
    except ValueError:
        log.exception("failed on %s", HOSTILE)
    err = capsys.readouterr().err
    first, *rest = err.splitlines()
    assert LINE.match(first) and "forged line" in first
    assert rest and all(line.startswith("    ") for line in rest)
    assert "\x1b" not in err and "\x00" not in err


def test_printable_shows_what_was_received_on_one_line() -> None:
    assert printable("a\nb\x1b[2J\x00\u202e\tc é") == "a\\nb\\x1b[2J\\x00\\u202e\tc é"


# -- status -------------------------------------------------------------------------


def hostile_state(tmp_path: Path) -> config_mod.Config:
    """A config and a state whose source failed with hostile text in its error,
    after a permanent redirect to a hostile URL."""
    file = write_config(tmp_path, "http://127.0.0.1:9/feed")
    with file.open("a") as f:
        f.write('[daemon]\nlisten = "127.0.0.1:0"\njitter = "0s"\n')
    config = config_mod.load(file)
    with runtime.running(config) as pipeline:
        result = PollResult(source="hostile", error=HOSTILE, error_category=HOSTILE)
        pipeline.store.record_poll("hostile", result, at=now(), next_poll=None)
    return config


def test_seedwatch_status_escapes_server_text(tmp_path: Path) -> None:
    hostile_state(tmp_path)
    proc = seedwatch("--config", str(tmp_path / "seedwatch.toml"), "status", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "forged line" in proc.stdout
    assert not any(c in proc.stdout for c in "\x1b\x00\x07\r\u202e")
    assert not any(line.startswith("00:00:00 ERROR") for line in proc.stdout.splitlines())


@pytest.fixture
def status_page(tmp_path: Path) -> Iterator[str]:
    config = hostile_state(tmp_path)
    with runtime.running(config) as pipeline:
        service = Service(
            pipeline,
            config.enabled_sources(),
            listen=config.daemon.listen,
            corpus=config.corpus_path,
            jitter=timedelta(0),
            tick=0.1,
        )
        thread = threading.Thread(target=service.run_forever)
        thread.start()
        try:
            deadline = time.monotonic() + 10
            while not (service.server and service.scheduler and service.scheduler.running):
                assert time.monotonic() < deadline, "the daemon did not start"
                time.sleep(0.02)
            yield service.server.url("")
        finally:
            service.stop()
            thread.join(10)


def test_the_status_page_escapes_server_text(status_page: str) -> None:
    page = httpx.get(status_page, timeout=10).text
    root = lxml_html.fromstring(page)
    assert not root.xpath("//body//script | //img | //*[@onerror]")
    assert "forged line" in root.text_content()


@pytest.mark.skipif(
    shutil.which("chromium") is None and os.environ.get("CI") != "true",
    reason="Debian's chromium is not installed (CI installs it and never skips this)",
)
def test_no_script_runs_on_the_status_page_in_a_real_browser(
    status_page: str, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=2000",  # let an onerror handler run, if one could
            "--dump-dom",
            status_page,
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert proc.returncode == 0, proc.stderr
    dom = lxml_html.fromstring(proc.stdout)
    assert dom.findtext(".//title") == "seedwatch status"  # the script would retitle it
    assert dom.find(".//body").get("data-pwned") is None  # the onerror handler would mark it
    assert not dom.xpath("//body//script | //img")
    assert "forged line" in dom.text_content()


# -- front-matter ---------------------------------------------------------------------

YAML_TITLES = [
    "---",
    "key: value",
    "title: injected\nseedwatch: 2\n---\nbody",
    "&anchor value *anchor",
    "- a list item",
    "!!python/object/apply:os.system ['true']",
    "'single' and \"double\" quotes",
    "2024-13-45",
    "123",
    "null",
    "yes",
    "~",
    "# a comment",
    "{a: 1, b: [2]}",
    "tab\there: and a colon",
    "ends with a colon:",
    "...",
]


def test_a_title_that_looks_like_yaml_round_trips_through_corpus_index(
    server: LocalServer, tmp_path: Path
) -> None:
    items = [
        {"id": f"https://example.org/{n}", "title": title, "content_text": words(100 + n)}
        for n, title in enumerate(YAML_TITLES)
    ]
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "F", "items": items}
    url = server.route("/feed.json", Reply(body=json.dumps(feed).encode(), content_type=None))
    config = write_config(tmp_path, url)
    assert seedwatch("--config", str(config), "run", "--once", cwd=tmp_path).returncode == 0
    recorded = titles(tmp_path, config)
    assert sorted(recorded.values()) == sorted(YAML_TITLES)
    # a fresh state, indexed from the corpus files alone
    shutil.rmtree(tmp_path / "state")
    proc = seedwatch("--config", str(config), "corpus", "index", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert titles(tmp_path, config) == recorded


def titles(tmp_path: Path, config: Path) -> dict[str, str]:
    proc = seedwatch("--config", str(config), "state", "export", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    return {r["key"]: r["title"] for r in rows if r["table"] == "items"}
