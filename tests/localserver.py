"""A real HTTP server on 127.0.0.1 for the tests, with routes set per test.

Each route answers with a fixed ``Reply`` or a callable that receives the
request and returns one; the server records every request (path, headers,
time) and counts concurrent requests per host header, so tests can assert
conditional GETs, politeness caps and retries against real sockets.
"""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Reply:
    status: int = 200
    body: bytes | Iterator[bytes] = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = "application/xml"
    delay: float = 0.0  # seconds before the status line
    gzip: bool = False
    chunk_delay: float = 0.0  # seconds between chunks of an iterator body


Handler = Callable[[Request], Reply]


class LocalServer:
    """``with LocalServer() as srv: srv.route("/feed", Reply(body=...)); srv.url("/feed")``."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Handler] = {}
        self.requests: list[Request] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                req = Request(
                    self.command, self.path, dict(self.headers.items()), body, time.monotonic()
                )
                with server._lock:
                    server.requests.append(req)
                    server.active += 1
                    server.max_active = max(server.max_active, server.active)
                try:
                    self._answer(server.lookup(req))
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    with server._lock:
                        server.active -= 1

            def _answer(self, reply: Reply) -> None:
                if reply.delay:
                    time.sleep(reply.delay)
                self.send_response(reply.status)
                if reply.content_type:
                    self.send_header("Content-Type", reply.content_type)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                if isinstance(reply.body, bytes):
                    data = gzip.compress(reply.body) if reply.gzip else reply.body
                    if reply.gzip:
                        self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(data)
                    return
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in reply.body:
                    if reply.chunk_delay:
                        time.sleep(reply.chunk_delay)
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                    self.wfile.flush()
                self.wfile.write(b"0\r\n\r\n")

            do_GET = do_POST = do_HEAD = _serve

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def lookup(self, req: Request) -> Reply:
        path = req.path
        route = self.routes.get(path) or self.routes.get(urlsplit(path).path)
        if route is None:
            return Reply(404, b"not found", content_type="text/plain")
        return route(req) if callable(route) else route

    def route(self, path: str, reply: Reply | Handler) -> str:
        self.routes[path] = reply
        return self.url(path)

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path or urlsplit(r.path).path == path]

    def __enter__(self) -> LocalServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
