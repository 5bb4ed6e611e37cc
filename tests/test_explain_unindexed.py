"""``dedup explain`` and ``explain`` on a state that has not seen the corpus folder
yet index it first, as ``run`` does, instead of calling its items new."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from seedwatch.daemon.cli import main

SEEDS = Path(__file__).parent / "data" / "seeds"
ARTICLE = "003_3e2d132cdabf0ac4.txt"  # a plain-text article, one item


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fresh(tmp_path: Path) -> tuple[Path, Path]:
    """A corpus holding the seeds, a state that has never indexed it, and a copy of
    one seed outside the corpus (the document to explain)."""
    shutil.copytree(SEEDS, tmp_path / "corpus")
    config = tmp_path / "seedwatch.toml"
    config.write_text('[corpus]\npath = "corpus"\n')
    copy = tmp_path / "article.txt"
    shutil.copy(SEEDS / ARTICLE, copy)
    return config, copy


def test_dedup_explain_indexes_the_corpus_first(
    fresh: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, article = fresh
    code, out, err = cli(capsys, "--config", str(config), "dedup", "explain", str(article))
    assert code == 0
    assert "verdict: DUPLICATE" in out and f"files: {ARTICLE}" in out
    assert "5 file(s) of the corpus folder" in err and "indexing them first" in err
    code, out, err = cli(capsys, "--config", str(config), "dedup", "explain", str(article))
    assert code == 0 and "verdict: DUPLICATE" in out
    assert "indexing them first" not in err  # known files are not indexed again


def test_explain_indexes_the_corpus_first(
    fresh: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    config, article = fresh
    code, out, err = cli(capsys, "--config", str(config), "explain", str(article))
    assert code == 0
    assert "de-duplication: not added" in out
    assert "indexing them first" in err
