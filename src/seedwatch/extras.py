"""Optional dependencies: importing one, or saying in one line which extra brings it.

The base install runs seedwatch on one machine: the daemon, every built-in
parser, SQLite state, the health server and metrics. What only some
deployments need comes with an extra (see pyproject.toml):

- ``postgres``: psycopg, for a PostgreSQL state;
- ``cluster``: procrastinate (and psycopg), for several nodes;
- ``s3``: boto3, for the ``s3`` sink.

Code that needs one of them calls :func:`require` where it first needs it,
never at import time, so a missing extra costs nothing until it is used.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from seedwatch.errors import MissingExtraError


def require(module: str, *, extra: str, needed_for: str) -> ModuleType:
    """Import ``module``, or raise ``MissingExtraError`` naming ``extra``.

    Only the absence of ``module`` itself (or of its parent package) is
    translated; an ImportError raised inside an installed package is a real
    error and propagates as it is.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        top = module.partition(".")[0]
        if exc.name not in (module, top):
            raise
        raise MissingExtraError(extra, needed_for, top) from None


# The helpers plugins may use (docs/plugins.md, "Helper modules").
__all__ = [
    "require",
]
