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

Modules: ``protocol`` (hub discovery, signatures, the source's ``websub``
key), ``subscriptions`` (``WebSub``: subscribe, verify, renew, deliver;
``running``) and ``callbacks`` (the HTTP server the hub calls). This
``__init__`` holds no logic: it re-exports the public names.
"""

from seedwatch.daemon.websub.protocol import check, hub_links, signature_ok, wanted
from seedwatch.daemon.websub.subscriptions import Subscription, WebSub, running

__all__ = ["Subscription", "WebSub", "check", "hub_links", "running", "signature_ok", "wanted"]
