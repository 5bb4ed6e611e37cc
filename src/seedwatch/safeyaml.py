"""Safe YAML loading for front-matter and anything else read from outside.

Owns the one YAML loader seedwatch uses on untrusted text. It builds plain
data only (strings, numbers, booleans, dates, lists, maps: PyYAML's
``SafeConstructor``); any other constructor tag (``!!python/object``,
``!ruby/object``...) is refused with a ``ParseError`` and nothing runs. On top
of PyYAML's safe loader it:

- decodes ``!binary`` / ``!!binary`` scalars (base64) to text, because
  jekyll-import (Ruby 1.9 era) wrote non-ASCII dates and titles that way;
  bytes that are not UTF-8 stay ``bytes``;
- bounds alias expansion: the node graph is measured as if every alias were
  copied out, and a document over ``MAX_NODES`` nodes or ``MAX_DEPTH`` levels
  (a YAML "billion laughs", merge-key bombs, recursive aliases) is refused
  before anything is constructed, in time linear in the document's size;
- keeps a scalar that looks like a date or an integer but is none
  (``2024-13-45``, an integer of 5,000 digits, which ``int`` refuses) as
  the string it is, rather than failing the whole document;
- bounds nesting while composing, because libyaml's Cython composer recurses
  on the C stack and crashes the interpreter (SIGSEGV) on ~100,000 nested
  ``[`` (PyYAML 6.0.3). The C *parser* is kept (it is iterative); the node
  tree is composed by PyYAML's Python composer with a depth check. A short
  block without anchors, aliases or flow collections (most front matter)
  can neither nest deep enough for that crash nor expand: libyaml composes
  it, its depth is checked after, and anything unusual takes the careful path.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.nodes import MappingNode, Node, SequenceNode

from seedwatch.errors import ParseError

MAX_DEPTH = 64
"""Deepest nesting allowed, counting collections reached through aliases."""

MAX_NODES = 100_000
"""Most nodes a document may hold once every alias is expanded."""

# Without libyaml (a PyYAML wheel built without it) the pure-Python parser
# does the same job, slower.
_BaseLoader: type[yaml.SafeLoader] = (
    yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader  # type: ignore[assignment]
)


class _BoundedComposer(Composer):
    """PyYAML's composer, refusing nesting deeper than ``MAX_DEPTH`` as it goes."""

    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark  # type: ignore[attr-defined]
                raise yaml.MarkedYAMLError(
                    problem=f"nested deeper than {MAX_DEPTH} levels", problem_mark=mark
                )
            node = super().compose_node(parent, index)
            assert node is not None  # None only at the end of the stream, never here
            return node
        finally:
            self._depth -= 1


class SafeLoader(_BoundedComposer, _BaseLoader):  # type: ignore[valid-type,misc]
    """The safe loader: libyaml's parser when available, a bounded composer,
    PyYAML's safe constructors, ``!binary`` decoded, alias expansion bounded."""

    def __init__(self, stream: str, *, first_line: int = 1) -> None:
        _BaseLoader.__init__(self, stream)
        _BoundedComposer.__init__(self)
        self.first_line = first_line

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        check_expansion(node, first_line=self.first_line)
        return self.construct_document(node)


