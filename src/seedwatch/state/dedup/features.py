"""What the layers compare, computed from an item without touching the state.

- the content fingerprint and canonical URL (identity, exact text);
- paragraph units for containment: each paragraph of at least
  ``paragraph_min_words`` words, and each such line of a paragraph that has
  several (forum text renderings run a quote and its reply together), keyed
  by the first 64 bits of its fingerprint (DESIGN.md's normalisation);
- a MinHash signature over word shingles, cut into LSH bands.

The MinHash is datasketch's ``affine32`` scheme with seed 1, computed here
with numpy (``Permutations``): the same values datasketch 2.0 gives (a test
compares them), owned by us so that stored signatures stay comparable
whatever datasketch does next, and without importing datasketch (and scipy)
on the ingest path. The signature shape (``Layout``) is fixed when a state
is created.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache, partial
from itertools import accumulate
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from seedwatch.models import Item
from seedwatch.text import fingerprint_hex, normalize, paragraphs, word_count
from seedwatch.urls import canonical_url, host_of

MINHASH_SEED = 1
MINHASH_SCHEME = "affine32"
# The chance that LSH proposes a pair whose similarity is exactly the
# threshold. Candidates are verified against their stored signatures, so the
# bands are laid out for recall (datasketch's optimiser weighs false
# positives and negatives alike and finds only 40% of pairs at 0.8).
BAND_RECALL = 0.98

Signature = npt.NDArray[np.uint32]
_WORD = re.compile(r"\w+")

if TYPE_CHECKING:
    from datasketch import MinHashLSH


@dataclass(frozen=True, slots=True)
class Layout:
    """The MinHash/LSH shape of a state: stored in it, the same for every item."""

    num_perm: int
    bands: int
    rows: int
    shingle: int

    @classmethod
    def choose(cls, num_perm: int, shingle: int, near: float, bands: int | None) -> Layout:
        """``bands`` as given, or the most rows per band that still proposes a pair at
        similarity ``near`` with probability ``BAND_RECALL`` (fewest band rows stored)."""
        if bands is not None:
            return cls(num_perm, bands, num_perm // bands, shingle)
        for rows in range(num_perm // 2, 0, -1):
            count = num_perm // rows
            if count >= 2 and 1 - (1 - near**rows) ** count >= BAND_RECALL:
                return cls(num_perm, count, rows, shingle)
        return cls(num_perm, num_perm, 1, shingle)

    def baseline(self, threshold: float) -> MinHashLSH:
        """An in-memory datasketch index of the same shape (benchmarks compare to it)."""
        from datasketch import MinHashLSH

        return MinHashLSH(
            threshold=threshold, num_perm=self.num_perm, params=(self.bands, self.rows)
        )


@dataclass(frozen=True)
class Permutations:
    """The ``affine32`` permutations of ``num_perm`` hash functions: ``h -> a*h + b``
    modulo 2**32 (``a`` odd), drawn as datasketch 2.0 draws them from seed 1."""

    a: Signature
    b: Signature

    @classmethod
    @lru_cache(maxsize=8)
    def of(cls, num_perm: int) -> Permutations:
        gen = np.random.RandomState(MINHASH_SEED)
        a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
        return cls(a, b)


def _fmix32(hv: Signature) -> Signature:
    """MurmurHash3's 32-bit finalizer (the scheme's pre-mix); wraps modulo 2**32."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def _grams(normalized: str, size: int) -> set[str]:
    """``shingles`` as text: equal strings are equal bytes, so the set is the same."""
    words = _WORD.findall(normalized)
    if len(words) <= size:
        return {" ".join(words)} if words else set()
    return {" ".join(gram) for gram in zip(*(words[k:] for k in range(size)), strict=False)}


def shingles(normalized: str, size: int) -> set[bytes]:
    """Word ``size``-grams of a normalised text; punctuation is not a word, so
    "Micromax, and Lava" and "Micromax and Lava" shingle alike."""
    return {gram.encode() for gram in _grams(normalized, size)}


