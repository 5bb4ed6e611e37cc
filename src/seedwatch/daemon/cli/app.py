"""The ``seedwatch`` command: the root group, its global options, and the one
error handler every command shares (``main``).

Exit statuses: 0 success; 1 a failed operation (no parser claims a document,
a fetch failed, some source failed in ``run --once``), with one line on
stderr saying why; 2 usage or configuration errors. When the reader of the output goes away
(``| head``), the command stops silently (click's handling, status 1). Only unexpected errors
print a traceback, with the version and where to report it.
"""

from __future__ import annotations

import sys
import traceback

import click

from seedwatch import __version__
from seedwatch.daemon.cli import (
    corpus,
    dedup,
    explain,
    parse,
    plugins,
    run,
    sources,
    state,
    status,
)
from seedwatch.daemon.cli.context import Context, add_global_options
from seedwatch.errors import SeedwatchError, UserError
from seedwatch.redact import redact_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="seedwatch")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Watch feeds, forums, FreshRSS and blogs; grow a plain-text corpus, never twice.

    The options above may follow any command too (`seedwatch status -c FILE`).
    """
    ctx.ensure_object(Context).setup_logging()


for command in (
    run.run,
    run.poll,
    run.worker,
    run.backfill,
    parse.parse,
    sources.config_group,
    sources.sources,
    status.status,
    plugins.plugins,
    plugins.plugin_group,
    corpus.corpus,
    state.state_group,
    dedup.dedup,
    explain.explain,
):
    cli.add_command(command)
add_global_options(cli)


def _database_unreachable(exc: Exception) -> str | None:
    """One line for a state database that cannot be reached (PostgreSQL down,
    a SQLite file that cannot be opened): the environment, not a bug."""
    sa_exc = sys.modules.get("sqlalchemy.exc")  # only loaded if a state was opened
    if sa_exc is None or not isinstance(exc, sa_exc.OperationalError):
        return None
    reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
    return f"the state database cannot be used: {reason}"


def main(argv: list[str] | None = None) -> None:
    """Entry point: user errors become one line and an exit status."""
    try:
        cli.main(args=argv, prog_name="seedwatch", standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2 if isinstance(exc, click.UsageError) else exc.exit_code)
    except UserError as exc:
        click.echo(f"seedwatch: {redact_text(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except SeedwatchError as exc:
        click.echo(f"seedwatch: {redact_text(str(exc))}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        unreachable = _database_unreachable(exc)
        if unreachable:
            click.echo(f"seedwatch: {redact_text(unreachable)}", err=True)
            sys.exit(1)
        # Pasted into a public issue, as asked below: the URLs in it are redacted too.
        click.echo(redact_text(traceback.format_exc()), err=True, nl=False)
        click.echo(
            f"seedwatch {__version__}: unexpected error (a bug); please report it with the "
            f"traceback above at https://github.com/seedwatch/seedwatch/issues",
            err=True,
        )
        sys.exit(70)
