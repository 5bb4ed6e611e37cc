"""WebSub (formerly PubSubHubbub) push for feeds that advertise a hub.

A source with ``websub = true`` is subscribed, after a poll that finds a
``rel="hub"`` (and ``rel="self"``: the topic) in its feed or in the
response's ``Link`` headers, at that hub with the callback
``<[websub] callback>/<source id>``. The rest follows the W3C
Recommendation (https://www.w3.org/TR/websub/):

- **subscribe** (5.1): a form POST with ``hub.mode=subscribe``, the topic,
  the callback, ``hub.lease_seconds`` and a ``hub.secret``; the hub answers
  202 and verifies later.
- **verification of intent** (5.3): the hub GETs the callback with the mode,
  the topic, a challenge and the lease; we answer 200 with the challenge only
  for a subscription we asked for (same source, topic and mode), else 404.
  ``hub.mode=denied`` is logged and ends the attempt.
- **content distribution** (7, 8): the hub POSTs the new content; its
  ``X-Hub-Signature`` (``sha1``, ``sha256``, ``sha384`` or ``sha512`` HMAC of
  the body with our secret) must match, else the push is refused: logged,
  ignored, nothing written (answered 202 as 8 recommends, so a forger learns
  nothing). A good push goes through the pipeline as a Document of the
  topic, exactly like a polled feed, before the 2xx answer (a failure answers
  500 and the hub retries).
- **lease renewal**: the subscription is renewed when three quarters of the
  lease the hub granted have passed; a failed renewal is retried with
  back-off, and polling carries on meanwhile.

While a subscription is verified and unexpired, the source's polls slow to
``[websub] fallback_interval`` (at least): polling stays, as a slow fallback
for pushes a hub drops. Secrets are HMACs of the topic under a key read
from the environment variable ``[websub] secret_env`` names (the same key
gives the same secrets after a restart), else a random key per process;
every start subscribes again anyway, which refreshes secret and lease.
Callbacks are served by a small HTTP server on ``[websub] listen``, which a
reverse proxy exposes at the public ``callback`` URL; one node only (not in
cluster mode).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote, urljoin, urlsplit

import lxml.etree

from seedwatch.contracts import PollResult
from seedwatch.errors import ConfigError, FetchError, ParseError, PluginError
from seedwatch.models import Document, Source

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config
    from seedwatch.daemon.pipeline import Pipeline

log = logging.getLogger("seedwatch.websub")

ATOM = "http://www.w3.org/2005/Atom"
ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384,
              "sha512": hashlib.sha512}  # fmt: skip
RENEW_AT = 0.75  # of the lease granted
RETRY = (30.0, 3600.0)  # a failed (re)subscription is retried from 30 s, doubling, up to an hour


def wanted(source: Source) -> bool:
    return bool(source.options.get("websub"))


def check(source: Source, config: Config) -> None:
    """Config errors in a source's ``websub`` key, naming the source and the key."""
    value = source.options.get("websub")
    if value is None:
        return
    if not isinstance(value, bool):
        raise ConfigError(
            f'config {config.where}, source {source.id!r}: field "websub": expected true or '
            f"false, got {value!r}"
        )
    if value and not config.websub.callback:
        raise ConfigError(
            f'config {config.where}, source {source.id!r}: field "websub": needs the public '
            f'callback URL of this daemon, [websub] callback = "https://..."'
        )


# -- discovery ------------------------------------------------------------------


def hub_links(document: Document) -> tuple[str | None, str | None]:
    """The hub and the topic (``self``) a feed advertises: in its HTTP ``Link``
    headers first (7.1 of the spec), then in the feed (Atom ``link``, RSS's
    ``atom:link``, JSON Feed's ``hubs`` and ``feed_url``)."""
    hub, topic = _header_links(document.headers)
    if hub and topic:
        return hub, topic
    body_hub, body_topic = _feed_links(document)
    return hub or body_hub, topic or body_topic


