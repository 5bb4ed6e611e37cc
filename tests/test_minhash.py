"""Our MinHash is datasketch 2.0's ``affine32`` MinHash, value for value: states
recorded with either compare alike. Texts are the seeds' and the fixture feeds'."""

from __future__ import annotations

import hashlib
import random
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from seedwatch.models import Document
from seedwatch.plugins.builtin.rss import RssParser
from seedwatch.state.dedup import features
from seedwatch.state.dedup.features import (
    MINHASH_SCHEME,
    MINHASH_SEED,
    Layout,
    shingles,
    signature,
    signatures,
)
from seedwatch.text import normalize

DATA = Path(__file__).parent / "data"


def texts() -> list[str]:
    out = [p.read_text(encoding="utf-8") for p in sorted((DATA / "seeds").iterdir())]
    fetched = datetime(2026, 11, 21, tzinfo=UTC)
    for path in sorted((DATA / "feeds").glob("rss2_*.xml"))[:6]:
        doc = Document(url=path.resolve().as_uri(), content=path.read_bytes(), fetched=fetched)
        out.extend(item.text for item in RssParser().parse(doc))
    out.append("one")  # a single word: one shingle
    # Words in several scripts, next to symbols, marks and digits that are or
    # are not word characters (the words are found in the text's bytes unless
    # it holds a character outside ASCII that is not one).
    out.append("Ça coûte 12,50 € à Zürich; naïve 日本語のテキスト über_straße ² ½ Ⅻ x")
    out.append("Ça coûte 12,50 à Zürich; naïve 日本語のテキスト über_straße ı ǅ ٣ and more")
    out.append("emoji 😀 between words, e\u0301 a combining mark, and a\u00a0no-break space")
    return out


@pytest.mark.parametrize("num_perm", [64, 128, 256])
def test_signatures_are_datasketchs(num_perm: int) -> None:
    layout = Layout.choose(num_perm, 3, 0.8, None)
    for text in texts():
        normalized = normalize(text)
        reference = MinHash(num_perm=num_perm, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
        reference.update_batch(shingles(normalized, layout.shingle))
        ours = signature(normalized, layout)
        assert ours is not None
        assert ours.dtype == np.uint32
        assert np.array_equal(ours, np.asarray(reference.hashvalues, dtype=np.uint32))


def test_a_text_without_words_has_no_signature() -> None:
    assert signature(normalize(" ... "), Layout.choose(128, 3, 0.8, None)) is None


def test_signatures_of_a_batch_are_each_texts_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """Computed together (and split over several matrices), the signatures are
    those of each text alone; a text without words still has none."""
    layout = Layout.choose(128, 5, 0.8, None)
    batch = [normalize(text) for text in texts()]
    batch[3:3] = [normalize(" ... "), ""]
    alone = [signature(text, layout) for text in batch]
    monkeypatch.setattr(features, "_MATRIX_COLUMNS", 500)  # several matrices
    together = signatures(batch, layout)
    assert [s is None for s in together] == [s is None for s in alone]
    assert [s is None for s in alone].count(True) == 2
    for ours, single in zip(together, alone, strict=True):
        if single is not None:
            assert ours is not None and ours.dtype == np.uint32
            assert np.array_equal(ours, single)


def test_shingles_of_any_text_are_datasketchs_shingles() -> None:
    """The shingles hashed (found in the text's bytes when they can be) are the
    set ``shingles`` gives, for texts mixing scripts, symbols and separators."""
    alphabet = [*"ab XY_09 ,.;-'\t\n\x0b\x1c\x7f", "é", "ß", "日", "€", "😀", "\u0301", "ı", "٣"]
    alphabet.append("\ud800")  # a lone surrogate: not a word character either
    rng = random.Random(7)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        for size in (1, 3, 5):
            assert set(features._gram_bytes(text, size)) == shingles(text, size), text


def test_band_buckets_of_a_batch_hash_each_bands_number_and_rows() -> None:
    """Each bucket is BLAKE2b-64 (big-endian, signed) of the band's number (two
    bytes, big-endian) and its rows (little-endian), computed together for a batch."""
    layout = Layout.choose(128, 5, 0.8, None)
    sigs = [sig for sig in signatures([normalize(t) for t in texts()], layout) if sig is not None]
    width = 4 * layout.rows
    expected = [
        [
            (
                band,
                int.from_bytes(
                    hashlib.blake2b(
                        band.to_bytes(2, "big")
                        + sig.astype("<u4").tobytes()[band * width : (band + 1) * width],
                        digest_size=8,
                    ).digest(),
                    "big",
                    signed=True,
                ),
            )
            for band in range(layout.bands)
        ]
        for sig in sigs
    ]
    assert features.bands_of(sigs, layout) == expected
    assert [features.band_keys(sig, layout) for sig in sigs] == expected