def _gram_bytes(normalized: str, size: int) -> list[bytes]:
    """``shingles`` as a list, a repeated shingle kept: a minimum taken over a
    shingle twice is the same minimum, and hashing the few repeats costs less
    than building a set of every shingle. The shingles are joined by C-level
    ``map`` and ``zip`` (which reuses its tuple), no bytecode per shingle."""
    words = _words(normalized)
    if len(words) <= size:
        return [b" ".join(words)] if words else []
    return list(map(b" ".join, zip(*(words[k:] for k in range(size)), strict=False)))


def _words(normalized: str) -> list[bytes]:
    """``_WORD``'s words of a text, UTF-8 encoded: its UTF-8 bytes split at
    every ASCII byte ``\\w`` does not match (every byte of a multi-byte
    character is then part of a word), once any character outside ASCII that
    is not a word character is made a space (it separates words either way).
    No regex match, no string, no encoding a word."""
    if not normalized.isascii():
        normalized = _ODD.sub(" ", normalized)
    return normalized.encode().translate(_NOT_WORD_TO_SPACE).split()


# A character outside ASCII that is not a word character (a symbol, an
# emoji, a lone surrogate).
_ODD = re.compile(r"[^\w\x00-\x7f]+")
# Each byte to itself if it can be part of a word (an ASCII word character or
# any byte of a multi-byte character), else to a space.
_NOT_WORD_TO_SPACE = bytes(
    code if code >= 0x80 or chr(code).isalnum() or chr(code) == "_" else 0x20 for code in range(256)
)


def signature(normalized: str, layout: Layout) -> Signature | None:
    """The MinHash of a normalised text's shingles; ``None`` for a text without words."""
    return signatures([normalized], layout)[0]


# Shingles hashed and permuted together: at most this many in one matrix
# (of ``num_perm`` rows: 8 MB with 128 permutations).
_MATRIX_COLUMNS = 1 << 14


def signatures(texts: Sequence[str], layout: Layout) -> list[Signature | None]:
    """``signature`` of each normalised text, computed together: every shingle
    of the batch hashed in one pass (``_sha1_32``), then permuted in matrices of
    ``num_perm`` rows, each text's minima taken by one ``reduceat`` along the
    rows (contiguous), not a dozen numpy calls a text; the same values."""
    perms = Permutations.of(layout.num_perm)
    a, b = perms.a.reshape(-1, 1), perms.b.reshape(-1, 1)
    out: list[Signature | None] = [None] * len(texts)
    found: list[int] = []  # the texts with words
    counts: list[int] = []  # their shingles
    grams: list[bytes] = []
    for index, text in enumerate(texts):
        if mine := _gram_bytes(text, layout.shingle):
            found.append(index)
            counts.append(len(mine))
            grams += mine
    if not grams:
        return out
    mixed = _fmix32(_sha1_32(grams))
    start = column = 0
    while start < len(found):
        end, columns = start + 1, counts[start]
        while end < len(found) and columns + counts[end] <= _MATRIX_COLUMNS:
            columns += counts[end]
            end += 1
        matrix = mixed[column : column + columns] * a
        matrix += b
        firsts = list(accumulate(counts[start : end - 1], initial=0))
        minima = np.minimum.reduceat(matrix, firsts, axis=1).T.copy()
        for index, values in zip(found[start:end], minima, strict=True):
            out[index] = values
        start, column = end, column + columns
    return out


def _sha1_32(grams: Iterable[bytes]) -> Signature:
    """Each shingle hashed as datasketch's ``sha1_hash32`` does (the first four
    bytes of SHA-1, little-endian): one C-level ``map`` of SHA-1 over the
    shingles (no bytecode, no int built of each), numpy taking the first four
    bytes of each 20-byte digest at once."""
    digests = b"".join(map(_DIGEST, map(hashlib.sha1, grams)))
    rows = np.frombuffer(digests, dtype=np.uint8).reshape(-1, 20)
    return np.ascontiguousarray(rows[:, :4]).view("<u4").reshape(-1).astype(np.uint32)