def _header_links(headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    value = next((v for k, v in headers.items() if k.lower() == "link"), "")
    found: dict[str, str] = {}
    for part in value.split(","):
        target, _, params = part.partition(";")
        target = target.strip()
        if not (target.startswith("<") and target.endswith(">")):
            continue
        for param in params.split(";"):
            name, _, rel = param.strip().partition("=")
            if name.strip().lower() == "rel":
                for r in rel.strip().strip('"').lower().split():
                    found.setdefault(r, target[1:-1])
    return found.get("hub"), found.get("self")


def _feed_links(document: Document) -> tuple[str | None, str | None]:
    content = document.content.lstrip()
    if content.startswith(b"{"):
        try:
            data = json.loads(content)
        except ValueError:
            return None, None
        hubs = [h.get("url") for h in data.get("hubs") or [] if isinstance(h, dict)]
        return (hubs[0] if hubs else None), data.get("feed_url")
    try:
        root = lxml.etree.fromstring(
            content, lxml.etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
        )
    except lxml.etree.XMLSyntaxError:
        return None, None
    found: dict[str, str] = {}
    for link in root.iter(f"{{{ATOM}}}link", "link"):
        rel, href = (link.get("rel") or "").lower(), (link.get("href") or "").strip()
        if rel in ("hub", "self") and href:
            found.setdefault(rel, urljoin(document.url, href))
    return found.get("hub"), found.get("self")


def signature_ok(header: str | None, body: bytes, secret: bytes) -> bool:
    """``X-Hub-Signature: method=hex`` checked in constant time."""
    if not header or "=" not in header:
        return False
    method, _, given = header.strip().partition("=")
    digest = ALGORITHMS.get(method.lower())
    if digest is None:
        return False
    expected = hmac.new(secret, body, digest).hexdigest()
    return hmac.compare_digest(expected, given.strip().lower())


# -- subscriptions --------------------------------------------------------------


@dataclass
class Subscription:
    """One source's subscription: where, with which secret, in which state."""

    source: Source
    hub: str
    topic: str
    secret: str
    state: str = "pending"  # pending, active, denied, failed
    expires: datetime | None = None
    attempts: int = 0
    timer: threading.Timer | None = field(default=None, repr=False)

    def active(self, at: datetime) -> bool:
        return self.state == "active" and self.expires is not None and self.expires > at


class WebSub:
    """Subscriptions, the callback server and renewals of one daemon."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        callback: str,
        listen: str,
        lease: timedelta,
        fallback: timedelta,
        key: bytes,
        max_bytes: int,
        post: Callable[[str, Source, dict[str, str]], int] | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.callback = callback.rstrip("/")
        self.lease = lease
        self.fallback = fallback
        self.key = key
        self.max_bytes = max_bytes
        self.post = post or self._post
        self.subscriptions: dict[str, Subscription] = {}
        self._lock = threading.RLock()
        self._sources: dict[str, Source] = {}
        host, _, port = listen.rpartition(":")
        self.server = _CallbackServer((host.strip("[]"), int(port)), self)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="websub-callbacks", daemon=True
        )

    # -- life ----------------------------------------------------------------

    def start(self, sources: Sequence[Source]) -> None:
        self.watch(sources)
        self._thread.start()
        log.info("websub: callbacks on port %d, public at %s/", self.port, self.callback)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        with self._lock:
            for sub in self.subscriptions.values():
                if sub.timer is not None:
                    sub.timer.cancel()

    def watch(self, sources: Sequence[Source]) -> None:
        """The sources to subscribe (again at start, and after a SIGHUP)."""
        with self._lock:
            self._sources = {s.id: s for s in sources if wanted(s)}
            for gone in set(self.subscriptions) - set(self._sources):
                self._drop(gone)

    # -- the pipeline's hooks ------------------------------------------------

    def saw(self, source: Source, document: Document) -> None:
        """After a poll: subscribe when the feed names a hub we are not subscribed at."""
        if source.id not in self._sources:
            return
        hub, topic = hub_links(document)
        if not hub or not topic:
            return
        with self._lock:
            sub = self.subscriptions.get(source.id)
            # The same hub and topic: renewals and retries are already in hand
            # (a denial stands until the next start).
            if sub is not None and (sub.hub, sub.topic) == (hub, topic):
                return
            if sub is not None:
                self._drop(source.id)
            sub = Subscription(source, hub, topic, self._secret(topic))
            self.subscriptions[source.id] = sub
        threading.Thread(target=self._subscribe, args=(sub,), daemon=True).start()

    def floor(self, source_id: str) -> timedelta | None:
        """How long polls of a pushed source wait at least (the slow fallback)."""
        with self._lock:
            sub = self.subscriptions.get(source_id)
            return self.fallback if sub is not None and sub.active(_now()) else None

    # -- subscribing ---------------------------------------------------------

    def callback_for(self, source_id: str) -> str:
        return f"{self.callback}/{quote(source_id, safe='')}"

    def _secret(self, topic: str) -> str:
        return hmac.new(self.key, topic.encode(), hashlib.sha256).hexdigest()[:40]

    def _subscribe(self, sub: Subscription) -> None:
        form = {
            "hub.mode": "subscribe",
            "hub.topic": sub.topic,
            "hub.callback": self.callback_for(sub.source.id),
            "hub.lease_seconds": str(int(self.lease.total_seconds())),
            "hub.secret": sub.secret,
        }
        try:
            status = self.post(sub.hub, sub.source, form)
        except FetchError as exc:
            status, why = 0, str(exc)
        else:
            why = f"HTTP {status}"
        with self._lock:
            if self.subscriptions.get(sub.source.id) is not sub:
                return
            if 200 <= status < 300:
                log.info("websub: source %s: subscription requested at %s (%s); "
                         "waiting for the hub to verify", sub.source.id, sub.hub, why)  # fmt: skip
                return
            sub.state, sub.attempts = "failed", sub.attempts + 1
            delay = min(RETRY[0] * 2 ** (sub.attempts - 1), RETRY[1])
            log.warning(
                "websub: source %s: hub %s refused the subscription (%s); retrying in "
                "%.0f s, polling meanwhile",
                sub.source.id,
                sub.hub,
                why,
                delay,
            )
            self._later(sub, delay)

    def _later(self, sub: Subscription, delay: float) -> None:
        if sub.timer is not None:
            sub.timer.cancel()
        sub.timer = threading.Timer(delay, self._renew, args=(sub,))
        sub.timer.daemon = True
        sub.timer.start()

    def _renew(self, sub: Subscription) -> None:
        with self._lock:
            if self.subscriptions.get(sub.source.id) is not sub:
                return
            sub.timer = None
            sub.state = "pending"
        self._subscribe(sub)

    def _drop(self, source_id: str) -> None:
        sub = self.subscriptions.pop(source_id, None)
        if sub is not None and sub.timer is not None:
            sub.timer.cancel()

    def _post(self, hub: str, source: Source, form: dict[str, str]) -> int:
        """The subscription request, through the daemon's fetcher (gate, limits)."""
        fetch_result = getattr(self.pipeline.fetcher, "fetch_result", None)
        if fetch_result is None:
            raise FetchError(f"{hub}: this fetcher cannot POST", url=hub, category="protocol")
        return int(fetch_result(hub, source=source, method="POST", data=form).status)

    # -- callbacks -----------------------------------------------------------

    def verify(self, source_id: str, query: Mapping[str, str]) -> tuple[int, bytes]:
        mode, topic = query.get("hub.mode", ""), query.get("hub.topic", "")
        with self._lock:
            sub = self.subscriptions.get(source_id)
            if sub is None or sub.topic != topic:
                log.warning("websub: verification for unknown subscription %r, topic %r: "
                            "refused", source_id, topic)  # fmt: skip
                return 404, b""
            if mode == "denied":
                sub.state = "denied"
                log.warning(
                    "websub: source %s: hub %s denied the subscription: %s; polling only",
                    source_id,
                    sub.hub,
                    query.get("hub.reason", "no reason"),
                )
                return 200, b""
            if mode != "subscribe" or sub.state not in ("pending", "active"):
                return 404, b""
            challenge = query.get("hub.challenge", "")
            if not challenge:
                return 404, b""
            try:
                lease = float(query.get("hub.lease_seconds", ""))
            except ValueError:
                lease = self.lease.total_seconds()
            sub.state, sub.attempts = "active", 0
            sub.expires = _now() + timedelta(seconds=lease)
            self._later(sub, max(lease * RENEW_AT, 1.0))
        log.info("websub: source %s: subscribed at %s for %.0f s (renewed after %.0f s)",
                 source_id, sub.hub, lease, lease * RENEW_AT)  # fmt: skip
        return 200, challenge.encode()

    def deliver(self, source_id: str, body: bytes, headers: Mapping[str, str], peer: str) -> int:
        with self._lock:
            sub = self.subscriptions.get(source_id)
            source = self._sources.get(source_id)
        if sub is None or source is None:
            log.warning("websub: push for unknown subscription %r from %s: refused",
                        source_id, peer)  # fmt: skip
            return 404
        signature = next((v for k, v in headers.items() if k.lower() == "x-hub-signature"), None)
        if not signature_ok(signature, body, sub.secret.encode()):
            log.warning("websub: source %s: push from %s with a %s signature refused; nothing "
                        "written", source_id, peer, "bad" if signature else "missing")  # fmt: skip
            return 202  # the spec's advice: no oracle for forgers
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        media, _, params = content_type.partition(";")
        charset = None
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.lower() == "charset":
                charset = value.strip('"') or None
        document = Document(
            url=sub.topic,
            content=body,
            fetched=_now(),
            media_type=media.strip() or None,
            charset=charset,
            headers=dict(headers),
            source=source,
        )
        result = PollResult(source=source_id)
        try:
            self.pipeline.process_document(source, document, result, dry_run=False)
        except (ParseError, PluginError) as exc:
            log.error("websub: source %s: pushed content unreadable: %s", source_id, exc)
            return 202  # the hub cannot do better by retrying the same body
        except Exception:
            log.exception("websub: source %s: pushed content failed", source_id)
            return 500
        log.info("websub: source %s: push of %d item(s), %d new", source_id, result.items,
                 result.accepted)  # fmt: skip
        return 204


class _CallbackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], websub: WebSub) -> None:
        self.websub = websub
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _CallbackServer
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


def _now() -> datetime:
    return datetime.now(UTC)


def _key(config: Config) -> bytes:
    name = config.websub.secret_env
    if name:
        value = os.environ.get(name)
        if not value:
            raise ConfigError(
                f"config {config.where}, [websub]: secret_env names the environment variable "
                f"{name}, which is not set"
            )
        return value.encode()
    return secrets.token_bytes(32)


@contextmanager
def running(
    config: Config, pipeline: Pipeline, sources: Sequence[Source]
) -> Iterator[WebSub | None]:
    """The daemon's WebSub side while ``seedwatch run`` runs; nothing when no
    source asks for it."""
    if not any(wanted(s) for s in sources):
        yield None
        return
    ws = config.websub
    assert ws.callback is not None  # checked with the config
    manager = WebSub(
        pipeline,
        callback=ws.callback,
        listen=ws.listen,
        lease=ws.lease,
        fallback=ws.fallback_interval,
        key=_key(config),
        max_bytes=config.fetch.max_bytes,
    )
    manager.start(sources)
    try:
        yield manager
    finally:
        manager.stop()
