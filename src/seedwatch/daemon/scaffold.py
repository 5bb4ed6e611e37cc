"""``seedwatch plugin new NAME``: writes a ready-to-install parser plugin package.

The package (``seedwatch-NAME/``) has a pyproject with the ``seedwatch`` entry
point, a parser skeleton for a small JSON format, a sample document of that
format, tests built on ``seedwatch.testing`` (the contract check included)
and a README saying what to replace. Its tests pass as generated; the author
then swaps the sample for a real document of their format and rewrites
``sniff`` and ``parse`` until they pass again. Nothing is overwritten: an
existing, non-empty target folder is refused.
"""

from __future__ import annotations

import re
from pathlib import Path
from string import Template

from seedwatch import __version__
from seedwatch.errors import UserError

NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")


def check_name(name: str) -> str:
    """The plugin name, or ``ValueError`` saying what a name may hold."""
    if not NAME.match(name) or len(name) > 30:
        raise ValueError(
            f"expected a short lower-case name such as 'hackernews' or 'my-forum' "
            f"(letters, digits, single hyphens, at most 30 characters; it names the parser "
            f"and the package), "
            f"got {name!r}"
        )
    return name


PYPROJECT = """\
[build-system]
requires = ["setuptools>=64"]
build-backend = "setuptools.build_meta"

[project]
name = "seedwatch-$name"
version = "0.1.0"
description = "A seedwatch parser plugin for the $name format."
readme = "README.md"
requires-python = ">=3.11"
dependencies = ["seedwatch>=$seedwatch_version"]

[project.optional-dependencies]
test = ["pytest>=8"]

# This table makes the package a seedwatch plugin: at start-up seedwatch loads
# every entry point of the "seedwatch" group. The key is the plugin's name.
[project.entry-points.seedwatch]
$name = "$module.plugin"

[tool.setuptools.packages.find]
where = ["src"]

[tool.setuptools.package-data]
$module = ["py.typed"]

[tool.pytest.ini_options]
testpaths = ["tests"]
filterwarnings = ["error"]

[tool.ruff]
line-length = 100
target-version = "py311"
src = ["src", "tests"]

[tool.ruff.lint]
select = ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]

[tool.mypy]
strict = true
files = ["src", "tests"]
"""

README = """\
# seedwatch-$name

A [seedwatch](https://github.com/seedwatch/seedwatch) parser plugin for the
`$name` format, made by `seedwatch plugin new $name`.

## Make it yours

The skeleton reads a small JSON format, `{"format": "$name", "posts": [...]}`,
so that everything works from the first minute. Replace it with yours:

1. Put a real document of your format in `tests/data/` (a saved response or
   page, not one you wrote: real input is what the parser will meet), and
   point `SAMPLE` in `tests/test_parser.py` at it.
2. Rewrite `sniff` in `src/$module/parser.py`: cheap, on more than one
   signal, 0 for anything that is not yours.
3. Rewrite `parse`: one `Item` per article or post, a stable unique `key`,
   `url` the item's own permalink, timezone-aware dates, clean text;
   `ParseError` for input you cannot read. No I/O: ask for further pages with
   `next_pages` instead.
4. Rewrite the expected values in `tests/test_parser.py` by reading your
   sample, then run the tests until they pass.

The rules and every hook are in seedwatch's `docs/plugins.md`.

## Install and try

```console
$$ pip install -e '.[test]'
$$ seedwatch plugins                     # lists "$name (seedwatch-$name 0.1.0)"
$$ seedwatch parse tests/data/sample.json --json
$$ pytest
```

`tests/data/sample.json` is a placeholder written by `seedwatch plugin new`
(its `_about` key says so); replace it with real data.
"""

INIT = '''\
"""A seedwatch parser plugin for the $name format."""

from $module.parser import ${cls}Parser

__all__ = ["${cls}Parser"]
'''

PLUGIN = '''\
"""The module the "seedwatch" entry point names: seedwatch calls its hooks at start-up."""

from __future__ import annotations

from collections.abc import Callable

from seedwatch import Parser, hookimpl

from $module.parser import ${cls}Parser


@hookimpl
def register_parsers(register: Callable[[Parser], None]) -> None:
    register(${cls}Parser())
'''

