"""The import rule of docs/architecture.md: a layer imports only the layers below it.

    base (models, errors, text, urls, units, ... every other top-level module)
      -> contracts (contracts, hookspecs, the package's own __init__)
      -> state -> plugins -> daemon (and __main__) -> testing

Imports are read from the source with ``ast`` (lazy imports inside functions
and ``TYPE_CHECKING`` imports count too: they are dependencies all the same),
so the rule is checked without importing anything. The checker is shown to
catch a forbidden import on a small fixture package written by the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "seedwatch"

# Lowest first. A module's layer is named by its first component under the
# package; a top-level module not named here is base (``models``, ``text``...).
LAYERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("base", frozenset()),
    ("contracts", frozenset({"contracts", "hookspecs", ""})),  # "": the package root
    ("state", frozenset({"state"})),
    ("plugins", frozenset({"plugins"})),
    ("daemon", frozenset({"daemon", "__main__"})),
    ("testing", frozenset({"testing"})),
)


def rank(first: str) -> int:
    """The layer's position of a module whose first component is ``first``."""
    return next((i for i, (_, names) in enumerate(LAYERS) if first in names), 0)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(tree: ast.AST, module: str, is_package: bool) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import in ``tree``; ``from X import y``
    counts as an import of ``X.y`` (``y`` may be a submodule)."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layer_of(name: str, package: str) -> int | None:
    """The layer of module ``name`` of ``package``; ``None`` for other packages."""
    if name != package and not name.startswith(package + "."):
        return None
    parts = name.split(".")[1:]
    first = parts[0] if parts else ""
    # `from seedwatch import __version__`: the root; `from seedwatch import models`: base.
    if len(parts) == 1 and first.startswith("__") and first != "__main__":
        first = ""
    return rank(first)


def violations(root: Path) -> list[str]:
    """``file:line: a imports b (layer x imports layer y)`` for each import up the layers."""
    package = root.name
    found = []
    for path in sorted(root.rglob("*.py")):
        module = module_name(path, root)
        own = layer_of(module, package)
        assert own is not None
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for line, target in imported(tree, module, path.name == "__init__.py"):
            theirs = layer_of(target, package)
            if theirs is not None and theirs > own:
                found.append(
                    f"{path.relative_to(root.parent)}:{line}: {module} imports {target}"
                    f" ({LAYERS[own][0]} imports {LAYERS[theirs][0]})"
                )
    return found


def test_seedwatch_imports_flow_down_the_layers() -> None:
    assert violations(SRC) == []


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def fixture_package(tmp_path: Path) -> Path:
    """A small package with the same layers and only allowed imports."""
    return write(
        tmp_path / "seedwatch",
        {
            "__init__.py": "from seedwatch.models import Item\n",
            "models.py": "from seedwatch import errors\n",
            "errors.py": "",
            "contracts.py": "from seedwatch.models import Item\n",
            "state/__init__.py": "",
            "state/store.py": "from seedwatch.contracts import Verdict\nfrom . import dedup\n",
            "state/dedup.py": "from ..models import Item\n",
            "plugins/__init__.py": "from seedwatch import __version__\n",
            "daemon/__init__.py": "",
            "daemon/run.py": "import seedwatch.plugins\nfrom seedwatch.state import store\n",
            "testing.py": "from seedwatch.daemon import run\n",
        },
    )


def test_the_fixture_package_follows_the_rule(fixture_package: Path) -> None:
    assert violations(fixture_package) == []


@pytest.mark.parametrize(
    ("module", "line", "expected"),
    [
        (
            "models.py",
            "from seedwatch.daemon import run\n",
            "seedwatch.models imports seedwatch.daemon.run (base imports daemon)",
        ),
        (
            "state/store.py",
            "    from seedwatch.plugins import manager  # lazily, in a function\n",
            "seedwatch.state.store imports seedwatch.plugins.manager (state imports plugins)",
        ),
        (
            "state/dedup.py",
            "from ..daemon import run\n",
            "seedwatch.state.dedup imports seedwatch.daemon.run (state imports daemon)",
        ),
        (
            "contracts.py",
            "import seedwatch.state.store\n",
            "seedwatch.contracts imports seedwatch.state.store (contracts imports state)",
        ),
        (
            "errors.py",
            "from seedwatch import __version__\n",
            "seedwatch.errors imports seedwatch.__version__ (base imports contracts)",
        ),
    ],
)
def test_a_forbidden_import_is_caught(
    fixture_package: Path, module: str, line: str, expected: str
) -> None:
    path = fixture_package / module
    body = f"def later() -> None:\n{line}" if line.startswith("    ") else line
    path.write_text(path.read_text(encoding="utf-8") + body, encoding="utf-8")
    found = violations(fixture_package)
    assert len(found) == 1
    assert found[0].endswith(expected)
    assert found[0].startswith(f"seedwatch/{module}:")
