"""Every built-in parser, fuzzed with mutations of real documents (see tests/fuzzing.py).

``make test`` runs the short profile: a few derandomized examples per parser,
the same on every run. ``make fuzz`` runs the long one: random examples for
``SEEDWATCH_FUZZ_SECONDS`` in all (shared among the parsers); the smallest
document that broke a parser is kept in ``fuzz-findings/`` to become a
regression test (tests/test_fuzz_findings.py).
"""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from fuzzing import (
    MAX_DOCUMENT_BYTES,
    Finding,
    _insert,
    _nest,
    _repeat,
    all_seeds,
    check,
    mutated,
    registry,
    seeds_by_parser,
)
from seedwatch.models import Document

FUZZ_SECONDS = float(os.environ.get("SEEDWATCH_FUZZ_SECONDS", "0"))
FINDINGS = Path(os.environ.get("SEEDWATCH_FUZZ_FINDINGS", "fuzz-findings"))
SHORT_EXAMPLES = 12
PARSERS = sorted(registry().parsers)

_SETTINGS = {
    "deadline": None,  # time is bounded by the invariant (fuzzing.SECONDS_PER_DOCUMENT)
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.large_base_example],
}


def test_every_builtin_parser_has_seed_documents() -> None:
    assert set(seeds_by_parser()) == set(PARSERS)


def test_mutations_build_no_more_than_a_document() -> None:
    # a 2 MB element nested 200,000 times once asked for 400 GB (a MemoryError
    # in the fuzzer itself, before any parser ran)
    element = b'<p data-x="' + b"x" * 2_000_000 + b'">'
    for mutation in (_nest(0, 200_000), _repeat(0, 2048, 200), _insert(0, element, 50)):
        assert len(mutation(element)) <= MAX_DOCUMENT_BYTES + 2 * len(element)


@pytest.mark.parametrize("name", PARSERS)
def test_parser_survives_mutated_documents(name: str) -> None:
    parser = registry().parsers[name]
    own, others = seeds_by_parser()[name], all_seeds()

    def run(case: tuple[str, Document]) -> None:
        seed, document = case
        if FUZZ_SECONDS:
            _cap_address_space()
        try:
            check(parser, document)
        except Finding as finding:
            if FUZZ_SECONDS:
                _keep(name, finding, document)
            raise Finding(f"{name} on a mutation of {seed}: {finding}") from finding

    if not FUZZ_SECONDS:
        short = settings(max_examples=SHORT_EXAMPLES, derandomize=True, **_SETTINGS)
        short(given(mutated(own, others))(run))()
        return
    deadline = time.monotonic() + FUZZ_SECONDS / len(PARSERS)
    # no explain phase: it re-runs a finding under a line tracer, which made a
    # 10 s document take 70 s a run
    phases = [phase for phase in Phase if phase is not Phase.explain]
    # a few examples a call, so that the deadline is looked at every minute or
    # so even when each document costs seconds
    long = settings(max_examples=10, derandomize=False, phases=phases, **_SETTINGS)
    while time.monotonic() < deadline:
        long(given(mutated(own, others))(run))()


def _cap_address_space() -> None:
    """At most 2 GiB more than the process has, set before each document: one that
    inflates further raises MemoryError in the parser (a finding) instead of
    swapping the machine. Per document, not once: hypothesis keeps examples of up
    to 20 MiB to mutate, and a cap set at the start was reached by the fuzzer's
    own growth (a MemoryError in a parser reading 736 kB in 0.06 s and 100 MB)."""
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    limit = pages * resource.getpagesize() + 2 * 1024**3
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or limit < hard:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _keep(parser: str, finding: Finding, document: Document) -> None:
    """Keep the smallest document that broke ``parser`` this way (shrinking calls us
    with ever smaller ones)."""
    kind = str(finding).split(":", 1)[0].replace(" ", "-").replace("/", "-")[:80]
    path = FINDINGS / f"{parser}--{kind}.bin"
    if path.exists() and path.stat().st_size <= len(document.content):
        return
    FINDINGS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(document.content)
    path.with_suffix(".txt").write_text(f"{document.url}\n{document.media_type}\n{finding}\n")
