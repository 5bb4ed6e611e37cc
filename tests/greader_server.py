"""A FreshRSS Google Reader API on 127.0.0.1 that replays a real FreshRSS 1.24.3.

Built on ``localserver.LocalServer``. Its answers come from the recordings in
``tests/data/freshrss/greader-api/`` (``urls.tsv`` gives the request behind each
file): a stream request the recording holds is answered with the recorded
bytes; any other stream request (another ``n=``, ``c=``, ``ot=``, a feed or a
label, ``starred``) is answered from the recorded items filtered the way
greader.php filters them (stream, ``ot=`` on the receive time ``timestampUsec``,
``c=`` exclusive, ``n=``, ``r=o``), in FreshRSS's JSON layout;
``test_greader_server_reproduces_the_recordings`` checks that the filtering
gives back every recorded page. ClientLogin accepts GET and POST like
FreshRSS; a wrong password gets the recorded 401, a missing or unknown token
the recorded 401 of ``noauth-subscription-list.txt``.

Made by hand, not recorded (the switches below, off by default): tokens that
expire after some requests (``expire_after``) with fresh hand-made tokens
from each new login, one token of the test's choosing instead of the recorded
one (``token``: a distinctive value to look for), a changed password
(``password``), an HTML login page
in front of the API (``login_page``, tests/data/freshrss/handmade_login_page.html),
and a server that ignores ``c=`` (``ignore_continuation``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from localserver import LocalServer, Reply, Request

DATA = Path(__file__).parent / "data" / "freshrss"
RECORDED = DATA / "greader-api"
API = "/api/greader.php"
STREAMS = API + "/reader/api/0/stream/contents/"
USER = "admin"
# Stands for the recording's "<api password>" (urls.tsv hides the real one).
PASSWORD = "api-password-of-admin"
TEXT = "text/plain; charset=UTF-8"
JSON = "application/json; charset=UTF-8"
STATE = "user/-/state/com.google/"
LABEL = "user/-/label/"


def _query(url: str) -> frozenset[tuple[str, str]]:
    return frozenset(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def recorded_streams() -> dict[tuple[str, frozenset[tuple[str, str]]], bytes]:
    """(stream id, query) -> recorded reply, for the stream requests of urls.tsv."""
    replies = {}
    for line in (RECORDED / "urls.tsv").read_text(encoding="utf-8").splitlines():
        name, url, *_ = line.split("\t")
        path = urlsplit(url).path
        if path.startswith(STREAMS):
            stream = unquote(path[len(STREAMS) :])
            replies[(stream, _query(url))] = (RECORDED / name).read_bytes()
    return replies


def recorded_items() -> list[dict[str, Any]]:
    """Every item of the recorded reading list, newest first (pages 1 to 4)."""
    items: list[dict[str, Any]] = []
    for n in range(1, 5):
        page = json.loads((RECORDED / f"reading-list-page{n}.json").read_text(encoding="utf-8"))
        items.extend(page["items"])
    return items


def _login_lines(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


@dataclass
class GReaderServer:
    """Routes the FreshRSS API on a ``LocalServer``; ``url`` is the instance URL."""

    server: LocalServer
    password: str = PASSWORD
    token: str | None = None  # hand-made: the Auth token a login hands out
    expire_after: int | None = None  # hand-made: a token is refused after this many requests
    login_page: bool = False  # hand-made: an HTML login page answers every API request
    ignore_continuation: bool = False  # hand-made: c= is ignored (an endless loop)
    items: list[dict[str, Any]] = field(default_factory=recorded_items)
    logins: int = 0
    stream_requests: list[dict[str, str]] = field(default_factory=list)
    _uses: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.recorded = recorded_streams()
        self.recorded_token = _login_lines(RECORDED / "clientlogin.txt")["Auth"]
        first = json.loads((RECORDED / "reading-list-page1.json").read_text(encoding="utf-8"))
        self.updated = first["updated"]
        self.server.route(API + "/accounts/ClientLogin", self._client_login)
        streams = {STATE + "reading-list", STATE + "starred"}
        subscriptions = json.loads((RECORDED / "subscription-list.json").read_text())
        streams |= {s["id"] for s in subscriptions["subscriptions"]}
        tags = json.loads((RECORDED / "tag-list.json").read_text())
        streams |= {t["id"] for t in tags["tags"] if t["id"].startswith(LABEL)}
        for stream in streams:
            prefix = next(p for p in (STATE, LABEL, "feed/") if stream.startswith(p))
            path = STREAMS + prefix + quote(stream[len(prefix) :], safe="")
            self.server.route(path, self._stream)

    @property
    def url(self) -> str:
        return self.server.url("/")

    # -- replies ---------------------------------------------------------------

    def _client_login(self, req: Request) -> Reply:
        if self.login_page:
            return self._html_login_page()
        params = dict(parse_qsl(urlsplit(req.path).query))
        params.update(parse_qsl(req.body.decode("utf-8")))
        if params.get("Email") != USER or params.get("Passwd") != self.password:
            body = (RECORDED / "clientlogin-wrongpass.txt").read_bytes()
            return Reply(401, body, content_type=TEXT)
        self.logins += 1
        if self.expire_after is None and self.token is not None:
            body = f"SID={self.token}\nLSID=null\nAuth={self.token}\n".encode()
            return Reply(200, body, content_type=TEXT)
        if self.expire_after is None:
            return Reply(200, (RECORDED / "clientlogin.txt").read_bytes(), content_type=TEXT)
        # Hand-made: a new token per login, in the recorded token's shape.
        token = f"{USER}/{hashlib.sha1(f'login {self.logins}'.encode()).hexdigest()}"
        self._uses[token] = 0
        body = f"SID={token}\nLSID=null\nAuth={token}\n".encode()
        return Reply(200, body, content_type=TEXT)

    def _authorized(self, req: Request) -> bool:
        header = req.headers.get("Authorization", "")
        token = header.removeprefix("GoogleLogin auth=")
        if self.expire_after is None:
            expected = self.token or self.recorded_token
            return header.startswith("GoogleLogin auth=") and token == expected
        if token not in self._uses or self._uses[token] >= self.expire_after:
            return False
        self._uses[token] += 1
        return True

    def _stream(self, req: Request) -> Reply:
        if self.login_page:
            return self._html_login_page()
        if not self._authorized(req):
            body = (RECORDED / "noauth-subscription-list.txt").read_bytes()
            return Reply(401, body, content_type=TEXT, headers={"Google-Bad-Token": "true"})
        parts = urlsplit(req.path)
        stream = unquote(parts.path[len(STREAMS) :])
        params = dict(parse_qsl(parts.query))
        self.stream_requests.append({"stream": stream, **params})
        if self.ignore_continuation:
            params.pop("c", None)
        query = frozenset(params.items())
        if (stream, query) in self.recorded:
            return Reply(200, self.recorded[(stream, query)], content_type=JSON)
        return Reply(200, self.contents(stream, params), content_type=JSON)

    def contents(self, stream: str, params: dict[str, str]) -> bytes:
        """A stream-contents reply computed from the recorded items, as greader.php
        1.24 builds it: newest first (``r=o``: oldest first), ``ot=`` keeps items
        received at or after that second, ``c=`` continues after that item,
        at most ``n`` (default 20) items, and ``continuation`` when the page is full."""
        items = [i for i in self.items if self._in_stream(i, stream)]
        if params.get("r") == "o":
            items.reverse()
        if params.get("ot", "").isdigit():
            items = [i for i in items if int(i["timestampUsec"]) >= int(params["ot"]) * 1_000_000]
        if params.get("c", "").isdigit():
            c = int(params["c"])
            older = params.get("r") != "o"
            items = [i for i in items if (int(i["timestampUsec"]) < c) == older]
            items = [i for i in items if int(i["timestampUsec"]) != c]
        n = int(params["n"]) if params.get("n", "").isdigit() else 20
        page = items[:n]
        reply: dict[str, Any] = {"id": STATE + "reading-list", "updated": self.updated}
        reply["items"] = page
        if page and len(page) >= n:
            reply["continuation"] = page[-1]["timestampUsec"]
        return json.dumps(reply, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    @staticmethod
    def _in_stream(item: dict[str, Any], stream: str) -> bool:
        if stream == STATE + "reading-list":
            return True
        if stream.startswith("feed/"):
            return bool(item["origin"]["streamId"] == stream)
        return stream in item["categories"]

    @staticmethod
    def _html_login_page() -> Reply:
        body = (DATA / "handmade_login_page.html").read_bytes()
        return Reply(200, body, content_type="text/html; charset=UTF-8")
