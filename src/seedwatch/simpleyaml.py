"""YAML for the corpus front matter, written directly for the common case.

``corpus.render`` dumps the front matter with PyYAML (libyaml's emitter);
its representer and resolver are Python and cost more than the rest of an
item's rendering. ``simple_block`` writes the very same text for a map of
numbers, strings and lists of strings, or says ``None`` (then PyYAML
writes it: the thread map, unusual characters, long values).

A string of printable characters that cannot break a line (no controls, no
line separators, nothing beyond the BMP, which libyaml escapes, no BOM) is
emitted plain when YAML reads it back as that same string (PyYAML's own
resolver says so) and no indicator forbids it (libyaml's rules for a block
scalar: leading or trailing space, an indicator first, ``": "``, ``" #"``, a
document marker), else single-quoted, quotes doubled. Values stay far below
the ``width`` at which the emitter would fold a line. A test compares the
two writers on generated values.

``simple_map`` reads such a block back, the dual of the writer: it accepts
only the lines ``simple_block`` writes (each scalar exactly as the writer
would write its value, so YAML reads it as that value) and says ``None``
for anything else, which a YAML parser then reads (``seedwatch.safeyaml``).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_SIMPLE = re.compile("[\x20-\x7e\u00a0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]{1,10000}")
_FIRST = frozenset("#,[]{}&*!|>'\"%@`")
_KEY = re.compile("[a-z_]{1,40}")  # what our keys look like
_STR_TAG = "tag:yaml.org,2002:str"
_PLAIN_KEYS: set[str] = set()  # keys found to be emitted plain
_RESOLVER = yaml.resolver.Resolver()
# The first characters PyYAML's resolver has an implicit type for (a number, a
# bool, a null, a date...); a value starting otherwise resolves as a string
# without asking it (its ``resolve`` looks its rules up by first character;
# a rule for any first character, ``None``, would make every value ask).
_TYPED_FIRST: frozenset[str | None] = frozenset(_RESOLVER.yaml_implicit_resolvers)
_ASK_ALWAYS = None in _TYPED_FIRST or bool(_RESOLVER.yaml_path_resolvers)


def _scalar(value: str) -> str | None:
    """``value`` as libyaml emits it in a block mapping or sequence; ``None``: ask PyYAML."""
    if not _SIMPLE.fullmatch(value):
        return None
    plain = not (
        value[0] == " "
        or value[-1] == " "
        or value[0] in _FIRST
        or (value[0] in "?:-" and (len(value) == 1 or value[1] == " "))
        or value.startswith(("---", "..."))
        or ": " in value
        or value[-1] == ":"
        or " #" in value
    )
    if plain and not _ASK_ALWAYS and value[0] not in _TYPED_FIRST:
        return value
    resolve: Any = _RESOLVER.resolve  # untyped in types-PyYAML
    if plain and resolve(yaml.ScalarNode, value, (True, False)) == _STR_TAG:
        return value
    return "'" + value.replace("'", "''") + "'"


def simple_block(fields: dict[str, Any]) -> str | None:
    """``yaml.dump(fields)`` as ``corpus.render`` calls it, or ``None`` when it
    takes PyYAML (see the module doc)."""
    lines = []
    for key, value in fields.items():
        if key not in _PLAIN_KEYS:
            if not _KEY.fullmatch(key) or _scalar(key) != key:
                return None
            if len(_PLAIN_KEYS) < 256:  # the front matter's dozen names, checked once
                _PLAIN_KEYS.add(key)
        if type(value) is int:
            lines.append(f"{key}: {value}\n")
        elif type(value) is str:
            scalar = _scalar(value)
            if scalar is None:
                return None
            lines.append(f"{key}: {scalar}\n")
        elif type(value) is list and value and all(type(v) is str for v in value):
            lines.append(f"{key}:\n")
            for entry in value:
                scalar = _scalar(entry)
                if scalar is None:
                    return None
                lines.append(f"- {scalar}\n")
        else:
            return None
    return "".join(lines)


_INT = re.compile(r"-?[1-9][0-9]{0,40}|0")


def _value(text: str) -> str | None:
    """The string a scalar of ``simple_block`` stands for; ``None`` for any
    other text (the writer would not write it so)."""
    if text[:1] == "'":
        inner = text[1:-1] if len(text) > 1 and text[-1] == "'" else "'"
        if "'" in inner.replace("''", ""):
            return None
        value = inner.replace("''", "'")
    else:
        value = text
    return value if value and _scalar(value) == text else None


def simple_map(block: str) -> dict[str, Any] | None:
    """The map a front-matter ``block`` written by ``simple_block`` holds (what a
    YAML parser reads from it), or ``None`` when the block holds any line the
    writer does not write (then a YAML parser must read it)."""
    if not block.endswith("\n"):
        return None
    out: dict[str, Any] = {}
    entries: list[str] | None = None  # the list being read
    for line in block[:-1].split("\n"):
        if line[:2] == "- ":
            entry = _value(line[2:])
            if entries is None or entry is None:
                return None
            entries.append(entry)
            continue
        if entries is not None and not entries:
            return None  # "key:" with no entries is null: the writer never writes it
        key, colon, text = line.partition(":")
        if key in out or not colon or (key not in _PLAIN_KEYS and not _key(key)):
            return None
        if not text:
            entries = out[key] = []
            continue
        entries = None
        if text[:1] != " ":
            return None
        text = text[1:]
        if _INT.fullmatch(text):
            out[key] = int(text)
        elif (value := _value(text)) is not None:
            out[key] = value
        else:
            return None
    if not out or (entries is not None and not entries):
        return None
    return out


def _key(key: str) -> bool:
    """Whether the writer writes ``key`` plain (remembered like the writer's)."""
    if not _KEY.fullmatch(key) or _scalar(key) != key:
        return False
    if len(_PLAIN_KEYS) < 256:
        _PLAIN_KEYS.add(key)
    return True
