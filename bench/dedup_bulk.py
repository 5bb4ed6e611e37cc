"""The de-duplication benchmark's state, built in bulk: a million items in minutes.

``Store.index_files`` computes every item's features from its text (about
2 ms an item: normalising, hashing ~300 shingles, a MinHash) and inserts its
rows into indexed tables: an hour for a million. The benchmark's items are
sentences of one pool, so their features can be put together from the
sentences' own: a sentence's normalised text, words and MinHash over the
shingles inside it are computed once; an item's signature is the minimum of
its sentences' and of the few shingles that straddle two sentences; a
paragraph's text is its normalised sentences joined by a space. The rows are
inserted on the sqlite3 cursor with the secondary indexes dropped, then
indexed once.

The result is the state ``Store.index_files`` builds for the same items
(``check`` compares the rows of a sample of items with it; the benchmark
runs it before every build).
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from seedwatch.state.dedup.features import (
    Candidate,
    Layout,
    Permutations,
    _fmix32,
    _sha1_32,
    band_keys,
    digest,
    to_bytes,
    unit_key,
)
from seedwatch.state.rows import item_row
from seedwatch.text import normalize

# The schema's secondary indexes of the tables filled here, dropped while loading.
INDEXES = {
    "ix_items_key": "items (key)",
    "ix_items_source_guid": "items (source_id, guid)",
    "ix_items_canonical_url": "items (canonical_url)",
    "ix_items_fingerprint": "items (fingerprint)",
    "ix_items_seq": "items (seq)",
    "ix_items_status": "items (status)",
    "ix_dedup_items_title": "dedup_items (title_key)",
    "ix_dedup_units_fp": "dedup_units (fp)",
    "ix_dedup_bands_bucket": "dedup_bands (bucket)",
}


@dataclass(frozen=True, slots=True)
class Sentence:
    norm: str
    words: list[bytes]  # the normalised text's \\w+ words, encoded
    raw_words: int  # whitespace-separated words of the raw sentence
    norm_words: int
    mins: np.ndarray  # MinHash of the shingles inside it


class Pool:
    """The sentence pool with each sentence's features."""

    def __init__(self, sentences: list[str], layout: Layout) -> None:
        from seedwatch.state.dedup.features import _WORD, shingles

        self.sentences = sentences
        self.layout = layout
        self.perms = Permutations.of(layout.num_perm)
        self.features = []
        for text in sentences:
            norm = normalize(text)
            words = [w.encode() for w in _WORD.findall(norm)]
            # shingles() makes one shingle of a text shorter than a shingle:
            # inside an item, such a sentence has no shingle of its own.
            if len(words) >= layout.shingle:
                mins = self._mins(shingles(norm, layout.shingle))
            else:
                mins = np.full(layout.num_perm, np.iinfo(np.uint32).max, dtype=np.uint32)
            self.features.append(Sentence(norm, words, len(text.split()), len(norm.split()), mins))

    def _mins(self, grams: set[bytes]) -> np.ndarray:
        mixed = _fmix32(_sha1_32(grams)).reshape(-1, 1)
        values: np.ndarray = (mixed * self.perms.a + self.perms.b).min(axis=0)
        return values

    def item(
        self, picked: list[int], sizes: list[int]
    ) -> tuple[str, int, np.ndarray, list[list[int]]]:
        """(normalised text, words, signature, paragraphs as lists of sentence indexes)."""
        size = self.layout.shingle
        feats = [self.features[i] for i in picked]
        # The shingles that straddle a sentence boundary (a sentence of fewer
        # words than a shingle may be straddled whole).
        words: list[bytes] = []
        starts: set[int] = set()
        for feat in feats:
            if words:
                starts.update(range(max(0, len(words) - size + 1), len(words)))
            words.extend(feat.words)
        straddling = {b" ".join(words[k : k + size]) for k in starts if k + size <= len(words)}
        sig = np.minimum.reduce([f.mins for f in feats] + [self._mins(straddling)])
        paras, i = [], 0
        for n in sizes:
            paras.append(picked[i : i + n])
            i += n
        norm = " ".join(f.norm for f in feats)
        return norm, sum(f.raw_words for f in feats), sig, paras

    def text(self, paras: list[list[int]]) -> str:
        return "\n\n".join(" ".join(self.sentences[j] for j in para) for para in paras)


