"""The corpus format: file names, the front-matter block, atomic no-clobber writes.

A corpus is a folder of UTF-8 files named ``NNN_<16 hex>.txt``: ``NNN`` the
sequence number (zero-padded to at least 3 digits, never reused), the hex the
first 64 bits of the item's fingerprint. A file is the item's text, preceded
by default by a YAML front-matter block with fixed keys (``seedwatch: 1``
marks our own files and the format version). Existing files are never
modified: a write goes to a temporary file, is fsynced, and is linked into
place only if the name is free. Several nodes may share one corpus folder
(NFS and the like: ``link`` is atomic there too): temporary names carry the
host and process, and a node sweeps only what a dead writer left.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from seedwatch.models import Item
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
    return f"{seq:03d}_{fingerprint_hex(item_text)[:16]}.txt"


@dataclass(frozen=True, slots=True)
class CorpusFile:
    path: Path
    seq: int
    hex: str


def scan(folder: Path) -> list[CorpusFile]:
    """The corpus files in ``folder``, by sequence number. Names are taken as they
    are: nothing is checked about the hex part (the seeds predate us)."""
    if not folder.is_dir():
        return []
    found = []
    for entry in os.scandir(folder):
        match = NAME_RE.match(entry.name)
        if match and entry.is_file():
            found.append(CorpusFile(Path(entry.path), int(match.group(1)), match.group(2)))
    return sorted(found, key=lambda f: f.seq)


def next_free_seq(folder: Path) -> int:
    files = scan(folder)
    return files[-1].seq + 1 if files else 0


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def front_matter(item: Item, fetched: datetime, revision_of: str | None = None) -> dict[str, Any]:
    """The provenance keys, in their fixed order; empty keys left out."""
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
    header = yaml.dump(
        front_matter(item, fetched, revision_of),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100_000,  # one line per value: easier for grep and for humans
        default_flow_style=False,
    )
    return f"---\n{header}---\n{body}"


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


def sync_folder(folder: Path) -> None:
    """fsync a folder, making the names linked into it durable."""
    dir_fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
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
