"""URL canonicalisation (for the identity layer) and the same-site rule.

Canonical form: w3lib's ``canonicalize_url`` (percent-encoding normalised,
query sorted, fragment dropped), host lower-cased without a default port,
tracking parameters removed (``utm_*``, ``fbclid``, ``gclid``...).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def _is_tracking(name: str) -> bool:
    name = name.lower()
    return name in _TRACKING or name.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The identity form of ``url``; ``None`` for empty or non-web URLs."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(k)]
    )
    host = parts.hostname.lower().rstrip(".")
    port = parts.port
    netloc = host if port in (None, _DEFAULT_PORTS[parts.scheme.lower()]) else f"{host}:{port}"
    cleaned = urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))
    return str(canonicalize_url(cleaned, keep_fragments=False))


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def same_site(url: str, base: str) -> bool:
    """True when ``url`` is on ``base``'s host (``www.`` ignored) over http(s)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return False

    def bare(h: str) -> str:
        return h[4:] if h.startswith("www.") else h

    return bare(host_of(url)) == bare(host_of(base))
