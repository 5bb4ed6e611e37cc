"""The built-in plugins use no helper a third-party plugin cannot: whatever they
import from seedwatch's helper modules is in that module's ``__all__`` and in
the plugin docs' "Helper modules"."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import seedwatch

SRC = Path(seedwatch.__file__).parent
HELPERS = ("seedwatch.text", "seedwatch.urls", "seedwatch.corpus", "seedwatch.safeyaml",
           "seedwatch.jsondoc", "seedwatch.extras", "seedwatch.units")  # fmt: skip
DOCS = SRC.parent.parent / "docs" / "plugins.md"


def imported_helpers() -> set[tuple[str, str]]:
    found = set()
    for path in (SRC / "plugins" / "builtin").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module in HELPERS:
                found |= {(node.module, alias.name) for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module == "seedwatch":
                found |= {
                    (f"seedwatch.{a.name}", "*") for a in node.names
                    if f"seedwatch.{a.name}" in HELPERS
                }  # fmt: skip
    return found


def test_builtins_import_only_documented_helpers() -> None:
    docs = DOCS.read_text()
    used = imported_helpers()
    assert used, "the built-ins use some helpers"
    for module, name in sorted(used):
        assert f"#### `{module}`" in docs, f"{module} is not documented"
        if name != "*":
            assert name in importlib.import_module(module).__all__, f"{module}.{name}"


def test_every_listed_helper_exists_and_is_documented() -> None:
    docs = DOCS.read_text()
    section = docs[docs.index("### Helper modules") :]
    for module in HELPERS:
        names = importlib.import_module(module).__all__
        part = section[section.index(f"#### `{module}`") :].split("\n#### ", 1)[0]
        for name in names:
            assert f"`{name}" in part, f"{module}.{name} is not in the docs"
