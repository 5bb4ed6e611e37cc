"""``seedwatch sources add``: what the URL is, which feed to watch, and the config edit.

A feed is added as it is. A forum thread or board becomes a ``forum``
source (its engine's own feed is named as the cheaper alternative). Any
other page is searched for feeds (``daemon.discovery``): one found is
added; several are listed best first and, on a terminal, the user picks
one (``--first`` takes the best without asking; elsewhere the list is
printed and nothing is added, exit 1); none is an error. A URL that cannot
be fetched is added as given, with a warning, so sources can be added
offline; ``--no-discover`` never fetches. The edited config must pass the
checks of ``config check`` (``check``) before the file is replaced.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import click

from seedwatch.daemon import sources_file
from seedwatch.errors import ConfigError, FetchError, UserError
from seedwatch.redact import redact_text, redact_url

if TYPE_CHECKING:
    from seedwatch.daemon.config import Config


def _default_id(title: str | None, url: str) -> str:
    parts = urlsplit(url)
    if not parts.scheme and not title:  # a folder: its name
        return sources_file.slug(Path(url).expanduser().absolute().name) or "source"
    return sources_file.slug(title or parts.hostname or url) or "source"


def add(
    config_file: Path,
    fetcher: Any,
    registry: Any,
    *,
    source_id: str | None,
    url: str,
    kind: str,
    options: dict[str, Any],
    discover: bool,
    first: bool,
    check: Callable[[Config], None],
) -> None:
    from seedwatch.daemon.discovery import Discovery, Feed

    chosen_url, chosen_kind, title = url, kind, None
    if discover and kind == "http" and urlsplit(url).scheme in ("http", "https"):
        try:
            found = Discovery(fetcher, registry).discover(url)
        except FetchError as exc:
            click.echo(
                redact_text(f"warning: cannot fetch {url} ({exc}); adding it as given"), err=True
            )
        else:
            feed: Feed | None
            if found.what == "feed":
                feed = found.feeds[0]
                chosen_url, title = feed.url, feed.title
            elif found.what in ("thread", "board"):
                chosen_url, chosen_kind = found.url, "forum"
                click.echo(
                    f"{redact_url(url)}: a forum {found.what} ({found.engine}): a forum source"
                )
                if found.feeds:
                    click.echo(
                        "  its own feed (cheaper; excerpts, no quotes): "
                        + redact_url(found.feeds[0].url)
                    )
            else:
                feed = _choose(found.ranked(), url, found, first)
                chosen_url, title = feed.url, feed.title
    entry = {"id": source_id or _default_id(title, chosen_url), "kind": chosen_kind}
    entry |= location(chosen_kind, chosen_url, config_file.parent)
    entry |= options
    # An id the user chose is theirs: a taken one is refused, not renamed.
    try:
        added = sources_file.add_sources(
            config_file, [entry], check=check, rename=source_id is None
        )
    except ConfigError as exc:
        raise ConfigError(f"source not added: {exc}") from None
    if not added.ids:
        raise ConfigError(
            f"source not added: config {config_file}: source {added.skipped[0][1]!r} "
            f"already has the URL {chosen_url}"
        )
    shown = redact_url(chosen_url)
    click.echo(f"added source {added.ids[0]!r} ({chosen_kind} {shown}) to {config_file}")


# Kinds whose LOCATION argument names a local folder (``git`` too when it is
# no URL: a checkout already on disk).
_LOCAL = {"folder"}


def location(kind: str, given: str, config_dir: Path) -> dict[str, str]:
    """The key LOCATION goes under: ``path`` for a local folder (relative to the
    config file's folder when it lies inside it), else ``url``."""
    remote = "://" in given or given.startswith("git@")
    if kind in _LOCAL or (kind == "git" and not remote):
        folder = Path(given).expanduser().absolute()
        try:
            return {"path": str(folder.relative_to(config_dir.absolute()))}
        except ValueError:
            return {"path": str(folder)}
    return {"url": given}


def parse_options(pairs: tuple[str, ...], what: str) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; a value is read as TOML (``["a", "b"]``, ``10``,
    ``true``) when it parses as such, else taken as a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected KEY=VALUE, got {pair!r}", param_hint=what)
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw
        out[key.strip()] = value
    return out


def _choose(feeds: list[Any], url: str, found: Any, first: bool) -> Any:
    if not feeds:
        looked = [f"the {found.links} feed link(s) the page names"] if found.links else []
        if found.tried_paths:
            looked.append("common feed paths of the site")
        raise UserError(
            f"no feed found at {url}: checked {found.checked} candidate(s) "
            f"({', then '.join(looked)}); add a feed URL, or a page source with --parser"
        )
    if len(feeds) == 1 or first:
        return feeds[0]
    click.echo(f"{redact_url(url)} offers {len(feeds)} feeds (best first):")
    for n, feed in enumerate(feeds, 1):
        shown = redact_url(feed.url)
        click.echo(f"  [{n}] {shown}  {feed.title or '(untitled)'}, {feed.items} item(s)")
    if found.candidates > found.checked:
        click.echo(f"  ({found.candidates - found.checked} more link(s) not checked)")
    if not sys.stdin.isatty():
        raise UserError("several feeds found: add one by its URL, or the best one with --first")
    n = click.prompt("Add which one", type=click.IntRange(1, len(feeds)), default=1)
    return feeds[n - 1]
