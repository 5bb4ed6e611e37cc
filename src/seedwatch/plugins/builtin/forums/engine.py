"""The forum engine kit: everything an engine module needs, in one place.

A forum engine is a ``ForumParser`` subclass registered through the
``register_parsers`` hook, like any parser; the ``forum`` source kind uses
every registered ``ForumParser`` (built-in or installed with pip) to read
boards. The shape every engine module follows (``xenforo``, ``phpbb``,
``vbulletin``, ``discourse``, ``mybb``, ``smf``, ``invision``, and the test
engine in ``tests/test_forum_engine_plugin.py``):

1. a docstring naming the engine, its versions and the markup read;
2. imports from this module (and ``dates`` for human dates);
3. module constants: the engine's markers, XPaths and patterns;
4. one ``ForumParser`` subclass: ``name``, ``engine`` (the key prefix),
   ``label``, ``expected`` (for messages), ``support`` markers (or ``score``),
   then ``posts``, ``thread`` and ``pagination``; for boards ``threads``
   (and ``feed_paths``, ``board_next`` where the default does not fit);
5. ``register_parsers = engine_hook(TheParser)``.

This module only re-exports (and builds the hook); what each name does is
documented where it is defined (``base``, ``common``, ``listing``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lxml.html import HtmlElement

from seedwatch.contracts import Parser
from seedwatch.hookspecs import hookimpl
from seedwatch.plugins.builtin.forums import dates
from seedwatch.plugins.builtin.forums.base import (
    ForumParser,
    Pagination,
    Post,
    Thread,
    holding_text,
)
from seedwatch.plugins.builtin.forums.common import (
    Page,
    as_pre,
    attr,
    decode,
    drop,
    drop_all,
    find,
    first,
    has_class,
    key,
    netloc,
    number,
    numbered_links,
    small_int,
    take_quotes,
    text_of,
)
from seedwatch.plugins.builtin.forums.listing import ThreadEntry, activity, thread_url

__all__ = [
    "ForumParser",
    "Page",
    "Pagination",
    "Post",
    "Thread",
    "ThreadEntry",
    "activity",
    "as_pre",
    "attr",
    "dates",
    "decode",
    "drop",
    "drop_all",
    "each_post",
    "engine_hook",
    "find",
    "first",
    "has_class",
    "holding_text",
    "key",
    "netloc",
    "number",
    "numbered_links",
    "small_int",
    "take_quotes",
    "text_of",
    "thread_url",
]


def each_post(
    page: Page, xpath: str, read: Callable[[Page, HtmlElement], Post | None]
) -> Iterator[Post]:
    """The posts ``read`` makes of the elements ``xpath`` selects, skipping the
    ``None`` it returns for a placeholder (a deleted post, a truncated last one)."""
    for el in find(page.root, xpath):
        post = read(page, el)
        if post is not None:
            yield post


def engine_hook(*engines: type[ForumParser]) -> Callable[[Callable[[Parser], None]], None]:
    """The ``register_parsers`` hook implementation registering one instance of
    each engine: ``register_parsers = engine_hook(MyBoardParser)``."""

    @hookimpl
    def register_parsers(register: Callable[[Parser], None]) -> None:
        for engine in engines:
            register(engine())

    return register_parsers
