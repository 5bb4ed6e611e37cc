"""Built-in parser ``forum-text``: the plain-text rendering of a forum thread (seed ``002_*``).

What a browser's "save as text" (or a copy of the page) keeps of a XenForo
thread: page chrome ("What's new"), the thread title, the first poster's
member card (name, a rank such as "ELITE MEMBER", then label and value lines:
"Joined", "Messages", "Reaction score", "Country", "Location"...), and the
posts, separated by lines holding only a no-break space. The block after the
last separator is the page footer ("Latest posts", "Back") when it holds
nothing else. A "Last edited:" line at the top of a block is the end of the
post before it (XenForo prints it under the post).

The rendering has no post ids, authors beyond the first, dates or quote
markup. A post's leading lines (or any long run of lines) that repeat an
earlier post's own lines are a quote of that post: they are taken out of the
text and recorded as a reference. Keys are ``forum-text:`` and the BLAKE2b-128
hex of the thread title, the post's number on the page and the post text's
content fingerprint (``seedwatch.text.fingerprint_hex``), joined by U+001F.

Sniffing needs several consistent signals, never the separators alone: at
least two separator lines, and a member card in the first block (or both the
header and footer chrome). A FreshRSS text rendering (seed ``004_*``) holds
two such lines too, and nothing else of this.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from seedwatch.contracts import Parser
from seedwatch.errors import ParseError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Document, Item, Quote, ThreadRef
from seedwatch.text import clean_text, fingerprint_hex, normalize

SEPARATOR = "\u00a0"
# XenForo's navigation and footer as they come out in text.
HEADER_CHROME = frozenset(
    {"what's new", "forums", "home", "log in", "register", "search", "menu", "install the app"}
)
FOOTER_CHROME = frozenset(
    {
        "latest posts",
        "back",
        "top",
        "share:",
        "share",
        "similar threads",
        "latest threads",
        "reply",
        "write your reply...",
        "you must log in or register to reply here.",
    }
)
# Member card labels, each on its own line followed by its value.
CARD_LABELS = {
    "joined": "joined",
    "messages": "messages",
    "posts": "posts",
    "reaction score": "reaction_score",
    "likes received": "likes_received",
    "points": "points",
    "trophy points": "trophy_points",
    "country": "country",
    "location": "location",
    "website": "website",
    "gender": "gender",
    "age": "age",
}
_LAST_EDITED = re.compile(r"^Last edited:?(?:\s+(.*))?$")
_FOOTER_LINES = 6
_FOOTER_WIDTH = 30
_LONG_QUOTE = 40  # characters: a shorter run repeating earlier lines is not a quote...
# ...unless it opens the post.


@dataclass
class _Post:
    lines: list[str]
    number: int
    author: str | None = None
    member: dict[str, str] = field(default_factory=dict)
    edited: bool = False
    quotes: list[Quote] = field(default_factory=list)
    own: set[str] = field(default_factory=set)  # normalised lines of its own text
    key: str = ""
    text: str = ""


class ForumTextParser(Parser):
    name = "forum-text"
    source_options = frozenset[str]()

    def sniff(self, document: Document) -> float:
        media = (document.media_type or "").lower()
        if media and not media.startswith("text/plain"):
            return 0.0
        head = document.head(65536)
        if head.lstrip()[:1] in ("<", "{", "["):
            return 0.0
        lines = head.replace("\r\n", "\n").split("\n")
        separators = [i for i, line in enumerate(lines) if line == SEPARATOR]
        if len(separators) < 2:
            return 0.0
        first_block = lines[: separators[0]]
        header = _first_text_line(first_block).lower() in HEADER_CHROME
        if _card(first_block) is not None:
            return 0.9 if header else 0.8
        return 0.6 if header and _is_footer(lines[separators[-1] + 1 :]) else 0.0

    def parse(self, document: Document) -> Iterable[Item]:
        text = document.text().replace("\r\n", "\n").replace("\r", "\n")
        lines = text.split("\n")
        blocks: list[list[str]] = [[]]
        for line in lines:
            if line == SEPARATOR:
                blocks.append([])
            else:
                blocks[-1].append(line)
        if len(blocks) < 2:
            raise ParseError(
                f"{document.url}: not a forum text rendering: no line holding only a"
                " no-break space separates posts"
            )
        if _is_footer(blocks[-1]):
            blocks.pop()
        title, author, member, first_lines = _first_block(blocks[0])
        posts = [_Post(lines=first_lines, number=1, author=author, member=member)]
        for number, block in enumerate(blocks[1:], start=2):
            start = _first_index(block)
            if start is not None and _LAST_EDITED.match(block[start].strip()):
                posts[-1].edited = True  # XenForo prints it under the post it belongs to
                block = block[start + 1 :]
            posts.append(_Post(lines=block, number=number))
        items = []
        for post in posts:
            own = _take_quotes(post, posts[: post.number - 1])
            post.text = clean_text("\n".join(own))
            digest = hashlib.blake2b(
                "\x1f".join([title or "", str(post.number), fingerprint_hex(post.text)]).encode(),
                digest_size=16,
            )
            post.key = "forum-text:" + digest.hexdigest()
            extra: dict[str, object] = {}
            if post.member:
                extra["member"] = post.member
            if post.edited:
                extra["edited"] = True
            if not post.text.strip():
                continue  # a post that only quotes others: nothing of its own to keep
            items.append(
                Item(
                    key=post.key,
                    text=post.text,
                    parser=self.name,
                    title=title,
                    author=post.author,
                    thread=ThreadRef(
                        title=title, post_number=post.number, quotes=tuple(post.quotes)
                    ),
                    extra=extra,
                )
            )
        return items


def _is_footer(lines: list[str]) -> bool:
    """Page footer: a few short lines, at least one of them known chrome."""
    kept = [line.strip() for line in lines if line.strip()]
    return (
        len(kept) <= _FOOTER_LINES
        and all(len(line) <= _FOOTER_WIDTH for line in kept)
        and any(line.lower() in FOOTER_CHROME for line in kept)
    )


def _first_index(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if line.strip()), None)


def _first_text_line(lines: list[str]) -> str:
    start = _first_index(lines)
    return lines[start].strip() if start is not None else ""


def _card(lines: list[str]) -> tuple[int, int, dict[str, str]] | None:
    """A member card: where its "Joined" line is, where it ends, and its fields.

    Needs "Joined" and at least one more label, each followed by its value."""
    for i, line in enumerate(lines):
        if line.strip().lower() != "joined":
            continue
        fields: dict[str, str] = {}
        j = i
        while j + 1 < len(lines) and lines[j].strip().lower() in CARD_LABELS:
            fields[CARD_LABELS[lines[j].strip().lower()]] = lines[j + 1].strip()
            j += 2
        if len(fields) >= 2:
            return i, j, fields
    return None


def _first_block(lines: list[str]) -> tuple[str | None, str | None, dict[str, str], list[str]]:
    """Title, first poster, their member card, and the first post's lines."""
    i = 0
    while i < len(lines) and (not lines[i].strip() or lines[i].strip().lower() in HEADER_CHROME):
        i += 1
    title = lines[i].strip() if i < len(lines) else None
    rest = lines[i + 1 :]
    found = _card(rest)
    if found is None:
        return title, None, {}, rest
    joined_at, end, member = found
    # before "Joined": the poster's name, then their rank ("ELITE MEMBER") if any
    head = [line.strip() for line in rest[:joined_at] if line.strip()]
    if not head:
        return title, None, {}, rest
    if len(head) > 1:
        member["rank"] = head[1]
    return title, head[0], member, rest[end:]


