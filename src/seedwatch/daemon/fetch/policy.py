"""Request policy: which URL a fetch may go to, hop by hop.

Owns the rules a link and each redirect hop are held to: a link found in a
document stays on that document's site (``urls.same_site``); a redirect never
loops, never exceeds ``max_redirects``, never leads to a non-http(s) URL; a
307/308 never repeats a request body to another origin; the caller's Cookie
and Authorization go only where ``urls.may_carry_credentials`` allows, and
only a final answer's own origin's redirect cookies are kept with it.
Raises ``FetchError``/``OffSiteError``; sends nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import httpx

from seedwatch.errors import FetchError, OffSiteError
from seedwatch.models import Document
from seedwatch.urls import may_carry_credentials, same_origin, same_site

PERMANENT = (301, 308)
CREDENTIAL_HEADERS = ("cookie", "authorization")


def check_link(url: str, site: str | None) -> None:
    """A link found on ``site`` (a document's URL) must stay on its site."""
    if site is not None and not same_site(url, site):
        raise OffSiteError(
            f"{url}: refused: a link off the site of {site}, where it was found",
            url=url,
        )


def check_local(url: str, *, local_ok: bool, method: str, data: object) -> None:
    """A local file is read (GET) only for a location the config names."""
    if not local_ok:
        raise FetchError(
            f"{url}: refused: not an http(s) URL, and local files are read only "
            f"for locations the config names, never for links found in documents",
            url=url,
            category="refused",
        )
    if method != "GET" or data:
        raise FetchError(
            f"{url}: refused: a local file can only be read (GET), not {method}",
            url=url,
            category="refused",
        )


def check_hop(url: str, request: httpx.Request, following: httpx.Request, site: str | None) -> None:
    """The URL policy on one redirect hop, from ``request`` to ``following``."""
    target = str(following.url)
    if site is not None and not same_site(target, site):
        raise OffSiteError(
            f"{url}: refused: redirected to {target}, off the site of {site},"
            " where the link was found",
            url=url,
        )
    # A 307 or 308 repeats the request, body and all: a login form's password,
    # an API password, go to the origin they were posted to and nowhere else.
    if following.method not in ("GET", "HEAD") and not same_origin(target, str(request.url)):
        raise FetchError(
            f"{url}: refused: the server asks to send the {following.method} again to"
            f" {target}, another origin; its body is not sent there",
            url=url,
            category="refused",
        )


def check_redirect(
    url: str, hops: list[tuple[int, str]], seen: set[str], target: str, max_redirects: int
) -> None:
    """A redirect to ``target``: no loop, not too many, http(s) only."""
    chain = " -> ".join([url, *(t for _, t in hops)])
    if defragment(target) in seen:
        raise FetchError(f"{url}: redirect loop: {chain}", url=url, category="redirects")
    if len(hops) > max_redirects:
        raise FetchError(
            f"{url}: too many redirects (more than {max_redirects}): {chain}",
            url=url,
            category="redirects",
        )
    if urlsplit(target).scheme.lower() not in ("http", "https"):
        raise FetchError(
            f"{url}: refused: redirected to {target}, which is not an http(s) URL "
            f"(a redirect never leads to a local file)",
            url=url,
            category="refused",
        )


def credentials_of(request: httpx.Request) -> dict[str, str]:
    """The caller's Cookie and Authorization headers on ``request``."""
    return {
        k.decode("latin-1"): v.decode("latin-1")
        for k, v in request.headers.raw
        if k.decode("latin-1").lower() in CREDENTIAL_HEADERS
    }


def with_credentials(request: httpx.Request, given: Mapping[str, str], url: str) -> httpx.Request:
    """The next hop's request with the caller's Cookie and Authorization headers
    where they may go (``urls.may_carry_credentials`` of the first URL), and
    without them elsewhere (httpx keeps Authorization on a same-host https
    upgrade and drops Cookie on every hop)."""
    allowed = may_carry_credentials(str(request.url), url)
    for name in CREDENTIAL_HEADERS:
        request.headers.pop(name, None)
    if allowed:
        request.headers.update(given)
    return request


def with_hop_cookies(
    headers: dict[str, str],
    document: Document | None,
    final_url: str,
    hop_cookies: list[tuple[str, str]],
) -> tuple[dict[str, str], Document | None]:
    """The final answer's headers with the Set-Cookie values the redirects set
    (``hop_cookies``: where, cookie) before its own, joined with ", " like
    every repeated header; only the cookies set by the final answer's own
    origin are its."""
    cookies = [c for at, c in hop_cookies if may_carry_credentials(final_url, at)]
    if not cookies:
        return headers, document
    own = [headers["set-cookie"]] if "set-cookie" in headers else []
    headers = {**headers, "set-cookie": ", ".join([*cookies, *own])}
    return headers, replace(document, headers=headers) if document is not None else None


def defragment(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(fragment=""))
