"""Generated RSS feeds for pipeline tests (sizes real fixtures don't have)."""

from __future__ import annotations

from xml.sax.saxutils import escape


def article(n: int, words: int = 60) -> str:
    """A distinct text of ``words`` words for item ``n`` (long enough for the content layers)."""
    return " ".join(f"w{n}x{i}" for i in range(words))


def rss(
    count: int, *, start: int = 0, base: str = "http://127.0.0.1/", extra_channel: str = ""
) -> bytes:
    items = []
    for n in range(start, start + count):
        items.append(
            f"<item><title>Item {n}</title><link>{base}post/{n}</link>"
            f'<guid isPermaLink="false">item-{n}</guid>'
            f"<pubDate>Sat, 21 Nov 2026 10:{n % 60:02d}:00 +0000</pubDate>"
            f"<description>{escape('<p>' + article(n) + '</p>')}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel>'
        f"<title>Generated</title><link>{base}</link><description>test</description>"
        f"{extra_channel}{''.join(items)}</channel></rss>"
    ).encode()