def _take_quotes(post: _Post, earlier: list[_Post]) -> list[str]:
    """The post's own lines: runs repeating an earlier post's own lines are quotes."""
    lines = post.lines
    normal = [normalize(line) if line.strip() else "" for line in lines]
    seen = set().union(*(p.own for p in earlier)) if earlier else set()
    quoted = [bool(n) and n in seen for n in normal]
    post.own = {n for n, q in zip(normal, quoted, strict=True) if n and not q}
    own: list[str] = []
    i = 0
    opening = True  # no own text seen yet
    while i < len(lines):
        if not quoted[i]:
            if lines[i].strip():
                opening = False
            own.append(lines[i])
            i += 1
            continue
        j = i
        run: list[str] = []
        while j < len(lines) and (quoted[j] or not lines[j].strip()):
            if lines[j].strip():
                run.append(lines[j])
            j += 1
        if opening or sum(len(line.strip()) for line in run) >= _LONG_QUOTE:
            source = _source([normal[k] for k in range(i, j) if normal[k]], earlier)
            post.quotes.append(Quote(author=source.author, key=source.key) if source else Quote())
            own.append("")  # the quote's place: a paragraph break
        else:
            own.extend(lines[i:j])
            post.own.update(n for n in normal[i:j] if n)
        opening = False
        i = j
    return own


def _source(wanted: list[str], earlier: list[_Post]) -> _Post | None:
    """The latest earlier post whose own text holds the most of the quoted run
    (``wanted``: its lines, normalised)."""
    best: tuple[int, int] | None = None
    for index, post in enumerate(earlier):
        hits = sum(line in post.own for line in wanted)
        if hits and (best is None or hits >= best[0]):
            best = (hits, index)
    return earlier[best[1]] if best else None


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(ForumTextParser())
