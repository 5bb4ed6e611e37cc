"""Keeping the corpus and the state honest: verify, take-downs, backup, export.

``verify`` compares the corpus folder with the state; ``remove`` takes an
item down for good (its file goes, its row stays with status ``removed`` as a
tombstone, so every de-duplication layer still matches it and no source can
bring it back); ``backup`` makes an online, consistent copy of a SQLite
state; ``export`` writes the state as JSON lines.
"""

from __future__ import annotations

import json
import os
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url

from seedwatch.corpus import NAME_RE, scan, sync_folder
from seedwatch.errors import UserError
from seedwatch.state.schema import corpus_files, items, sources
from seedwatch.state.store import Store
from seedwatch.text import fingerprint_hex

REMOVED = "removed"


@dataclass
class VerifyReport:
    """What differs between the corpus folder and the state."""

    files: int = 0
    missing: list[str] = field(default_factory=list)  # recorded, not on disk
    changed: list[str] = field(default_factory=list)  # on disk, not as recorded
    unknown: list[str] = field(default_factory=list)  # on disk, unknown to the state
    lingering: list[str] = field(default_factory=list)  # taken down, file still there
    unreadable: list[str] = field(default_factory=list)  # on disk, cannot be read
    pending: int = 0  # recorded, not yet written: the next run writes them

    @property
    def ok(self) -> bool:
        return not (
            self.missing or self.changed or self.unknown or self.lingering or self.unreadable
        )

    def render(self) -> str:
        lines = [f"{self.files} file(s) checked"]
        advice = {
            "missing": "recorded in the state but not in the folder: restore them from a "
            "backup, or take them down with `seedwatch corpus remove FILE`",
            "changed": "changed since they were written or indexed: corpus files are never "
            "modified; restore them from a backup",
            "unknown": "not known to the state: run `seedwatch corpus index`",
            "lingering": "taken down but still in the folder: run `seedwatch corpus remove "
            "FILE` again to delete them",
            "unreadable": "cannot be read (permissions, I/O errors): make them readable to "
            "the daemon's user, then run `seedwatch corpus index`",
        }
        for kind, what in advice.items():
            names: list[str] = getattr(self, kind)
            if names:
                shown = ", ".join(names[:10]) + (" ..." if len(names) > 10 else "")
                lines.append(f"{len(names)} file(s) {what}: {shown}")
        if self.pending:
            lines.append(
                f"{self.pending} item(s) recorded but not written yet: the next run writes them"
            )
        if self.ok:
            lines.append("the folder and the state agree")
        return "\n".join(lines)


