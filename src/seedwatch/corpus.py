"""The corpus format: file names, the front-matter block (``render`` writes it,
``read`` reads it back), atomic no-clobber writes.

A corpus is a folder of UTF-8 files named ``NNN_<16 hex>.txt``: ``NNN`` the
sequence number (zero-padded to at least 3 digits, never reused), the hex the
first 64 bits of the item's fingerprint. A file is the item's text, preceded
by default by a YAML front-matter block with fixed keys (``seedwatch: 1``
marks our own files and the format version). Existing files are never
modified: a write goes to a temporary (on Linux nameless) file, is fsynced,
and is linked into place only if the name is free. Several nodes may share
one corpus folder (NFS and the like: ``link`` is atomic there too):
temporary names carry the host and process, and a node sweeps only what a
dead writer left.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import secrets
import socket
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from seedwatch import safeyaml
from seedwatch.durable import make_durable, sync_folder
from seedwatch.errors import ItemValidationError, ParseError
from seedwatch.models import Item, Quote, ThreadRef
from seedwatch.redact import redact_item
from seedwatch.simpleyaml import simple_block, simple_map
from seedwatch.text import fingerprint_hex

# libyaml's emitter when PyYAML has it: the pure-Python one costs more than
# the rest of rendering. Both emit the same YAML for these plain values.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

NAME_RE = re.compile(r"^(\d{3,})_([0-9a-f]{16})\.txt$")
FORMAT_VERSION = 1
# ``.<corpus name>.<host>_<pid>_<random>.tmp``: unique per write, even for two
# threads or nodes completing the same pending entry. Names written before
# nodes shared a folder have no host part (``.<corpus name>.<pid>.tmp``).
TEMP_RE = re.compile(
    r"^\.(\d{3,}_[0-9a-f]{16}\.txt)\.(?:([A-Za-z0-9-]+)_)?(\d+)(?:_[0-9a-f]+)?\.tmp$"
)
# A temporary file this old is garbage whoever wrote it (a write takes milliseconds).
TEMP_MAX_AGE = 3600.0
_HOST = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname()) or "host"


def file_name(seq: int, item_text: str) -> str:
    return name_for(seq, fingerprint_hex(item_text))


def name_for(seq: int, fingerprint: str) -> str:
    """``file_name`` of a text whose fingerprint (``text.fingerprint_hex``) is
    known already: the state's candidates carry it."""
    return f"{seq:03d}_{fingerprint[:16]}.txt"


@dataclass(frozen=True, slots=True)
class CorpusFile:
    """A corpus file found on disk. The folder is shared and the path made on
    demand: a ``Path`` each weighed half a kilobyte, 50 MB for 100,000 files."""

    folder: Path
    name: str
    seq: int

    @property
    def path(self) -> Path:
        return self.folder / self.name

    @property
    def hex(self) -> str:
        return self.name.rsplit("_", 1)[1].removesuffix(".txt")


def scan(folder: Path) -> list[CorpusFile]:
    """The corpus files in ``folder``, by sequence number. Names are taken as they
    are: nothing is checked about the hex part (the seeds predate us)."""
    if not folder.is_dir():
        return []
    found = []
    for entry in os.scandir(folder):
        match = NAME_RE.match(entry.name)
        if match and entry.is_file():
            found.append(CorpusFile(folder, entry.name, int(match.group(1))))
    return sorted(found, key=lambda f: f.seq)


def next_free_seq(folder: Path) -> int:
    files = scan(folder)
    return files[-1].seq + 1 if files else 0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def front_matter(item: Item, fetched: datetime, revision_of: str | None = None) -> dict[str, Any]:
    """The provenance keys, in their fixed order; empty keys left out; URLs redacted."""
    item = redact_item(item)
    fields: dict[str, Any] = {
        "seedwatch": FORMAT_VERSION,
        "key": item.key,
        "source": item.source,
        "parser": item.parser,
        "url": item.url,
        "guid": item.guid,
        "title": item.title,
        "author": item.author,
        "site": item.site,
        "published": _iso(item.published),
        "updated": _iso(item.updated),
        "fetched": _iso(fetched),
        "tags": list(item.tags),
        "thread": item.thread.to_json() if item.thread else None,
        "revision_of": revision_of,
    }
    return {k: v for k, v in fields.items() if v not in (None, "", [], {})}


