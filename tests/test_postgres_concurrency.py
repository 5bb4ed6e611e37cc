"""Two nodes admitting the same or near-duplicate items at the same instant record one.

Each "node" is a Store with its own engine (its own PostgreSQL sessions),
run in its own thread; a barrier releases them together, round after round.
The texts are generated articles (a fixed seed): an exact copy under another
key, a copy-edited copy, the article plus a one-line comment, changed text
under the same guid; each is a duplicate of the article by one layer.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from seedwatch.corpus import render
from seedwatch.models import Item
from seedwatch.state.schema import items
from seedwatch.state.store import Store

pytestmark = pytest.mark.postgres

FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
VOCABULARY = [f"w{n}" for n in range(3000)]


def rendered(item: Item, fetched: datetime, revision_of: str | None) -> str:
    return render(item, fetched, revision_of=revision_of)


def article(rng: random.Random, paragraphs: int = 5, words: int = 30) -> str:
    return "\n\n".join(
        " ".join(rng.choice(VOCABULARY) for _ in range(words)) for _ in range(paragraphs)
    )


def copy_edited(text: str) -> str:
    """One word changed in the middle: a near duplicate (Jaccard well above 0.8)."""
    words = text.split(" ")
    words[len(words) // 2] = "changed"
    return " ".join(words)


@pytest.fixture
def nodes(pg_url: str) -> Iterator[list[Store]]:
    first = Store(pg_url)
    first.migrate()
    stores = [first, Store(pg_url)]
    yield stores
    for store in stores:
        store.close()


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; re-raise the first error."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = call()
        except BaseException as exc:  # re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n, c)) for n, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def admit(store: Store, *batch: Item) -> Callable[[], list[bool]]:
    return lambda: [e is not None for _, e in store.admit([(i, FETCHED) for i in batch], rendered)]


def recorded(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(items)).scalar_one())


def test_the_same_batch_from_two_nodes_is_recorded_once(nodes: list[Store]) -> None:
    rng = random.Random(1)
    for round_ in range(5):
        batch = [
            Item(
                key=f"r{round_}-{n}",
                guid=f"{round_}-{n}",
                source="feed",
                text=article(rng),
                parser="t",
            )
            for n in range(20)
        ]
        a, b = at_once(admit(nodes[0], *batch), admit(nodes[1], *batch))
        assert [x + y for x, y in zip(a, b, strict=True)] == [1] * 20
    assert recorded(nodes[0]) == 100


@pytest.mark.parametrize(
    "variant",
    [
        pytest.param(lambda item: Item(key="copy", text=item.text, parser="t"), id="exact"),
        pytest.param(
            lambda item: Item(key="edited", text=copy_edited(item.text), parser="t"), id="near"
        ),
        pytest.param(
            lambda item: Item(key="quoted", text=item.text + "\n\nSo true.", parser="t"),
            id="containment",
        ),
        pytest.param(
            lambda item: Item(
                key="other",
                guid=item.guid,
                source=item.source,
                text="edited " + item.text,
                parser="t",
            ),
            id="revision",
        ),
    ],
)
def test_a_duplicate_admitted_beside_its_original_is_recorded_once(
    nodes: list[Store], variant: Callable[[Item], Item]
) -> None:
    rng = random.Random(2)
    for round_ in range(8):
        original = Item(
            key=f"original-{round_}",
            guid=f"g{round_}",
            source="feed",
            text=article(rng),
            parser="t",
        )
        twin = replace(variant(original), key=f"{variant(original).key}-{round_}")
        a, b = at_once(admit(nodes[0], original), admit(nodes[1], twin))
        assert a + b in ([True, False], [False, True]), f"round {round_}: {a} {b}"
    assert recorded(nodes[0]) == 8


def test_overlapping_batches_in_any_order_never_deadlock(nodes: list[Store], pg_url: str) -> None:
    more = [Store(pg_url), Store(pg_url)]
    stores = nodes + more
    rng = random.Random(3)
    shared = [Item(key=f"s{n}", text=article(rng), parser="t") for n in range(40)]
    try:
        for _round in range(3):
            batches = []
            for _store in stores:
                batch = rng.sample(shared, 25)
                rng.shuffle(batch)
                batches.append(batch)
            at_once(*(admit(s, *b) for s, b in zip(stores, batches, strict=True)))
        covered = {item.key for b in batches for item in b}
        with nodes[0].engine.connect() as conn:
            keys = list(conn.execute(select(items.c.key)).scalars())
        assert len(keys) == len(set(keys))
        assert covered <= set(keys)
        seqs = [e.seq for e in nodes[0].pending()]
        assert len(seqs) == len(set(seqs)) == len(keys)
    finally:
        for store in more:
            store.close()
