"""The command line as a new user meets it: global options anywhere, where the
config is looked for, output piped into ``head``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from seedwatch.daemon.cli import cli

DATA = Path(__file__).parent / "data"
FEED = DATA / "feeds" / "rss2_wordpress_tenderlovemaking.xml"


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SEEDWATCH_CONFIG", "XDG_CONFIG_HOME")}
    return env | {"HOME": str(home)} | extra


def _config(folder: Path, source_id: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "seedwatch.toml"
    path.write_text(f'[[sources]]\nid = "{source_id}"\nurl = "http://127.0.0.1:9/f.xml"\n')
    return path


def test_global_options_work_after_the_subcommand(tmp_path: Path) -> None:
    config = _config(tmp_path / "conf", "after")
    runner = CliRunner()
    before = runner.invoke(cli, ["--config", str(config), "config", "check"])
    after = runner.invoke(cli, ["config", "check", "--config", str(config)])
    short = runner.invoke(cli, ["sources", "list", "-c", str(config)])
    assert before.exit_code == after.exit_code == short.exit_code == 0, after.output
    assert f"config {config}: ok, 1 source(s)" in after.output
    assert "after " in short.output


def test_log_options_after_the_subcommand_set_the_log_lines(tmp_path: Path) -> None:
    config = _config(tmp_path / "conf", "down")  # nothing listens on port 9: an error logged

    def log_lines(*options: str) -> list[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "seedwatch", "run", "--once", "-c", str(config), *options],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 1, proc.stderr  # the source failed, as it must
        return [line for line in proc.stderr.splitlines() if "cannot connect" in line]

    text = log_lines("--log-format", "text")
    as_json = log_lines("--log-format", "json")
    assert text and not any(line.startswith("{") for line in text)
    assert any(line.startswith("{") for line in as_json)


def test_each_subcommand_help_shows_the_global_options() -> None:
    runner = CliRunner()
    for args in (["status"], ["sources", "add"], ["corpus", "index"], ["run"]):
        result = runner.invoke(cli, [*args, "--help"])
        assert result.exit_code == 0
        assert "--config FILE" in result.output and "--verbose" in result.output, args


def test_parse_into_a_closed_pipe_stops_quietly() -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line, as `| head -0` does
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "seedwatch", "parse", str(FEED)],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.stderr == ""
    assert proc.returncode == 1


def test_dedup_explain_into_a_closed_pipe_stops_quietly(tmp_path: Path) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text('[corpus]\npath = "corpus"\n')
    read, write = os.pipe()
    os.close(read)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "seedwatch", "-c", str(config), "dedup", "explain", str(FEED)],
            stdout=write, stderr=subprocess.PIPE, text=True, timeout=60,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.stderr == "" and proc.returncode == 1


@pytest.mark.parametrize("xdg", [True, False])
def test_the_config_is_found_in_the_xdg_config_folder(tmp_path: Path, xdg: bool) -> None:
    home = tmp_path / "home"
    if xdg:
        folder = tmp_path / "xdg" / "seedwatch"
        extra = {"XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    else:
        folder = home / ".config" / "seedwatch"
        extra = {}
    config = _config(folder, "from-xdg")
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "seedwatch", "config", "check"],
        capture_output=True, text=True, timeout=60, cwd=work, env=_env(home, **extra),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"config {config}: ok, 1 source(s)" in proc.stdout


def test_a_config_in_the_current_folder_wins_over_the_xdg_one(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _config(home / ".config" / "seedwatch", "from-xdg")
    here = _config(tmp_path / "work", "from-here")
    proc = subprocess.run(
        [sys.executable, "-m", "seedwatch", "sources", "list"],
        capture_output=True, text=True, timeout=60, cwd=here.parent, env=_env(home),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "from-here" in proc.stdout and "from-xdg" not in proc.stdout


def test_without_a_config_file_the_cli_says_where_it_looked(tmp_path: Path) -> None:
    home = tmp_path / "home"
    work = tmp_path / "work"
    work.mkdir()
    proc = subprocess.run(
        [sys.executable, "-m", "seedwatch", "config", "check"],
        capture_output=True, text=True, timeout=60, cwd=work, env=_env(home),
    )  # fmt: skip
    assert proc.returncode == 0
    said = proc.stdout + proc.stderr
    assert "no config file" in said
    assert str(work / "seedwatch.toml") in said
    assert str(home / ".config" / "seedwatch" / "seedwatch.toml") in said
