"""The configuration: one TOML file, validated, the source of truth for what to watch.

Found at ``--config``, else ``$SEEDWATCH_CONFIG``, else ``./seedwatch.toml``,
else ``$XDG_CONFIG_HOME/seedwatch/seedwatch.toml`` (``~/.config/...``); with
none of them, the embedded defaults (a ``corpus`` folder and a SQLite
state under ``./state``, no sources). Relative paths are relative to the
config file's folder. Secrets are never in the file: a source's
``credentials`` table maps a credential name to the *environment variable*
holding it, read at load time and never logged.

Errors name the file, the source and the field, and say what was expected::

    config seedwatch.toml, source "hn": field "min_interval": expected a
    duration such as "15m", got "soon"
"""

from __future__ import annotations

import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from seedwatch.errors import ConfigError
from seedwatch.models import Source
from seedwatch.sections import DedupConfig, Delay, Duration, FetchConfig

CONFIG_ENV = "SEEDWATCH_CONFIG"
DEFAULT_NAME = "seedwatch.toml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CorpusConfig(_Strict):
    path: Path = Path("corpus")
    front_matter: bool = True
    sinks: list[str] = Field(default_factory=lambda: ["corpus"])


class StateConfig(_Strict):
    url: str = "sqlite:///state/seedwatch.db"

    @field_validator("url")
    @classmethod
    def _database(cls, value: str) -> str:
        # Checked here, not when the state opens, so `config check` catches it.
        scheme, sep, _ = value.partition("://")
        if not sep or scheme.split("+")[0].lower() not in ("sqlite", "postgresql", "postgres"):
            raise ValueError(
                'expected a database URL such as "sqlite:///state/seedwatch.db" or '
                '"postgresql://host/db"'
            )
        return value


class DaemonConfig(_Strict):
    """``[daemon]``: ``concurrency`` polls (and requests) at once overall;
    ``listen`` the health, metrics and status server (``""`` turns it off);
    back-off and parking (``park_after`` failures in a row park a source,
    probed every ``probe_interval``); ``redirect_after`` polls seeing the
    same permanent redirect move the source's URL; ``drain_timeout`` bounds
    the wait for polls in flight at SIGTERM. ``log_format = "auto"`` writes
    JSON lines unless stderr is a terminal. ``secret_params`` names query
    parameters whose values are hidden in logs and status, besides the
    built-in ones (``seedwatch.redact``)."""

    concurrency: int = Field(4, ge=1, le=256)
    jitter: Delay = timedelta(seconds=30)
    log_format: Literal["auto", "text", "json"] = "auto"
    listen: str = "127.0.0.1:9797"
    park_after: int = Field(10, ge=1)
    probe_interval: Duration = timedelta(days=1)
    redirect_after: int = Field(3, ge=1)
    drain_timeout: Delay = timedelta(minutes=2)
    secret_params: list[str] = Field(default_factory=list)

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        if value.strip():
            host, sep, port = value.strip().rpartition(":")
            if (
                not sep
                or not host
                or not (port.isascii() and port.isdigit() and len(port) <= 5)
                or int(port) > 65535
            ):
                raise ValueError(
                    f'expected "host:port" such as "127.0.0.1:9797", or "" for none, got {value!r}'
                )
        return value.strip()


class ClusterConfig(_Strict):
    """``[cluster]``: several nodes sharing one PostgreSQL state (see
    ``seedwatch.daemon.cluster``). ``enabled`` makes ``seedwatch run`` a
    cluster node (as ``--cluster`` does); ``workers`` polls at once per node
    (default: ``[daemon] concurrency``); the clock looks for due sources
    every ``tick``; a node that sent no heartbeat for ``stalled_after`` is
    dead and its polls are retried elsewhere; ``per_host`` polls of one host
    at most run at once in the whole cluster (default: ``[fetch] per_host``,
    which caps one node's requests); a poll waits up to ``slot_wait`` for
    one of its host's slots, then comes back later."""

    enabled: bool = False
    workers: int | None = Field(None, ge=1, le=256)
    tick: Duration = timedelta(seconds=5)
    heartbeat: Duration = timedelta(seconds=10)
    stalled_after: Duration = timedelta(seconds=30)
    per_host: int | None = Field(None, ge=1, le=64)
    slot_wait: Delay = timedelta(seconds=5)
    queue: str = Field("seedwatch", pattern=r"^[A-Za-z0-9_.-]{1,60}$")

    @model_validator(mode="after")
    def _check(self) -> ClusterConfig:
        if self.stalled_after < self.heartbeat * 2:
            raise ValueError("stalled_after must be at least twice the heartbeat")
        return self


