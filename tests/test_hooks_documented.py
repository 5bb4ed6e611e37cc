"""Guards that keep the plugin docs honest, and the tutorial working.

Every hook declared in seedwatch/hookspecs.py must have, in docs/plugins.md, a heading
that is its exact signature (derived here with inspect, so a changed parameter or
annotation shows), and a test of its own somewhere in tests/ (a test function whose
name holds the hook's name). The public API of ``seedwatch`` is held to the same rule:
every name in ``seedwatch.__all__`` has a section, every method of the capability
classes a heading with its exact signature, every field of the value objects a mention
in its class's section. Adding a hook, a public name, a method or a field without
documenting (and, for hooks, testing) it fails here.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import re
import sys
import types
from collections.abc import Iterable
from pathlib import Path

import pluggy

import seedwatch
from pytest_outcome import run_pytest
from seedwatch import contracts, hookspecs
from test_example_plugin import recorded
from test_scaffold import run, throwaway_venv

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "plugins.md"
HEADING = re.compile(r"^#{2,5} `([^`]+)`", re.MULTILINE)
HOOK_NAME = re.compile(r"^(register_|on_|select_)\w+\(")
CAPABILITIES = (contracts.Parser, contracts.SourceKind, contracts.Sink, contracts.Filter,
                contracts.Transform)  # fmt: skip


def signature(name: str, function: types.FunctionType) -> str:
    """``name(param: Annotation, ...) -> Return`` as written in the source (the modules
    use ``from __future__ import annotations``, so annotations are their source text)."""
    sig = inspect.signature(function)
    params = []
    for p in sig.parameters.values():
        if p.name == "self":
            continue
        text = p.name if p.annotation is inspect.Parameter.empty else f"{p.name}: {p.annotation}"
        if p.default is not inspect.Parameter.empty:
            text += f" = {p.default!r}"
        params.append(text)
    return f"{name}({', '.join(params)}) -> {sig.return_annotation}"


def hook_signatures(module: types.ModuleType) -> dict[str, str]:
    """Each hookspec of ``module`` (functions pluggy marked as specs) and its signature."""
    marker = f"{hookspecs.PROJECT}_spec"
    return {
        name: signature(name, fn)
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if hasattr(fn, marker)
    }


def headings(text: str) -> set[str]:
    return set(HEADING.findall(text))


def undocumented(signatures: dict[str, str], doc: str) -> list[str]:
    documented = headings(doc)
    return [sig for sig in signatures.values() if sig not in documented]


def stale_hook_headings(signatures: dict[str, str], doc: str) -> list[str]:
    """Headings that look like a hook's signature but match no hook any more."""
    return sorted(h for h in headings(doc) if HOOK_NAME.match(h) and h not in signatures.values())


def collected_test_names(paths: Iterable[Path]) -> set[str]:
    names = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                names.add(node.name)
    return names


def untested(signatures: dict[str, str], tests: set[str]) -> list[str]:
    return [hook for hook in signatures if not any(hook in name for name in tests)]


def sections(doc: str) -> dict[str, str]:
    """Heading code -> the text up to the next heading of any level."""
    parts = re.split(r"^(#{1,5} .*)$", doc, flags=re.MULTILINE)
    out = {}
    for heading, body in zip(parts[1::2], parts[2::2], strict=True):
        match = HEADING.match(heading)
        if match:
            out[match.group(1)] = body
    return out


# -- the hooks ----------------------------------------------------------------------------


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    specs = hook_signatures(hookspecs)
    assert len(specs) >= 10  # the guard really sees the hooks
    missing = undocumented(specs, DOC.read_text(encoding="utf-8"))
    assert not missing, f"hooks without a heading in docs/plugins.md: {missing}"


def test_no_heading_documents_a_hook_that_does_not_exist() -> None:
    stale = stale_hook_headings(hook_signatures(hookspecs), DOC.read_text(encoding="utf-8"))
    assert not stale, f"docs/plugins.md documents hooks hookspecs.py lacks: {stale}"


def test_every_hook_has_a_test_of_its_own() -> None:
    specs = hook_signatures(hookspecs)
    tests = collected_test_names(
        p for p in (ROOT / "tests").glob("test_*.py") if p.name != Path(__file__).name
    )
    missing = untested(specs, tests)
    assert not missing, f"hooks without a test named after them in tests/: {missing}"


