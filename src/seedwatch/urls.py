"""URL canonicalisation (for the identity layer), and the URL policy: where links
may lead and where credentials may go.

Canonical form: w3lib's ``canonicalize_url`` (percent-encoding normalised,
query sorted, fragment dropped), host lower-cased without a default port,
tracking parameters removed (``utm_*``, ``fbclid``, ``gclid``...).

The policy, one place for every caller (the pipeline, the forum boards and
sessions, the fetcher's redirect hops):

- ``same_site``: a link found in a document is followed only on its base's
  site: http(s), the same host (``www.`` aside) and the same port (a default
  port counts as the same whether http or https);
- ``may_carry_credentials``: a source's credentials and session cookies go
  only to its exact origin (scheme, host, port), or to the https upgrade of
  an http source's origin; never to another port or host, nor over plain
  http for an https source;
- ``same_origin``: where a redirect may re-send a request's body.

``join`` resolves a link found in a document: hostile documents hold links
``urljoin`` refuses (``http://[``), which are no links at all.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

_TRACKING_PREFIXES = ("utm_", "mtm_", "pk_")
_TRACKING = frozenset(
    [
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "yclid",
        "igshid",
        "_hsenc",
        "_hsmi",
        "ref",
        "ref_src",
        "ref_url",
        "src",
        "cmpid",
        "ncid",
        "sr_share",
        "at_medium",
        "at_campaign",
    ]
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``; ``None`` when either is no valid URL
    (an unclosed IPv6 bracket, a port out of range)."""
    try:
        url = urljoin(base, href)
        urlsplit(url).port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        return None
    return url


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in _TRACKING or name.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The identity form of ``url``; ``None`` for empty or non-web URLs."""
    if not url:
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:  # "http://[", a port out of range: no URL to be identified by
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    host = parts.hostname.lower().rstrip(".")
    netloc = host if port in (None, _DEFAULT_PORTS[parts.scheme.lower()]) else f"{host}:{port}"
    cleaned = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))
    return str(canonicalize_url(cleaned, keep_fragments=False))


def host_of(url: str) -> str:
    """The lower-cased host of ``url``; "" when it has none or is no valid URL."""
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


Origin = tuple[str, str, int]


def origin(url: str) -> Origin | None:
    """(scheme, host, port) of an http(s) URL, the port filled in; ``None`` for
    any other URL or one whose port is not a number."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    return scheme, parts.hostname.lower().rstrip("."), port or _DEFAULT_PORTS[scheme]


def same_origin(url: str, base: str) -> bool:
    """True when both are http(s) URLs of one origin (scheme, host and port)."""
    mine = origin(url)
    return mine is not None and mine == origin(base)


def same_site(url: str, base: str) -> bool:
    """True when ``url`` is on ``base``'s site: http(s), the same host (``www.``
    ignored) and the same port, a default port (80 for http, 443 for https)
    matching the other scheme's default."""
    mine, theirs = origin(url), origin(base)
    if mine is None or theirs is None:
        return False

    def site(o: Origin) -> tuple[str, int | None]:
        scheme, host, port = o
        return host.removeprefix("www."), None if port == _DEFAULT_PORTS[scheme] else port

    return site(mine) == site(theirs)


def may_carry_credentials(url: str, source_url: str) -> bool:
    """True when a request to ``url`` may carry the credentials or session cookies
    of the source at ``source_url``: its exact origin, or the https upgrade of an
    http source's origin (an upgrade exposes nothing the source did not)."""
    mine, theirs = origin(url), origin(source_url)
    if mine is None or theirs is None:
        return False
    if mine == theirs:
        return True
    return theirs == ("http", mine[1], 80) and mine == ("https", mine[1], 443)


# The helpers plugins may use (docs/plugins.md, "Helper modules").
__all__ = [
    "canonical_url",
    "host_of",
    "join",
    "may_carry_credentials",
    "origin",
    "same_origin",
    "same_site",
]
