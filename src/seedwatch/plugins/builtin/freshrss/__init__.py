"""FreshRSS as a source: the plugin registering its parsers and its source kind.

- ``freshrss-html`` (``html``): the pages a FreshRSS instance renders;
- ``freshrss-text`` (``textrender``): such a page rendered as plain text (seed ``004_*``);
- ``greader-json`` (``greader``): Google Reader API stream contents;
- the ``freshrss`` source kind (``source``): that API, logged in and walked page by page.

FreshRSS's own RSS output goes through the ``rss`` parser.
"""

from __future__ import annotations

from collections.abc import Callable

from seedwatch.contracts import Parser, SourceKind
from seedwatch.hookspecs import hookimpl
from seedwatch.plugins.builtin.freshrss.greader import GReaderJsonParser
from seedwatch.plugins.builtin.freshrss.html import FreshRSSHtmlParser
from seedwatch.plugins.builtin.freshrss.source import FreshRSSSourceKind
from seedwatch.plugins.builtin.freshrss.textrender import FreshRSSTextParser


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(FreshRSSHtmlParser())
    register(FreshRSSTextParser())
    register(GReaderJsonParser())


@hookimpl
def register_source_kinds(register: Callable[[SourceKind], None]) -> None:
    register(FreshRSSSourceKind())
