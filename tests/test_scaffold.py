"""`seedwatch plugin new NAME`: the package it writes installs with pip, is found through
its entry point, and its own tests pass as generated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from pytest_outcome import run_pytest
from seedwatch.daemon.cli import main

BIN = Path(sys.executable).parent  # this venv's tools (ruff)


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def throwaway_venv(where: Path) -> Path:
    """A new venv that sees this venv's packages (seedwatch, pytest) but installs into
    its own site-packages: a .pth runs site.addsitedir on ours, so our .pth files
    (seedwatch's editable install) are honoured too. Returns its python."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    python = where / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    (Path(site) / "_seedwatch_dev.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


def run(python: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("SEEDWATCH_LOAD_PLUGINS",)}
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, cwd=cwd, timeout=300, env=environ
    )


def test_plugin_new_writes_a_package_that_installs_and_passes_its_own_tests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = cli(capsys, "plugin", "new", "forum-digest", "--dir", str(tmp_path))
    package = tmp_path / "seedwatch-forum-digest"
    assert code == 0 and f"created {package}" in out
    python = throwaway_venv(tmp_path / "venv")
    install = run(
        Path(sys.executable),
        "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
        "--no-build-isolation", "--no-index", "-e", str(package),
        cwd=tmp_path,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    tests = run_pytest(python, cwd=package)
    assert tests.returncode == 0, tests.output
    assert (tests.passed, tests.tests) == (5, 5), tests.output
    listing = run(python, "-m", "seedwatch", "plugins", cwd=tmp_path)
    listed = "forum-digest (seedwatch-forum-digest 0.1.0, entry point)"
    assert listed in listing.stdout, listing.stderr
    sample = package / "tests" / "data" / "sample.json"
    parsed = run(python, "-m", "seedwatch", "parse", str(sample), "--json", cwd=tmp_path)
    assert parsed.returncode == 0, parsed.stderr
    items = [json.loads(line) for line in parsed.stdout.splitlines()]
    assert [(i["parser"], i["key"]) for i in items] == [
        ("forum-digest", "forum-digest:1"),
        ("forum-digest", "forum-digest:2"),
    ]
    # ... and the installed package is where pip put it, not on our path
    assert run(Path(sys.executable), "-c", "import seedwatch_forum_digest", cwd=tmp_path).returncode


def test_the_generated_code_is_lint_clean_for_the_longest_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = "a-very-long-forum-engine-name1"  # 30 characters, the most allowed
    assert cli(capsys, "plugin", "new", name, "--dir", str(tmp_path))[0] == 0
    package = tmp_path / f"seedwatch-{name}"
    for command in (["check", "."], ["format", "--check", "."]):
        lint = run(BIN / "ruff", *command, cwd=package)
        assert lint.returncode == 0, lint.stdout + lint.stderr
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=package,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(package / "src")},
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


@pytest.mark.parametrize("name", ["Forum", "my_forum", "forum-", "forum--x", "a" * 31, "1forum"])
def test_a_bad_name_is_a_usage_error_saying_what_a_name_may_hold(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = cli(capsys, "plugin", "new", name, "--dir", str(tmp_path))
    assert code == 2 and "lower-case" in err
    assert list(tmp_path.iterdir()) == []


def test_an_existing_folder_is_never_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mine = tmp_path / "seedwatch-notes" / "README.md"
    mine.parent.mkdir()
    mine.write_text("my own work\n")
    code, _, err = cli(capsys, "plugin", "new", "notes", "--dir", str(tmp_path))
    assert code == 1 and "already exists and is not empty" in err
    assert mine.read_text() == "my own work\n" and len(list(mine.parent.iterdir())) == 1
