"""Run pytest in a child process and count its outcomes from the JUnit XML report.

The report is a format both sides agree on; pytest's console summary
("5 passed in 0.3s") is wording, which a pytest release may change.
"""

from __future__ import annotations

import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Outcome:
    returncode: int
    tests: int
    failures: int
    errors: int
    skipped: int
    output: str

    @property
    def passed(self) -> int:
        return self.tests - self.failures - self.errors - self.skipped


def run_pytest(
    python: Path | str,
    *args: str,
    cwd: Path,
    env: dict[str, str] | None = None,
    timeout: float = 300,
) -> Outcome:
    """``python -m pytest ARGS`` in ``cwd``; its counts read from ``--junitxml``."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.xml"
        proc = subprocess.run(
            [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider",
             f"--junitxml={report}", *args],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        output = proc.stdout + proc.stderr
        if not report.exists():
            return Outcome(proc.returncode, 0, 0, 0, 0, output)
        root = ET.parse(report).getroot()
        suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))

        def total(key: str) -> int:
            return sum(int(suite.get(key, "0")) for suite in suites)

        return Outcome(
            proc.returncode,
            total("tests"),
            total("failures"),
            total("errors"),
            total("skipped"),
            output,
        )
