"""One exception hierarchy for seedwatch.

``UserError`` and its subclasses carry a message a user can act on; the CLI
prints it as one line on stderr and exits with ``exit_code``. Anything that is
not a ``SeedwatchError`` is a bug: the CLI prints a traceback with the version
and a hint to report it.
"""

from __future__ import annotations

import errno as errnos
import os


class SeedwatchError(Exception):
    """Base class of every error seedwatch raises on purpose."""


class UserError(SeedwatchError):
    """An error the user can fix; the message says how.

    ``exit_code`` follows CLI conventions: 1 for a failed operation (a
    document no parser claims, a fetch that failed), 2 for usage and
    configuration errors.
    """

    exit_code: int = 1


class ConfigError(UserError):
    """The configuration is invalid: names the file, the field and what was expected."""

    exit_code = 2


class StartupError(UserError):
    """The daemon cannot start: a duplicate parser name, a misspelled hook, ..."""

    exit_code = 2


class FetchError(UserError):
    """A fetch failed. ``category`` is one of the error classes counted per source.

    Categories: ``dns``, ``connect``, ``tls``, ``timeout``, ``http-4xx``,
    ``http-5xx``, ``too-large``, ``redirects``, ``refused`` (a URL the source
    may not follow), ``io`` (local files), ``protocol`` (a response that
    breaks HTTP or does not decode as its Content-Encoding says),
    ``deferred`` (not sent: the host asked every client to wait; not a
    failure of the source).
    ``retry_after`` is the delay in seconds a ``Retry-After`` header asked for.
    """

    def __init__(
        self,
        message: str,
        *,
        url: str,
        category: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.category = category
        self.status = status
        self.retry_after = retry_after


class OffSiteError(FetchError):
    """A link found in a document, or a hop of its redirects, leads off the source's
    site: it is not followed (category ``refused``)."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message, url=url, category="refused")


class ParseError(UserError):
    """A parser could not make sense of a document (garbage, truncated, unknown markup).

    Parsers raise it (never anything else) for input they cannot read; the
    message says what was missing and where.
    """


class NoParserError(ParseError):
    """No registered parser claims a document."""


class ItemValidationError(SeedwatchError):
    """A parser produced a malformed Item; the message names the field."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"item field {field!r}: {problem}")
        self.field = field
        self.problem = problem


class PluginError(SeedwatchError):
    """A plugin (a parser, a source kind) raised something else than our errors;
    wraps the original error. Raised by the pipeline (and ``seedwatch parse``),
    which counts the document or the poll as failed under ``plugin``."""

    def __init__(self, plugin: str, where: str, error: BaseException) -> None:
        super().__init__(f"plugin {plugin!r} failed on {where}: {type(error).__name__}: {error}")
        self.plugin = plugin
        self.where = where
        self.error = error


class MissingExtraError(UserError):
    """An optional dependency is not installed; the message names the extra to install."""

    exit_code = 2

    def __init__(self, extra: str, needed_for: str, module: str) -> None:
        super().__init__(
            f"{needed_for} needs the {extra!r} extra ({module} is not installed): "
            f"pip install 'seedwatch[{extra}]'"
        )
        self.extra = extra
        self.module = module


# What to do about a failed write, by errno: the system's wording varies with
# the platform and the locale, these do not.
def _advice(code: int | None) -> str:
    writable = f"make it writable by the user seedwatch runs as (uid {os.geteuid()})"
    return {
        errnos.ENOSPC: "free space on its file system",
        errnos.EDQUOT: "free space or raise the disk quota of the user seedwatch runs as",
        errnos.EFBIG: "a file-size limit stops the write (ulimit -f, systemd's LimitFSIZE=): "
        "raise it",
        errnos.EACCES: writable,
        errnos.EPERM: writable,
        errnos.EROFS: "its file system is read-only: remount it read-write or configure "
        "another path",
        errnos.EIO: "the device reported an I/O error: check the disk (dmesg)",
    }.get(code or 0, "check the path, its permissions and its disk")


def errno_name(error: OSError) -> str:
    """``ENOSPC``, ``EACCES``...: the error's symbolic name, stable across locales."""
    return errnos.errorcode.get(error.errno or 0, "unknown")


class DiskError(UserError):
    """Writing a file or folder failed: a full disk, a file-size limit, a
    read-only folder or file system. The message names what and where, the
    system's reason with its symbolic errno name (``[ENOSPC]``) and what to do.
    ``category`` is the error class it is counted under (``write``)."""

    category = "write"

    def __init__(self, what: str, path: object, error: OSError, then: str = "") -> None:
        reason = error.strerror or type(error).__name__
        message = f"{what} {path}: {reason} [{errno_name(error)}]: {_advice(error.errno)}"
        super().__init__(message + (f"; {then}" if then else ""))
        self.path = str(path)
        self.errno = error.errno


class StateError(UserError):
    """The state database refused a write (a full disk, a read-only file or
    folder, an I/O error, a server that went away). The message names the
    database and what to do; the poll that met it is counted under ``state``,
    and nothing it did is taken as recorded."""

    category = "state"
