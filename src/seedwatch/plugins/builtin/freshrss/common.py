"""What the FreshRSS parsers share: item keys, Google Reader item ids, author
strings, and undoing FreshRSS's full-width escaping.

Keys follow one rule across the HTML pages, the API and the text rendering
of this package: the original article URL when there is one, else the Google
Reader item id prefixed with the instance's host (the same article seen as a
page and through the API then has the same key).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

GREADER_ITEM_PREFIX = "tag:google.com,2005:reader/item/"

# FreshRSS's escapeToUnicodeAlternative() (lib_rss.php, 1.2x) replaces
# `&`, `<`, `>` in titles and authors by full-width look-alikes before they go
# into the Google Reader API; with `$extended` (feed and category names) also
# `?`, `\`, `/`, `,`, `;` (quotes and `^` were never replaced: the PHP array
# union `+=` drops them). Undo exactly that.
_FULLWIDTH = str.maketrans({"＆": "&", "＜": "<", "＞": ">"})
_FULLWIDTH_EXTENDED = str.maketrans(
    {"＆": "&", "＜": "<", "＞": ">", "？": "?", "＼": "\\", "／": "/", "，": ",", "；": ";"}
)

# "jane@example.org (Jane Doe)": RSS 2.0's author form, which FreshRSS passes on.
_EMAIL_NAME = re.compile(r"^\s*[^\s@()]+@[^\s@()]+\s*\((?P<name>[^()]+)\)\s*$")


def unescape_fullwidth(text: str, *, extended: bool = False) -> str:
    """``text`` with FreshRSS's full-width stand-ins turned back into ASCII."""
    return text.translate(_FULLWIDTH_EXTENDED if extended else _FULLWIDTH)


def greader_item_id(entry_id: str | int) -> str:
    """The Google Reader item id of a FreshRSS entry id (a microsecond timestamp):
    its 16-digit hexadecimal form, as greader.php's ``dec2hex`` writes it."""
    return f"{GREADER_ITEM_PREFIX}{int(entry_id):016x}"


def instance_host(url: str) -> str:
    """The host (and port) of a FreshRSS instance, from any URL on it."""
    return urlsplit(url).netloc.lower() or "freshrss"


def item_key(url: str | None, greader_id: str | None, document_url: str) -> str | None:
    """The original article URL, else the Google Reader item id prefixed with the
    instance host; ``None`` when there is neither."""
    if url:
        return url
    if greader_id:
        return f"{instance_host(document_url)}/{greader_id}"
    return None


def join_authors(raw: str | list[str] | None) -> str | None:
    """One author string: several authors joined with ", ", "email (Name)" reduced
    to the name. FreshRSS joins several authors with "; " (API) or " · " (pages)."""
    if raw is None:
        return None
    parts = raw if isinstance(raw, list) else re.split(r";|\s·\s", raw)
    names = []
    for part in parts:
        part = part.strip(" \t\n;·")
        match = _EMAIL_NAME.match(part)
        name = match.group("name").strip() if match else part
        if name and name not in names:
            names.append(name)
    return ", ".join(names) or None
