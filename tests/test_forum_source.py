"""The ``forum`` source kind through the real pipeline: a MyBB board served by a local
HTTP server (the hand-made forum page tests/data/forum/handmade/mybb18_forumdisplay_fid4.html
listing the real two-page thread in tests/data/forum/mybb/ and hand-made threads 12 and 13),
real SQLite, a real corpus folder.

Variants a test needs (an older state of the board, page 2 of thread 1 before its last
post) are derived here from those files, never written into them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest
import yaml

from localserver import LocalServer, Reply, Request
from seedwatch.contracts import Cursor, PollContext, PollResult
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import logs, runtime
from seedwatch.daemon.cli import main
from seedwatch.daemon.fetch import FetchSettings, HttpFetcher
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.models import Source
from seedwatch.plugins.builtin.forums.board import ForumSource

FORUM = Path(__file__).parent / "data" / "forum"
HANDMADE = FORUM / "handmade"
BOARD = "/forumdisplay.php?fid=4"
BOARD2 = "/forumdisplay.php?fid=4&page=2"
T1 = "/showthread.php?tid=1"
T1P2 = "/showthread.php?tid=1&page=2"
T2 = "/showthread.php?tid=12"
T3 = "/showthread.php?tid=13"


def read(name: str) -> bytes:
    folder = FORUM / "mybb" if name.startswith("showthread-") else HANDMADE
    return (folder / name).read_bytes()


def html(body: bytes, **headers: str) -> Reply:
    return Reply(body=body, content_type="text/html; charset=UTF-8", headers=dict(headers))


def without_last_post(page: bytes) -> bytes:
    """Page 2 of thread 1 before post 9 was written: its postbit cut out."""
    start = page.index(b'<a name="pid9"')
    end = page.index(b"<!-- end: postbit -->", start) + len(b"<!-- end: postbit -->")
    return page[:start] + page[end:]


def board_before_post_9(board: bytes) -> bytes:
    """The board as it was before post 9: thread 1 had 7 replies, the last one older."""
    row = board.index(b'id="tid_1"')
    before, after = board[:row], board[row:]
    after = after.replace(b'whoPosted(1);">8<', b'whoPosted(1);">7<', 1)
    after = after.replace(b'title="11-21-2026, 08:54 PM"', b'title="11-21-2026, 08:41 PM"', 1)
    return before + after


def serve_board(server: LocalServer, *, full: bool = True) -> None:
    board = read("mybb18_forumdisplay_fid4.html")
    page2 = read("showthread-tid1-page2.html")
    server.route(BOARD, html(board if full else board_before_post_9(board)))
    server.route(BOARD2, html(read("mybb18_forumdisplay_fid4_page2.html")))
    server.route(T1, html(read("showthread-tid1-page1.html")))
    server.route(T1P2, html(page2 if full else without_last_post(page2)))
    server.route(T2, html(read("mybb18_showthread_tid12.html")))
    server.route(T3, html(read("mybb18_showthread_tid13.html")))


def pages(server: LocalServer) -> list[str]:
    """The paths requested, robots.txt left out, in order."""
    return [r.path for r in server.requests if r.path != "/robots.txt"]


@dataclass
class Harness:
    config: config_mod.Config
    pipeline: Pipeline

    def poll(self, **kw: Any) -> PollResult:
        return self.pipeline.poll_source(self.config.source("board"), **kw).result


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Callable[..., Harness]]:
    built: list[Harness] = []

    def make(url: str, **source: Any) -> Harness:
        data: dict[str, Any] = {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "fetch": {"total_timeout": "10s"},
            "sources": [{"id": "board", "kind": "forum", "url": url, **source}],
        }
        config = config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")
        built.append(Harness(config, runtime.build(config)))
        return built[-1]

    yield make
    for h in built:
        h.pipeline.close()


def corpus_keys(tmp_path: Path) -> list[str]:
    folder = tmp_path / "corpus"
    if not folder.exists():
        return []
    return sorted(
        yaml.safe_load(p.read_text(encoding="utf-8").split("---\n")[1])["key"]
        for p in folder.iterdir()
    )


BOARD_PAGE_1 = [*range(1, 10), 101, 102]  # the posts of threads 1 and 12
BOTH_PAGES = [*BOARD_PAGE_1, 103]  # and of thread 13, on the board's page 2


def keys(server: LocalServer, pids: list[int]) -> list[str]:
    return sorted(f"mybb:127.0.0.1:{server.port}:{pid}" for pid in pids)


# -- a board ---------------------------------------------------------------------------


def test_each_thread_of_a_board_is_ingested_once(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    serve_board(server)
    h = harness(server.url(BOARD))
    result = h.poll()
    assert result.error is None, result.error
    # thread 1: posts 1-9 over two pages (the live walk read page 2); thread 12: 101, 102
    assert result.accepted == 11
    assert corpus_keys(tmp_path) == keys(server, BOARD_PAGE_1)
    # The board's first page only (a poll, not a backfill); each thread's first page,
    # then page 2 of thread 1, which the pipeline's live walk asked for.
    assert sorted(pages(server)) == sorted([BOARD, T1, T2, T1P2])
    assert pages(server)[0] == BOARD


def test_a_second_poll_without_activity_fetches_only_the_board(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    serve_board(server)
    h = harness(server.url(BOARD))
    assert h.poll().accepted == 11
    server.requests.clear()
    again = h.poll()
    assert again.error is None, again.error
    assert pages(server) == [BOARD]
    assert again.documents == 0 and again.accepted == 0
    assert again.not_modified == 1  # the board showed no thread with new activity


def test_a_thread_with_new_activity_gets_its_newest_page_read(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    serve_board(server, full=False)
    h = harness(server.url(BOARD))
    first = h.poll()
    assert first.error is None and first.accepted == 10  # post 9 not written yet
    serve_board(server)  # post 9 arrives: thread 1's row shows 8 replies and a later date
    server.requests.clear()
    second = h.poll()
    assert second.error is None, second.error
    # Thread 12's row did not change: not fetched. Thread 1: its first page, then its
    # last page, where the new post is.
    assert pages(server) == [BOARD, T1, T1P2]
    assert second.accepted == 1
    assert corpus_keys(tmp_path) == keys(server, BOARD_PAGE_1)


def test_backfill_walks_every_board_page_and_every_thread_page(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    serve_board(server)
    h = harness(server.url(BOARD))
    result = h.poll(backfill=True)
    assert result.error is None, result.error
    assert result.accepted == 12  # threads 1 (9 posts), 12 (2) and 13 (1), from both board pages
    assert sorted(pages(server)) == sorted([BOARD, T1, T2, T1P2, BOARD2, T3])
    assert corpus_keys(tmp_path) == keys(server, BOTH_PAGES)
    again = h.poll(backfill=True)
    assert again.error is None and again.accepted == 0


def test_off_site_thread_links_are_not_followed(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    caplog: pytest.LogCaptureFixture,
) -> None:
    serve_board(server)
    # The same server under another name is another site: thread 12's row leads there.
    elsewhere = f"http://localhost:{server.port}/showthread.php?tid=12"
    board = read("mybb18_forumdisplay_fid4.html").replace(
        b'<a href="showthread.php?tid=12">', f'<a href="{elsewhere}">'.encode()
    )
    server.route(BOARD, html(board))
    h = harness(server.url(BOARD))
    with caplog.at_level(logging.WARNING):
        result = h.poll()
    assert result.error is None and result.accepted == 9  # thread 1 only
    assert not [r for r in server.requests if r.headers.get("Host", "").startswith("localhost")]
    assert T2 not in pages(server)
    assert f"not following off-site thread {elsewhere}" in caplog.text


def test_a_thread_gone_since_the_board_was_read_is_skipped(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    serve_board(server)
    server.route(T2, Reply(404, b"The specified thread does not exist.", content_type="text/html"))
    result = harness(server.url(BOARD)).poll()
    assert result.error is None, result.error
    assert result.accepted == 9  # thread 1 still arrives


def test_a_server_error_on_a_thread_ends_the_poll_after_the_threads_fetched_before(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    serve_board(server)
    server.route(T2, Reply(503, b"busy", content_type="text/plain"))
    h = harness(server.url(BOARD))
    result = h.poll()
    assert result.error is not None and "503" in result.error
    assert result.accepted == 9  # thread 1, fetched before, is recorded
    serve_board(server)  # the server is back: thread 12, not marked as read, is fetched
    server.requests.clear()
    again = h.poll()
    assert again.error is None and again.accepted == 2
    assert pages(server) == [BOARD, T2]


# -- a thread --------------------------------------------------------------------------


def test_a_thread_url_behaves_like_the_http_kind(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    serve_board(server)
    result = harness(server.url(T1)).poll()
    assert result.error is None and result.accepted == 9
    assert pages(server) == [T1, T1P2]


def test_a_thread_is_fetched_without_validators(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    # A thread's first page may not change while its last page grows: a 304 for the
    # first page must not end the poll before the walk to the last page.
    serve_board(server)
    server.route(T1, html(read("showthread-tid1-page1.html"), ETag='"t1"'))
    h = harness(server.url(T1))
    h.poll()
    h.poll()
    assert all("If-None-Match" not in r.headers for r in server.hits("/showthread.php"))


# -- credentials -------------------------------------------------------------------------

SESSION = "mybbuser=1_tZ9rQ2vX8kLm"  # what the test board accepts as a logged-in member


def members_only(server: LocalServer, accepted: Callable[[Request], bool]) -> None:
    """Every page of the board is served only to requests ``accepted`` approves; others
    get MyBB's no-permission page with its login form, and (as MyBB does for every
    guest) a session cookie, which its login form wants back."""
    serve_board(server)
    wall = html(read("mybb18_nopermission.html"), **{"Set-Cookie": "sid=guest42; path=/"})

    def gate(reply: Reply) -> Callable[[Request], Reply]:
        return lambda req: reply if accepted(req) else wall

    for path in (BOARD, BOARD2, T1, T1P2, T2, T3):
        reply = server.routes[path]
        assert isinstance(reply, Reply)
        server.route(path, gate(reply))


def has_session(req: Request) -> bool:
    return SESSION in req.headers.get("Cookie", "")


def test_a_session_cookie_is_sent_with_every_page(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members_only(server, has_session)
    monkeypatch.setenv("TEST_FORUM_COOKIE", f"{SESSION}; mybb[lastvisit]=1795294430")
    h = harness(server.url(BOARD), credentials={"cookie": "TEST_FORUM_COOKIE"})
    result = h.poll()
    assert result.error is None, result.error
    assert result.accepted == 11
    requested = [r for r in server.requests if r.path != "/robots.txt"]
    # page 2 of thread 1 too: the pipeline's live walk sends the kind's link headers
    assert T1P2 in [r.path for r in requested]
    assert all(has_session(r) for r in requested)


def test_without_credentials_a_members_only_board_is_explained(
    server: LocalServer, tmp_path: Path, harness: Callable[..., Harness]
) -> None:
    members_only(server, has_session)
    result = harness(server.url(BOARD)).poll()
    assert result.accepted == 0
    assert result.error is not None and "login page" in result.error
    assert "credentials" in result.error


def test_an_expired_cookie_is_a_clear_error(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members_only(server, has_session)
    monkeypatch.setenv("TEST_FORUM_COOKIE", "mybbuser=1_expired")
    result = harness(server.url(BOARD), credentials={"cookie": "TEST_FORUM_COOKIE"}).poll()
    assert result.error is not None
    assert "session has expired or the cookie is wrong" in result.error


@pytest.fixture
def debug_logging(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """seedwatch's own logging set-up at its most verbose (``-vv``), captured."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    names = ("httpx", "httpcore", "apscheduler", "alembic")
    levels = {name: logging.getLogger(name).level for name in names}
    logs.setup(logging.DEBUG, "text")
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        yield caplog
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
        for name, value in levels.items():
            logging.getLogger(name).setLevel(value)


