"""Source kind ``forum``: a forum thread, or a whole board (forum), with a session
for members-only boards.

``url`` names a thread page or a board's (forum's) thread-list page; which one is
read from the page itself: an engine sniffed from it (or named by ``parser``)
finds posts on a thread page and a thread list on a board page.

- A **thread** behaves like the ``http`` kind: one page per poll, whose parser's
  ``live_pages`` (a poll) or ``next_pages`` (a backfill) the pipeline then walks.
  It is fetched without validators: a thread's first page can stay the same while
  its last page grows, and a 304 would end the poll before the walk.
- A **board** yields its threads, each fetched (on the board's own site only) and
  yielded as a Page; the pipeline parses it and walks its pages as above. A poll
  reads the board's first page and fetches only the threads whose row shows
  activity since the last poll (``ThreadEntry.activity``, kept as short hashes in
  the cursor's mark for the ``MAX_THREADS`` threads seen last); a backfill fetches
  every thread of every board page, up to ``--max-pages`` board pages. A poll
  with no active thread yields one Page without a Document (counted as "not
  modified"). The board page's ETag/Last-Modified are kept only with the last
  active thread's Page, so a poll cut short is taken up again.

Credentials (``cookie``, or ``username`` and ``password`` with ``login_url``) are
handled by ``session``; ``link_headers`` gives the pipeline the session's cookie
for the pages it follows. ``notes`` tells ``seedwatch sources check`` about the
board's own feed, found on the page by the engine (``native_feed``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from seedwatch.contracts import Cursor, Page, Parser, PollContext, SourceKind
from seedwatch.errors import ConfigError, FetchError, OffSiteError, ParseError, UserError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Document, Source
from seedwatch.plugins.builtin.forums import (
    discourse,
    invision,
    mybb,
    phpbb,
    smf,
    vbulletin,
    xenforo,
)
from seedwatch.plugins.builtin.forums.base import ForumParser, is_login_wall
from seedwatch.plugins.builtin.forums.common import load
from seedwatch.plugins.builtin.forums.listing import ThreadEntry, thread_url
from seedwatch.plugins.builtin.forums.session import Session, check_credentials
from seedwatch.urls import same_site

log = logging.getLogger(__name__)

MAX_THREADS = 1000  # threads whose last seen activity the cursor keeps (~27 bytes each)


@dataclass
class Mark:
    """The cursor's mark: whether ``url`` was a board, and each thread's last activity
    seen (a 6-byte hash of its URL -> a 4-byte hash of its activity), oldest first."""

    board: bool = False
    threads: dict[str, str] = field(default_factory=dict)

    @staticmethod
    def thread_key(url: str) -> str:
        return hashlib.blake2b(url.encode(), digest_size=6).hexdigest()

    @staticmethod
    def signature(entry: ThreadEntry) -> str:
        text = entry.activity or ""
        return hashlib.blake2b(text.encode(), digest_size=4).hexdigest() if text else ""

    def unchanged(self, entry: ThreadEntry) -> bool:
        return self.threads.get(self.thread_key(entry.url)) == self.signature(entry)

    def note(self, entry: ThreadEntry) -> None:
        key = self.thread_key(entry.url)
        self.threads.pop(key, None)  # re-inserted last: the most recently seen
        self.threads[key] = self.signature(entry)
        while len(self.threads) > MAX_THREADS:
            del self.threads[next(iter(self.threads))]

    def dump(self) -> str:
        if not self.board:
            return json.dumps({"m": "thread"})
        return json.dumps({"m": "board", "t": self.threads}, separators=(",", ":"))

    @classmethod
    def read(cls, text: str | None, source: Source) -> Mark:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            threads = data.get("t") or {}
            if not isinstance(threads, dict):
                raise ValueError("t")
            return cls(
                board=data.get("m") == "board",
                threads={str(k): str(v) for k, v in threads.items()},
            )
        except (ValueError, AttributeError, TypeError):
            log.warning(
                "source %s: unreadable cursor; every listed thread counts as new", source.id
            )
            return cls()


class ForumSource(SourceKind):
    """Forum threads and boards (``kind = "forum"``)."""

    name = "forum"
    source_options = frozenset({"login_url", "login_fields"})

    def __init__(self, engines: Iterable[ForumParser] | None = None) -> None:
        # The board's page is read here, not by the pipeline (a board page holds
        # no posts to parse), by the engines the plugin manager registered: every
        # ForumParser, built-in or installed (``use_parsers``). Built without a
        # registry (a script, a test), it reads the built-in engines.
        self._engines = {e.name: e for e in (builtin_engines() if engines is None else engines)}
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}
        self._feeds: dict[str, str | None] = {}

    def use_parsers(self, parsers: Mapping[str, Parser]) -> None:
        self._engines = {n: p for n, p in parsers.items() if isinstance(p, ForumParser)}

    # -- configuration ---------------------------------------------------------

    def check(self, source: Source) -> None:
        where = f'source "{source.id}" (kind "forum")'
        if not source.url or urlsplit(source.url).scheme not in ("http", "https"):
            raise ConfigError(
                f'{where}: field "url": expected the http(s) URL of a thread or of a'
                f" forum's thread list, got {source.url or source.path or 'nothing'!r}"
            )
        if source.parser is not None and source.parser not in self._engines:
            raise ConfigError(
                f'{where}: field "parser": a forum source reads {", ".join(self._engines)}'
                f" pages; got {source.parser!r} (leave it out to recognise the engine)"
            )
        check_credentials(source)

    # -- what the pipeline and the CLI ask -----------------------------------

    def link_headers(self, source: Source, url: str) -> Mapping[str, str]:
        return self._session(source).headers(source, url)

    def notes(self, source: Source) -> list[str]:
        with self._lock:
            feed = self._feeds.get(source.id)
        if not feed:
            return []
        return [
            f"the board offers its own feed: {feed} (cheaper to poll, but truncated posts"
            " and little history; see docs/forums.md)"
        ]

    # -- one poll ----------------------------------------------------------------

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        self.check(source)
        assert source.url is not None  # check() says so
        mark = Mark.read(cursor.mark, source)
        session = self._session(source)
        if Session.can_login(source) and source.options.get("login_url") and not session.logged_in:
            session.login(source, context, wall=None)
        # Validators only for a board's page: its list changes whenever a thread does.
        conditional = mark.board and not context.backfill
        document = self._fetch(
            source,
            context,
            source.url,
            etag=cursor.etag if conditional else None,
            last_modified=cursor.last_modified if conditional else None,
        )
        if document is None:  # 304: no thread has moved
            yield Page(None, cursor)
            return
        engine, what = self._read(source, document)
        if what == "wall" and Session.can_login(source):
            session.login(source, context, wall=document)
            document = self._fetch(source, context, source.url)
            if document is None:
                yield Page(None, cursor)
                return
            engine, what = self._read(source, document)
            if what == "wall":
                raise UserError(
                    f"source {source.id}: {source.url} is still a login page after logging"
                    " in: the account may lack access to it, or the board wants more than"
                    " its login form (see login_fields in docs/forums.md)"
                )
        elif what == "wall" and "cookie" in source.credentials:
            raise UserError(
                f"source {source.id}: {source.url} is a login page although the source sends"
                " credentials.cookie: the session has expired or the cookie is wrong; copy"
                " a fresh one from a logged-in browser"
            )
        self._remember_feed(source, engine, document)
        if what != "board" or engine is None:
            # A thread (or a page no engine reads: the pipeline's parsers say why).
            yield Page(document, Cursor(mark=Mark(board=False).dump()))
            return
        yield from self._board(source, cursor, context, engine, document, Mark(True, mark.threads))

    def _board(
        self,
        source: Source,
        cursor: Cursor,
        context: PollContext,
        engine: ForumParser,
        board: Document,
        mark: Mark,
    ) -> Iterator[Page]:
        final = Cursor(board.headers.get("etag"), board.headers.get("last-modified"))
        # Until every active thread is read, the old validators stay (a poll cut short
        # must not find the board "not modified" next time): each thread's Page is
        # held back until the next one is fetched, and the last one carries the new
        # validators.
        old = Cursor(cursor.etag, cursor.last_modified) if mark.threads else Cursor()
        pending: Document | None = None
        try:
            boards_read = 1
            seen = {board.url}
            while True:
                listed = engine.thread_list(board)
                log.debug(
                    "source %s: %s lists %d threads, %d with activity since the last poll",
                    source.id,
                    board.url,
                    len(listed),
                    sum(not mark.unchanged(e) for e in listed),
                )
                for entry in listed:
                    if context.backfill or not mark.unchanged(entry):
                        document = self._thread(source, context, entry, board)
                        if document is not None:
                            if pending is not None:
                                yield Page(
                                    pending, Cursor(old.etag, old.last_modified, mark.dump())
                                )
                            pending = document
                    mark.note(entry)  # a listed thread stays in the mark, active or not
                if not context.backfill:
                    break
                if context.max_pages is not None and boards_read >= context.max_pages:
                    log.info(
                        "source %s: stopped at --max-pages %d board pages", source.id, boards_read
                    )
                    break
                following = engine.board_next(board)
                if following:
                    following = thread_url(following)  # without a guest's session id
                if not following or following in seen or not same_site(following, board.url):
                    break
                seen.add(following)
                try:
                    fetched = self._fetch(source, context, following, site=board.url)
                except OffSiteError as exc:
                    log.warning(
                        "source %s: not following the board's next page: %s", source.id, exc
                    )
                    break
                if fetched is None:
                    break
                board = fetched
                boards_read += 1
        except Exception:
            # A fetch failed (the poll ends with its error): the thread already
            # fetched is still recorded first.
            if pending is not None:
                yield Page(pending, Cursor(old.etag, old.last_modified, mark.dump()))
            raise
        # A poll that found no thread with new activity yields no Document.
        yield Page(pending, Cursor(final.etag, final.last_modified, mark.dump()))

    def _thread(
        self, source: Source, context: PollContext, entry: ThreadEntry, board: Document
    ) -> Document | None:
        """A listed thread's first page; ``None`` for one that is gone or off-site
        (its URL or a hop of its redirects)."""
        site = None if source.options.get("follow_offsite") else board.url
        try:
            document = self._fetch(source, context, entry.url, site=site)
        except OffSiteError as exc:
            log.warning(
                "source %s: not following off-site thread %s: %s", source.id, entry.url, exc
            )
            return None
        except FetchError as exc:
            if exc.category != "http-4xx":
                raise
            # Deleted, moved to a hidden forum...: the others still arrive. Its row's
            # activity is noted, so it is tried again only when the row changes.
            log.warning("source %s: skipping thread %s: %s", source.id, entry.url, exc)
            return None
        if document is not None and Session.can_login(source) and _is_wall(document):
            # The session expired during the poll: log in again, once.
            self._session(source).login(source, context, wall=document)
            document = self._fetch(source, context, entry.url, site=site)
        return document

    # -- helpers -----------------------------------------------------------------

    def _session(self, source: Source) -> Session:
        with self._lock:
            session = self._sessions.get(source.id)
            if session is None:
                session = self._sessions[source.id] = Session(source)
            return session

    def _fetch(
        self,
        source: Source,
        context: PollContext,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        site: str | None = None,
    ) -> Document | None:
        session = self._session(source)
        document = context.fetcher.fetch(
            url,
            source=source,
            etag=etag,
            last_modified=last_modified,
            local_ok=False,
            headers=session.headers(source, url) or None,
            site=site,
        )
        if document is not None:
            session.absorb(source, document)
        return document

    def _engine(self, source: Source, document: Document) -> ForumParser | None:
        if source.parser:
            return self._engines[source.parser]
        best: tuple[float, ForumParser] | None = None
        for engine in self._engines.values():
            score = engine.sniff_board(document)
            if score > 0 and (best is None or score > best[0]):
                best = (score, engine)
        return best[1] if best else None

    def _read(self, source: Source, document: Document) -> tuple[ForumParser | None, str]:
        """The page's engine and what the page is: "thread", "board", "wall" (a
        login page) or "other"."""
        engine = self._engine(source, document)
        if engine is None:
            return None, "wall" if _is_wall(document) else "other"
        try:
            if engine.has_posts(document):
                return engine, "thread"
            if engine.thread_list(document):
                return engine, "board"
            return engine, "wall" if engine.login_wall(document) else "other"
        except ParseError:
            return engine, "other"  # the pipeline's parser explains it

    def _remember_feed(
        self, source: Source, engine: ForumParser | None, document: Document
    ) -> None:
        try:
            feed = engine.native_feed(document) if engine is not None else None
        except ParseError:
            feed = None
        with self._lock:
            self._feeds[source.id] = feed


def _is_wall(document: Document) -> bool:
    try:
        return is_login_wall(load(document))
    except ParseError:
        return False


def builtin_engines() -> list[ForumParser]:
    """One instance of each built-in engine, for a ``ForumSource`` without a registry."""
    return [
        xenforo.XenForoParser(),
        phpbb.PhpBBParser(),
        vbulletin.VBulletinParser(),
        discourse.DiscourseParser(),
        mybb.MyBBParser(),
        smf.SMFParser(),
        invision.InvisionParser(),
    ]


@hookimpl
def register_source_kinds(register: Callable[[SourceKind], None]) -> None:
    register(ForumSource())
