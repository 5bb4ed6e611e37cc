"""JSON from documents: one way to read it that fails in one way.

``json.loads`` has three ways to refuse hostile input: ``JSONDecodeError``
for broken text, ``RecursionError`` for arrays nested deeper than the
interpreter's stack (``[[[[...`` 200,000 deep), and ``ValueError`` for an
integer longer than Python converts (5,000 digits). Parsers want one:
``loads`` raises ``ValueError`` for all three, so ``except ValueError``
turns any of them into a ``ParseError``.
"""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes) -> Any:
    """``text`` decoded as JSON; ``ValueError`` for anything that is not readable JSON."""
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ValueError("JSON nested too deeply") from exc


# The helpers plugins may use (docs/plugins.md, "Helper modules").
__all__ = ["loads"]
