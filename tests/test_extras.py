"""The slim install: PostgreSQL, the cluster and S3 are extras. Without one, the
command that needs it says in one line which extra to install (exit 2), and the
commands that do not need it never import it."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from importlib.metadata import requires
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from feedgen import rss

# Runs the CLI in a child where the named top-level modules cannot be imported,
# as in an install without their extra.
HIDING_CLI = textwrap.dedent(
    """
    import sys
    from importlib.abc import MetaPathFinder

    hidden = set(sys.argv[1].split(","))

    class Hide(MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.partition(".")[0] in hidden:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    from seedwatch.daemon.cli import main
    main(sys.argv[2:])
    """
)

# Runs the CLI, then prints which modules the command imported.
IMPORTS_CLI = textwrap.dedent(
    """
    import json, sys
    from seedwatch.daemon.cli import main
    try:
        main(sys.argv[1:])
    except SystemExit:
        pass
    sys.stdout.flush()
    print(json.dumps(sorted(sys.modules)), file=sys.stderr)
    """
)


def without(modules: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", HIDING_CLI, modules, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
    )


def assert_one_line_naming(proc: subprocess.CompletedProcess[str], extra: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert f"pip install 'seedwatch[{extra}]'" in lines[0]
    assert "Traceback" not in proc.stderr


def write_config(tmp_path: Path, body: str) -> Path:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(2))
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        textwrap.dedent(body)
        + f'\n[[sources]]\nid = "local"\nkind = "http"\nurl = "{feed.as_uri()}"\n'
    )
    return config


def test_a_postgresql_state_without_the_postgres_extra_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[state]\nurl = "postgresql://nobody@127.0.0.1:1/seedwatch"\n')
    proc = without("psycopg", "--config", str(config), "run", "--once", cwd=tmp_path)
    assert_one_line_naming(proc, "postgres")


def test_cluster_mode_without_the_cluster_extra_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, "")
    proc = without("procrastinate", "--config", str(config), "worker", cwd=tmp_path)
    assert_one_line_naming(proc, "cluster")


def test_the_s3_sink_without_the_s3_extra_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[corpus]\nsinks = ["s3"]\n[sinks.s3]\nbucket = "corpus"\n')
    proc = without("boto3,botocore", "--config", str(config), "run", "--once", cwd=tmp_path)
    assert_one_line_naming(proc, "s3")


def test_a_full_text_source_without_the_fulltext_extra_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, "")
    config.write_text(config.read_text() + "full_text = true\n")
    proc = without("readability", "--config", str(config), "run", "--once", cwd=tmp_path)
    assert_one_line_naming(proc, "fulltext")


def test_a_language_rule_without_the_lang_extra_names_it(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[[rules]]\nlanguages = ["en"]\n')
    proc = without("py3langid", "--config", str(config), "run", "--once", cwd=tmp_path)
    assert_one_line_naming(proc, "lang")


def test_the_base_install_works_without_any_extra(tmp_path: Path) -> None:
    config = write_config(tmp_path, '[corpus]\npath = "corpus"\n')
    proc = without(
        "psycopg,procrastinate,boto3,botocore,readability,py3langid",
        "--config", str(config), "run", "--once",
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "corpus").glob("*.txt"))) == 2


def test_the_base_requirements_hold_no_postgres_cluster_or_s3_library() -> None:
    base = [Requirement(r) for r in requires("seedwatch") or []]
    unconditional = {r.name.lower() for r in base if r.marker is None}
    assert unconditional.isdisjoint(
        {"psycopg", "procrastinate", "boto3", "readability-lxml", "py3langid"}
    )
    extras = {
        name: {r.name.lower() for r in base if r.marker and r.marker.evaluate({"extra": name})}
        for name in ("postgres", "cluster", "s3", "fulltext", "lang")
    }
    assert "psycopg" in extras["postgres"]
    assert "procrastinate" in extras["cluster"]
    assert "boto3" in extras["s3"]
    assert "readability-lxml" in extras["fulltext"]
    assert "py3langid" in extras["lang"]


HEAVY = {
    "procrastinate",
    "psycopg",
    "boto3",
    "botocore",
    "seedwatch.state.postgres",
    "seedwatch.daemon.cluster",
    "readability",
    "py3langid",
    "trafilatura",
}


@pytest.mark.parametrize("command", ["help", "parse"])
def test_help_and_parse_import_no_cluster_s3_or_postgresql_code(
    command: str, tmp_path: Path
) -> None:
    feed = tmp_path / "feed.xml"
    feed.write_bytes(rss(1))
    args = ["--help"] if command == "help" else ["parse", str(feed)]
    proc = subprocess.run(
        [sys.executable, "-c", IMPORTS_CLI, *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.stdout, proc.stderr
    imported = set(json.loads(proc.stderr.strip().splitlines()[-1]))
    assert imported & HEAVY == set()
