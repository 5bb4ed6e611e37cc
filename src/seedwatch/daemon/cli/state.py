"""``seedwatch state``: back up and export the state database."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from seedwatch.daemon.cli.context import Context, pass_ctx
from seedwatch.folders import ensure_folder


@click.group("state")
def state_group() -> None:
    """Back up and export the state."""


@state_group.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_ctx
def state_backup(obj: Context, path: Path) -> None:
    """An online, consistent copy of the SQLite state (safe while the daemon runs)."""
    from seedwatch.state import maintenance

    ensure_folder(path.parent, f"state backup {path}")  # its last folder at most
    maintenance.backup(obj.state(), path)
    click.echo(f"state copied to {path}")


@state_group.command("export")
@pass_ctx
def state_export(obj: Context) -> None:
    """The state as JSON lines on standard output (sources, corpus files, items)."""
    from seedwatch.state import maintenance

    count = maintenance.export(obj.state(), sys.stdout)
    click.echo(f"{count} record(s) exported", err=True)