def synthesised(pool_size: int, rng: random.Random) -> tuple[list[int], list[int]]:
    """``dedup.synthesise``'s choices (the same random calls): sentence indexes
    and paragraph sizes."""
    picked = rng.sample(range(pool_size), rng.randint(8, 24))
    sizes, i = [], 0
    while i < len(picked):
        n = rng.randint(1, 4)
        sizes.append(min(n, len(picked) - i))
        i += n
    return picked, sizes


def build(
    db: Path,
    pool: Pool,
    seed: int,
    start: int,
    stop: int,
    batch: int,
    paragraph_min_words: int,
) -> None:
    """Add items ``start`` .. ``stop`` (files of ``batch`` items) to the state ``db``."""
    at = datetime.now(UTC)
    conn = sqlite3.connect(db, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("PRAGMA cache_size=-262144")
    conn.execute("BEGIN")
    for name in INDEXES:
        conn.execute(f"DROP INDEX IF EXISTS {name}")
    next_id = (conn.execute("SELECT max(id) FROM items").fetchone()[0] or 0) + 1
    created = at.replace(tzinfo=None).isoformat(sep=" ")
    for first in range(start, stop, batch):
        rng = random.Random(f"{seed}:{first}")
        items_rows, dedup_rows, unit_rows, band_rows = [], [], [], []
        file = f"bench_{first}.txt"
        count = min(batch, stop - first)
        for n in range(first, first + count):
            picked, sizes = synthesised(len(pool.sentences), rng)
            norm, words, sig, paras = pool.item(picked, sizes)
            fp = digest(norm).hex()
            item_id = next_id
            next_id += 1
            items_rows.append((item_id, f"synth:{n}", fp, words, first, file, created))
            seen: set[int] = set()
            whole = 0
            for index, para in enumerate(paras):
                pnorm = " ".join(pool.features[j].norm for j in para)
                pwords = sum(pool.features[j].norm_words for j in para)
                if pwords < paragraph_min_words:
                    continue
                whole += len(pnorm)
                key = unit_key(pnorm)
                if key in seen:
                    continue
                seen.add(key)
                unit_rows.append((item_id, key, index, len(pnorm), 1))
            dedup_rows.append((item_id, whole, to_bytes(sig)))
            band_rows.extend(
                (item_id, band, bucket) for band, bucket in band_keys(sig, pool.layout)
            )
        conn.executemany(
            "INSERT INTO items (id, key, fingerprint, words, seq, name, status, parser, created) "
            "VALUES (?, ?, ?, ?, ?, ?, 'indexed', 'bench', ?)",
            items_rows,
        )
        conn.executemany(
            "INSERT INTO dedup_items (item_id, unit_chars, signature) VALUES (?, ?, ?)", dedup_rows
        )
        conn.executemany(
            "INSERT INTO dedup_units (item_id, fp, para, chars, whole) VALUES (?, ?, ?, ?, ?)",
            unit_rows,
        )
        conn.executemany(
            "INSERT INTO dedup_bands (item_id, band, bucket) VALUES (?, ?, ?)", band_rows
        )
        conn.execute(
            "INSERT INTO corpus_files (name, seq, size, items, indexed) VALUES (?, ?, 0, ?, ?)",
            (file, first, count, created),
        )
    for name, where in INDEXES.items():
        conn.execute(f"CREATE INDEX {name} ON {where}")
    conn.execute("COMMIT")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()


def check(pool: Pool, seed: int, first: int, count: int, paragraph_min_words: int) -> None:
    """The features ``build`` puts together equal those ``Store.index_files``
    computes (``Candidate``), for the items ``first`` .. ``first + count``."""
    from dedup import batch_items

    rng = random.Random(f"{seed}:{first}")
    for item in batch_items(pool.sentences, seed, first, count):
        picked, sizes = synthesised(len(pool.sentences), rng)
        norm, words, sig, paras = pool.item(picked, sizes)
        cand = Candidate(item, pool.layout, paragraph_min_words)
        assert pool.text(paras) == item.text, "the bulk build synthesised another text"
        row = item_row(cand, 0, "", "indexed", datetime.now(UTC))
        assert (digest(norm).hex(), words) == (row["fingerprint"], row["words"])
        assert cand.signature is not None and (cand.signature == sig).all(), item.key
        units = []
        for index, para in enumerate(paras):
            pnorm = " ".join(pool.features[j].norm for j in para)
            if sum(pool.features[j].norm_words for j in para) >= paragraph_min_words:
                units.append((unit_key(pnorm), index, len(pnorm)))
        assert units == [(u.key, u.para, u.chars) for u in cand.units], item.key
        assert cand.canonical_url is None and cand.title_key is None and cand.site is None
