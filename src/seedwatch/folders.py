"""The folders the config names (the corpus, a SQLite state's): made when
missing, but only their last level, so a mistyped path fails in one line
instead of growing a tree of folders somewhere unexpected."""

from __future__ import annotations

from pathlib import Path

from seedwatch.errors import ConfigError, UserError


def ensure_folder(folder: Path, what: str) -> None:
    """Make ``folder`` if missing (its parent must exist). ``ConfigError`` when
    the path cannot be a folder as configured, ``UserError`` (exit 1) when the
    system refuses it (permissions, a read-only or virtual file system)."""
    if folder.is_dir():
        return
    if folder.exists():
        raise ConfigError(f"{what}: {folder} is a file, not a folder")
    if not folder.parent.is_dir():
        raise ConfigError(
            f"{what}: the folder {folder.parent} does not exist "
            "(only the last folder of a path is created)"
        )
    try:
        folder.mkdir()
    except FileExistsError:  # made meanwhile by another process
        if not folder.is_dir():
            raise ConfigError(f"{what}: {folder} is a file, not a folder") from None
    except OSError as exc:
        raise UserError(f"{what}: cannot create the folder {folder}: {exc.strerror}") from None
