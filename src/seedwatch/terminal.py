"""Text bound for a terminal or a log line, made inert.

Titles, URLs and error messages come from servers nobody here controls. On
their way to a terminal (log lines in the text format, ``seedwatch status``)
a newline would forge a second line, ESC would drive the terminal (clear the
screen, retitle the window, hide text), NUL and DEL confuse pagers, and bidi
overrides reorder what is shown. ``printable`` writes each such character as
a Python-style escape (``\\n``, ``\\x1b``, ``\\u202e``), so the text stays
readable, on one line, and shows exactly what was received.
"""

from __future__ import annotations

import re

# C0 controls (tab aside), DEL, C1 controls, the Unicode line and paragraph
# separators, and the bidi embeddings, overrides and isolates.
_UNSAFE = re.compile(
    "[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\x1b": "\\x1b"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control, separator and bidi character escaped."""
    return _UNSAFE.sub(_escape, text)
