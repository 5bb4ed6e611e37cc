"""One exception hierarchy for seedwatch.

``UserError`` and its subclasses carry a message a user can act on; the CLI
prints it as one line on stderr and exits with ``exit_code``. Anything that is
not a ``SeedwatchError`` is a bug: the CLI prints a traceback with the version
and a hint to report it.
"""

from __future__ import annotations


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
