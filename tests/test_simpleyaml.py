"""The front matter written without PyYAML is the text PyYAML writes, byte for byte,
and read without it (``simple_map``) is the map a YAML parser reads."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from seedwatch import safeyaml
from seedwatch.corpus import front_matter, read, render
from seedwatch.errors import ParseError
from seedwatch.models import Item
from seedwatch.simpleyaml import simple_block, simple_map

# What corpus.render asks of PyYAML.
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def pyyaml(fields: dict[str, Any]) -> str:
    return yaml.dump(
        fields,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100_000,
        default_flow_style=False,
    )


# Pieces that make YAML readers and emitters change their minds: indicators,
# words and numbers a resolver turns into other types, quotes, spaces, dates.
PIECES = [
    "yes", "No", "null", "~", "true", "off", "1", "-1", "0x1F", "1_000", "1.5e3", ".inf",
    "2024-01-02", "2024-01-02T03:04:05+00:00", "12:30", "<<", "=", "-", "--", "---", "...",
    "?", ":", ": ", " #", "#", "'", '"', "&a", "*a", "!tag", "|", ">", "%", "@", "`", ",",
    "[", "]", "{", "}", " ", "  ", "\t", "\n", "\r", "\x85", "\u2028", "\ufeff", "\x00",
    "\x7f", "\u00a0", "é", "中文", "\U0001f600", "http://example.com/a?b=c#d", "a", "Item 7",
]  # fmt: skip
text = st.lists(st.sampled_from(PIECES) | st.text(max_size=4), min_size=1, max_size=6).map("".join)


@settings(max_examples=1500, deadline=None)
@given(
    title=text,
    author=text,
    tags=st.lists(text, max_size=3),
    number=st.integers(min_value=-(10**20), max_value=10**20),
)
@example(title="Why: a story", author="O'Brien", tags=["yes", "c++"], number=1)
@example(title="- dash", author=" lead", tags=["trail ", "#x"], number=-5)
@example(title="x" * 20_000, author="a", tags=[], number=0)
def test_simple_block_writes_what_pyyaml_writes(
    title: str, author: str, tags: list[str], number: int
) -> None:
    fields: dict[str, Any] = {"seedwatch": 1, "title": title, "author": author, "n": number}
    if tags:
        fields["tags"] = tags
    written = simple_block(fields)
    if written is not None:  # None: PyYAML writes it
        assert written == pyyaml(fields)
        assert simple_map(written) == fields == safeyaml.load(written)


# One value per rule of the simple writer (and a few it leaves to PyYAML).
@pytest.mark.parametrize(
    "value",
    [
        "plain words", "a #b", "c#", "x: y", "x:y", "a:", "-", "- x", "-x", "? x", "?x", ": x",
        "---x", "...x", "x---", " lead", "trail ", "#x", "[x", "x]", "{x}", "&x", "*x", "!x",
        "|x", ">x", "'x", '"x', "%x", "@x", "`x", ",x", "x,y", "yes", "NO", "~", "null", "2024",
        "-5", "1.5", "0o17", ".NaN", "2024-01-02", "<<", "=", "O'Brien", "é à", "\u00a0x",
        "\U0001f600", "a\u2028b", "a\tb", "\ufeffx", "x\x85",
    ],
)  # fmt: skip
def test_each_rule_matches_pyyaml(value: str) -> None:
    for fields in ({"title": value}, {"tags": [value, "b"]}):
        written = simple_block(fields)
        assert written is None or written == pyyaml(fields)


def test_common_items_take_the_simple_writer_and_read_back() -> None:
    item = Item(
        key="rss:abc",
        text="Body.",
        parser="rss",
        source="news",
        url="https://example.com/a?b=1",
        guid="tag:example.com,2026:1",
        title="Markets: 'yes' or no? #1 - 50% up",
        author="Zoë O'Neil",
        published=datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        tags=("no", "2024", "c#"),
    )
    fetched = datetime(2026, 11, 21, 11, 0, tzinfo=UTC)
    fields = front_matter(item, fetched)
    assert simple_block(fields) is not None
    assert render(item, fetched) == "---\n" + pyyaml(fields) + "---\nBody.\n"
    assert read(render(item, fetched)) == read("---\n" + pyyaml(fields) + "---\nBody.\n")


def yaml_reads(block: str) -> object:
    try:
        return safeyaml.load(block)
    except ParseError:
        return ParseError


# Values the simple writer writes, piece by piece.
simple_text = st.lists(
    st.sampled_from([p for p in PIECES if simple_block({"t": p})])
    | st.text("ab1 :#'-", max_size=3),
    min_size=1,
    max_size=5,
).map("".join)
KEYS = ["title", "tags", "n", "seedwatch", "yes", "null", "a b", "x:y", " title", "", "-"]
written = st.builds(
    lambda key, value: (simple_block({key: value}) or f"{key}: {value}").rstrip("\n"),
    st.sampled_from(["title", "tags", "n", "author", "url", "guid", "seedwatch"]),
    simple_text | st.lists(simple_text, min_size=1, max_size=2) | st.integers(-(10**45), 10**45),
)
noise = st.one_of(
    st.builds("{}: {}".format, st.sampled_from(KEYS), text),
    st.builds("{}: '{}'".format, st.sampled_from(KEYS), text),
    st.builds("{}:".format, st.sampled_from(KEYS)),
    st.builds("- {}".format, text),
    st.builds("- '{}'".format, text),
    text,
)
line = st.integers(0, 3).flatmap(lambda n: noise if n == 0 else written)  # mostly written


@settings(max_examples=3000, deadline=None)
@given(
    lines=st.lists(line, max_size=4, unique_by=lambda line: line.partition(":")[0]),
    end=st.sampled_from(["\n", "\n", "", "\r\n"]),
)
@example(lines=["title: a", "tags:"], end="\n")  # a key without its list: null
@example(lines=["n: 007", "title: x # y"], end="\n")
@example(lines=["title: a", "title: b"], end="\n")  # a repeated key
@example(lines=["title: 'it''s'", "tags:", "- 'yes'", "- no"], end="\n")
def test_simple_map_reads_what_yaml_reads_or_leaves_it(lines: list[str], end: str) -> None:
    block = end.join(lines) + end
    found = simple_map(block)
    if found is not None:  # None: the YAML parser reads it
        assert found == yaml_reads(block)


def test_our_files_front_matter_is_read_without_yaml() -> None:
    item = Item(key="rss:1", text="Body.", parser="rss", title="O'Brien: yes", tags=("no", "1"))
    block = render(item, datetime(2026, 11, 21, tzinfo=UTC)).split("---\n")[1]
    assert simple_map(block) == yaml.safe_load(block)
    assert simple_map(block) == {
        "seedwatch": 1,
        "key": "rss:1",
        "parser": "rss",
        "title": "O'Brien: yes",
        "fetched": "2026-11-21T00:00:00+00:00",
        "tags": ["no", "1"],
    }
