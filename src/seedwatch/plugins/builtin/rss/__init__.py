"""Built-in parser ``rss``: RSS 0.9x/1.0/2.0, Atom and RDF feeds through
feedparser, and JSON Feed (read by ``jsonfeed``, since feedparser does not).

Owns recognising a feed by its head, mapping feed entries to Items (identity,
links resolved against the feed's base, dates keeping their offsets, plain
text), FreshRSS's own RSS output, and the further pages a backfill follows
(RFC 5005 archive links, WordPress ``?paged=N``, JSON Feed ``next_url``).

Item keys: the guid (a bare guid such as ``123`` prefixed with the feed's
host, since it is unique only within its feed), else the link, else a hash
of title and text; for FreshRSS output, the original article link first.

Modules: ``sniff`` (is it a feed), ``entries`` (feedparser's entries read:
dates, text, links; author names by ``authors``), ``items`` (an entry made an
Item, its key; FreshRSS output), ``paging`` (backfill pages), ``parser`` (the
``Parser`` and its hook) and the fast lxml reader of well-formed feeds
(``fast``, with the walk in ``fields`` and ``walkparts``, element names and
values in ``names``, dates in ``dates``); ``feedparse`` and ``jsonfeed`` beside
this package run feedparser and read JSON Feed. This ``__init__`` holds no
logic: it re-exports the public names, and the plugin manager registers it (it
carries ``register_parsers``).
"""

from seedwatch.plugins.builtin.rss.entries import body_text, feed_date
from seedwatch.plugins.builtin.rss.items import (
    content_key,
    freshrss_site,
    is_freshrss_output,
    make_item,
    scoped_guid,
)
from seedwatch.plugins.builtin.rss.paging import (
    MAX_WORDPRESS_PAGE,
    WORDPRESS_PAGE_SIZE,
    feed_next_pages,
)
from seedwatch.plugins.builtin.rss.parser import RssParser, register_parsers
from seedwatch.plugins.builtin.rss.sniff import FEED_MEDIA_TYPES, root_name, sniff_feed

__all__ = [
    "FEED_MEDIA_TYPES",
    "MAX_WORDPRESS_PAGE",
    "WORDPRESS_PAGE_SIZE",
    "RssParser",
    "body_text",
    "content_key",
    "feed_date",
    "feed_next_pages",
    "freshrss_site",
    "is_freshrss_output",
    "make_item",
    "register_parsers",
    "root_name",
    "scoped_guid",
    "sniff_feed",
]