def _construct_binary(loader: yaml.SafeLoader, node: Node) -> str | bytes:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "a !binary value must be a scalar", node.start_mark
        )
    value = loader.construct_scalar(node)
    try:
        data = base64.b64decode("".join(str(value).split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"a !binary value is not valid base64: {exc}", node.start_mark
        ) from exc
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data


def _lenient(
    construct: Any,
) -> Any:
    """A scalar constructor that keeps the text when the value it names cannot exist."""

    def apply(loader: yaml.SafeLoader, node: Node) -> Any:
        try:
            return construct(loader, node)
        except (ValueError, OverflowError):
            return loader.construct_scalar(node)  # type: ignore[arg-type]

    return apply


SafeLoader.add_constructor(
    "tag:yaml.org,2002:timestamp", _lenient(yaml.SafeLoader.construct_yaml_timestamp)
)
SafeLoader.add_constructor("tag:yaml.org,2002:int", _lenient(yaml.SafeLoader.construct_yaml_int))
SafeLoader.add_constructor("!binary", _construct_binary)
SafeLoader.add_constructor("tag:yaml.org,2002:binary", _construct_binary)


def check_expansion(root: Node, *, first_line: int = 1) -> None:
    """Refuse a node graph whose alias expansion exceeds ``MAX_NODES`` or ``MAX_DEPTH``.

    Each distinct node is visited once (iteratively, so no recursion limit
    applies): its expanded size is 1 plus its children's, its depth 1 plus
    theirs. A node reached again while its own children are being measured
    is a recursive alias, which could never be expanded.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            open_nodes.discard(key)
            if size[key] > MAX_NODES:
                raise ParseError(
                    f"YAML refused: aliases expand to more than {MAX_NODES:,} nodes "
                    f"(a 'billion laughs' document?) at {_where(node, first_line)}"
                )
            if depth[key] > MAX_DEPTH:
                raise ParseError(
                    f"YAML refused: aliases nest deeper than {MAX_DEPTH} levels "
                    f"at {_where(node, first_line)}"
                )
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise ParseError(f"YAML refused: recursive alias at {_where(node, first_line)}")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node) if id(kid) not in size)


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _where(node: Node, first_line: int) -> str:
    mark = node.start_mark
    return f"line {mark.line + first_line}, column {mark.column + 1}" if mark else "?"


# A block this short, without anchors, aliases or flow collections, cannot
# nest deep enough to strain libyaml's recursive composer, nor expand.
_SHORT = 4096
# libyaml's own composer (``CParser.get_single_node``), which ``SafeLoader``
# overrides with the bounded Python one.
_CParser: Any = getattr(yaml, "CSafeLoader", None)
_RISKY = ("&", "*", "[", "{")


def _load_simple(text: str, first_line: int) -> Any:
    """``load`` for a short block without anchors, aliases or flow collections,
    composed by libyaml (its composer recursion is bounded by the length), or
    ``_SLOW`` when it is not one, or when anything goes wrong: then ``load``
    reads it the careful way and gives its exact answer or error."""
    if len(text) > _SHORT or any(mark in text for mark in _RISKY) or _CParser is None:
        return _SLOW
    loader = SafeLoader(text, first_line=first_line)
    try:
        node = _CParser.get_single_node(loader)
        if node is None or _deeper_than(node, MAX_DEPTH):
            return _SLOW
        return loader.construct_document(node)
    except Exception:
        return _SLOW
    finally:
        loader.dispose()


_SLOW = object()


def _deeper_than(root: Node, limit: int) -> bool:
    """Whether a tree (no aliases: each node once) nests deeper than ``limit``."""
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((kid, depth + 1) for kid in _children(node))
    return False


def load(text: str, *, first_line: int = 1) -> Any:
    """Load one YAML document safely; ``ParseError`` for anything unreadable or refused.

    ``first_line`` is the line number ``text`` starts at in its file, so that
    messages point at the right line of a front-matter block.
    """
    simple = _load_simple(text, first_line)
    if simple is not _SLOW:
        return simple
    loader = SafeLoader(text, first_line=first_line)
    try:
        return loader.get_single_data()
    except yaml.constructor.ConstructorError as exc:
        tag = _unknown_tag(exc)
        if tag is not None:
            raise ParseError(
                f"YAML tag {tag!r} refused{_at(exc, first_line)}: only plain data "
                f"(strings, numbers, dates, lists, maps) is loaded, no objects are built"
            ) from None
        raise ParseError(f"YAML error{_at(exc, first_line)}: {_problem(exc)}") from None
    except yaml.MarkedYAMLError as exc:
        raise ParseError(f"YAML error{_at(exc, first_line)}: {_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise ParseError(f"YAML error: {exc}") from None
    finally:
        loader.dispose()


def _unknown_tag(exc: yaml.constructor.ConstructorError) -> str | None:
    problem = exc.problem or ""
    marker = "could not determine a constructor for the tag "
    if problem.startswith(marker):
        return problem[len(marker) :].strip("'\"")
    return None


def _problem(exc: yaml.MarkedYAMLError) -> str:
    return "; ".join(part for part in (exc.context, exc.problem) if part)


def _at(exc: yaml.MarkedYAMLError, first_line: int) -> str:
    mark = exc.problem_mark
    if mark is None:
        return ""
    return f" at line {mark.line + first_line}, column {mark.column + 1}"


# The helpers plugins may use (docs/plugins.md, "Helper modules").
__all__ = [
    "load",
]