# The digest method of hashlib's SHA-1 objects, to ``map`` without a lambda.
_DIGEST = type(hashlib.sha1()).digest


def band_keys(sig: Signature, layout: Layout) -> list[tuple[int, int]]:
    """(band, bucket) for each LSH band; the bucket hashes the band's number with
    its rows, so equal buckets mean an equal band (BLAKE2b-64, big-endian, signed)."""
    return bands_of([sig], layout)[0]


def bands_of(sigs: Sequence[Signature], layout: Layout) -> list[list[tuple[int, int]]]:
    """``band_keys`` of each signature, computed together: every band's input a
    row of one numpy array (its number, then its rows), hashed by a C-level
    ``map`` (no bytecode per band), the digests read as integers by numpy."""
    if not sigs:
        return []
    width = 2 + 4 * layout.rows
    keyed = np.empty((len(sigs), layout.bands, width), dtype=np.uint8)
    keyed[:, :, :2] = _band_prefixes(layout.bands)
    rows = np.stack(sigs)[:, : layout.bands * layout.rows].astype("<u4")
    keyed[:, :, 2:] = rows.view(np.uint8).reshape(len(sigs), layout.bands, -1)
    data = keyed.tobytes()
    starts = range(0, len(data), width)
    pieces = map(data.__getitem__, map(slice, starts, range(width, len(data) + 1, width)))
    digests = b"".join(map(_BLAKE2B_DIGEST, map(_blake2b_64, pieces)))
    buckets = np.frombuffer(digests, dtype=">i8").reshape(len(sigs), layout.bands).tolist()
    return [list(enumerate(row)) for row in buckets]


_blake2b_64 = partial(hashlib.blake2b, digest_size=8)
_BLAKE2B_DIGEST = hashlib.blake2b.digest


@lru_cache(maxsize=8)
def _band_prefixes(bands: int) -> npt.NDArray[np.uint8]:
    """Each band's number, two bytes big-endian, one row a band."""
    return np.frombuffer(
        b"".join(band.to_bytes(2, "big") for band in range(bands)), dtype=np.uint8
    ).reshape(bands, 2)


def to_bytes(sig: Signature) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(data: bytes) -> Signature:
    return np.frombuffer(data, dtype="<u4").astype(np.uint32)


def similarity(a: Signature, b: Signature) -> float:
    """The Jaccard similarity the two signatures estimate (datasketch's estimator)."""
    return float(np.count_nonzero(a == b)) / float(len(a))


def digest(normalized: str) -> bytes:
    """The content fingerprint (DESIGN.md) of a text already normalised: the same
    bytes as ``text.fingerprint`` of the original, without normalising twice."""
    return hashlib.blake2b(normalized.encode("utf-8"), digest_size=16).digest()


def unit_key(normalized: str) -> int:
    """A paragraph's key: the first 64 bits of its fingerprint, signed (every
    database has a BIGINT)."""
    return int.from_bytes(digest(normalized)[:8], "big", signed=True)


@dataclass(frozen=True, slots=True)
class Unit:
    """A fingerprinted paragraph (``whole``) or one line of a multi-line paragraph."""

    key: int
    para: int
    chars: int
    words: int
    whole: bool


# A paragraph normalised, and its lines normalised when it has several.
Paragraph = tuple[str, list[str]]


def normalized_paragraphs(text: str) -> list[Paragraph]:
    """Each paragraph of a text normalised, with its lines when it has several.

    A paragraph of several lines is normalised line by line, its own
    normalisation being its lines' joined by spaces: normalising is per
    character once NFKC has run, and NFKC of text split at a line break is
    NFKC of each piece (a line break composes with nothing). For the same
    reason the text's own normalisation is its paragraphs' joined by spaces
    (``normalized_text``): every character is normalised once."""
    out: list[Paragraph] = []
    for para in paragraphs(text):
        if "\n" not in para:
            out.append((normalize(para), []))
        else:
            lines = [normalize(line) for line in para.split("\n") if line.strip()]
            out.append((" ".join([line for line in lines if line]), lines))
    return out


