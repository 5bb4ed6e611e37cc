"""Logging set-up: human lines on a terminal, one JSON object per line for services."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

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
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup(level: int = logging.INFO, fmt: str = "text") -> None:
    """``fmt``: ``text``, ``json``, or ``auto`` (JSON unless stderr is a terminal)."""
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(message)s", "%H:%M:%S")
        )
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
