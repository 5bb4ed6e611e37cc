"""Secrets in URLs kept out of what people read: logs, ``seedwatch status``, the
status page, and the items written out (the corpus files' front matter, the
JSONL sink's lines).

A feed URL may carry a secret: ``https://user:password@host/feed`` or
``https://host/feed?token=...`` (private feeds of Miniflux, FreshRSS,
GitLab, Patreon and the like). Such URLs are fetched as they are; only
what is shown is redacted: the userinfo becomes ``***`` and so does the
value of every query parameter named in ``SECRET_PARAMS`` or configured
with ``[daemon] secret_params`` (names compare case-insensitively).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from seedwatch.models import Item

MASK = "***"

# Names that mean a secret wherever they appear; others are configured.
SECRET_PARAMS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "api-key",
        "auth",
        "auth_token",
        "client_secret",
        "key",
        "passwd",
        "password",
        "private_token",
        "pwd",
        "secret",
        "sig",
        "signature",
        "token",
    }
)

_configured: frozenset[str] = frozenset()

# A URL in free text: a scheme, "://", then anything up to a space, a quote or
# an angle bracket (how URLs end in log lines and error messages).
_URL = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>]+")
# Punctuation that ends a clause after a URL ("...?token=abc: HTTP 404"), not the URL.
_AFTER_URL = ".,:;!?)]"
_PARAM = re.compile(r"(^|[&;])([^=&;]*)=([^&;#]*)")


def configure(params: Iterable[str]) -> None:
    """Add the operator's parameter names (``[daemon] secret_params``) to the
    built-in ones, for this process."""
    global _configured
    _configured = frozenset(p.strip().lower() for p in params if p.strip())


def secret_params() -> frozenset[str]:
    return SECRET_PARAMS | _configured


def redact_url(url: str) -> str:
    """``url`` with its userinfo and secret query values replaced by ``***``."""
    if "@" not in url and "?" not in url:
        return url  # no userinfo, no query: nothing to hide (and no parse)
    try:
        parts = urlsplit(url)
    except ValueError:  # "Invalid IPv6 URL" and the like: hide what looks like userinfo
        return re.sub(r"(://)[^/@\s]*@", rf"\1{MASK}@", url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        names = secret_params()
        query = _PARAM.sub(
            lambda m: (
                f"{m.group(1)}{m.group(2)}={MASK}"
                if m.group(2).lower() in names and m.group(3)
                else m.group(0)
            ),
            query,
        )
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_item(item: Item) -> Item:
    """``item`` as written out: its URL and its thread's redacted (``redact_url``).

    A page or a document fetched at a private URL is an item whose URL is that
    URL, token included. The state keeps the item as it came (de-duplication
    compares whole URLs); the corpus and the other sinks get this one."""
    url = redact_url(item.url) if item.url else item.url
    thread = item.thread
    if thread is not None and thread.url:
        thread = replace(thread, url=redact_url(thread.url))
    if url == item.url and thread is item.thread:
        return item
    return replace(item, url=url, thread=thread)


def redact_text(text: str) -> str:
    """Every URL in ``text`` redacted (``redact_url``); the rest left as it is."""
    if "://" not in text:
        return text
    return _URL.sub(_redact_match, text)


def _redact_match(match: re.Match[str]) -> str:
    found = match.group(0)
    url = found.rstrip(_AFTER_URL)
    return redact_url(url) + found[len(url) :]


# The attributes every LogRecord has; the others came with ``extra=``.
_RECORD = frozenset(vars(logging.makeLogRecord({})))


class RedactingFilter(logging.Filter):
    """A handler filter: the record's message, traceback, stack and text
    ``extra`` fields (which the JSON format prints) with URLs redacted.

    The message is formatted here (arguments merged), so the formatters see
    the redacted text; a traceback is formatted here too and kept as
    ``exc_text``, which the formatters print instead of formatting it again.
    """

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD and isinstance(value, str):
                setattr(record, key, redact_text(value))
        return True
