"""What a board's pages say beside their posts: the thread list of a forum page and
the board's own feeds.

``ThreadEntry`` is one row of a forum's thread list: the thread's URL (its first
page, session ids removed, so the same thread has the same URL on every visit),
its title, and ``activity``: what the row shows of the thread's latest post (the
last post's link or id, its date as a stamp, the reply count). ``activity``
changes when anyone posts, and only then: relative texts ("5 minutes ago",
"Today") are left out of it, since they change with the clock alone.

Native feeds: the ``<link rel="alternate">`` RSS/Atom links of a page and, where
an engine prints its feed only as a plain link (XenForo 2's footer), the links
matching the engine's feed paths; the most specific wins (a thread's feed over
its forum's, a forum's over the whole site's).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from seedwatch.plugins.builtin.forums.common import Page, find, same_site

# Query parameters that carry a guest's session rather than name a page: phpBB's
# ``sid``, vBulletin 3/4's ``s``, PHP's own session id.
_SESSION_PARAMS = frozenset({"sid", "s", "phpsessid", "sessionid"})
_ALTERNATE = (
    "//link[contains(concat(' ', normalize-space(@rel), ' '), ' alternate ')]"
    "[@type='application/rss+xml' or @type='application/atom+xml']/@href"
)
# A feed of one thread, then of one forum; anything else is the whole site's.
# (phpBB 3.2+ routes feeds as app.php/feed/topic/N and app.php/feed/forum/N.)
_THREAD_FEED = re.compile(
    r"[?&;](?:t|tid|threadid|topic)=\d|/threads/[^/]+/index\.rss|/t/[^/]+/\d+\.rss"
    r"|/feed/topic/\d",
    re.I,
)
_FORUM_FEED = re.compile(
    r"[?&;](?:f|fid|forumids|nodeid|board|forum)=\d|/forums/[^/-][^/]*/index\.rss|/c/.+\.rss"
    r"|/feed/forum/\d",
    re.I,
)


@dataclass(frozen=True, slots=True)
class ThreadEntry:
    """One thread in a board's thread list."""

    url: str
    title: str | None = None
    activity: str | None = None


def thread_url(url: str) -> str:
    """``url`` without its fragment and session parameters (phpBB appends ``sid=``
    to every link a cookie-less visitor sees; vBulletin 3 ``s=``)."""
    parts = urlsplit(url)
    # SMF separates parameters with ";" as well as "&": keep the query as written
    # unless it holds a session parameter.
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if any(k.lower() in _SESSION_PARAMS for k, _ in pairs):
        query = urlencode([(k, v) for k, v in pairs if k.lower() not in _SESSION_PARAMS])
    else:
        query = parts.query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def activity(*parts: object) -> str | None:
    """The parts that were found, joined; ``None`` when the row showed none."""
    found = [str(p).strip() for p in parts if p is not None and str(p).strip()]
    return "|".join(found) or None


def entries(found: Iterable[ThreadEntry]) -> list[ThreadEntry]:
    """Each thread once (a row may link its thread twice), in list order."""
    seen: set[str] = set()
    unique = []
    for entry in found:
        if entry.url not in seen:
            seen.add(entry.url)
            unique.append(entry)
    return unique


def feeds(page: Page, paths: re.Pattern[str] | None) -> list[str]:
    """The page's own feeds, on its own site, most specific first."""
    found: list[str] = []
    candidates = _hrefs(page, _ALTERNATE)
    if paths is not None:
        candidates += [h for h in _hrefs(page, "//a/@href") if paths.search(h)]
    for href in candidates:
        url = page.url(href)
        if url and same_site(page, url):
            url = thread_url(url)
            if url not in found:
                found.append(url)
    return sorted(found, key=_specificity)  # stable: page order among equals


def _hrefs(page: Page, xpath: str) -> list[str]:
    return [str(h).strip() for h in find(page.root, xpath) if str(h).strip()]


def _specificity(url: str) -> int:
    if _THREAD_FEED.search(url):
        return 0
    if _FORUM_FEED.search(url):
        return 1
    return 2
