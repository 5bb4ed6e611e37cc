"""The ``seedwatch`` command: the root group, its global options, and the one
error handler every command shares (``main``).

Exit statuses: 0 success; 1 a failed operation (no parser claims a document,
a fetch failed, some source failed in ``run --once``), with one line on
stderr saying why; 2 usage or configuration errors. Only unexpected errors
print a traceback, with the version and where to report it.
"""

from __future__ import annotations

import logging
import sys
import traceback

import click

from seedwatch import __version__
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import logs
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
from seedwatch.daemon.cli.context import Context
from seedwatch.errors import SeedwatchError, UserError
from seedwatch.redact import redact_text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    "config_path",
    metavar="FILE",
    help=f"Config file (default: ${config_mod.CONFIG_ENV}, else ./seedwatch.toml).",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default=None, help="Log line format."
)
@click.option("--strict-plugins", is_flag=True, help="A plugin that fails to load stops start-up.")
@click.version_option(__version__, prog_name="seedwatch")
@click.pass_context
def cli(
    ctx: click.Context,
    config_path: str | None,
    verbose: int,
    quiet: bool,
    log_format: str | None,
    strict_plugins: bool,
) -> None:
    """Watch feeds, forums, FreshRSS and blogs; grow a plain-text corpus, never twice."""
    level = logging.WARNING if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    logs.setup(level, log_format or "text")
    ctx.obj = Context(config_path, strict_plugins=strict_plugins)
    if log_format is None and ctx.invoked_subcommand in ("run", "worker"):
        # the config may ask for JSON lines (services); only read it where needed
        fmt = ctx.obj.config.daemon.log_format
        if fmt != "text":
            logs.setup(level, fmt)


for command in (
    run.run,
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
    except Exception:
        traceback.print_exc()
        click.echo(
            f"seedwatch {__version__}: unexpected error (a bug); please report it with the "
            f"traceback above at https://github.com/seedwatch/seedwatch/issues",
            err=True,
        )
        sys.exit(70)