class WebSubConfig(_Strict):
    """``[websub]``: push for sources with ``websub = true`` (see
    ``seedwatch.daemon.websub``). ``callback`` is this daemon's public URL for
    hubs (a reverse proxy forwards it, path kept, to ``listen``); ``lease`` the
    subscription time asked for; ``fallback_interval`` the least time between
    polls of a source while pushes come; ``secret_env`` names an environment
    variable holding the key the subscriptions' secrets derive from."""

    callback: str | None = None
    listen: str = "127.0.0.1:9798"
    lease: Duration = timedelta(days=10)
    fallback_interval: Delay = timedelta(hours=6)
    secret_env: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")

    @field_validator("callback")
    @classmethod
    def _callback(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValueError(f'expected an absolute URL such as "https://example.org/websub", '
                                 f"got {value!r}")  # fmt: skip
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, sep, port = value.strip().rpartition(":")
        if not sep or not host or not port.isdigit() or int(port) > 65535:
            raise ValueError(f'expected "host:port" such as "127.0.0.1:9798", got {value!r}')
        return value.strip()


class PluginsConfig(_Strict):
    load: list[str] | None = None  # external plugins allowed; None = all installed
    strict: bool = False  # a plugin that fails to load stops start-up (--strict-plugins)
    required_plugins: list[str] = Field(default_factory=list)  # ["name>=version", ...]


class PipelineConfig(_Strict):
    transforms: list[str] | None = None  # None = all registered, in the documented order
    filters: list[str] | None = None


class SourceConfig(BaseModel):
    """One ``[[sources]]`` entry. Keys not listed here are kind- or parser-specific
    options (``base_url``, ``stream``, ``glob``...) and go to ``Source.options``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
    kind: str = "http"
    url: str | None = None
    path: Path | None = None
    parser: str | None = None
    min_interval: Duration = timedelta(minutes=15)
    max_interval: Duration = timedelta(hours=6)
    credentials: dict[str, str] = Field(default_factory=dict)
    enabled: bool = True  # false: kept in the file, not polled (`seedwatch sources pause`)
    title: str | None = None  # a human name (OPML import/export)
    group: str | None = None  # an OPML category (folder path "Tech/Python"), kept for export

    @model_validator(mode="after")
    def _check(self) -> SourceConfig:
        if self.url is None and self.path is None:
            raise ValueError('a source needs "url" or "path"')
        if self.min_interval > self.max_interval:
            raise ValueError("min_interval is longer than max_interval")
        return self

    @field_validator("credentials")
    @classmethod
    def _env_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name, env in value.items():
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
                raise ValueError(
                    f"credential {name!r} must name an environment variable, got {env!r}"
                )
        return value


class Config(_Strict):
    corpus: CorpusConfig = Field(default_factory=CorpusConfig)
    state: StateConfig = Field(default_factory=StateConfig)
    fetch: FetchConfig = Field(default_factory=FetchConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    dedup: DedupConfig = Field(default_factory=DedupConfig)
    cluster: ClusterConfig = Field(default_factory=ClusterConfig)
    plugins: PluginsConfig = Field(default_factory=PluginsConfig)
    pipeline: PipelineConfig = Field(default_factory=PipelineConfig)
    websub: WebSubConfig = Field(default_factory=WebSubConfig)
    sinks: dict[str, dict[str, Any]] = Field(default_factory=dict)
    rules: list[dict[str, Any]] = Field(default_factory=list)  # filter rules, see seedwatch.rules
    sources: list[SourceConfig] = Field(default_factory=list)

    # Set by load(); not part of the file.
    file: Path | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> Config:
        seen: set[str] = set()
        for src in self.sources:
            if src.id in seen:
                raise ValueError(f"two sources have the id {src.id!r}; ids must be unique")
            seen.add(src.id)
        return self

    @property
    def base(self) -> Path:
        return self.file.parent if self.file else Path.cwd()

    @property
    def corpus_path(self) -> Path:
        return self.base / self.corpus.path

    @property
    def state_url(self) -> str:
        """The state URL with a relative SQLite path made relative to the config file."""
        url = self.state.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/"):
            rest = url[len(prefix) :]
            if rest and rest != ":memory:":
                return prefix + str((self.base / rest).resolve())
        return url

    def source(self, source_id: str) -> Source:
        for src in self.sources:
            if src.id == source_id:
                return self.to_source(src)
        known = ", ".join(s.id for s in self.sources) or "none configured"
        raise ConfigError(f"no source {source_id!r} in {self.where}; known sources: {known}")

    @property
    def where(self) -> str:
        return str(self.file) if self.file else "the embedded defaults"

    def to_source(self, src: SourceConfig) -> Source:
        credentials = {}
        for name, env in src.credentials.items():
            value = os.environ.get(env)
            if value is None:
                raise ConfigError(
                    f"config {self.where}, source {src.id!r}: credential {name!r} comes from "
                    f"the environment variable {env}, which is not set"
                )
            credentials[name] = value
        path = str(self.base / src.path) if src.path is not None else None
        return Source(
            id=src.id,
            kind=src.kind,
            url=src.url,
            path=path,
            parser=src.parser,
            min_interval=src.min_interval,
            max_interval=src.max_interval,
            options=dict(src.model_extra or {}),
            credentials=credentials,
        )

    def enabled_sources(self) -> list[Source]:
        return [self.to_source(s) for s in self.sources if s.enabled]


def config_candidates() -> list[Path]:
    """Where a config file is looked for when none is named, in order: the
    current folder, then the user's (XDG) config folder."""
    xdg = os.environ.get("XDG_CONFIG_HOME", "")
    base = Path(xdg) if Path(xdg).is_absolute() else Path.home() / ".config"
    return [Path.cwd() / DEFAULT_NAME, base / "seedwatch" / DEFAULT_NAME]


def find_config(explicit: str | Path | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get(CONFIG_ENV)
    if env:
        return Path(env)
    return next((path for path in config_candidates() if path.exists()), None)


def load(path: str | Path | None = None) -> Config:
    """Load and validate the config; ``ConfigError`` says what is wrong and where."""
    file = find_config(path)
    if file is None:
        return Config()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config {file}: file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"config {file}: a folder, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"config {file}: cannot read it: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"config {file}: not a text file (a TOML config is UTF-8 text)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config {file}: not valid TOML: {exc}") from None
    return from_dict(data, file=file.resolve())


def from_dict(data: dict[str, Any], *, file: Path | None = None) -> Config:
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, data, file)) from None
    config = config.model_copy(update={"file": file})
    from seedwatch.daemon import source_checks

    source_checks.check(config)
    return config


def _explain(exc: ValidationError, data: dict[str, Any], file: Path | None) -> str:
    where = f"config {file}" if file else "config"
    lines = []
    for error in exc.errors():
        loc = list(error["loc"])
        place = where
        if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
            try:
                sid = data["sources"][loc[1]].get("id", f"#{loc[1] + 1}")
            except (KeyError, IndexError, AttributeError):
                sid = f"#{loc[1] + 1}"
            place += f", source {sid!r}"
            loc = loc[2:]
        elif loc:
            place += f", [{loc[0]}]"
            loc = loc[1:]
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field (check its spelling)"
        given = error.get("input")
        field = ".".join(str(p) for p in loc)
        detail = f'field "{field}": {message}' if field else message
        if field and error["type"] not in ("extra_forbidden", "missing") and "got" not in message:
            detail += f", got {given!r}"
        lines.append(f"{place}: {detail}")
    return "\n".join(lines)