USER, PASSWORD = "ada", "correct horse battery staple"
FORM_KEY = "5b9fc989cb9fd055867aaa0bb8570adf"  # my_post_key in mybb18_nopermission.html


def login_server(
    server: LocalServer, *, board_cookie: str = SESSION, redirect: bool = False
) -> list[dict[str, str]]:
    """The board behind a login: GET member.php shows the login form and sets a guest
    ``sid`` cookie; POST member.php with the right fields, the form key and that
    cookie sets the member's cookie, on a "logged in" page or (``redirect``) on a
    redirect to the index, as phpBB 3.1+ and SMF do. Returns the forms posted."""
    members_only(server, lambda req: board_cookie in req.headers.get("Cookie", ""))
    posted: list[dict[str, str]] = []
    wall = read("mybb18_nopermission.html")

    def member(req: Request) -> Reply:
        if req.method == "GET":
            return html(wall, **{"Set-Cookie": "sid=guest42; path=/; HttpOnly"})
        form = dict(parse_qsl(req.body.decode()))
        posted.append(form)
        good = (
            form.get("username") == USER
            and form.get("password") == PASSWORD
            and form.get("my_post_key") == FORM_KEY
            and form.get("action") == "do_login"
            and "sid=guest42" in req.headers.get("Cookie", "")
        )
        if not good:
            return html(wall)  # MyBB shows the form again, with its errors
        if redirect:
            return Reply(
                303,
                b"",
                headers={
                    "Location": "/index.php",
                    "Set-Cookie": f"{SESSION}; expires=Fri, 01-Jan-2038 00:00:00 GMT; path=/",
                },
            )
        return html(
            b"<html><head><title>Live Test Forum</title></head><body>"
            b"You have successfully been logged in.</body></html>",
            **{"Set-Cookie": f"{SESSION}; expires=Fri, 01-Jan-2038 00:00:00 GMT; path=/"},
        )

    server.route("/member.php", member)
    return posted


