"""Source kind ``folder``, and the post selection it shares with ``git``.

Owns finding a blog's post files and turning each into a ``Document`` with a
``file://`` URL and a media type from its extension; which parser reads them
is the pipeline's business (normally ``frontmatter``). The ``git`` kind
lives in ``blog_git`` and shares the file selection below.

Selection (both kinds), from the source's ``options``:

- ``glob``: a pattern or a list (default ``**/*.md``, ``**/*.markdown``,
  ``**/*.html``), matched against paths relative to ``source.path``; ``**``
  spans directories, ``*`` does not.
- ``exclude``: patterns that drop files (default ``EXCLUDE``). A pattern with
  a ``/`` is matched against the relative path, one without against every
  path component: ``.*`` drops hidden folders such as ``.git`` and
  ``.github``; ``_drafts`` drops Jekyll drafts; ``layouts/*`` drops Hugo
  templates. ``exclude = []`` keeps everything the globs match.
- ``max_bytes``: larger files are skipped with a warning (default 10 MiB).

Files that are symbolic links leading outside ``source.path`` are skipped:
a checkout pulled from someone else's repository must not be able to feed,
say, ``~/.ssh/id_rsa`` into the corpus.

``folder`` cursor: ``mark`` is ``v1:<stamp>:<digest>`` where a file's stamp
is the larger of its mtime and ctime in nanoseconds (ctime catches files
copied in with an old mtime, which ``cp -p``, ``rsync -a`` and ``tar x``
preserve) and the digest is 16 hex of a hash of the names and sizes of the
files *at* the newest stamp already handed out. A live poll yields the files
stamped later, plus those at that stamp when the digest differs (coarse file
system clocks give several files one stamp). Files are yielded oldest stamp
first, each page carrying the mark up to itself, so a crash mid-poll resumes
where it stopped. A backfill yields every file.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import mimetypes
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from seedwatch.contracts import Cursor, Page, PollContext, SourceKind
from seedwatch.errors import ConfigError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Document, Source

log = logging.getLogger(__name__)

GLOBS = ("**/*.md", "**/*.markdown", "**/*.html")
EXCLUDE = (
    ".*",
    "_drafts",
    "README*",
    "LICENSE*",
    "CHANGELOG*",
    "_index.md",
    "_layouts/*",
    "_includes/*",
    "_site/*",
    "layouts/*",
    "themes/*",
    "public/*",
    "static/*",
    "node_modules/*",
    "vendor/*",
)
MAX_BYTES = 10 * 1024 * 1024

_MEDIA_TYPES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".mdown": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
}


@dataclass(frozen=True, slots=True)
class Selection:
    """Which files of a blog folder are posts (see the module docstring)."""

    root: Path
    globs: tuple[re.Pattern[str], ...]
    exclude: tuple[str, ...]
    max_bytes: int

    @classmethod
    def of(cls, source: Source) -> Selection:
        if not source.path:
            raise ConfigError(
                f'source "{source.id}": field "path": kind "{source.kind}" needs the folder '
                f"that holds the blog's posts"
            )
        options = source.options
        globs = _strings(source, "glob", options.get("glob", GLOBS))
        exclude = _strings(source, "exclude", options.get("exclude", EXCLUDE))
        max_bytes = options.get("max_bytes", MAX_BYTES)
        if not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0:
            raise ConfigError(
                f'source "{source.id}": field "max_bytes": expected a positive number of '
                f"bytes, got {max_bytes!r}"
            )
        return cls(
            root=Path(source.path).expanduser(),
            globs=tuple(glob_regex(g) for g in globs),
            exclude=exclude,
            max_bytes=max_bytes,
        )

    def excluded(self, relative: str) -> bool:
        parts = relative.split("/")
        for pattern in self.exclude:
            if "/" in pattern:
                if fnmatch.fnmatchcase(relative, pattern):
                    return True
            elif any(fnmatch.fnmatchcase(part, pattern) for part in parts):
                return True
        return False

    def wanted(self, relative: str) -> bool:
        return any(g.fullmatch(relative) for g in self.globs) and not self.excluded(relative)

    def walk(self) -> Iterator[str]:
        """Relative POSIX paths of the wanted files under ``root`` (no symlinked folders)."""
        for folder, dirs, files in os.walk(self.root):
            base = Path(folder).relative_to(self.root).as_posix()
            prefix = "" if base == "." else base + "/"
            dirs[:] = sorted(d for d in dirs if not self.excluded(prefix + d))
            for name in sorted(files):
                if self.wanted(prefix + name):
                    yield prefix + name

    def read(self, relative: str, source: Source) -> Document | None:
        """The file as a Document, or ``None`` (with a warning) when it must be skipped."""
        path = self.root / relative
        try:
            resolved = path.resolve(strict=True)
            if not resolved.is_relative_to(self.root.resolve()):
                log.warning(
                    "source %s: skipping %s: a link leading outside %s", source.id, path, self.root
                )
                return None
            if not resolved.is_file():
                return None
            size = resolved.stat().st_size
            if size > self.max_bytes:
                log.warning(
                    "source %s: skipping %s: %d bytes, over max_bytes %d",
                    source.id,
                    path,
                    size,
                    self.max_bytes,
                )
                return None
            content = resolved.read_bytes()
        except FileNotFoundError:  # deleted between listing and reading
            return None
        except OSError as exc:
            log.warning("source %s: skipping %s: %s", source.id, path, exc)
            return None
        return file_document(path.absolute(), content, source)


def file_document(path: Path, content: bytes, source: Source) -> Document:
    suffix = path.suffix.lower()
    media_type = _MEDIA_TYPES.get(suffix) or mimetypes.guess_type(path.name)[0]
    return Document(
        url=path.as_uri(),
        content=content,
        fetched=datetime.now(UTC),
        media_type=media_type,
        source=source,
    )


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A regex for a path glob: ``**/`` spans folders, ``*`` and ``?`` stay in one."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def _strings(source: Source, field: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(
        f'source "{source.id}": field "{field}": expected a pattern or a list of patterns, '
        f"got {value!r}"
    )


# -- folder -----------------------------------------------------------------


def _stamp(stat: os.stat_result) -> int:
    return max(stat.st_mtime_ns, stat.st_ctime_ns)


def _digest(entries: Iterable[tuple[str, int]]) -> str:
    h = hashlib.blake2b(digest_size=8)
    for name, size in sorted(entries):
        h.update(f"{name}\0{size}\0".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def _parse_mark(mark: str | None) -> tuple[int, str] | None:
    match = re.fullmatch(r"v1:(\d+):([0-9a-f]{16})", mark or "")
    return (int(match.group(1)), match.group(2)) if match else None


class FolderKind(SourceKind):
    """A local folder of posts, walked recursively."""

    name = "folder"
    source_options = frozenset({"glob", "exclude", "max_bytes"})

    def check(self, source: Source) -> None:
        selection = Selection.of(source)
        if not selection.root.is_dir():
            raise ConfigError(
                f'source "{source.id}": field "path": {selection.root} is not a folder'
            )

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        self.check(source)
        selection = Selection.of(source)
        files: list[tuple[int, str, int]] = []  # (stamp, relative path, size)
        for relative in selection.walk():
            try:
                stat = (selection.root / relative).stat()
            except OSError:
                continue
            files.append((_stamp(stat), relative, stat.st_size))
        files.sort()
        since = None if context.backfill else _parse_mark(cursor.mark)
        if cursor.mark and since is None and not context.backfill:
            log.warning(
                "source %s: unreadable cursor %r: reading every file", source.id, cursor.mark
            )
        if since is not None:
            stamp, digest = since
            at_mark = [(rel, size) for s, rel, size in files if s == stamp]
            redo = bool(at_mark) and _digest(at_mark) != digest
            files = [f for f in files if f[0] > stamp or (redo and f[0] == stamp)]
        yield from self._pages(selection, source, files)

    def _pages(
        self, selection: Selection, source: Source, files: list[tuple[int, str, int]]
    ) -> Iterator[Page]:
        same_stamp: list[tuple[str, int]] = []
        previous = None
        for stamp, relative, size in files:
            if stamp != previous:
                same_stamp, previous = [], stamp
            same_stamp.append((relative, size))
            mark = Cursor(mark=f"v1:{stamp}:{_digest(same_stamp)}")
            yield Page(selection.read(relative, source), mark)


@hookimpl
def register_source_kinds(register: Callable[[SourceKind], None]) -> None:
    register(FolderKind())
