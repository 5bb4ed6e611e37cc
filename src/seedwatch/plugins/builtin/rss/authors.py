"""Feed authors as names: the RSS ``email (Name)`` and ``Name <email>`` forms read
from the element's own text, the e-mail address dropped.

Not a plugin: a helper of the ``rss`` parser (``entries``). RSS 2.0's
``<author>`` is an e-mail address, by custom followed by the name in
parentheses (Hugo's default template writes ``team@example.org (Team)``);
others write ``Name <email>``. feedparser splits these with an e-mail pattern
that stops at a four-letter top-level domain, so ``team@fieldnotes.example
(Field Notes Team)`` came out as ``ple (Field Notes Team``. The corpus keeps
who wrote an item, not how to mail them: an author that is only an address
gives no author at all.
"""

from __future__ import annotations

import re

# Generous on purpose: anything with one "@" between non-space runs is an
# address here; a name never has one.
_ADDRESS = r"(?:mailto:)?[^\s@<>()\[\]\",;]+@[^\s@<>()\[\]\",;]+"
_FORMS = (
    re.compile(rf"^{_ADDRESS}\s*\((?P<name>.*)\)$"),  # email (Name)
    re.compile(rf"^(?P<name>.*?)\s*<{_ADDRESS}>$"),  # Name <email>
    re.compile(rf"^(?P<name>.*?)\s*\({_ADDRESS}\)$"),  # Name (email)
    re.compile(rf"^<?{_ADDRESS}>?$"),  # email alone
)
_QUOTES = "\"'\u201c\u201d"


def author_name(raw: str) -> str | None:
    """The name in an author string; ``None`` when it holds only an address."""
    value = raw.strip()
    if "@" not in value:
        return value or None
    for form in _FORMS:
        match = form.match(value)
        if match:
            name = (match.groupdict().get("name") or "").strip().strip(_QUOTES).strip()
            return name or None
    return value