def _body(path: Path) -> str:
    """The text of one of our corpus files: what follows its front-matter block."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end >= 0:
            return text[end + 5 :]
    return text


def _readable(path: Path) -> bool:
    """Whether the file can be read: tried, since permission bits do not bind root."""
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError:
        return False
    return True


def verify(store: Store, folder: Path) -> VerifyReport:
    on_disk = {f.path.name: f.path for f in scan(folder)}
    report = VerifyReport(files=len(on_disk))
    with store.engine.connect() as conn:
        known = dict(conn.execute(select(corpus_files.c.name, corpus_files.c.size)).all())
        by_name: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for name, status, fp in conn.execute(
            select(items.c.name, items.c.status, items.c.fingerprint)
        ):
            by_name[name].append((status, fp))
    unreadable = {name for name, path in on_disk.items() if not _readable(path)}
    for name, size in known.items():
        rows = by_name.get(name, [])
        statuses = {status for status, _ in rows}
        path = on_disk.get(name)
        if rows and statuses == {REMOVED}:
            if path is not None:
                report.lingering.append(name)
            continue
        if "pending" in statuses:
            report.pending += sum(1 for status, _ in rows if status == "pending")
            continue
        if path is None:
            report.missing.append(name)
            continue
        if name in unreadable:
            continue
        try:
            changed = path.stat().st_size != size or (
                statuses == {"written"}
                and len(rows) == 1
                and fingerprint_hex(_body(path)) != rows[0][1]
            )
        except OSError:  # gone unreadable since the probe above
            unreadable.add(name)
            continue
        if changed:
            report.changed.append(name)
    report.unreadable = sorted(unreadable)
    report.unknown = sorted(n for n in on_disk if n not in known and n not in unreadable)
    for found in (report.missing, report.changed, report.lingering):
        found.sort()
    return report


def remove(store: Store, folder: Path, target: str) -> list[str]:
    """Take down a corpus file (every item it holds) or one item by key.

    Returns the file names deleted. The rows stay as tombstones.
    """
    name = Path(target).name
    with store.engine.begin() as conn:
        if NAME_RE.match(name):
            rows = conn.execute(
                select(items.c.id, items.c.key, items.c.name).where(
                    items.c.name == name, items.c.status != REMOVED
                )
            ).all()
            if not rows:
                raise UserError(
                    f"{name}: no item of the state is in that file (see `seedwatch corpus verify`)"
                )
        else:
            rows = conn.execute(
                select(items.c.id, items.c.key, items.c.name).where(
                    items.c.key == target, items.c.status != REMOVED
                )
            ).all()
            if not rows:
                raise UserError(f"no item with key {target!r} in the state")
            names = {r.name for r in rows}
            others = conn.execute(
                select(func.count()).where(
                    items.c.name.in_(names), items.c.key != target, items.c.status != REMOVED
                )
            ).scalar_one()
            if others:
                raise UserError(
                    f"the item {target!r} shares {', '.join(sorted(names))} with {others} other "
                    f"item(s); a file is removed whole: `seedwatch corpus remove FILE`"
                )
        conn.execute(
            update(items).where(items.c.id.in_([r.id for r in rows])).values(status=REMOVED)
        )
    # The tombstones are committed first: a crash now leaves a lingering file,
    # which `corpus verify` reports, never a taken-down item that comes back.
    deleted = []
    for file in sorted({r.name for r in rows}):
        path = folder / file
        if path.exists():
            path.unlink()
            deleted.append(file)
    return deleted


def backup(store: Store, path: Path) -> None:
    """An online, consistent copy of a SQLite state (SQLite's backup API).

    The copy is made under a temporary name in the target's folder and linked
    into place once complete, so a backup killed half-way (or one that runs out
    of disk) never leaves a half-written file under the name asked for (a
    killed one's temporary file, ``.NAME.*.tmp``, is left for the operator).
    """
    url = make_url(store.url)
    if url.get_backend_name() != "sqlite":
        raise UserError(
            "state backup copies SQLite states; for PostgreSQL use pg_dump "
            "(or `seedwatch state export` for a JSON copy)"
        )
    if path.exists():
        raise UserError(f"{path} exists; backups never overwrite a file")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.parent / f".{path.name}.{os.getpid()}_{secrets.token_hex(4)}.tmp"
    try:
        raw = store.engine.raw_connection()
        try:
            target = sqlite3.connect(tmp)
            try:
                raw.driver_connection.backup(target)  # type: ignore[union-attr]
            finally:
                target.close()
        except sqlite3.Error as exc:
            raise UserError(f"backup to {path} failed ({exc}); nothing was written") from None
        finally:
            raw.close()
        try:
            os.link(tmp, path)  # unlike rename, never replaces a file made meanwhile
        except FileExistsError:
            raise UserError(f"{path} exists; backups never overwrite a file") from None
        sync_folder(path.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def export(store: Store, out: TextIO) -> int:
    """The state as JSON lines (``{"table": ..., ...}``), streamed; returns the count.

    Rendered texts of pending items and the de-duplication index are left out:
    the index is rebuilt from the items' texts by `corpus index`.
    """
    count = 0
    for line in _rows(store):
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
        count += 1
    return count


def _rows(store: Store) -> Iterator[dict[str, Any]]:
    skip = {"rendered", "item_json"}
    with store.engine.connect() as conn:
        for table in (sources, corpus_files, items):
            columns = [c for c in table.c if c.name not in skip]
            result = conn.execution_options(yield_per=1000).execute(
                select(*columns).order_by(*table.primary_key.columns)
            )
            for row in result:
                yield {"table": table.name} | {k: _jsonable(v) for k, v in row._mapping.items()}


def counts_by(store: Store, column: str) -> dict[str, int]:
    """Items the corpus holds (taken-down ones excluded), by ``parser`` or ``source_id``."""
    col = items.c[column]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(col, func.count()).where(items.c.status != REMOVED).group_by(col)
        ).all()
    return {str(key) if key is not None else "unknown": int(n) for key, n in rows}
