"""Response bodies: read, decoded and held to the size cap.

Owns the rule that a body is limited after decompression, checked after
every decoded piece (``decoding.PIECE`` bytes at most) rather than after a
whole network read, and the draining of small bodies so connections go back
to the pool. ``too_large`` is the one message for a body over the limit.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from seedwatch.daemon.fetch.decoding import decoder_for
from seedwatch.errors import FetchError


def read_body(
    url: str, response: httpx.Response, max_bytes: int, truncate_at: int | None = None
) -> tuple[bytes, int]:
    """The decoded body and its size on the wire; ``too-large`` past ``max_bytes``,
    or, with ``truncate_at``, its first ``truncate_at`` bytes.

    The limit is checked after every decoded piece (at most ``PIECE`` bytes),
    never after a whole network read: a few bytes of brotli inflate to
    gigabytes, and a robots.txt is as compressible as a feed."""
    cap = max_bytes if truncate_at is None else truncate_at
    encoding = response.headers.get("content-encoding", "").strip().lower()
    compressed = encoding not in ("", "identity")
    declared = response.headers.get("content-length", "").strip()
    if truncate_at is None and not compressed and declared.isascii() and declared.isdigit():
        size = int(declared) if len(declared) <= 18 else 10**18  # int() refuses 4300+ digits
        if size > cap:
            raise too_large(url, max_bytes, f"it declares {size_text(size)}")
    body = bytearray()
    wire = [0]
    for piece in _decoded(response, encoding, wire):
        body += piece
        # A compressed stream that inflates to nothing must not run forever either.
        if len(body) > cap or (compressed and wire[0] > cap):
            if truncate_at is not None:
                return bytes(body[:cap]), wire[0]
            if len(body) <= cap:
                raise too_large(url, max_bytes, "on the wire")
            raise too_large(url, max_bytes, "after decompression" if compressed else "")
    return bytes(body), wire[0]


def too_large(url: str, max_bytes: int, how: str) -> FetchError:
    """The ``too-large`` error for ``url``; ``how`` says where the limit was passed."""
    detail = f" ({how})" if how else ""
    return FetchError(
        f"{url}: response larger than the limit of {size_text(max_bytes)}"
        f"{detail}; raise [fetch] max_bytes if this source needs more",
        url=url,
        category="too-large",
    )


def drain(response: httpx.Response, limit: int = 64 * 1024) -> None:
    """Read what is left of a small body (a 304's, a redirect's), so that the
    connection goes back to the pool: httpcore closes a connection whose
    response was closed unread, and a new one costs a handshake per poll."""
    read = 0
    for raw in response.iter_raw():
        read += len(raw)
        if read > limit:
            return


def _decoded(response: httpx.Response, encoding: str, wire: list[int]) -> Iterator[bytes]:
    """The body of ``response`` decoded, in pieces of at most ``PIECE`` bytes, with
    an empty piece after each network read (so that the caller can check
    ``wire[0]``, the bytes received so far, even when nothing comes out)."""
    decoder = decoder_for(encoding)
    for raw in response.iter_raw():
        wire[0] += len(raw)
        yield from decoder.feed(raw)
        yield b""
    yield from decoder.finish()


def size_text(n: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:.3g} {unit}"
    return f"{n} bytes"
