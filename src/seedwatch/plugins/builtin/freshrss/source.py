"""The ``freshrss`` source kind: a FreshRSS instance read through its Google Reader API.

Config: ``url`` is the instance (``https://rss.example.net/``; its web UI's
``.../i/`` or the API's ``.../api/greader.php`` work too), ``options.user``
the FreshRSS user, ``options.stream`` what to read (``reading-list``, the
default; ``starred``; ``feed/<id>``; ``label/<name>`` for a category or a
label; the full ``user/-/...`` ids also work), ``options.page_size`` the
items per request (``n=``, default 100), and ``credentials.password`` the
user's *API password* (FreshRSS: Profile > API management), which the config
loader reads from an environment variable. Neither the password nor the
token it buys is ever logged.

A poll logs in (``accounts/ClientLogin``, POSTed so the password is not in a
URL; the token is kept in memory for the next polls), then walks
``stream/contents/<stream>`` newest first, ``n=`` items a page, following
``continuation`` with ``c=``. Each JSON reply is one Page (parsed by
``greader-json``):

- a live poll asks only for what the instance received since the cursor's
  mark (``ot=``, whole seconds) and drops the entries at or before the mark;
  the first poll of a source walks the whole stream;
- a backfill walks the whole stream, or with ``--since DATE`` asks for what
  the instance received since DATE (``ot=``) and drops entries published
  before it (the API cannot filter on publication dates, so those entries
  are removed from the page before it is handed on);
- the mark (the newest ``timestampUsec`` seen, in microseconds) moves only
  on the last page of a walk that reached its end, so a poll cut short is
  walked again. A backfill starts from an empty cursor, so a backfill cut
  short by ``--max-pages`` leaves no mark and the next poll walks it all.

Failures say what to do: HTTP 401 at login is a wrong or missing API
password; a 401 during the walk (an expired token) logs in again once, then
fails; an HTML page instead of JSON (a login page, a proxy's sign-in) and a
continuation the server already gave (an endless loop) stop the walk.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

from seedwatch.contracts import Cursor, Page, PollContext, SourceKind
from seedwatch.errors import ConfigError, FetchError, ParseError
from seedwatch.models import Document, Source
from seedwatch.plugins.builtin.freshrss.greader import entry_published, entry_usec, load_stream

log = logging.getLogger(__name__)

NAME = "freshrss"
DEFAULT_PAGE_SIZE = 100
_STATE = "user/-/state/com.google/"
_LABEL = "user/-/label/"


def api_base(url: str) -> str:
    """The ``.../api/greader.php`` endpoint of a FreshRSS instance URL."""
    parts = urlsplit(url)
    path = parts.path
    if not path.rstrip("/").endswith("/api/greader.php"):
        path = path.rstrip("/")
        for suffix in ("/i", "/api"):
            if path.endswith(suffix):
                path = path[: -len(suffix)]
        path += "/api/greader.php"
    return urlunsplit((parts.scheme, parts.netloc, path.rstrip("/"), "", ""))


def stream_id(value: str) -> str:
    """The Google Reader stream id of ``options.stream``; ``ValueError`` if unknown."""
    value = value.strip()
    if value in ("reading-list", "starred"):
        return _STATE + value
    if value.startswith("label/") and len(value) > len("label/"):
        return _LABEL + value[len("label/") :]
    if value in (_STATE + "reading-list", _STATE + "starred"):
        return value
    if value.startswith(("feed/", _LABEL)) and not value.endswith("/"):
        return value
    raise ValueError(value)


def _stream_path(stream: str) -> str:
    """``stream`` as a URL path: the part after the prefix percent-encoded whole
    (a label's spaces, a feed URL's slashes), as greader.php decodes it."""
    for prefix in (_STATE, _LABEL, "feed/"):
        if stream.startswith(prefix):
            return prefix + quote(stream[len(prefix) :], safe="")
    return quote(stream, safe="/")


def _looks_like_html(document: Document) -> bool:
    head = document.head(512).lstrip("\ufeff \t\r\n").lower()
    return head.startswith(("<!doctype html", "<html", "<!--", "<head", "<body")) or (
        "html" in (document.media_type or "") and head.startswith("<")
    )


class FreshRSSSourceKind(SourceKind):
    """FreshRSS's Google Reader API: login, then a paged walk of one stream."""

    name = NAME
    source_options = frozenset({"user", "stream", "page_size"})

    def __init__(self) -> None:
        # (source id, API URL, user) -> the Auth token of the last login. Kept in
        # memory only: FreshRSS tokens last until the API password changes.
        self._tokens: dict[tuple[str, str, str], str] = {}

    # -- config ----------------------------------------------------------------

    def check(self, source: Source) -> None:
        where = f'source "{source.id}"'
        if not source.url or urlsplit(source.url).scheme not in ("http", "https"):
            raise ConfigError(
                f'{where}: field "url": expected the FreshRSS instance URL, such as '
                f'"https://rss.example.net/", got {source.url!r}'
            )
        user = source.options.get("user")
        if not isinstance(user, str) or not user.strip():
            raise ConfigError(
                f'{where}: field "options.user": expected the FreshRSS user name, got {user!r}'
            )
        stream = source.options.get("stream", "reading-list")
        try:
            stream_id(str(stream))
        except ValueError:
            raise ConfigError(
                f'{where}: field "options.stream": expected "reading-list", "starred", '
                f'"feed/<id>" or "label/<name>", got {stream!r}'
            ) from None
        size = source.options.get("page_size", DEFAULT_PAGE_SIZE)
        if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= 1000:
            raise ConfigError(
                f'{where}: field "options.page_size": expected a whole number from 1 to '
                f"1000, got {size!r}"
            )
        if not source.credentials.get("password"):
            raise ConfigError(
                f"{where}: missing API password: set credentials.password (read from an "
                "environment variable) to the API password of the FreshRSS user "
                "(FreshRSS: Profile > API management)"
            )

    # -- polling ---------------------------------------------------------------

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        self.check(source)
        api = api_base(source.url or "")
        stream = stream_id(str(source.options.get("stream", "reading-list")))
        size = int(source.options.get("page_size", DEFAULT_PAGE_SIZE))
        mark = int(cursor.mark) if cursor.mark and cursor.mark.isdigit() else None
        ot, keep = self._window(source, mark, context)
        walk = _Walk(self, source, api, context)
        newest = mark
        continuation: str | None = None
        given: set[str] = set()
        pages = 0
        while True:
            params: dict[str, str | int] = {"n": size, "output": "json"}
            if ot is not None:
                params["ot"] = ot
            if continuation is not None:
                params["c"] = continuation
            url = f"{api}/reader/api/0/stream/contents/{_stream_path(stream)}?{urlencode(params)}"
            document, data = walk.get(url)
            pages += 1
            entries = [e for e in data["items"] if isinstance(e, dict)]
            stamps = [u for u in map(entry_usec, entries) if u is not None]
            if stamps:
                newest = max(newest or 0, *stamps)
            raw_next = data.get("continuation")
            nxt = str(raw_next) if raw_next not in (None, "") else None
            if nxt is not None and nxt in given:
                raise ParseError(
                    f"{url}: the FreshRSS API answered with continuation {nxt} again: an "
                    f"endless loop (a proxy or cache ignoring c=?); stopped after {pages} pages"
                )
            truncated = nxt is not None and context.max_pages is not None
            truncated = truncated and pages >= (context.max_pages or 0)
            last = nxt is None or truncated
            # Entries that are not objects stay for the parser to refuse.
            kept = [e for e in data["items"] if not isinstance(e, dict) or keep(e)]
            if len(kept) != len(data["items"]):
                content = json.dumps({**data, "items": kept}, ensure_ascii=False)
                document = replace(document, content=content.encode("utf-8"), charset="utf-8")
            if not last:
                page_cursor = cursor
            elif truncated:
                log.info(
                    "source %s: stopped after %d pages before the end of the stream; "
                    "the next poll walks it again",
                    source.id,
                    pages,
                )
                page_cursor = cursor
            else:
                page_cursor = Cursor(mark=str(newest)) if newest is not None else cursor
            yield Page(document=document, cursor=page_cursor)
            if last:
                return
            assert nxt is not None
            given.add(nxt)
            continuation = nxt

    @staticmethod
    def _window(
        source: Source, mark: int | None, context: PollContext
    ) -> tuple[int | None, Callable[[Mapping[str, Any]], bool]]:
        """What to ask for (``ot=``, in whole seconds) and which entries to keep."""
        since = context.since
        if since is not None:
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)  # a bare date means UTC
            return int(since.timestamp()), _published_since(since)
        if mark is not None and not context.backfill:
            return mark // 1_000_000, _received_after(mark)
        if not context.backfill:
            log.info("source %s: first poll, walking the whole FreshRSS stream", source.id)
        return None, _everything

    # -- login -------------------------------------------------------------------

    def token(self, source: Source, api: str, context: PollContext, *, fresh: bool) -> str:
        """The Auth token for ``source``: the remembered one, or a new login."""
        user = str(source.options["user"])
        slot = (source.id, api, user)
        if not fresh and slot in self._tokens:
            return self._tokens[slot]
        self._tokens.pop(slot, None)
        url = f"{api}/accounts/ClientLogin"
        try:
            document = context.fetcher.fetch(
                url,
                source=source,
                method="POST",
                data={"Email": user, "Passwd": source.credentials["password"]},
            )
        except FetchError as exc:
            if exc.status in (401, 403):
                raise FetchError(
                    f"{url}: FreshRSS refused the login of user {user!r} (HTTP {exc.status}): "
                    "wrong or missing API password; set it in FreshRSS (Profile > API "
                    "management) and in the environment variable the config names",
                    url=url,
                    category=exc.category,
                    status=exc.status,
                ) from exc
            raise
        if document is None or _looks_like_html(document):
            raise ParseError(_html_instead_of_api(url))
        for line in document.text().splitlines():
            if line.startswith("Auth=") and line[5:].strip():
                self._tokens[slot] = line[5:].strip()
                return self._tokens[slot]
        raise ParseError(
            f"{url}: the login answer has no 'Auth=' line: is this a FreshRSS "
            "Google Reader API (is API access enabled in its authentication settings)?"
        )