def render(
    item: Item, fetched: datetime, *, with_front_matter: bool = True, revision_of: str | None = None
) -> str:
    """The exact text of the item's corpus file."""
    body = item.text.rstrip("\n") + "\n"
    if not with_front_matter:
        return body
    fields = front_matter(item, fetched, revision_of)
    header = simple_block(fields)
    if header is None:
        header = yaml.dump(
            fields,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            width=100_000,  # one line per value: easier for grep and for humans
            default_flow_style=False,
        )
    return f"---\n{header}---\n{body}"


# The keys ``front_matter`` writes; any other key of a corpus file goes to ``extra``.
_KEYS = frozenset(
    {
        "seedwatch", "key", "source", "parser", "url", "guid", "title", "author", "site",
        "published", "updated", "fetched", "tags", "thread", "revision_of",
    }
)  # fmt: skip
_OURS = re.compile(r"---[ \t]*\r?\nseedwatch:[ \t]*(\S+)[ \t]*\r?\n")
_CLOSE = re.compile(r"^---[ \t]*\r?$", re.MULTILINE)


def read(text: str, where: str = "corpus file") -> Item | None:
    """The Item a corpus file of ours records (the inverse of ``render``), or
    ``None`` when ``text`` is not one (it does not open with the ``seedwatch``
    key). Read before any parser is asked, so no plugin can claim our files.
    ``ParseError`` for a file of ours that is damaged or of a newer format."""
    text = text.lstrip("\ufeff")
    opened = _OURS.match(text)
    if opened is None:
        return None
    closed = _CLOSE.search(text, opened.end())
    if closed is None:
        raise ParseError(f"{where}: corpus file front-matter is never closed ('---')")
    block = text[4 : closed.start()]
    # Our own writer's lines are read without a YAML parser (``simple_map``:
    # the same map); anything else, by the careful one.
    meta = simple_map(block)
    if meta is None:
        meta = safeyaml.load(block, first_line=2)
    if not isinstance(meta, dict):
        raise ParseError(f"{where}: corpus file front-matter is not a map")
    return item_from(meta, text[closed.end() :].removeprefix("\r").removeprefix("\n"), where)


def item_from(meta: dict[str, Any], body: str, where: str = "corpus file") -> Item:
    """The Item recorded by a corpus file's front-matter ``meta`` and ``body``,
    however the block was read (``read``; the front-matter parser)."""
    if meta.get("seedwatch") != FORMAT_VERSION:
        raise ParseError(
            f"{where}: corpus file format 'seedwatch: {meta.get('seedwatch')}' is not one "
            f"this version reads (it reads {FORMAT_VERSION}); upgrade seedwatch"
        )
    key = meta.get("key")
    if key is None or not str(key).strip():
        raise ParseError(f"{where}: corpus file (seedwatch: 1) has no 'key'")
    dates = {name: _when(meta.get(name), name, where) for name in ("published", "updated")}
    extra: dict[str, Any] = {
        k: json.loads(json.dumps(v, default=str)) for k, v in meta.items() if k not in _KEYS
    }
    for name in ("fetched", "revision_of"):
        if meta.get(name) is not None:
            value = _when(meta[name], name, where) if name == "fetched" else meta[name]
            extra[name] = value.isoformat() if isinstance(value, datetime) else str(value)
    tags = meta.get("tags") or []
    try:
        return Item(
            key=str(key),
            text=body[:-1] if body.endswith("\n") else body,
            parser=str(meta.get("parser") or "frontmatter"),
            source=_text(meta.get("source")),
            url=_text(meta.get("url")),
            guid=_text(meta.get("guid")),
            title=_text(meta.get("title")),
            author=_text(meta.get("author")),
            site=_text(meta.get("site")),
            published=dates["published"],
            updated=dates["updated"],
            tags=tuple(str(t) for t in (tags if isinstance(tags, list) else [tags])),
            thread=_thread(meta.get("thread"), where),
            extra=extra,
        )
    except ItemValidationError as exc:
        raise ParseError(f"{where}: corpus file: {exc}") from None


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value.isoformat() if isinstance(value, date) else str(value)