def normalized_text(paras: Sequence[Paragraph]) -> str:
    """``normalize`` of the text whose ``normalized_paragraphs`` these are."""
    return " ".join([norm for norm, _lines in paras if norm])


def units(text: str, min_words: int) -> list[Unit]:
    """The containment units of a text, in order (repeats kept)."""
    return units_of(normalized_paragraphs(text), min_words)


def units_of(paras: Sequence[Paragraph], min_words: int) -> list[Unit]:
    """``units`` of a text given its ``normalized_paragraphs``. A normalised
    text's words are its spaces plus one."""
    out = []
    for index, (norm, lines) in enumerate(paras):
        words = norm.count(" ") + 1 if norm else 0
        if words < min_words:
            continue
        out.append(Unit(unit_key(norm), index, len(norm), words, True))
        if len(lines) < 2:
            continue
        for norm_line in lines:
            line_words = norm_line.count(" ") + 1 if norm_line else 0
            if line_words >= min_words:
                out.append(Unit(unit_key(norm_line), index, len(norm_line), line_words, False))
    return out


def title_key(title: str | None) -> str | None:
    if not title or not normalize(title):
        return None
    return fingerprint_hex(title)


def site_of(item: Item, url: str | None) -> str | None:
    """The site for title matching: the URL's host without ``www.``, else the source."""
    host = host_of(url) if url else ""
    if host:
        return host.removeprefix("www.")
    return f"source:{item.source}" if item.source else None


class Candidate:
    """An item with what the layers compare; costly parts computed on first use
    (an item the identity layer rejects never needs its MinHash)."""

    def __init__(self, item: Item, layout: Layout, paragraph_min_words: int) -> None:
        self.item = item
        self.layout = layout
        self.paragraph_min_words = paragraph_min_words
        # Normalised paragraph by paragraph once, for the units and the text.
        self.paragraphs = normalized_paragraphs(item.text)
        self.normalized = normalized_text(self.paragraphs)
        self.fingerprint = digest(self.normalized).hex()
        self.canonical_url = canonical_url(item.url)
        self.words = word_count(item.text)
        # Per-judgement scratch space shared by the layers (unit matches).
        self.memo: dict[str, Any] = {}

    @cached_property
    def units(self) -> list[Unit]:
        return units_of(self.paragraphs, self.paragraph_min_words)

    @cached_property
    def signature(self) -> Signature | None:
        return signature(self.normalized, self.layout)

    @cached_property
    def bands(self) -> list[tuple[int, int]]:
        return band_keys(self.signature, self.layout) if self.signature is not None else []

    @cached_property
    def title_key(self) -> str | None:
        return title_key(self.item.title)

    @cached_property
    def site(self) -> str | None:
        return site_of(self.item, self.canonical_url)

    @property
    def moment(self) -> datetime | None:
        """When the item says it was published (or updated)."""
        return self.item.published or self.item.updated


def with_signatures(cands: Iterable[Candidate]) -> None:
    """Compute the MinHash of each candidate that has none yet, and its LSH
    bands, all together (``signatures``, ``bands_of``): for a batch whose every
    signature and bands are needed."""
    todo: dict[Layout, list[Candidate]] = {}
    for cand in cands:
        if "signature" not in vars(cand):
            todo.setdefault(cand.layout, []).append(cand)
    for layout, group in todo.items():
        found = signatures([cand.normalized for cand in group], layout)
        signed: list[tuple[Candidate, Signature]] = []
        for cand, sig in zip(group, found, strict=True):
            vars(cand)["signature"] = sig  # what the cached property would hold
            if sig is not None:
                signed.append((cand, sig))
        bands = bands_of([sig for _cand, sig in signed], layout)
        for (cand, _sig), keys in zip(signed, bands, strict=True):
            vars(cand)["bands"] = keys
