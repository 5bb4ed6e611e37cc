"""seedwatch.safeyaml: plain data only, !binary decoded, alias expansion and nesting bounded."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from seedwatch import safeyaml
from seedwatch.errors import ParseError


def test_plain_data_loads_with_dates_and_aliases() -> None:
    data = safeyaml.load(
        "title: Hello\ndate: 2020-09-25T14:40:12+00:00\nbase: &b {a: 1}\nother: *b\n"
    )
    assert data == {
        "title": "Hello",
        "date": datetime(2020, 9, 25, 14, 40, 12, tzinfo=UTC),
        "base": {"a": 1},
        "other": {"a": 1},
    }


def test_uses_libyaml_parser_when_available() -> None:
    expected = yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader
    assert issubclass(safeyaml.SafeLoader, expected)


def test_jekyll_import_binary_date_is_decoded_to_text() -> None:
    # The `date:` block of tests/data/frontmatter/jekyll-import_wordpress-db/...: the
    # base64 spells "2010-01-26 20:06:06 +0800" (the post of the file named 2010-01-26).
    text = "date: !binary |-\n  MjAxMC0wMS0yNiAyMDowNjowNiArMDgwMA==\n"
    assert safeyaml.load(text) == {"date": "2010-01-26 20:06:06 +0800"}
    assert safeyaml.load("d: !!binary aGVsbG8=") == {"d": "hello"}


def test_binary_that_is_not_utf8_stays_bytes() -> None:
    assert safeyaml.load("d: !!binary //79") == {"d": b"\xff\xfe\xfd"}


def test_bad_base64_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not valid base64"):
        safeyaml.load("d: !binary 'not base64!'")


def test_loader_does_not_change_pyyaml_safe_loader() -> None:
    safeyaml.load("d: !!binary aGk=")
    assert yaml.safe_load("d: !!binary aGk=") == {"d": b"hi"}
    with pytest.raises(yaml.constructor.ConstructorError):
        yaml.safe_load("d: !binary aGk=")


@pytest.mark.parametrize(
    "payload",
    [
        "x: !!python/object/apply:os.system ['touch {marker}']",
        "x: !!python/object/apply:subprocess.check_call [['touch', '{marker}']]",
        "x: !!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "x: !!python/object/apply:builtins.exec [\"open('{marker}', 'w').close()\"]",
        "x: !!python/name:os.system",
        "x: !ruby/object:Gem::Requirement {{requirements: ['touch {marker}']}}",
    ],
)
def test_constructor_tags_are_refused_and_run_nothing(tmp_path: Path, payload: str) -> None:
    marker = tmp_path / "pwned"
    with pytest.raises(ParseError, match=r"YAML tag .* refused at line 1.*only plain data"):
        safeyaml.load(payload.format(marker=marker))
    assert not marker.exists()
    # the same payload really would run under PyYAML's unsafe loader: the test
    # would notice a loader that let it through
    if "apply:os.system" in payload:
        yaml.unsafe_load(payload.format(marker=marker))
        assert marker.exists()


def _billion_laughs() -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for name in "bcdefghi":
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = name
    return "\n".join(lines) + "\n"


def test_billion_laughs_is_refused_cheaply() -> None:
    started = time.perf_counter()
    with pytest.raises(ParseError, match="billion laughs"):
        safeyaml.load(_billion_laughs())
    assert time.perf_counter() - started < 1.0


def test_merge_key_bomb_is_refused() -> None:
    lines = ["a0: &a0 {k: v}"]
    for i in range(1, 12):
        merged = ", ".join([f"*a{i - 1}"] * 8)
        lines.append(f"a{i}: &a{i} {{<<: [{merged}], k{i}: v}}")
    with pytest.raises(ParseError, match="expand to more than"):
        safeyaml.load("\n".join(lines))


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(ParseError, match="recursive alias"):
        safeyaml.load("a: &a [1, *a]")


def test_aliases_used_sparingly_are_fine() -> None:
    lines = ['a: &a ["x", "y"]'] + [f"k{i}: *a" for i in range(1000)]
    data = safeyaml.load("\n".join(lines))
    assert len(data) == 1001 and data["k999"] == ["x", "y"]


def test_deep_nesting_is_refused_without_crashing_the_interpreter() -> None:
    # libyaml's Cython composer recursed on the C stack and crashed (SIGSEGV)
    # on this input; run it in a child so a regression fails this test only.
    # Whichever layer refuses it (our composer or PyYAML's own depth limit),
    # the caller sees a ParseError, promptly, and the interpreter lives on.
    code = (
        "from seedwatch import safeyaml\n"
        "from seedwatch.errors import ParseError\n"
        "try:\n"
        "    safeyaml.load('a: ' + '[' * 100000 + ']' * 100000)\n"
        "except ParseError:\n"
        "    print('refused')\n"
    )
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "refused\n"
    assert time.monotonic() - started < 30


def test_nesting_is_bounded_at_max_depth_whatever_the_yaml_library_allows() -> None:
    def nested(levels: int) -> str:
        return "a: " + "[" * levels + "]" * levels

    safeyaml.load(nested(safeyaml.MAX_DEPTH - 1))  # the mapping is one level more
    with pytest.raises(ParseError):
        safeyaml.load(nested(safeyaml.MAX_DEPTH + 1))


def test_syntax_errors_point_at_the_file_line() -> None:
    with pytest.raises(ParseError, match="line 4, column 1"):
        safeyaml.load("title: ok\nlist: [1, 2\n", first_line=2)


def test_several_documents_are_an_error() -> None:
    with pytest.raises(ParseError, match="single document"):
        safeyaml.load("a: 1\n---\nb: 2\n")


def test_empty_text_is_none() -> None:
    assert safeyaml.load("") is None


# Short blocks without anchors, aliases or flow collections are composed by
# libyaml; each answer must be the one the bounded Python composer gives.
@pytest.mark.parametrize(
    "text",
    [
        "seedwatch: 1\ntitle: 'yes'\ntags:\n- a\n- 2024-01-02\nthread:\n  id: 7\n  quotes: []\n",
        "a: !binary aGVsbG8=\nb: 2024-13-45\nc: " + "9" * 5000 + "\n",
        "title: Hello\ndate: 2020-09-25 14:40:12\nn: .nan\nx: ~\n",
    ],
)
def test_short_blocks_load_as_the_careful_path_loads_them(text: str) -> None:
    careful = safeyaml.SafeLoader(text)
    try:
        expected = careful.get_single_data()
    finally:
        careful.dispose()
    assert repr(safeyaml.load(text)) == repr(expected)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- " * (safeyaml.MAX_DEPTH + 5) + "x\n", f"nested deeper than {safeyaml.MAX_DEPTH}"),
        ("a: !!python/object:os.system x\n", "refused"),
        ("a: 1\n---\nb: 2\n", "YAML error"),
        ("a: b: c\n", "line 1"),
    ],
)
def test_short_blocks_are_refused_as_the_careful_path_refuses_them(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        safeyaml.load(text)
