"""The ``seedwatch`` command line, one module per command group.

Exit statuses: 0 success; 1 a failed operation, with one line on stderr
saying why; 2 usage or configuration errors; 70 an unexpected error (a
bug), with a traceback. ``app`` holds the root group and the one error
handler (``main``); ``run`` (run, worker, backfill), ``parse``, ``sources``
(config check, sources), ``status``, ``plugins``, ``corpus``, ``state``,
``dedup`` and ``explain`` hold the commands. Each imports the state, the
pipeline and the fetcher only inside the commands that use them, so
``seedwatch --help`` and ``seedwatch parse`` stay quick to start.
"""

from seedwatch.daemon.cli.app import cli, main

__all__ = ["cli", "main"]
