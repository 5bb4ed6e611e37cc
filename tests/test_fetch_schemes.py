"""Only http and https are fetched for what servers say: a redirect, or a feed's
next-page link, to file, ftp, data or gopher is refused (error class ``refused``)
and no local file is ever read for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from localserver import LocalServer, Reply
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.fetch import FetchSettings, HttpFetcher
from seedwatch.errors import FetchError
from seedwatch.models import Source

SCHEMES = [
    "file:///etc/passwd",
    "ftp://127.0.0.1/x",
    "data:text/plain,hello",
    "gopher://127.0.0.1/x",
]


@pytest.mark.parametrize("target", SCHEMES)
def test_a_redirect_to_another_scheme_is_refused(server: LocalServer, target: str) -> None:
    url = server.route("/r", Reply(302, headers={"Location": target}, content_type=None))
    with HttpFetcher(FetchSettings()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(url, source=Source(id="s", url=url), local_ok=True)
    assert caught.value.category == "refused"


@pytest.mark.parametrize("target", SCHEMES)
def test_a_link_found_in_a_document_to_another_scheme_is_refused(target: str) -> None:
    with HttpFetcher(FetchSettings()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(target, source=Source(id="s", url="http://127.0.0.1/"), local_ok=False)
    assert caught.value.category == "refused"


def atom(next_url: str) -> bytes:
    words = " ".join(f"w{i}" for i in range(40))
    return (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>'
        f'<id>urn:t</id><updated>2026-01-01T00:00:00Z</updated><link rel="next" href="{next_url}"/>'
        f"<entry><id>urn:e1</id><title>e</title><updated>2026-01-01T00:00:00Z</updated>"
        f"<content>{words}</content></entry></feed>"
    ).encode()


@pytest.mark.parametrize("follow_offsite", [False, True])
@pytest.mark.parametrize("target", SCHEMES)
def test_a_feeds_next_page_link_to_another_scheme_is_not_followed(
    server: LocalServer, tmp_path: Path, target: str, follow_offsite: bool
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-CONTENT " * 40)
    link = target.replace("/etc/passwd", str(secret))
    url = server.route("/feed.xml", Reply(body=atom(link)))
    config = config_mod.from_dict(
        {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state.db"},
            "sources": [{"id": "feed", "url": url, "follow_offsite": follow_offsite}],
        },
        file=tmp_path / "seedwatch.toml",
    )
    with runtime.running(config) as pipeline:
        result = pipeline.poll_source(config.source("feed"), backfill=True).result
    assert result.documents == 1  # the feed itself; the link led nowhere
    assert result.accepted == 1  # the feed's own item is kept either way
    # on the site only: the link is off it (logged, skipped); anywhere: still no scheme
    # but http(s), and the poll says so
    assert result.error_category == ("refused" if follow_offsite else None)
    corpus = tmp_path / "corpus"
    assert not any("SECRET-CONTENT" in p.read_text() for p in corpus.glob("*.txt"))
