"""The callback server: a small HTTP server on ``[websub] listen`` that hands
a hub's verification GETs and content POSTs, by source id in the path, to
the ``WebSub`` that owns the subscriptions (pushes over ``[fetch] max_bytes``
refused before they are read)."""

from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

if TYPE_CHECKING:
    from seedwatch.daemon.websub.subscriptions import WebSub

log = logging.getLogger("seedwatch.websub")


class CallbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], websub: WebSub) -> None:
        self.websub = websub
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: CallbackServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("websub callback: " + format, *args)

    def _source_id(self) -> str | None:
        path = urlsplit(self.path).path
        prefix = urlsplit(self.server.websub.callback).path.rstrip("/") + "/"
        if not path.startswith(prefix):
            return None
        rest = path[len(prefix) :]
        return unquote(rest) if rest and "/" not in rest else None

    def _answer(self, status: int, body: bytes = b"") -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        source_id = self._source_id()
        if source_id is None:
            self._answer(404)
            return
        query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
        self._answer(*self.server.websub.verify(source_id, query))

    def do_POST(self) -> None:
        source_id = self._source_id()
        try:
            length = int(self.headers.get("Content-Length") or "")
        except ValueError:
            self._answer(411)
            return
        if length > self.server.websub.max_bytes:
            log.warning("websub: push of %d bytes for %r refused (over [fetch] max_bytes)",
                        length, source_id)  # fmt: skip
            self.close_connection = True
            self._answer(413)
            return
        body = self.rfile.read(length)
        if source_id is None:
            self._answer(404)
            return
        status = self.server.websub.deliver(
            source_id, body, dict(self.headers.items()), self.client_address[0]
        )
        self._answer(status)
