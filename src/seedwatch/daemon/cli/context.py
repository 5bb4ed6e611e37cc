"""What every command shares: the ``Context`` (the global options; the config,
loaded once, when a command first needs it; the state, opened once and closed
when the command ends, however it ends), ``pass_ctx``, which hands it to a
command, and ``add_global_options``, which lets the global options
(``--config``, ``--verbose``...) follow any subcommand too."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.core import ParameterSource

from seedwatch import redact
from seedwatch.daemon import logs

if TYPE_CHECKING:
    from seedwatch.daemon import config as config_mod
    from seedwatch.state.store import Store


class Context:
    def __init__(self) -> None:
        self.config_path: str | None = None
        self.verbose = 0
        self.quiet = False
        self.log_format: str | None = None
        self.strict_plugins = False
        self._config: config_mod.Config | None = None
        self._state: Store | None = None

    @property
    def config(self) -> config_mod.Config:
        from seedwatch.daemon import config as config_mod

        if self._config is None:
            config = config_mod.load(self.config_path)
            if self.strict_plugins:
                plugins = config.plugins.model_copy(update={"strict": True})
                config = config.model_copy(update={"plugins": plugins})
            redact.configure(config.daemon.secret_params)
            self._config = config
        return self._config

    def state(self) -> Store:
        """The config's state, migrated; closed when the command ends."""
        if self._state is None:
            from seedwatch.daemon import runtime

            self._state = runtime.open_state(self.config)
            click.get_current_context().call_on_close(self._close_state)
        return self._state

    def _close_state(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None

    def config_file(self) -> Path:
        from seedwatch.daemon import config as config_mod

        path = config_mod.find_config(self.config_path)
        return path or Path.cwd() / config_mod.DEFAULT_NAME

    def no_config_file(self) -> str | None:
        """Said when no config file was found: where the command looked."""
        from seedwatch.daemon import config as config_mod

        if self.config.file is not None:
            return None
        places = ", ".join(str(p) for p in config_mod.config_candidates())
        return (
            f"no config file found (${config_mod.CONFIG_ENV} unset; looked for {places}): "
            "using the embedded defaults, no sources"
        )

    @property
    def log_level(self) -> int:
        if self.quiet:
            return logging.WARNING
        return logging.DEBUG if self.verbose > 1 else logging.INFO

    def setup_logging(self) -> None:
        logs.setup(self.log_level, self.log_format or "text")

    def setup_service_logging(self) -> None:
        """The daemon's logging: the config may ask for JSON lines (services);
        ``--log-format`` wins. Only the commands that run a service read it."""
        if self.log_format is None and self.config.daemon.log_format != "text":
            logs.setup(self.log_level, self.config.daemon.log_format)


pass_ctx = click.make_pass_decorator(Context, ensure=True)


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    # Called for every command that carries the option, given or not: only a
    # value the user gave overrides what an earlier position set.
    assert param.name is not None
    if ctx.get_parameter_source(param.name) in (None, ParameterSource.DEFAULT):
        return
    obj = ctx.ensure_object(Context)
    if param.name == "verbose":
        obj.verbose += value
    else:
        setattr(obj, param.name, value)
    if param.name == "config_path":
        obj._config = None
    obj.setup_logging()


def global_options() -> list[click.Parameter]:
    """Fresh copies of the global options (a Parameter belongs to one command)."""
    return [
        click.Option(
            ["-c", "--config", "config_path"],
            metavar="FILE",
            expose_value=False,
            callback=_store,
            help="Config file (default: $SEEDWATCH_CONFIG, else ./seedwatch.toml, "
            "else ~/.config/seedwatch/seedwatch.toml).",
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_store,
            help="More log output (-vv for debug).",
        ),
        click.Option(
            ["-q", "--quiet"],
            is_flag=True,
            expose_value=False,
            callback=_store,
            help="Only warnings and errors.",
        ),
        click.Option(
            ["--log-format"],
            type=click.Choice(["text", "json"]),
            expose_value=False,
            callback=_store,
            help="Log line format.",
        ),
        click.Option(
            ["--strict-plugins"],
            is_flag=True,
            expose_value=False,
            callback=_store,
            help="A plugin that fails to load stops start-up.",
        ),
    ]


def add_global_options(command: click.Command) -> None:
    """Give ``command`` and every subcommand under it the global options."""
    command.params.extend(global_options())
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_global_options(sub)
