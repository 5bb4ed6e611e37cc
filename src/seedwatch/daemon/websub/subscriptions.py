"""WebSub subscriptions of one daemon: subscribing at a hub, verification of
intent, lease renewal with back-off, pushed content run through the pipeline,
the poll floor while a subscription is active, and ``running`` (the daemon's
WebSub side for the life of ``seedwatch run``)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from seedwatch.contracts import PollResult
from seedwatch.daemon.websub.callbacks import CallbackServer
from seedwatch.daemon.websub.protocol import hub_links, signature_ok, wanted
from seedwatch.errors import ConfigError, FetchError, ParseError, PluginError
from seedwatch.models import Document, Source

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config
    from seedwatch.daemon.pipeline import Pipeline

log = logging.getLogger("seedwatch.websub")

RENEW_AT = 0.75  # of the lease granted
RETRY = (30.0, 3600.0)  # a failed (re)subscription is retried from 30 s, doubling, up to an hour


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
        self.server = CallbackServer((host.strip("[]"), int(port)), self)
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
