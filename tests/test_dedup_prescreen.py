"""The batch prescreen changes no verdict: an admit batch gives what judging its
items one by one gives (the prescreen only skips the queries of items that no
layer can match), on real text from the seeds and fixture feeds.

The mixed batch is built from the texts: new items, exact and edited copies of
recorded ones, items holding recorded paragraphs, the same guid and URL again,
short items, and copies of items earlier in the same batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.contracts import Verdict
from seedwatch.corpus import render
from seedwatch.models import Document, Item
from seedwatch.plugins.builtin.rss import RssParser
from seedwatch.state.dedup import DEFAULT_LAYERS, DedupSettings
from seedwatch.state.dedup.features import Candidate
from seedwatch.state.dedup.prescreen import Prescreen
from seedwatch.state.store import Store

DATA = Path(__file__).parent / "data"
FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)


def feed_items(name: str) -> list[Item]:
    path = DATA / "feeds" / name
    document = Document(url=path.resolve().as_uri(), content=path.read_bytes(), fetched=FETCHED)
    return list(RssParser().parse(document))


def edited(text: str) -> str:
    """A copy edit: the middle word of the text's longest paragraph replaced."""
    paras = text.split("\n\n")
    longest = max(range(len(paras)), key=lambda i: len(paras[i]))
    words = paras[longest].split(" ")
    words[len(words) // 2] = "indeed"
    paras[longest] = " ".join(words)
    return "\n\n".join(paras)


def batches() -> tuple[list[Item], list[Item]]:
    golem = feed_items("rss2_golem_iso-8859-1.xml")
    urdu = feed_items("rss2_bbc_urdu_rtl.xml")
    wordpress = feed_items("rss2_wordpress_tenderlovemaking.xml")
    recorded = golem[:20] + wordpress[:5]
    a, b = wordpress[5], wordpress[6]
    batch = [
        *urdu[:10],  # new
        *golem[20:30],  # new
        Item(key="copy-1", text=golem[0].text, parser="t"),  # exact copy
        Item(key="copy-2", text=edited(golem[5].text), parser="t"),  # near copy
        Item(key="held", text=wordpress[0].text + "\n\nA short note of ours.", parser="t"),
        Item(key=golem[2].key, text=golem[2].text + " Updated.", parser="t"),  # same key
        Item(key="same-url", url=golem[3].url, text="Other words entirely here.", parser="t"),
        Item(key="short-1", text="Comments", parser="t"),
        Item(key="short-2", text="Comments", parser="t"),
        a,  # new, then copied within the batch:
        Item(key="a-again", text=a.text, parser="t"),
        Item(key="g-edited", text=edited(golem[21].text), parser="t"),  # near, in-batch
        Item(key="b-held", text=b.text, parser="t"),
        b,  # after an item holding all of it
        Item(key=a.key, text=a.text, parser="t"),  # the same key again
    ]
    return recorded, batch


def outcome(store: Store, batch: list[Item]) -> list[tuple[Verdict, str | None]]:
    results = store.admit(
        [(item, FETCHED) for item in batch],
        lambda item, fetched, revision_of: render(item, fetched, revision_of=revision_of),
    )
    return [(verdict, entry.name if entry else None) for verdict, entry in results]


def fresh_store(path: Path, recorded: list[Item], *, prescreen: bool) -> Store:
    store = Store(f"sqlite:///{path}/state.db", dedup=DedupSettings())
    store.migrate()
    store.index_file("000_0000000000000000.txt", 0, 0, recorded)
    if not prescreen:
        # A layer the prescreen does not know turns it off: judge sees every item.
        store.layers = (*(lambda c, cand, s, f=f: f(c, cand, s) for f in store.layers),)
    return store


def test_a_batch_gives_the_verdicts_of_judging_item_by_item(tmp_path: Path) -> None:
    recorded, batch = batches()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    screened = outcome(fresh_store(tmp_path / "a", recorded, prescreen=True), batch)
    judged = outcome(fresh_store(tmp_path / "b", recorded, prescreen=False), batch)
    assert screened == judged
    layers = [verdict.layer for verdict, _ in judged]
    # The batch meets every layer, so the comparison means something.
    assert {"new", "identity", "exact", "containment", "near"} <= set(layers), layers


def test_the_prescreen_passes_only_items_sharing_nothing(tmp_path: Path) -> None:
    recorded, batch = batches()
    store = fresh_store(tmp_path, recorded, prescreen=True)
    layout = store.dedup_layout()
    cands = [Candidate(item, layout, store.dedup.paragraph_min_words) for item in batch]
    with store.engine.connect() as conn:
        screen = Prescreen(conn, cands, store.dedup, DEFAULT_LAYERS)
    passed = {cand.item.key for cand in cands if screen.verdict(cand) is not None}
    assert {"copy-1", "copy-2", "held", "same-url"}.isdisjoint(passed)
    assert {"short-1", "short-2", batch[0].key} <= passed


@pytest.mark.parametrize("layers", [DEFAULT_LAYERS[:1], DEFAULT_LAYERS[2:]])
def test_a_subset_of_layers_is_prescreened_alike(tmp_path: Path, layers: tuple) -> None:  # type: ignore[type-arg]
    recorded, batch = batches()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = fresh_store(tmp_path / "a", recorded, prescreen=True)
    one.layers = layers
    other = fresh_store(tmp_path / "b", recorded, prescreen=True)
    other.layers = (*(lambda c, cand, s, f=f: f(c, cand, s) for f in layers),)
    assert outcome(one, batch) == outcome(other, batch)
