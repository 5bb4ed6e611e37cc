"""Front-matter formats: a YAML (``---``), TOML (``+++``) or JSON (``{...}``)
block at the head of a post, split from its body and loaded into a map.

YAML goes through ``seedwatch.safeyaml`` only. The openers and key patterns
are shared with the parser's ``sniff``.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from typing import Any

from seedwatch import safeyaml
from seedwatch.errors import ParseError

YAML_OPEN = re.compile(r"\A---[ \t]*\r?\n")
YAML_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.M)
TOML_OPEN = re.compile(r"\A\+\+\+[ \t]*\r?\n")
TOML_CLOSE = re.compile(r"^\+\+\+[ \t]*(?:\r?\n|\Z)", re.M)
YAML_KEY = re.compile(r"[^\s#:\-][^:\n]*:(?:[ \t]|\r?$)")
TOML_KEY = re.compile(r"""(?:[\w.-]+|"[^"\n]*"|'[^'\n]*')[ \t]*=|\[""")
JSON_KEY = re.compile(r'\{\s*"[^"\n]+"\s*:')


@dataclass(frozen=True, slots=True)
class FrontMatter:
    """A split document: the metadata block's format and values, and the body."""

    format: str  # "yaml", "toml" or "json"
    meta: dict[str, Any]
    body: str


def split(text: str, where: str = "document") -> FrontMatter | None:
    """Split ``text`` into front-matter and body; ``None`` when it has no front-matter.

    ``ParseError`` when a block is opened but never closed or does not load.
    """
    text = text.lstrip("\ufeff")
    for fmt, opener, closer in (
        ("yaml", YAML_OPEN, YAML_CLOSE),
        ("toml", TOML_OPEN, TOML_CLOSE),
    ):
        opened = opener.match(text)
        if not opened:
            continue
        closed = closer.search(text, opened.end())
        if closed is None:
            raise ParseError(
                f"{where}: the {fmt.upper()} front-matter opened on line 1 is never closed"
            )
        raw = text[opened.end() : closed.start()]
        meta = _load(fmt, raw, where)
        return FrontMatter(fmt, meta, text[closed.end() :])
    if JSON_KEY.match(text):
        try:
            meta, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"{where}: JSON front-matter error at line {exc.lineno}: {exc.msg}"
            ) from None
        except (ValueError, RecursionError) as exc:  # a 5,000-digit number, [[[[... too deep
            raise ParseError(f"{where}: JSON front-matter refused: {exc}") from None
        rest = text[end:]
        newline = re.match(r"[ \t]*\r?\n", rest)
        return FrontMatter(
            "json", _mapping(meta, "json", where), rest[newline.end() if newline else 0 :]
        )
    return None


def _load(fmt: str, raw: str, where: str) -> dict[str, Any]:
    if fmt == "yaml":
        try:
            value = safeyaml.load(raw, first_line=2)
        except ParseError as exc:
            raise ParseError(f"{where}: front-matter {exc}") from None
        return _mapping({} if value is None else value, fmt, where)
    try:
        return tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        # tomllib counts lines from the block's first line, which is line 2 of the file
        raise ParseError(
            f"{where}: TOML front-matter error (lines counted from line 2): {exc}"
        ) from None
    except (ValueError, RecursionError) as exc:  # a 5,000-digit number, [[[[... too deep
        raise ParseError(f"{where}: TOML front-matter refused: {exc}") from None


def _mapping(value: object, fmt: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ParseError(
            f"{where}: the {fmt.upper()} front-matter is a {type(value).__name__}, "
            f"not a map of keys"
        )
    return value
