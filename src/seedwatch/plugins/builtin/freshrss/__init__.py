"""FreshRSS as a source: the plugin registering its parsers.

- ``freshrss-html`` (``html``): the pages a FreshRSS instance renders;
- ``freshrss-text`` (``textrender``): such a page rendered as plain text (seed ``004_*``);
- ``greader-json`` (``greader``): Google Reader API stream contents.

FreshRSS's own RSS output goes through the ``rss`` parser.
"""

from __future__ import annotations

from collections.abc import Callable

from seedwatch.contracts import Parser
from seedwatch.hookspecs import hookimpl
from seedwatch.plugins.builtin.freshrss.greader import GReaderJsonParser
from seedwatch.plugins.builtin.freshrss.html import FreshRSSHtmlParser
from seedwatch.plugins.builtin.freshrss.textrender import FreshRSSTextParser


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(FreshRSSHtmlParser())
    register(FreshRSSTextParser())
    register(GReaderJsonParser())