def test_login_form_credentials_log_in_and_the_secret_is_never_logged(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
    debug_logging: pytest.LogCaptureFixture,
) -> None:
    posted = login_server(server)
    monkeypatch.setenv("TEST_FORUM_USER", USER)
    monkeypatch.setenv("TEST_FORUM_PASSWORD", PASSWORD)
    h = harness(
        server.url(BOARD),
        login_url="/member.php?action=login",
        credentials={"username": "TEST_FORUM_USER", "password": "TEST_FORUM_PASSWORD"},
    )
    result = h.poll()
    again = h.poll()  # the session is kept: no second login
    assert result.error is None, result.error
    assert result.accepted == 11 and again.error is None
    assert len(posted) == 1
    assert posted[0]["remember"] == "yes" and posted[0]["submit"] == "Login"
    member_pages = [r for r in server.requests if r.path in (BOARD, T1, T1P2, T2)]
    assert member_pages and all(has_session(r) for r in member_pages)
    records = debug_logging.records
    assert any(r.levelno == logging.DEBUG and r.name.startswith("seedwatch") for r in records)
    assert any("logged in at" in r.getMessage() for r in records)
    logged = "\n".join(r.getMessage() for r in records) + debug_logging.text
    assert PASSWORD not in logged and "tZ9rQ2vX8kLm" not in logged


