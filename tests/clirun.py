"""Running the real ``seedwatch`` command in the test process: click's
CliRunner isolation (stdin, stdout, stderr) around ``main``, so the one error
handler (one line, the exit status) is part of what the tests see."""

from __future__ import annotations

from dataclasses import dataclass

from click.testing import CliRunner

from seedwatch.daemon.cli import main


@dataclass
class Ran:
    exit_code: int
    output: str  # stdout and stderr, interleaved as written
    stdout: str


def seedwatch(*args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Ran:
    with CliRunner().isolation(input=stdin, env=env) as (out, _err, mixed):
        try:
            main(list(args))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
        return Ran(code, mixed.getvalue().decode(), out.getvalue().decode())
