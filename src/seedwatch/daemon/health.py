"""The daemon's HTTP surface: health, readiness, metrics and the status page.

``GET /healthz``: 200 while the process is alive and polling, with
``{"status": "ok"}`` or ``{"status": "degraded", "reasons": [...]}``
(sources parked or failing, polls running late); 503 ``failing`` when the
scheduler or the poll workers have died (container health checks and
systemd's watchdog act on that). ``GET /readyz``: 200 when the state
answers and the scheduler runs, else 503 with the reasons. ``GET
/metrics``: Prometheus text format. ``GET /``: the status page. Read-only;
bound to ``[daemon] listen`` (127.0.0.1:9797 by default, ``""`` for none).

One thread per connection, so connections are bounded: at most
``MAX_CONNECTIONS`` are served at once (one more is closed unanswered), and
a connection idle for ``IDLE_TIMEOUT`` seconds (a client that connects and
says nothing, or a slow one) is closed, so no client can pin threads.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from seedwatch.daemon.metrics import CONTENT_TYPE
from seedwatch.errors import StartupError

log = logging.getLogger("seedwatch.health")

# Scrapers, probes and a person or two: a handful at once in practice.
MAX_CONNECTIONS = 32
IDLE_TIMEOUT = 10.0


class Surface(Protocol):
    """What the server shows; the service implements it."""

    def health(self) -> tuple[str, list[str]]:
        """(``ok`` | ``degraded`` | ``failing``, reasons)."""
        ...

    def ready(self) -> tuple[bool, list[str]]: ...

    def metrics_text(self) -> bytes: ...

    def status_page(self) -> str: ...


def split_address(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class HealthServer:
    """``start()`` binds and serves in a thread; ``stop()`` closes."""

    def __init__(
        self,
        listen: str,
        surface: Surface,
        *,
        max_connections: int = MAX_CONNECTIONS,
        idle_timeout: float = IDLE_TIMEOUT,
    ) -> None:
        host, port = split_address(listen)
        handler = _handler(surface, idle_timeout)
        slots = threading.BoundedSemaphore(max_connections)

        class _Server(ThreadingHTTPServer):
            daemon_threads = True
            address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

            def process_request(self, request: Any, client_address: Any) -> None:
                if not slots.acquire(blocking=False):
                    log.warning(
                        "health server: %d connections open; closing one from %s",
                        max_connections,
                        client_address[0],
                    )
                    self.shutdown_request(request)
                    return
                try:
                    super().process_request(request, client_address)
                except BaseException:
                    slots.release()
                    raise

            def process_request_thread(self, request: Any, client_address: Any) -> None:
                try:
                    super().process_request_thread(request, client_address)
                finally:
                    slots.release()

        try:
            self.httpd = _Server((host, port), handler)
        except OSError as exc:
            raise StartupError(
                f"[daemon] listen = {listen!r}: cannot listen there: {exc.strerror or exc}; "
                f'choose another address, or listen = "" to turn the health server off'
            ) from None
        self.address = f"{host}:{self.httpd.server_address[1]}"
        self._thread = threading.Thread(
            target=self.httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="health",
            daemon=True,
        )

    def url(self, path: str = "/") -> str:
        host, port = split_address(self.address)
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{port}{path}"

    def start(self) -> None:
        self._thread.start()
        log.info("health, metrics and status page on %s", self.url())

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _handler(surface: Surface, idle_timeout: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "seedwatch"
        timeout = idle_timeout  # the socket's: a silent client is dropped

        def log_message(self, format: str, *args: object) -> None:
            log.debug("%s %s", self.address_string(), format % args)

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, data: dict[str, object]) -> None:
            self._send(status, json.dumps(data).encode() + b"\n", "application/json")

        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0]
            try:
                if path == "/healthz":
                    state, reasons = surface.health()
                    self._json(503 if state == "failing" else 200, _body(state, reasons))
                elif path == "/readyz":
                    ok, reasons = surface.ready()
                    self._json(200 if ok else 503, _body("ready" if ok else "not ready", reasons))
                elif path == "/metrics":
                    self._send(200, surface.metrics_text(), CONTENT_TYPE)
                elif path in ("/", "/status"):
                    page = surface.status_page().encode()
                    self._send(200, page, "text/html; charset=utf-8")
                else:
                    self._send(
                        404, b"not found: try /, /healthz, /readyz or /metrics\n", "text/plain"
                    )
            except Exception as exc:  # a broken page must not take the daemon down
                log.exception("health server: %s failed", path)
                self._send(500, f"{type(exc).__name__}: {exc}\n".encode(), "text/plain")

        do_HEAD = do_GET

    return Handler


def _body(state: str, reasons: list[str]) -> dict[str, object]:
    data: dict[str, object] = {"status": state}
    if reasons:
        data["reasons"] = reasons
    return data
