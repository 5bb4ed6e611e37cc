"""What the wheel ships besides the packages' modules: every package-data pattern
names files that exist (a pattern matching nothing is a file we think we ship)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_every_package_data_pattern_matches_a_file() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = project["tool"]["setuptools"]["package-data"]
    assert package_data
    for package, patterns in package_data.items():
        folder = ROOT / "src" / package.replace(".", "/")
        for pattern in patterns:
            assert list(folder.glob(pattern)), f"{package}: {pattern!r} matches nothing"