class _Walk:
    """The requests of one poll: auth header, one re-login after a 401, JSON checks."""

    def __init__(
        self, kind: FreshRSSSourceKind, source: Source, api: str, context: PollContext
    ) -> None:
        self.kind, self.source, self.api, self.context = kind, source, api, context
        self.relogged = False

    def get(self, url: str) -> tuple[Document, dict[str, Any]]:
        token = self.kind.token(self.source, self.api, self.context, fresh=False)
        while True:
            try:
                document = self.context.fetcher.fetch(
                    url, source=self.source, headers={"Authorization": f"GoogleLogin auth={token}"}
                )
                break
            except FetchError as exc:
                if exc.status != 401:
                    raise
                if self.relogged:
                    raise FetchError(
                        f"{url}: FreshRSS refused the API token again (HTTP 401) after a fresh "
                        "login: check the API password and the user's API access",
                        url=url,
                        category=exc.category,
                        status=exc.status,
                    ) from exc
                log.info(
                    "source %s: API token refused (HTTP 401), logging in again", self.source.id
                )
                self.relogged = True
                token = self.kind.token(self.source, self.api, self.context, fresh=True)
        if document is None:
            raise ParseError(f"{url}: HTTP 304 to a request that was not conditional")
        if _looks_like_html(document):
            raise ParseError(_html_instead_of_api(url))
        data = load_stream(document)
        return replace(document, media_type="application/json", source=self.source), data


def _html_instead_of_api(url: str) -> str:
    return (
        f"{url}: an HTML page (a login page?) instead of the Google Reader API's answer: "
        "check that url is the FreshRSS instance, that API access is allowed "
        "(Administration > Authentication), and that no proxy sign-in sits in front of "
        "/api/greader.php"
    )


def _everything(entry: Mapping[str, Any]) -> bool:
    return True


def _received_after(mark: int) -> Callable[[Mapping[str, Any]], bool]:
    def keep(entry: Mapping[str, Any]) -> bool:
        usec = entry_usec(entry)
        return usec is None or usec > mark

    return keep


def _published_since(since: datetime) -> Callable[[Mapping[str, Any]], bool]:
    def keep(entry: Mapping[str, Any]) -> bool:
        published = entry_published(entry)
        return published is None or published >= since

    return keep