def _when(value: object, name: str, where: str) -> datetime | None:
    """A date as ``render`` writes it (ISO 8601 with offset; YAML may have read it
    as a timestamp already); one without an offset is taken as UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ParseError(
                f"{where}: corpus file field {name!r} is not a date: {value!r}"
            ) from None
    if isinstance(value, datetime):
        return value if value.utcoffset() is not None else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise ParseError(f"{where}: corpus file field {name!r} is not a date: {value!r}")


def _thread(value: object, where: str) -> ThreadRef | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ParseError(f"{where}: corpus file field 'thread' is not a map")
    number = value.get("post_number")
    try:
        return ThreadRef(
            id=_text(value.get("id")),
            title=_text(value.get("title")),
            url=_text(value.get("url")),
            post_number=int(number) if number is not None else None,
            quotes=tuple(
                Quote(author=_text(q.get("author")), key=_text(q.get("key")))
                for q in value.get("quotes") or []
            ),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise ParseError(f"{where}: corpus file field 'thread' is malformed: {exc}") from None


class CorpusConflict(Exception):
    """A corpus file of that name exists with other content (never overwritten)."""


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # a previous life of this process number (a container's pid 1)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_temporary(folder: Path) -> int:
    """Delete temporary files a killed writer left behind; returns how many.

    Only our own names (``TEMP_RE``) are touched: those of this host whose
    process is gone, those without a host part (single-node names), and any
    older than ``TEMP_MAX_AGE``; a live writer's file on another node of a
    shared folder stays. Call it at start-up, before this process writes.
    """
    if not folder.is_dir():
        return 0
    swept = 0
    now = time.time()
    for path in folder.glob(".*.tmp"):
        match = TEMP_RE.match(path.name)
        if not match:
            continue
        host, pid = match.group(2), int(match.group(3))
        try:
            old = now - path.stat().st_mtime > TEMP_MAX_AGE
        except FileNotFoundError:
            continue
        if host is None or old or (host == _HOST and not _alive(pid)):
            path.unlink(missing_ok=True)
            swept += 1
    return swept


# Files written, then made durable together: at most this many open at once.
BATCH_FILES = 256


def write_batch(folder: Path, files: Sequence[tuple[str, str]]) -> None:
    """Write each ``(name, content)`` as ``write_atomic`` does, making the lot
    durable with one flush instead of one ``fsync`` per file.

    Every file is written under no name or a temporary one, then all are
    flushed to disk (``syncfs`` on Linux, else an ``fsync`` each), and only
    then linked into place, then the folder is synced once: a name never
    points at content that is not on disk, exactly as with ``write_atomic``,
    at a fraction of the cost (one disk flush per batch: ~0.2 ms a file
    instead of ~2 ms).

    On Linux the files are ``O_TMPFILE`` ones: nameless until linked, so a
    file costs one directory entry instead of three (a temporary name made,
    the final one linked, the temporary one removed), and a killed writer
    leaves nothing to sweep (the kernel frees them with its descriptors; after
    a power loss, the file system's recovery does, as for any open unlinked
    file). A file system without them (NFS, some FUSE ones) gets named
    temporary files, as elsewhere.
    """
    for start in range(0, len(files), BATCH_FILES):
        _write_chunk(folder, files[start : start + BATCH_FILES])


# ``open(folder, O_TMPFILE)``: Linux only, and such a file is linked through
# /proc (a container may lack it); file systems without them refuse with one
# of these (EISDIR from kernels that predate the flag).
_O_TMPFILE: int | None = getattr(os, "O_TMPFILE", None) if Path("/proc/self/fd").is_dir() else None
_NO_TMPFILE = (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOENT)


def _open_nameless(dir_fd: int) -> int | None:
    """A new file in the folder ``dir_fd`` with no name yet, or ``None`` where
    the system or the file system has no such files."""
    if _O_TMPFILE is None:
        return None
    try:
        return os.open(".", os.O_WRONLY | _O_TMPFILE, 0o644, dir_fd=dir_fd)
    except OSError as exc:
        if exc.errno in _NO_TMPFILE:
            return None
        raise


def _exists(name: str, dir_fd: int) -> bool:
    """``(folder / name).exists()``, relative to the open folder: no path built."""
    try:
        os.stat(name, dir_fd=dir_fd)
    except (FileNotFoundError, NotADirectoryError):
        return False
    return True


def _write_chunk(folder: Path, files: Sequence[tuple[str, str]]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    # (temporary name or None for a nameless file, final name, content, fd)
    staged: list[tuple[str | None, str, bytes, int]] = []
    dir_fd = os.open(folder, os.O_RDONLY)
    nameless = _O_TMPFILE is not None
    try:
        for name, content in files:
            data = content.encode("utf-8")
            if _exists(name, dir_fd):
                if (folder / name).read_bytes() == data:
                    continue  # written before a crash, now retried
                raise CorpusConflict(
                    f"{folder / name} exists with different content; "
                    "corpus files are never modified"
                )
            fd = _open_nameless(dir_fd) if nameless else None
            tmp = None
            if fd is None:
                nameless = False  # this folder has no nameless files: not asked again
                tmp = f".{name}.{_HOST}_{os.getpid()}_{secrets.token_hex(4)}.tmp"
                fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=dir_fd)
            staged.append((tmp, name, data, fd))
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
        if not staged:
            return
        make_durable(folder, [fd for _, _, _, fd in staged], dir_fd=dir_fd)
        for tmp, name, data, fd in staged:
            try:
                # Fails if the name is taken: no clobbering. A nameless file is
                # linked through its /proc entry (``linkat`` following it).
                if tmp is None:
                    os.link(f"/proc/self/fd/{fd}", name, dst_dir_fd=dir_fd)
                else:
                    os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except FileExistsError:
                if (folder / name).read_bytes() != data:
                    raise CorpusConflict(
                        f"{folder / name} appeared with different content"
                    ) from None
        nameless_fds = [fd for tmp, _, _, fd in staged if tmp is None]
        if nameless_fds:
            # A nameless file's inode went to disk with a link count of 0; the
            # folder's fsync writes the folder alone, and an inode with no link
            # on disk would be a deleted file after a power cut (ext4 without a
            # journal): the links' inode updates are flushed too.
            make_durable(folder, nameless_fds, dir_fd=dir_fd)
        os.fsync(dir_fd)  # make the new directory entries durable
    finally:
        for tmp, _, _, fd in staged:
            with contextlib.suppress(OSError):
                os.close(fd)
            if tmp is not None:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(tmp, dir_fd=dir_fd)
        os.close(dir_fd)


def write_atomic(folder: Path, name: str, content: str, *, sync_dir: bool = True) -> Path:
    """Write ``content`` as ``folder/name`` atomically, never replacing a file.

    Idempotent: if the file exists with the same content (a write completed
    before a crash, now retried) nothing happens. With ``sync_dir=False`` the
    caller calls ``sync_folder`` once after a batch of writes.
    """
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / name
    data = content.encode("utf-8")
    if final.exists():
        if final.read_bytes() == data:
            return final
        raise CorpusConflict(
            f"{final} exists with different content; corpus files are never modified"
        )
    tmp = folder / f".{name}.{_HOST}_{os.getpid()}_{secrets.token_hex(4)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, final)  # fails if the name is taken: no clobbering, unlike rename
        except FileExistsError:
            if final.read_bytes() != data:
                raise CorpusConflict(f"{final} appeared with different content") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    if sync_dir:
        sync_folder(folder)  # make the new directory entry durable
    return final


# The helpers plugins may use (docs/plugins.md, "Helper modules").
__all__ = [
    "NAME_RE",
    "CorpusConflict",
    "file_name",
    "item_from",
    "read",
    "render",
    "scan",
    "sweep_temporary",
    "sync_folder",
    "write_atomic",
    "write_batch",
]
