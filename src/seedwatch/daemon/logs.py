"""Logging set-up: human lines on a terminal, one JSON object per line for services.

Messages carry text from servers (titles, URLs, error messages): neither
format lets it forge a line or drive a terminal. The text format escapes
control, separator and bidi characters (``seedwatch.terminal.printable``)
and indents every line of a traceback; the JSON format escapes them too
(JSON itself escapes only C0 controls, and line readers such as Python's
``splitlines`` also split on U+0085, U+2028 and U+2029).

Either way, secrets in URLs never reach the output (``seedwatch.redact``).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import TextIO

from seedwatch.redact import RedactingFilter
from seedwatch.terminal import printable

_STANDARD = set(vars(logging.makeLogRecord({})))


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, and any ``extra``."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data |= {k: v for k, v in vars(record).items() if k not in _STANDARD}
        if record.exc_text:  # formatted (and redacted) by the handler's filter
            data["exception"] = record.exc_text
        elif record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return _JSON_UNSAFE.sub(
            lambda m: f"\\u{ord(m.group(0)):04x}", json.dumps(data, ensure_ascii=False, default=str)
        )


# What json.dumps(ensure_ascii=False) leaves raw but a terminal or a line reader acts on.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


class TextFormatter(logging.Formatter):
    """``HH:MM:SS LEVEL message``: the message escaped to one line, a traceback
    indented below it (so no line of it can pass for a record of its own)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.message = printable(record.getMessage())
        if self.usesTime():
            record.asctime = self.formatTime(record, self.datefmt)
        line = self.formatMessage(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        extra = [record.exc_text] if record.exc_text else []
        if record.stack_info:
            extra.append(self.formatStack(record.stack_info))
        for block in extra:
            line += "".join("\n    " + printable(part) for part in block.splitlines())
        return line


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes each record to ``sys.stderr`` as it is when the record is logged.

    A handler holding the stream it was made with keeps writing to it after
    whoever swapped ``sys.stderr`` (a test runner, an embedding application)
    has closed it: every later record would be lost to a logging error."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        """``StreamHandler`` assigns its stream; this handler always looks it up."""


def setup(level: int = logging.INFO, fmt: str = "text") -> None:
    """``fmt``: ``text``, ``json``, or ``auto`` (JSON unless stderr is a terminal)."""
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = StderrHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter())
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request at INFO: useful only when debugging.
    logging.getLogger("httpx").setLevel(max(level, logging.WARNING))
    # httpcore's DEBUG trace prints every response's headers, a members-only
    # forum's Set-Cookie session among them: never below WARNING.
    logging.getLogger("httpcore").setLevel(max(level, logging.WARNING))
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))
