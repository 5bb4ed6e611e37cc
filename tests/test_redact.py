"""Secrets in feed URLs (userinfo, token parameters) are fetched with but never shown:
not in log lines (text or JSON, tracebacks and ``extra`` fields too), not in
``seedwatch status``, not on the status page, not in the traceback of an unexpected
error. (tests/test_secrets.py checks every output of a whole run.)"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from localserver import LocalServer, Reply
from seedwatch import redact
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import logs, runtime
from seedwatch.daemon.cli import main
from seedwatch.daemon.service import Service
from seedwatch.redact import redact_text, redact_url
from seedwatch.state import maintenance

SECRETS = ("hunter2", "s3cr3t-token", "hash-value-42", "feeduser")


@pytest.fixture(autouse=True)
def no_configured_params() -> Iterator[None]:
    yield
    redact.configure(())


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://feeduser:hunter2@example.org/feed", "https://***@example.org/feed"),
        ("https://example.org/f?token=abc&page=2", "https://example.org/f?token=***&page=2"),
        (
            "https://example.org/f?page=2&API_KEY=abc#top",
            "https://example.org/f?page=2&API_KEY=***#top",
        ),
        ("https://example.org/f?token=", "https://example.org/f?token="),
        ("https://example.org/f?page=2", "https://example.org/f?page=2"),
        ("https://x@[::1/feed", "https://***@[::1/feed"),
    ],
)
def test_userinfo_and_secret_parameters_are_masked(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_configured_parameters_are_masked_too_and_text_around_urls_is_kept() -> None:
    line = "source a: GET https://example.org/f?hash=abc&id=7: HTTP 500 (at 'https://example.org/f?hash=abc')"
    assert redact_text(line) == line
    redact.configure(["Hash"])
    assert redact_text(line) == (
        "source a: GET https://example.org/f?hash=***&id=7: HTTP 500 "
        "(at 'https://example.org/f?hash=***')"
    )


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("GET https://h/f?token=abc: HTTP 404", "GET https://h/f?token=***: HTTP 404"),
        ("(see https://h/f?token=abc).", "(see https://h/f?token=***)."),
        ("https://h/f?a=1&token=abc, then", "https://h/f?a=1&token=***, then"),
        ("https://h/f?token=a:b c", "https://h/f?token=*** c"),
    ],
)
def test_the_punctuation_after_a_url_in_text_is_kept(text: str, shown: str) -> None:
    assert redact_text(text) == shown


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_log_lines_and_tracebacks_never_show_the_secret(
    fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    logs.setup(logging.INFO, fmt)
    log = logging.getLogger("seedwatch.test")
    url = "https://feeduser:hunter2@example.org/f?token=s3cr3t-token"
    log.warning("fetching %s failed", url)
    try:
        raise ValueError(f"cannot fetch {url}")
    except ValueError:
        log.exception("poll failed")
    log.warning("moved", extra={"location": url})
    err = capsys.readouterr().err
    if fmt == "json":
        records = [json.loads(line) for line in err.splitlines()]
        assert records[0]["message"] == ("fetching https://***@example.org/f?token=*** failed")
        assert "cannot fetch https://***@example.org/f?token=***" in records[1]["exception"]
        assert records[2]["location"] == "https://***@example.org/f?token=***"
    assert "example.org" in err
    assert not [s for s in SECRETS if s in err], err


def test_run_status_and_the_status_page_never_show_the_secret(
    tmp_path: Path, server: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("/private.xml", Reply(500, b"oops", content_type=None))
    host = server.url("/").split("://", 1)[1].rstrip("/")
    url = f"http://feeduser:hunter2@{host}/private.xml?token=s3cr3t-token&hash=hash-value-42"
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[daemon]\nsecret_params = ["hash"]\njitter = "0s"\nlisten = "127.0.0.1:0"\n'
        f'[[sources]]\nid = "private"\nurl = "{url}"\n'
    )
    code, out, err = cli(capsys, "--config", str(config), "run", "--once")
    assert code == 1 and "private" in err and "HTTP 500" in err
    assert server.hits("/private.xml")  # fetched with its secrets
    code, status, _ = cli(capsys, "--config", str(config), "status")
    assert code == 0 and "private.xml?token=***&hash=***" in status
    assert "***@" in status and "HTTP 500" in status

    loaded = config_mod.load(config)
    with runtime.running(loaded) as pipeline:
        service = Service(
            pipeline,
            loaded.enabled_sources(),
            listen="",
            corpus=loaded.corpus_path,
            jitter=timedelta(0),
        )
        page = service.status_page()
    assert "private.xml?token=***&amp;hash=***" in page
    for shown in (out, err, status, page):
        assert not [s for s in SECRETS if s in shown], shown


def test_the_traceback_of_an_unexpected_error_never_shows_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A bug stands in for any: the traceback the user is asked to report names a URL.
    def bug(*args: object) -> int:
        raise RuntimeError("cannot read https://feeduser:hunter2@example.org/f?token=s3cr3t-token")

    monkeypatch.setattr(maintenance, "export", bug)
    config = tmp_path / "seedwatch.toml"
    config.write_text('[state]\nurl = "sqlite:///state.db"\n')
    code, _, err = cli(capsys, "--config", str(config), "state", "export")
    assert code == 70
    assert "test_redact.py" in err  # the traceback, down to the bug
    assert "RuntimeError: cannot read https://***@example.org/f?token=***" in err
    assert not [s for s in SECRETS if s in err], err
