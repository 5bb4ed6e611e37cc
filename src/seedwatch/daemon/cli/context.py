"""What every command shares: the ``Context`` (the config, loaded once, when a
command first needs it; the state, opened once and closed when the command
ends, however it ends) and ``pass_ctx``, which hands it to a command."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from seedwatch import redact
from seedwatch.daemon import config as config_mod

if TYPE_CHECKING:
    from seedwatch.state.store import Store


class Context:
    def __init__(self, config_path: str | None, *, strict_plugins: bool = False) -> None:
        self.config_path = config_path
        self.strict_plugins = strict_plugins
        self._config: config_mod.Config | None = None
        self._state: Store | None = None

    @property
    def config(self) -> config_mod.Config:
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
        path = config_mod.find_config(self.config_path)
        return path or Path.cwd() / config_mod.DEFAULT_NAME


pass_ctx = click.make_pass_decorator(Context)
