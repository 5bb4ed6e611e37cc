"""The URL policy of seedwatch.urls: where links may lead and where credentials may go."""

from __future__ import annotations

import pytest

from seedwatch.urls import may_carry_credentials, origin, same_origin, same_site

SOURCE = "https://forum.example.org/index.php"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://forum.example.org/login", True),  # the exact origin
        ("https://FORUM.example.org:443/x", True),  # the same, spelt differently
        ("http://forum.example.org/login", False),  # plain http under an https source
        ("https://forum.example.org:8443/login", False),  # another port
        ("https://www.forum.example.org/login", False),  # another host
        ("https://evil.example.net/login", False),
        ("ftp://forum.example.org/login", False),
        ("not a url", False),
    ],
)
def test_credentials_go_to_the_sources_exact_origin_only(url: str, expected: bool) -> None:
    assert may_carry_credentials(url, SOURCE) is expected


def test_an_http_sources_credentials_may_go_to_its_https_upgrade() -> None:
    assert may_carry_credentials("https://board.example/x", "http://board.example/")
    assert not may_carry_credentials("https://board.example:8443/x", "http://board.example/")
    assert not may_carry_credentials("https://other.example/x", "http://board.example/")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://forum.example.org/t/2", True),
        ("http://forum.example.org/t/2", True),  # default ports: the same site
        ("https://www.forum.example.org/t/2", True),  # www. aside
        ("https://forum.example.org:8080/t/2", False),  # another port
        ("https://cdn.example.org/t/2", False),
        ("file:///etc/passwd", False),
        ("https://forum.example.org:99999/t/2", False),  # no such port
    ],
)
def test_links_stay_on_the_site_ports_included(url: str, expected: bool) -> None:
    assert same_site(url, SOURCE) is expected


def test_same_origin_compares_scheme_host_and_port() -> None:
    assert same_origin("http://h.example/a", "http://H.example:80/b")
    assert not same_origin("http://h.example/a", "https://h.example/a")
    assert not same_origin("http://h.example/a", "http://h.example:8080/a")
    assert origin("mailto:someone@h.example") is None
