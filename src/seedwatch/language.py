"""Language detection for ``languages`` filter rules: py3langid, loaded once.

py3langid (the ``lang`` extra) is langid.py's maintained fork: 97 languages,
a 4 MB model shipped in the package (no download), pure Python and NumPy,
about a millisecond per item. Its model takes a second or two to load, so it
is loaded on first use, once per process, and never by ``--help`` or
``parse``.
"""

from __future__ import annotations

import threading
from typing import Any

from seedwatch.extras import require

_LOCK = threading.Lock()
_IDENTIFIER: Any = None


def require_detector() -> None:
    """One line naming the ``lang`` extra (exit 2) when py3langid is missing."""
    require("py3langid", extra="lang", needed_for="a languages filter rule")


def detect(text: str) -> tuple[str, float]:
    """The language of ``text`` (ISO 639-1) and the detector's confidence in [0, 1]."""
    global _IDENTIFIER
    if _IDENTIFIER is None:
        with _LOCK:
            if _IDENTIFIER is None:
                require_detector()
                from py3langid.langid import (  # type: ignore[import-untyped]
                    MODEL_FILE,
                    LanguageIdentifier,
                )

                _IDENTIFIER = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    lang, confidence = _IDENTIFIER.classify(text)
    return str(lang), float(confidence)
