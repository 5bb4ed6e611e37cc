"""Feed discovery in ``seedwatch sources add``: real pages served on 127.0.0.1.

The blog pages are real (tests/data/articles); the feeds they name are
served next to them. Which feed is "best" is read from the pages: the
Perriault blog names five RSS feeds, the site-wide one (/feed/) last; the
V8 blog names its blog's Atom feed first, then its features' feed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.daemon.cli import main

DATA = Path(__file__).parent / "data"
ARTICLES = DATA / "articles"
PERRIAULT_FEEDS = ["/code/feed/", "/photography/feed/", "/talks/feed/", "/carnet/feed/", "/feed/"]


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def sources_of(config: Path) -> list[dict[str, object]]:
    return list(tomllib.loads(config.read_text()).get("sources", []))


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "seedwatch.toml"
    path.write_text('[corpus]\npath = "corpus"\n')
    return path


def html(name: str) -> Reply:
    return Reply(body=(ARTICLES / name).read_bytes(), content_type="text/html; charset=utf-8")


def serve_perriault(server: LocalServer, feeds: list[str]) -> str:
    for path in feeds:
        server.route(path, Reply(body=rss(2, base=server.url("/")), content_type="text/xml"))
    return server.route("/code/2013/get-your-frontend-javascript-code-covered/",
                        html("perriault_code_coverage.html"))  # fmt: skip


def test_a_blog_page_offering_one_feed_adds_it(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route(
        "/blog.atom",
        Reply(
            body=(DATA / "feeds" / "atom_github_commits_miniflux.xml").read_bytes(),
            content_type="application/atom+xml",
        ),
    )  # /features.atom, the page's second link, answers 404
    page = server.route("/blog/emscripten-standalone-wasm", html("v8_standalone_wasm.html"))
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "v8", page)
    assert code == 0, err
    (source,) = sources_of(config)
    assert source["id"] == "v8" and source["url"] == server.url("/blog.atom")
    assert source["kind"] == "http"
    assert server.hits("/features.atom")  # checked, and refused as no feed


def test_several_feeds_are_offered_and_nothing_is_added_without_a_choice(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = serve_perriault(server, PERRIAULT_FEEDS)
    code, out, err = cli(capsys, "--config", str(config), "sources", "add", page)
    assert code == 1
    listed = [line.split()[1] for line in out.splitlines() if line.strip().startswith("[")]
    assert listed[0] == server.url("/feed/")  # the whole site first
    assert sorted(listed) == sorted(server.url(p) for p in PERRIAULT_FEEDS)
    assert "--first" in err
    assert sources_of(config) == []


def test_first_takes_the_site_wide_feed(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = serve_perriault(server, PERRIAULT_FEEDS)
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "--first", page)
    assert code == 0, err
    (source,) = sources_of(config)
    assert source["url"] == server.url("/feed/")
    assert source["id"] == "everything-rss"  # the title the page gives the link, as a slug


def test_a_page_without_feed_links_is_tried_at_common_feed_paths(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    server.route("/index.xml", Reply(body=rss(3, base=server.url("/")), content_type="text/xml"))
    page = server.route(
        "/", Reply(body=b"<html><head><title>Home</title></head><body><p>Hi</p></body></html>",
                   content_type="text/html")
    )  # fmt: skip
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "home", page)
    assert code == 0, err
    assert sources_of(config)[0]["url"] == server.url("/index.xml")


def test_a_page_whose_feed_links_are_dead_is_tried_at_common_paths_too(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The V8 post names /blog.atom and /features.atom; neither is served here.
    server.route("/feed/", Reply(body=rss(2, base=server.url("/")), content_type="text/xml"))
    page = server.route("/blog/emscripten-standalone-wasm", html("v8_standalone_wasm.html"))
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "v8", page)
    assert code == 0, err
    assert sources_of(config)[0]["url"] == server.url("/feed/")
    assert server.hits("/blog.atom") and server.hits("/features.atom")


def test_a_page_with_no_feed_at_all_is_an_error_that_adds_nothing(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = server.route(
        "/", Reply(body=b"<html><body><p>Nothing here</p></body></html>", content_type="text/html")
    )
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "home", page)
    assert code == 1
    assert "no feed found" in err and page in err
    assert sources_of(config) == []


def test_a_page_with_twenty_feed_links_checks_ten(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/f{n}.xml" title="F{n}">'
        for n in range(20)
    )
    page = server.route(
        "/", Reply(body=f"<html><head>{links}</head><body>x</body></html>".encode(),
                   content_type="text/html")
    )  # fmt: skip
    for n in (3, 15):
        server.route(f"/f{n}.xml", Reply(body=rss(1, start=n), content_type="text/xml"))
    code, _, _ = cli(capsys, "--config", str(config), "sources", "add", "x", page)
    fetched = {r.path for r in server.requests if r.path.startswith("/f")}
    assert len(fetched) == 10
    assert code == 0  # one feed among the ten checked: added
    assert sources_of(config)[0]["url"] == server.url("/f3.xml")


def test_a_feed_url_is_added_as_it_is(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.route("/feed.xml", Reply(body=rss(2)))
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "gen", url)
    assert code == 0, err
    assert sources_of(config)[0]["url"] == url


def test_a_feed_behind_a_temporary_redirect_is_added_at_the_url_given(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A CDN's signed URL expires: the config keeps the address that hands out new ones.
    signed = "/cdn/feed.xml?signature=abc&expires=1999999999"
    url = server.route("/feed.xml", Reply(302, headers={"Location": signed}, content_type=None))
    server.route("/cdn/feed.xml", Reply(body=rss(2)))
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "cdn", url)
    assert code == 0, err
    assert server.hits("/cdn/feed.xml")
    assert sources_of(config)[0]["url"] == url


def test_a_feed_moved_for_good_is_added_at_its_new_url(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = server.route("/old.xml", Reply(301, headers={"Location": "/new.xml"}, content_type=None))
    server.route("/new.xml", Reply(308, headers={"Location": "/feed.xml"}, content_type=None))
    server.route("/feed.xml", Reply(302, headers={"Location": "/cdn.xml"}, content_type=None))
    server.route("/cdn.xml", Reply(body=rss(2)))
    code, _, err = cli(capsys, "--config", str(config), "sources", "add", "moved", url)
    assert code == 0, err
    # the 301 and the 308 moved it; the 302 after them did not
    assert sources_of(config)[0]["url"] == server.url("/feed.xml")


def test_a_forum_thread_becomes_a_forum_source_and_its_feed_is_named(
    server: LocalServer, config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real MyBB thread page; it names the board's syndication feed on the
    # host it was rendered on, served here instead.
    raw = (DATA / "forum" / "mybb" / "showthread-tid1-page1.html").read_bytes()
    raw = raw.replace(b"http://127.0.0.1:18082", server.url("").encode())
    page = server.route("/showthread.php", Reply(body=raw, content_type="text/html"))
    server.route(
        "/syndication.php",
        Reply(body=(DATA / "forum" / "mybb" / "syndication-default-rss2.xml").read_bytes()),
    )
    code, out, err = cli(capsys, "--config", str(config), "sources", "add", "t", page + "?tid=1")
    assert code == 0, err
    (source,) = sources_of(config)
    assert source["kind"] == "forum" and source["url"] == page + "?tid=1"
    assert "thread" in out and "mybb" in out
    assert server.url("/syndication.php") in out


def test_an_unreachable_url_is_added_as_given_with_a_warning(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(
        capsys, "--config", str(config), "sources", "add", "later", "http://127.0.0.1:9/feed"
    )
    assert code == 0
    assert "warning" in err
    assert sources_of(config)[0]["url"] == "http://127.0.0.1:9/feed"
