"""Content decoding (gzip, deflate, brotli) with bounded output per step.

httpx's own decoders inflate a whole network read in one call (a 405-byte
brotli body can become 256 MB), so a size cap could only be checked after
the damage; these emit at most ``PIECE`` bytes per step instead, and the
fetcher checks its cap between steps.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Any, Protocol

import brotli

# What decoder_for() can decode; httpx would also advertise "zstd" whenever
# the zstandard package happens to be installed.
ACCEPT_ENCODING = "gzip, deflate, br"
PIECE = 64 * 1024  # most bytes a decoder emits per step


class BadEncoding(Exception):
    """A body that does not decode as its Content-Encoding says."""


class Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decode the next bytes of the body, in pieces of at most ``PIECE``."""
        ...

    def finish(self) -> Iterator[bytes]:
        """Whatever is left at the end of the body; ``BadEncoding`` if truncated."""
        ...


def decoder_for(content_encoding: str) -> Decoder:
    """The decoder for a Content-Encoding header (``""`` or ``identity``: none).

    Encodings are listed in the order they were applied and undone in
    reverse; ``BadEncoding`` names one we do not support.
    """
    names = [n.strip().lower() for n in content_encoding.split(",")]
    decoders: list[Decoder] = []
    for name in reversed([n for n in names if n and n != "identity"]):
        if name in ("gzip", "x-gzip"):
            decoders.append(_Zlib(gzip=True))
        elif name == "deflate":
            decoders.append(_Zlib(gzip=False))
        elif name == "br":
            decoders.append(_Brotli())
        else:
            raise BadEncoding(
                f"unsupported Content-Encoding {name!r} (we ask for {ACCEPT_ENCODING})"
            )
    if not decoders:
        return _Identity()
    return decoders[0] if len(decoders) == 1 else _Chain(decoders)


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Zlib:
    """gzip (members may be concatenated, RFC 1952 2.2) or deflate: zlib-wrapped
    as RFC 9110 says, or raw, as some old IIS and PHP servers send it; the
    first two bytes tell which (a zlib header is method 8 and a multiple of 31)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._head = b""  # deflate: input held until the header can be read
        self._seen = False
        self._d: Any = zlib.decompressobj(16 + zlib.MAX_WBITS) if gzip else None

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        self._seen = True
        if self._d is None:
            self._head += data
            if len(self._head) < 2:
                return
            cmf, flg = self._head[0], self._head[1]
            wrapped = cmf & 0x0F == 8 and (cmf << 8 | flg) % 31 == 0
            self._d = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
            data, self._head = self._head, b""
        while True:
            try:
                out = self._d.decompress(data, PIECE)
            except zlib.error as exc:
                raise BadEncoding(f"invalid {self._name} data: {exc}") from exc
            if out:
                yield out
            if self._d.eof:
                data = self._d.unused_data
                if not self._gzip or not data.strip(b"\0"):  # trailing padding
                    return
                self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                continue
            data = self._d.unconsumed_tail
            # A full piece may leave output pending inside zlib: ask again.
            if not data and len(out) < PIECE:
                return

    def finish(self) -> Iterator[bytes]:
        if self._seen and (self._d is None or not self._d.eof):
            raise BadEncoding(f"truncated {self._name} data")
        return iter(())

    @property
    def _name(self) -> str:
        return "gzip" if self._gzip else "deflate"


class _Brotli:
    def __init__(self) -> None:
        self._d = brotli.Decompressor()
        self._started = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        self._started = True
        try:
            out = self._d.process(data, output_buffer_limit=PIECE)
            # Output past the limit stays inside the decoder until asked for
            # with empty input (brotli 1.2); an empty answer means it needs more.
            while out:
                yield out
                if self._d.is_finished():
                    return
                out = self._d.process(b"", output_buffer_limit=PIECE)
        except brotli.error as exc:
            raise BadEncoding(f"invalid brotli data: {exc}") from exc

    def finish(self) -> Iterator[bytes]:
        if self._started and not self._d.is_finished():
            raise BadEncoding("truncated brotli data")
        return iter(())


class _Chain:
    """Several encodings (``Content-Encoding: gzip, br``), outermost first."""

    def __init__(self, decoders: list[Decoder]) -> None:
        self._decoders = decoders

    def feed(self, data: bytes) -> Iterator[bytes]:
        return self._through(0, data)

    def _through(self, index: int, data: bytes) -> Iterator[bytes]:
        if index == len(self._decoders):
            yield data
            return
        for piece in self._decoders[index].feed(data):
            yield from self._through(index + 1, piece)

    def finish(self) -> Iterator[bytes]:
        for index, decoder in enumerate(self._decoders):
            for piece in decoder.finish():
                yield from self._through(index + 1, piece)
