"""Post bodies: shortcodes dropped (Hugo's, WordPress's) and text that was
UTF-8 decoded twice (mojibake) repaired. Pure functions on text."""

from __future__ import annotations

import re

_HUGO_SHORTCODE = re.compile(r"\{\{[<%].*?[%>]\}\}", re.S)
# WordPress core and common plugin shortcodes, dropped even when they have no
# closing tag ([slideshare id=...] and [gallery] never do).
_WP_SHORTCODES = frozenset(
    {
        "caption", "wp_caption", "gallery", "audio", "video", "playlist", "embed",
        "sourcecode", "source", "code", "sc", "slideshare", "youtube", "vimeo",
        "googlevideo", "dailymotion", "soundcloud", "tweet", "twitter", "instagram",
        "gist", "latex", "polldaddy", "wpvideo", "scribd", "googlemaps", "archives",
        "contact-form",
    }
)  # fmt: skip
# `(?![(:\[])` keeps Markdown links `[text](url)`, `[text][ref]` and reference
# definitions `[ref]: url`.
_WP_TAG = re.compile(r"\[(/?)([A-Za-z][\w-]*)((?:\s[^\[\]]*)?)\](?![(:\[])")
_WP_CLOSING = re.compile(r"\[/([A-Za-z][\w-]*)\]")


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 that was decoded as cp1252/latin-1 and encoded again (``Ã©`` for ``é``).

    Only when every character maps back to one byte and those bytes are valid
    UTF-8: real text in any language fails one of the two tests.
    """
    if not re.search(
        "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]",
        text,
    ):
        return text
    raw = bytearray()
    for char in text:
        if ord(char) < 256:
            raw.append(ord(char))
            continue
        try:
            raw += char.encode("cp1252")
        except UnicodeEncodeError:
            return text
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return text


# -- bodies -----------------------------------------------------------------


# markdown-it's link parser scans ahead from every "[" it meets: thousands of
# them unclosed ("[[[[...", "[a [b [c ...") take minutes. No post has that many
# links; past the limit, brackets are escaped and read as the text they are.
_MAX_BRACKETS = 5000


def defused(body: str) -> str:
    """``body`` with its brackets escaped when it holds more than ``_MAX_BRACKETS``."""
    if body.count("[") <= _MAX_BRACKETS:
        return body
    return body.replace("\\", "\\\\").replace("[", "\\[")


def strip_shortcodes(body: str) -> str:
    """Drop Hugo shortcodes and WordPress shortcode tags, keeping the text between them."""
    body = _HUGO_SHORTCODE.sub("", body)
    closed = {name.lower() for name in _WP_CLOSING.findall(body)}

    def drop(match: re.Match[str]) -> str:
        name = match.group(2).lower()
        return "" if name in _WP_SHORTCODES or name in closed else match.group(0)

    return _WP_TAG.sub(drop, body)
