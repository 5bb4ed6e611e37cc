"""Source kind ``git``: a blog kept in a git checkout, read commit by commit.

Owns running the git CLI (never a shell) on ``source.path``:

- if the path does not exist (or is an empty folder) and the source names a
  remote (``options["remote"]``, else ``url``), it is cloned there first
  (``options["branch"]`` picks the branch);
- each poll runs ``git pull --ff-only`` when the checkout's branch has an
  upstream; a checkout without one is read as it is;
- the cursor's ``mark`` is the last commit seen. A live poll yields only the
  post files changed since it (``git diff --name-only <mark> HEAD``; files
  deleted since are not yielded); the first poll, a backfill, or a mark git
  no longer knows (history rewritten) yields every tracked post file.
  Only the last page carries the new commit, so a poll that stops half-way
  is repeated whole rather than losing files.

``source.path`` may be a folder inside a larger repository: paths are taken
relative to it and files outside it are ignored. Which files are posts is
decided by ``blog_sources.Selection`` (``glob``, ``exclude``, ``max_bytes``).
Git runs with ``GIT_TERMINAL_PROMPT=0`` so that a remote asking for a
password fails at once instead of waiting for a terminal; ``options
["timeout"]`` bounds clone and pull (seconds, default 300).
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from seedwatch.contracts import Cursor, Page, PollContext, SourceKind
from seedwatch.errors import ConfigError, FetchError
from seedwatch.hookspecs import hookimpl
from seedwatch.models import Source
from seedwatch.plugins.builtin.blog_sources import Selection

log = logging.getLogger(__name__)

NETWORK_TIMEOUT = 300.0
LOCAL_TIMEOUT = 60.0


class GitKind(SourceKind):
    """A git checkout of a blog: pull, then the files changed since the last commit seen."""

    name = "git"
    source_options = frozenset({"glob", "exclude", "max_bytes", "remote", "branch", "timeout"})

    def check(self, source: Source) -> None:
        Selection.of(source)  # path, glob, exclude, max_bytes
        self._remote(source)
        timeout = source.options.get("timeout", NETWORK_TIMEOUT)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ConfigError(
                f'source "{source.id}": field "timeout": expected seconds, got {timeout!r}'
            )
        if shutil.which("git") is None:
            raise ConfigError(f'source "{source.id}": kind "git" needs the git program on PATH')

    def poll(self, source: Source, cursor: Cursor, context: PollContext) -> Iterator[Page]:
        self.check(source)
        selection = Selection.of(source)
        git = _Git(selection.root.absolute(), source)
        self._checkout(git, source)
        if git.query("rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}"):
            git.run("pull", "--ff-only", "--quiet", network=True)
        head = git.query("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
        if not head:
            log.info("source %s: %s has no commits yet", source.id, selection.root)
            return
        mark = None if context.backfill else cursor.mark
        if mark == head:
            return
        if mark and git.query("cat-file", "-e", f"{mark}^{{commit}}") is None:
            log.warning(
                "source %s: commit %s is no longer in %s: reading every file",
                source.id,
                mark,
                selection.root,
            )
            mark = None
        if mark:
            listed = git.run(
                "diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", "--relative",
                mark, head,
            )  # fmt: skip
        else:
            listed = git.run("ls-files", "-z")
        names = sorted(n for n in listed.split("\0") if n and selection.wanted(n))
        for i, name in enumerate(names):
            last = i == len(names) - 1
            yield Page(selection.read(name, source), Cursor(mark=head if last else cursor.mark))
        if not names:  # nothing to read, but the commit was seen
            yield Page(None, Cursor(mark=head))

    def _checkout(self, git: _Git, source: Source) -> None:
        root = git.root
        remote = self._remote(source)
        if not root.exists() or (root.is_dir() and not any(root.iterdir())):
            if remote is None:
                raise ConfigError(
                    f'source "{source.id}": field "path": {root} does not exist; '
                    f'clone the blog there or give "remote" to have it cloned'
                )
            branch = source.options.get("branch")
            args = ["clone", "--quiet", *(["--branch", str(branch)] if branch else [])]
            log.info("source %s: cloning %s into %s", source.id, remote, root)
            root.parent.mkdir(parents=True, exist_ok=True)
            _Git(root.parent, source).run(*args, "--", remote, str(root), network=True)
            return
        if not root.is_dir():
            raise ConfigError(f'source "{source.id}": field "path": {root} is not a folder')
        inside = git.query("rev-parse", "--is-inside-work-tree")
        if inside != "true":
            raise ConfigError(
                f'source "{source.id}": field "path": {root} is not a git checkout '
                f'(use kind "folder" for a plain folder)'
            )

    @staticmethod
    def _remote(source: Source) -> str | None:
        remote = source.options.get("remote", source.url)
        if remote is not None and not (isinstance(remote, str) and remote.strip()):
            raise ConfigError(
                f'source "{source.id}": field "remote": expected a git URL or path, got {remote!r}'
            )
        return remote


class _Git:
    """Runs ``git -C root ...`` without a shell; failures become FetchError."""

    def __init__(self, root: Path, source: Source) -> None:
        self.root = root
        self.timeout = float(source.options.get("timeout", NETWORK_TIMEOUT))

    def run(self, *args: str, network: bool = False) -> str:
        """Git's output (a trailing newline dropped); ``FetchError`` if git fails."""
        done = self._exec(args, network)
        if done.returncode != 0:
            message = _last_lines(done.stderr)
            raise FetchError(
                f"git {args[0]} failed in {self.root} (exit {done.returncode}): {message}",
                url=str(self.root),
                category=_category(message) if network else "io",
            )
        return os.fsdecode(done.stdout).removesuffix("\n")

    def query(self, *args: str) -> str | None:
        """Git's output, or ``None`` when git says no (exit status other than 0)."""
        done = self._exec(args, False)
        return os.fsdecode(done.stdout).strip() if done.returncode == 0 else None

    def _exec(self, args: Sequence[str], network: bool) -> subprocess.CompletedProcess[bytes]:
        command = ["git", "-C", str(self.root), "-c", "core.quotepath=off", *args]
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        timeout = self.timeout if network else LOCAL_TIMEOUT
        try:
            return subprocess.run(
                command, capture_output=True, env=env, timeout=timeout, check=False
            )
        except subprocess.TimeoutExpired:
            raise FetchError(
                f"git {args[0]} in {self.root} took longer than {timeout:g}s",
                url=str(self.root),
                category="timeout",
            ) from None
        except OSError as exc:
            raise FetchError(
                f"could not run git in {self.root}: {exc}", url=str(self.root), category="io"
            ) from None


def _last_lines(stderr: bytes) -> str:
    """Git's own explanation: its ``fatal:``/``error:`` lines, else its last lines."""
    lines = [ln.strip() for ln in os.fsdecode(stderr).splitlines() if ln.strip()]
    errors = [ln for ln in lines if ln.startswith(("fatal:", "error:"))]
    return " / ".join((errors or lines)[-3:]) or "no message"


def _category(message: str) -> str:
    lowered = message.lower()
    if "could not resolve host" in lowered:
        return "dns"
    if any(s in lowered for s in ("unable to access", "could not read from remote", "refused")):
        return "connect"
    return "io"


@hookimpl
def register_source_kinds(register: Callable[[SourceKind], None]) -> None:
    register(GitKind())