def test_the_guards_fail_for_a_hook_added_without_docs_or_test() -> None:
    """A spec module with one more hook than the docs and tests know about."""
    fake = types.ModuleType("fake_hookspecs")
    source = (
        "from __future__ import annotations\n"
        "from seedwatch.hookspecs import hookspec\n"
        "@hookspec\n"
        "def on_item_written(path: str, size: int) -> None:\n"
        "    'Notification: a corpus file was written.'\n"
    )
    exec(compile(source, "fake_hookspecs.py", "exec"), fake.__dict__)
    specs = {**hook_signatures(hookspecs), **hook_signatures(fake)}
    doc = DOC.read_text(encoding="utf-8")
    assert undocumented(specs, doc) == ["on_item_written(path: str, size: int) -> None"]
    tests = collected_test_names((ROOT / "tests").glob("test_*.py")) - {
        "test_the_guards_fail_for_a_hook_added_without_docs_or_test"
    }
    assert untested(specs, tests) == ["on_item_written"]
    # ... and a changed signature is caught as a stale heading plus a missing one
    changed = doc.replace("on_shutdown() -> None", "on_shutdown(reason: str) -> None")
    assert stale_hook_headings(hook_signatures(hookspecs), changed) == [
        "on_shutdown(reason: str) -> None"
    ]
    assert undocumented(hook_signatures(hookspecs), changed) == ["on_shutdown() -> None"]


def test_hook_signatures_are_read_from_the_specs_not_retyped() -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    assert set(hook_signatures(hookspecs)) == {
        name for name in dir(pm.hook) if not name.startswith("_")
    }
    assert hook_signatures(hookspecs)["register_parsers"] == (
        "register_parsers(register: Callable[[Parser], None]) -> None"
    )


# -- the public API -----------------------------------------------------------------------


def test_every_public_name_has_a_section() -> None:
    names = [n for n in seedwatch.__all__ if not n.startswith("__")]
    documented = {h.split("(")[0].removeprefix("class ") for h in headings(DOC.read_text())}
    missing = [n for n in names if n not in documented]
    assert not missing, f"public names of seedwatch without a section in docs/plugins.md: {missing}"


def capability_methods() -> list[str]:
    """Exact signatures of the public methods each capability class defines, and of
    ``Capability.configure``, which they all inherit."""
    expected = [signature("Capability.configure", contracts.Capability.configure)]
    for cls in CAPABILITIES:
        for name, fn in vars(cls).items():
            if inspect.isfunction(fn) and not name.startswith("_"):
                expected.append(signature(f"{cls.__name__}.{name}", fn))
    return expected


def test_every_capability_method_is_documented_with_its_exact_signature() -> None:
    expected = capability_methods()
    assert len(expected) >= 10
    missing = [sig for sig in expected if sig not in headings(DOC.read_text(encoding="utf-8"))]
    assert not missing, f"capability methods without a heading in docs/plugins.md: {missing}"


def test_every_field_of_the_value_objects_is_mentioned_in_its_section() -> None:
    by_class = {
        h.split("(")[0].removeprefix("class "): body
        for h, body in sections(DOC.read_text()).items()
    }
    missing = []
    for name in seedwatch.__all__:
        obj = getattr(seedwatch, name)
        if inspect.isclass(obj) and dataclasses.is_dataclass(obj):
            body = by_class.get(name, "")
            missing += [
                f"{name}.{f.name}" for f in dataclasses.fields(obj) if f"`{f.name}`" not in body
            ]
    assert not missing, f"fields not described in their class's section: {missing}"


# -- the tutorial ---------------------------------------------------------------------------

TUTORIAL_FILE = re.compile(r"<!-- tutorial-file: (\S+) -->\n```\w*\n(.*?)```\n", re.DOTALL)


def test_the_tutorial_as_written_gives_a_working_plugin(tmp_path: Path) -> None:
    """The files of the tutorial, copied from docs/plugins.md as a reader would, make a
    package that installs with pip, is found through its entry point, parses the sample
    and passes its own tests (the tutorial's steps 1 to 6)."""
    files = dict(TUTORIAL_FILE.findall(DOC.read_text(encoding="utf-8")))
    assert sorted(files) == [
        "pyproject.toml",
        "src/seedwatch_hn_item/__init__.py",
        "src/seedwatch_hn_item/parser.py",
        "src/seedwatch_hn_item/plugin.py",
        "tests/conftest.py",
        "tests/data/item.json",
        "tests/test_parser.py",
    ]
    # the sample the tutorial prints is the API's real response, as recorded
    assert json.loads(files["tests/data/item.json"]) == json.loads(
        recorded()["/v0/item/41244423.json"]
    )
    package = tmp_path / "seedwatch-hn-item"
    for name, body in files.items():
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(body, encoding="utf-8")
    python = throwaway_venv(tmp_path / "venv")
    install = run(
        Path(sys.executable),
        "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
        "--no-build-isolation", "--no-index", "-e", str(package),
        cwd=tmp_path,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr
    listing = run(python, "-m", "seedwatch", "plugins", cwd=tmp_path)
    assert "hn-item (seedwatch-hn-item 0.1.0, entry point)\n    parser hn-item\n" in listing.stdout
    parsed = run(python, "-m", "seedwatch", "parse", "tests/data/item.json", cwd=package)
    assert parsed.returncode == 0, parsed.stderr
    assert "[1] Show HN: We made a tool to help developers improve OpenAPI specs" in parsed.stdout
    assert "1 item(s) by parser hn-item" in parsed.stderr
    tests = run_pytest(python, cwd=package)
    assert tests.returncode == 0, tests.output
    assert (tests.passed, tests.tests) == (3, 3), tests.output