PARSER = '''\
"""The $name parser, a skeleton to rewrite for your format.

As generated it reads {"format": "$name", "posts": [...]} JSON.
Replace ``sniff`` and ``parse`` with the rules of your format. Parsers never
do I/O: they receive a Document (URL, bytes, media type, headers) and yield
Items.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from seedwatch import Document, Item, ParseError, Parser

FORMAT = "$name"
SNIFF_LIMIT = 1024 * 1024  # do not decode big documents just to sniff them


def _load(document: Document) -> dict[str, Any]:
    try:
        data = json.loads(document.content)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"{document.url}: not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ParseError(f'{document.url}: not a {FORMAT} document (no "format": "{FORMAT}")')
    return data


class ${cls}Parser(Parser):
    name = "$name"
    # The keys of a [[sources]] entry this parser reads (source.options): any
    # other key of a source using it is a config error naming the key.
    source_options = frozenset[str]()

    def sniff(self, document: Document) -> float:
        """How sure we are that ``document`` is ours: 0 means "not mine"."""
        if len(document.content) > SNIFF_LIMIT or not document.head(64).lstrip().startswith("{"):
            return 0.0
        try:
            _load(document)
        except ParseError:
            return 0.0
        return 0.9

    def parse(self, document: Document) -> Iterator[Item]:
        data = _load(document)
        for number, post in enumerate(data.get("posts") or [], 1):
            try:
                published = datetime.fromisoformat(post["published"])
                key, text = post["id"], post["text"]
            except (KeyError, TypeError, ValueError) as exc:
                raise ParseError(f"{document.url}: post {number}: {exc!r}") from None
            if published.tzinfo is None:
                raise ParseError(f"{document.url}: post {number}: date without a time zone")
            yield Item(
                key=f"{FORMAT}:{key}",
                text=text,
                parser=self.name,
                url=urljoin(document.url, post["url"]) if post.get("url") else None,
                title=post.get("title"),
                author=post.get("author"),
                published=published,
            )

    def next_pages(self, document: Document) -> list[str]:
        """Older pages, for a backfill: absolute URLs (seedwatch fetches them)."""
        try:
            following = _load(document).get("next")
        except ParseError:
            return []
        return [urljoin(document.url, following)] if following else []
'''

SAMPLE = """\
{
  "_about": "Placeholder by `seedwatch plugin new`: replace with a real document.",
  "format": "$name",
  "posts": [
    {
      "id": "1",
      "url": "https://example.org/posts/1",
      "title": "First post",
      "author": "Ada",
      "published": "2024-05-01T09:30:00+02:00",
      "text": "The first paragraph of the first post.\\n\\nIts second paragraph."
    },
    {
      "id": "2",
      "url": "https://example.org/posts/2",
      "title": "Second post",
      "author": "Grace",
      "published": "2024-05-03T18:00:00+00:00",
      "text": "The second post, in one paragraph."
    }
  ],
  "next": "https://example.org/posts/page/2.json"
}
"""

CONFTEST = '''\
"""Tell seedwatch.testing's fixtures which plugin is under test."""

from __future__ import annotations

import pytest

import $module.plugin


@pytest.fixture
def seedwatch_plugins() -> list[object]:
    return [$module.plugin]
'''

TESTS = '''\
"""The $name parser: the seedwatch contract and the sample's values.

When you replace tests/data/sample.json with a real document, rewrite the
expected values below by reading that document.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from seedwatch import ParseError
from seedwatch.plugins.registry import Registry
from seedwatch.testing import check_parser, document_from_file, parse_bytes, parse_file

from $module.parser import ${cls}Parser

SAMPLE = Path(__file__).parent / "data" / "sample.json"


def test_the_parser_keeps_the_seedwatch_contract() -> None:
    # sniff 0 on the built-in formats, valid and stable items, no network I/O,
    # ParseError on empty and garbage input
    report = check_parser(${cls}Parser(), [SAMPLE])
    assert len(report.items["sample.json"]) == 2


def test_the_sample_gives_its_posts() -> None:
    first, second = parse_file(${cls}Parser(), SAMPLE)
    assert first.key == "$name:1"
    assert (first.title, first.author) == ("First post", "Ada")
    assert first.url == "https://example.org/posts/1"
    assert first.published == datetime(2024, 5, 1, 7, 30, tzinfo=UTC)
    assert first.text.split("\\n\\n") == [
        "The first paragraph of the first post.",
        "Its second paragraph.",
    ]
    assert second.key == "$name:2"


def test_a_backfill_would_follow_the_next_page() -> None:
    pages = ${cls}Parser().next_pages(document_from_file(SAMPLE))
    assert list(pages) == ["https://example.org/posts/page/2.json"]


def test_seedwatch_picks_this_parser_for_the_sample(seedwatch_registry: Registry) -> None:
    parser = seedwatch_registry.sniff(document_from_file(SAMPLE))
    assert parser.name == "$name"


def test_a_document_of_another_format_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="not a $name document"):
        parse_bytes(${cls}Parser(), b'{"format": "something-else"}')
'''

GITIGNORE = """\
__pycache__/
*.egg-info/
.pytest_cache/
.mypy_cache/
.ruff_cache/
"""


def new_plugin(name: str, directory: Path) -> Path:
    """Write ``directory/seedwatch-NAME/`` and return it. ``ValueError`` for a bad
    name, ``UserError`` when the folder exists and is not empty."""
    check_name(name)
    module = "seedwatch_" + name.replace("-", "_")
    values = {
        "name": name,
        "module": module,
        "cls": "".join(part.capitalize() for part in name.split("-")),
        "seedwatch_version": __version__,
    }
    target = directory / f"seedwatch-{name}"
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise UserError(f"{target} already exists and is not empty; choose another --dir")
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        ".gitignore": GITIGNORE,
        f"src/{module}/__init__.py": INIT,
        f"src/{module}/plugin.py": PLUGIN,
        f"src/{module}/parser.py": PARSER,
        f"src/{module}/py.typed": "",
        "tests/conftest.py": CONFTEST,
        "tests/test_parser.py": TESTS,
        "tests/data/sample.json": SAMPLE,
    }
    for relative, template in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template).substitute(values), encoding="utf-8")
    return target