def test_a_login_answered_with_a_redirect_keeps_the_session_the_redirect_set(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login_server(server, redirect=True)
    server.route("/index.php", html(b"<html><head><title>Index</title></head><body></body></html>"))
    monkeypatch.setenv("TEST_FORUM_USER", USER)
    monkeypatch.setenv("TEST_FORUM_PASSWORD", PASSWORD)
    h = harness(
        server.url(BOARD),
        login_url="/member.php?action=login",
        credentials={"username": "TEST_FORUM_USER", "password": "TEST_FORUM_PASSWORD"},
    )
    result = h.poll()
    assert result.error is None, result.error
    assert result.accepted == 11
    index = [r for r in server.requests if r.path == "/index.php"]
    assert len(index) == 1  # the redirect was followed; the cookie came from the 303


def test_the_fetcher_keeps_the_cookies_set_along_redirects(server: LocalServer) -> None:
    server.route(
        "/go", Reply(302, b"", headers={"Location": "/there", "Set-Cookie": "a=1; path=/"})
    )
    server.route("/there", html(b"<p>here</p>", **{"Set-Cookie": "b=2; path=/"}))
    with HttpFetcher(FetchSettings(total_timeout=10)) as fetcher:
        doc = fetcher.fetch(server.url("/go"), source=Source(id="s", url=server.url("/go")))
    assert doc is not None and doc.url == server.url("/there")
    assert doc.headers["set-cookie"] == "a=1; path=/, b=2; path=/"


def test_without_login_url_the_login_wall_own_form_is_used(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    posted = login_server(server)
    monkeypatch.setenv("TEST_FORUM_USER", USER)
    monkeypatch.setenv("TEST_FORUM_PASSWORD", PASSWORD)
    h = harness(
        server.url(BOARD),
        credentials={"username": "TEST_FORUM_USER", "password": "TEST_FORUM_PASSWORD"},
    )
    result = h.poll()
    assert result.error is None, result.error
    assert result.accepted == 11
    assert len(posted) == 1 and posted[0]["username"] == USER
    # no login page was fetched: the wall the board answered with was the form
    assert not [r for r in server.requests if r.path == "/member.php" and r.method == "GET"]


def test_a_wrong_password_is_a_clear_error_that_does_not_say_it(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
    debug_logging: pytest.LogCaptureFixture,
) -> None:
    login_server(server)
    monkeypatch.setenv("TEST_FORUM_USER", USER)
    monkeypatch.setenv("TEST_FORUM_PASSWORD", "hunter2-wrong")
    h = harness(
        server.url(BOARD),
        login_url="/member.php?action=login",
        credentials={"username": "TEST_FORUM_USER", "password": "TEST_FORUM_PASSWORD"},
    )
    result = h.poll()
    assert result.error is not None
    assert "failed: the board answered with its login form again" in result.error
    assert "hunter2-wrong" not in result.error and "hunter2-wrong" not in debug_logging.text


def test_a_login_wall_after_logging_in_is_a_clear_error(
    server: LocalServer,
    tmp_path: Path,
    harness: Callable[..., Harness],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The login succeeds, but the board wants another cookie than the one it set
    # (the account lacks access to this forum).
    login_server(server, board_cookie="mybbuser=2_moderators_only")
    monkeypatch.setenv("TEST_FORUM_USER", USER)
    monkeypatch.setenv("TEST_FORUM_PASSWORD", PASSWORD)
    h = harness(
        server.url(BOARD),
        credentials={"username": "TEST_FORUM_USER", "password": "TEST_FORUM_PASSWORD"},
    )
    result = h.poll()
    assert result.error is not None
    assert "still a login page after logging in" in result.error


def test_a_login_form_posting_to_another_origin_gets_no_credentials(
    server: LocalServer, harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    login_server(server)
    with LocalServer() as elsewhere:  # the same host on another port: another origin
        elsewhere.route("/member.php", html(b"<p>thanks</p>"))
        form = read("mybb18_nopermission.html").replace(
            b'<form action="member.php"', f'<form action="{elsewhere.url("/member.php")}"'.encode()
        )
        server.route("/member.php", html(form))
        monkeypatch.setenv("TEST_FORUM_USER", USER)
        monkeypatch.setenv("TEST_FORUM_PASSWORD", PASSWORD)
        h = harness(
            server.url(BOARD),
            login_url="/member.php?action=login",
            credentials={"username": "TEST_FORUM_USER", "password": "TEST_FORUM_PASSWORD"},
        )
        result = h.poll()
        assert elsewhere.requests == []
    assert result.error is not None and "another origin" in result.error
    assert PASSWORD not in result.error


def test_the_session_cookie_goes_to_the_sources_origin_only(
    server: LocalServer, harness: Callable[..., Harness], monkeypatch: pytest.MonkeyPatch
) -> None:
    members_only(server, has_session)
    with LocalServer() as elsewhere:  # the same host on another port
        elsewhere.route(T2, html(read("mybb18_showthread_tid12.html")))
        board = read("mybb18_forumdisplay_fid4.html").replace(
            b'<a href="showthread.php?tid=12">', f'<a href="{elsewhere.url(T2)}">'.encode()
        )
        server.route(BOARD, lambda req: html(board) if has_session(req) else html(b""))
        monkeypatch.setenv("TEST_FORUM_COOKIE", SESSION)
        h = harness(
            server.url(BOARD), credentials={"cookie": "TEST_FORUM_COOKIE"}, follow_offsite=True
        )
        result = h.poll()
        assert result.error is None, result.error
        (thread,) = elsewhere.hits(T2)  # followed (follow_offsite), but without the cookie
    assert "Cookie" not in thread.headers
    assert all(has_session(r) for r in server.requests if r.path != "/robots.txt")


def test_off_site_means_another_port_too(
    server: LocalServer, harness: Callable[..., Harness], caplog: pytest.LogCaptureFixture
) -> None:
    serve_board(server)
    with LocalServer() as elsewhere:
        elsewhere.route(T2, html(read("mybb18_showthread_tid12.html")))
        board = read("mybb18_forumdisplay_fid4.html").replace(
            b'<a href="showthread.php?tid=12">', f'<a href="{elsewhere.url(T2)}">'.encode()
        )
        server.route(BOARD, html(board))
        with caplog.at_level(logging.WARNING):
            result = harness(server.url(BOARD)).poll()
        assert elsewhere.requests == []
    assert result.error is None and result.accepted == 9  # thread 1 only
    assert f"not following off-site thread {elsewhere.url(T2)}" in caplog.text


# -- seedwatch sources check -----------------------------------------------------------


def test_sources_check_says_when_the_board_offers_its_own_feed(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    serve_board(server)
    # The board's links as a board served here would write them (the saved page's
    # feed links name the host it was rendered on).
    board = read("mybb18_forumdisplay_fid4.html").replace(b"http://127.0.0.1:18082/", b"/")
    server.route(BOARD, html(board))
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[corpus]\npath = "corpus"\n[state]\nurl = "sqlite:///state/state.db"\n'
        f'[[sources]]\nid = "board"\nkind = "forum"\nurl = "{server.url(BOARD)}"\n',
        encoding="utf-8",
    )
    try:
        main(["-c", str(config), "sources", "check", "board"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"the board offers its own feed: {server.url('/syndication.php?fid=4')}" in out
    assert not (tmp_path / "corpus").exists() or not list((tmp_path / "corpus").iterdir())


# -- board pages in a backfill, bounded ---------------------------------------------------


@pytest.mark.parametrize(
    ("max_pages", "boards"), [(1, [BOARD]), (2, [BOARD, BOARD2]), (None, [BOARD, BOARD2])]
)
def test_backfill_reads_board_pages_up_to_max_pages(
    server: LocalServer, max_pages: int | None, boards: list[str]
) -> None:
    # The kind alone (no pipeline, whose own --max-pages counts every document).
    serve_board(server)
    kind = ForumSource()
    source = Source(id="board", kind="forum", url=server.url(BOARD))
    with HttpFetcher(FetchSettings(total_timeout=10)) as fetcher:
        context = PollContext(fetcher=fetcher, backfill=True, max_pages=max_pages)
        yielded = [p.document.url for p in kind.poll(source, Cursor(), context) if p.document]
    assert [p for p in pages(server) if p.startswith("/forumdisplay")] == boards
    threads = [T1, T2] + ([T3] if len(boards) == 2 else [])
    assert yielded == [server.url(t) for t in threads]
