"""``seedwatch plugins`` (every plugin, its status and what it registers) and
``seedwatch plugin new`` (a parser plugin package for authors)."""

from __future__ import annotations

from pathlib import Path

import click

from seedwatch.daemon.cli.context import Context, pass_ctx


@click.command()
@pass_ctx
def plugins(obj: Context) -> None:
    """Every plugin: where it comes from, whether it loaded, its hooks and what it registers."""
    from seedwatch.daemon import runtime

    registry = runtime.registry_for(obj.config)
    registered: dict[str, list[str]] = {}
    for (hook, name), plugin in registry.owners.items():
        what = hook.removeprefix("register_").rstrip("s").replace("_", " ")
        registered.setdefault(plugin, []).append(f"{what} {name}")
    for st in sorted(registry.statuses, key=lambda st: (st.origin == "built-in", st.name)):
        version = " ".join(x for x in (st.distribution, st.version) if x)
        origin = f"{version}, {st.origin}" if version else st.origin
        line = f"{st.name} ({origin})"
        if st.status == "failed":
            line += f": FAILED to load: {st.error}"
        elif st.status != "loaded":
            line += f": {st.status} (SEEDWATCH_LOAD_PLUGINS or [plugins] load)"
        click.echo(line)
        for entry in sorted(registered.get(st.name, [])):
            click.echo(f"    {entry}")
        hooks = registry.hooks_of(st.name)
        if hooks:
            click.echo(f"    hooks: {', '.join(hooks)}")


@click.group("plugin")
def plugin_group() -> None:
    """Tools for plugin authors."""


@plugin_group.command("new")
@click.argument("name")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=".",
    show_default=True,
    help="Folder to create the package seedwatch-NAME in.",
)
def plugin_new(name: str, directory: Path) -> None:
    """Write a parser plugin package: entry point, parser skeleton, sample, tests."""
    from seedwatch.daemon import scaffold

    try:
        target = scaffold.new_plugin(name, directory)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="NAME") from None
    click.echo(f"created {target}")
    click.echo(f"next: pip install -e '{target}[test]' && pytest {target}")
