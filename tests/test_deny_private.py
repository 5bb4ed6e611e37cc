"""``[fetch] deny_private``: hosts that resolve to no public address are refused
(error class ``refused``), judged on the resolved address, which is the one
connected to. Tests use loopback only; names no DNS holds are answered by the
transport's resolver, replaced for the test."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from localserver import LocalServer, Reply
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.fetch import FetchSettings, HttpFetcher, transport
from seedwatch.errors import FetchError
from seedwatch.models import Source


def fetch(url: str, *, deny_private: bool) -> None:
    with HttpFetcher(FetchSettings(deny_private=deny_private)) as fetcher:
        fetcher.fetch(url, source=Source(id="s", url=url))


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_loopback_host_is_refused_and_never_contacted(server: LocalServer, host: str) -> None:
    url = server.route("/feed.xml", Reply(body=b"<rss/>")).replace("127.0.0.1", host)
    with pytest.raises(FetchError) as caught:
        fetch(url, deny_private=True)
    assert caught.value.category == "refused"
    assert server.hits("/feed.xml") == []


def test_off_by_default_for_the_tests_own_servers(server: LocalServer) -> None:
    url = server.route("/feed.xml", Reply(body=b"<rss/>"))
    fetch(url, deny_private=False)
    assert len(server.hits("/feed.xml")) == 1


@pytest.mark.parametrize(
    "address",
    ["10.1.2.3", "192.168.0.1", "172.16.5.4", "169.254.169.254", "100.64.0.1", "::1",
     "fe80::1", "fd00::1", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1"],
)  # fmt: skip
def test_a_name_resolving_to_a_private_address_is_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    def resolver(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(transport, "resolve", resolver)
    with pytest.raises(FetchError) as caught:
        fetch("http://feeds.example.test/feed.xml", deny_private=True)
    assert caught.value.category == "refused"
    assert address.split("%")[0] in str(caught.value)


def test_public_addresses_pass() -> None:
    assert transport.is_public("93.184.216.34")
    assert transport.is_public("2606:4700::1111")
    assert not transport.is_public("127.0.0.1")
    assert not transport.is_public("::ffff:10.0.0.1")


def test_the_config_turns_it_on(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/feed.xml", Reply(body=b"<rss/>"))
    config = config_mod.from_dict(
        {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state.db"},
            "fetch": {"deny_private": True},
            "sources": [{"id": "feed", "url": url}],
        },
        file=tmp_path / "seedwatch.toml",
    )
    with runtime.running(config) as pipeline:
        result = pipeline.poll_source(config.source("feed")).result
    assert result.error_category == "refused"
    assert server.hits("/feed.xml") == []
