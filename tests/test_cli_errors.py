"""Ordinary mistakes get one line and the right exit status (2: the config,
1: the environment), never a traceback; bad paths create nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from clirun import seedwatch

FEED = Path(__file__).parent / "data" / "feeds" / "rss2_wordpress_tenderlovemaking.xml"


def _one_line(output: str) -> str:
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "Traceback" not in output and "a bug" not in output
    return lines[0]


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "seedwatch.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("state_url", "wrong"),
    [("state.db", "'state.db'"), ("mysql://db.example/seeds", "'mysql://db.example/seeds'")],
)
def test_a_state_url_that_is_no_database_url_is_a_config_error(
    tmp_path: Path, state_url: str, wrong: str
) -> None:
    config = _config(tmp_path, f'[state]\nurl = "{state_url}"\n')
    for command in (["config", "check"], ["status"]):
        ran = seedwatch("-c", str(config), *command)
        assert ran.exit_code == 2, ran.output
        line = _one_line(ran.output)
        assert "[state]" in line and '"url"' in line and wrong in line


@pytest.mark.parametrize(
    ("path", "said"), [("/etc", "a folder, not a config file"), ("/bin/ls", "not a text file")]
)
def test_a_config_option_naming_a_folder_or_a_binary_is_one_line(path: str, said: str) -> None:
    ran = seedwatch("-c", path, "status")
    assert ran.exit_code == 2
    assert said in _one_line(ran.output)


def test_postgresql_down_is_one_line_exit_1(tmp_path: Path) -> None:
    # port 9 (discard): nothing listens there on the test machine
    config = _config(tmp_path, '[state]\nurl = "postgresql://127.0.0.1:9/seedwatch"\n')
    ran = seedwatch("-c", str(config), "status")
    assert ran.exit_code == 1
    assert "state database cannot be used" in _one_line(ran.output)


def _source(tmp_path: Path, corpus: str) -> Path:
    return _config(
        tmp_path,
        f'[corpus]\npath = "{corpus}"\n[[sources]]\nid = "f"\nurl = "{FEED.as_uri()}"\n',
    )


def test_a_corpus_path_on_an_existing_file_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("not a folder")
    ran = seedwatch("-c", str(_source(tmp_path, "afile")), "run", "--once")
    assert ran.exit_code == 2
    line = _one_line(ran.output)
    assert "[corpus] path" in line and "a file, not a folder" in line
    assert "plugin" not in line


def test_a_corpus_path_the_system_refuses_is_one_line_exit_1(tmp_path: Path) -> None:
    ran = seedwatch("-c", str(_source(tmp_path, "/proc/seedwatch-corpus")), "run", "--once")
    assert ran.exit_code == 1
    line = _one_line(ran.output)
    assert "[corpus] path" in line and "cannot create the folder /proc/seedwatch-corpus" in line


def test_a_corpus_path_under_a_missing_folder_creates_nothing(tmp_path: Path) -> None:
    ran = seedwatch("-c", str(_source(tmp_path, "missing/deeper/corpus")), "run", "--once")
    assert ran.exit_code == 2
    assert f"the folder {tmp_path / 'missing' / 'deeper'} does not exist" in _one_line(ran.output)
    assert not (tmp_path / "missing").exists()


def test_a_state_url_under_a_missing_folder_creates_nothing(tmp_path: Path) -> None:
    state = tmp_path / "missing" / "deeper" / "state.db"
    config = _config(tmp_path, f'[state]\nurl = "sqlite:///{state}"\n')
    ran = seedwatch("-c", str(config), "status")
    assert ran.exit_code == 2
    assert "does not exist" in _one_line(ran.output)
    assert not (tmp_path / "missing").exists()


def test_the_default_state_folder_is_still_made(tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    assert seedwatch("-c", str(config), "status").exit_code == 0
    assert (tmp_path / "state" / "seedwatch.db").is_file()


def test_state_backup_into_a_missing_folder_creates_nothing(tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    target = tmp_path / "missing" / "dir" / "backup.db"
    ran = seedwatch("-c", str(config), "state", "backup", str(target))
    assert ran.exit_code == 2
    assert "does not exist" in _one_line(ran.output)
    assert not (tmp_path / "missing").exists()


def test_corpus_index_of_a_missing_folder_fails(tmp_path: Path) -> None:
    config = _config(tmp_path, "")
    ran = seedwatch("-c", str(config), "corpus", "index", str(tmp_path / "nowhere"))
    assert ran.exit_code == 2
    assert "does not exist" in ran.output
