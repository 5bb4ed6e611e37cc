"""A members-only MyBB board on 127.0.0.1, behind its login form.

Built on ``localserver.LocalServer`` from the files test_forum_source.py serves:
the hand-made board page tests/data/forum/handmade/mybb18_forumdisplay_fid4.html
(two pages) listing the real two-page thread of tests/data/forum/mybb/ and the
hand-made threads 12 and 13. Every page is served only to a request carrying
the member's session cookie; any other request gets MyBB's no-permission page
(with its login form) and, as MyBB gives every guest, a guest ``sid`` cookie.
``POST /member.php`` with the member's username and password, the form's
``my_post_key`` and the guest cookie sets the member's session cookie; a wrong
one gets the form again, as MyBB answers.

The username, password and cookie values are the test's to choose, so a test
can hand out distinctive ones and look for them afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl

from localserver import LocalServer, Reply, Request

FORUM = Path(__file__).parent / "data" / "forum"
BOARD = "/forumdisplay.php?fid=4"
LOGIN = "/member.php?action=login"
FORM_KEY = "5b9fc989cb9fd055867aaa0bb8570adf"  # my_post_key in mybb18_nopermission.html
PAGES = {
    BOARD: "handmade/mybb18_forumdisplay_fid4.html",
    "/forumdisplay.php?fid=4&page=2": "handmade/mybb18_forumdisplay_fid4_page2.html",
    "/showthread.php?tid=1": "mybb/showthread-tid1-page1.html",
    "/showthread.php?tid=1&page=2": "mybb/showthread-tid1-page2.html",
    "/showthread.php?tid=12": "handmade/mybb18_showthread_tid12.html",
    "/showthread.php?tid=13": "handmade/mybb18_showthread_tid13.html",
}
POSTS = 12  # the posts of threads 1, 12 and 13


def html(body: bytes, **headers: str) -> Reply:
    return Reply(body=body, content_type="text/html; charset=UTF-8", headers=dict(headers))


@dataclass
class LoginBoard:
    """Routes the board and its login on ``server``; ``url`` is the board's first page.

    ``session`` is the member's cookie (``name=value``), ``guest`` the value of
    the guest ``sid`` cookie."""

    server: LocalServer
    user: str
    password: str
    session: str
    guest: str
    logins: list[dict[str, str]] = field(default_factory=list)  # the forms posted

    def __post_init__(self) -> None:
        self.wall = (FORUM / "handmade" / "mybb18_nopermission.html").read_bytes()
        for path, name in PAGES.items():
            self.server.route(path, self._gate((FORUM / name).read_bytes()))
        self.server.route("/member.php", self._member)

    @property
    def url(self) -> str:
        return self.server.url(BOARD)

    def member(self, req: Request) -> bool:
        return self.session in req.headers.get("Cookie", "")

    def _guest_wall(self) -> Reply:
        return html(self.wall, **{"Set-Cookie": f"sid={self.guest}; path=/; HttpOnly"})

    def _gate(self, body: bytes) -> Callable[[Request], Reply]:
        page = html(body)
        return lambda req: page if self.member(req) else self._guest_wall()

    def _member(self, req: Request) -> Reply:
        if req.method == "GET":
            return self._guest_wall()
        form = dict(parse_qsl(req.body.decode()))
        self.logins.append(form)
        good = (
            form.get("username") == self.user
            and form.get("password") == self.password
            and form.get("my_post_key") == FORM_KEY
            and form.get("action") == "do_login"
            and f"sid={self.guest}" in req.headers.get("Cookie", "")
        )
        if not good:
            return html(self.wall)
        return html(
            b"<html><head><title>Live Test Forum</title></head><body>"
            b"You have successfully been logged in.</body></html>",
            **{"Set-Cookie": f"{self.session}; expires=Fri, 01-Jan-2038 00:00:00 GMT; path=/"},
        )
