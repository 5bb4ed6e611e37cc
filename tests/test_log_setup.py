"""Logging set-up: where the daemon's log lines go."""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterator

import pytest

from seedwatch.daemon import logs


@pytest.fixture
def root_handlers() -> Iterator[None]:
    root = logging.getLogger()
    saved, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = saved, level


@pytest.mark.usefixtures("root_handlers")
def test_a_record_logged_after_stderr_was_swapped_and_closed_reaches_the_stderr_of_the_moment(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What a CLI test runner does: set up logging under its own stderr, then close it.
    borrowed = io.StringIO()
    monkeypatch.setattr(sys, "stderr", borrowed)
    logs.setup(logging.INFO, "text")
    monkeypatch.undo()
    borrowed.close()

    logging.getLogger("seedwatch.test").warning("written after the runner closed its stream")

    err = capsys.readouterr().err
    assert re.search(
        r"^\d\d:\d\d:\d\d WARNING written after the runner closed its stream$", err, re.M
    ), err
