"""The state store on a real SQLite file: recording, identity and exact dedup, crash half."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.contracts import Cursor, PollResult
from seedwatch.corpus import render
from seedwatch.models import Item
from seedwatch.state.dedup import DedupSettings
from seedwatch.state.store import Store

FETCHED = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
LONG = " ".join(f"word{i}" for i in range(40))
# A second text that shares nothing with LONG (LONG plus one word is a near duplicate).
OTHER = " ".join(f"other{i}" for i in range(40))


def rendered(item: Item, fetched: datetime, revision_of: str | None) -> str:
    return render(item, fetched, revision_of=revision_of)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(f"sqlite:///{tmp_path}/state.db")
    s.migrate()
    return s


def item(**kw: object) -> Item:
    fields: dict[str, object] = {"key": "k", "text": LONG, "parser": "rss", "source": "s"}
    fields.update(kw)
    return Item(**fields)  # type: ignore[arg-type]


def test_migrate_is_idempotent_and_uses_wal(store: Store, tmp_path: Path) -> None:
    store.migrate()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_admit_records_pending_with_sequence_numbers(store: Store) -> None:
    out = store.admit(
        [(item(key="a", guid="a"), FETCHED), (item(key="b", guid="b", text=OTHER), FETCHED)],
        rendered,
    )
    entries = [entry for _, entry in out]
    assert [e.seq for e in entries if e] == [0, 1]
    assert [e.name for e in store.pending()] == [e.name for e in entries if e]
    store.mark_written([0])
    assert [e.seq for e in store.pending()] == [1]


def test_same_source_and_guid_is_rejected(store: Store) -> None:
    store.admit([(item(key="a", guid="g"), FETCHED)], rendered)
    verdict, entry = store.admit([(item(key="a", guid="g"), FETCHED)], rendered)[0]
    assert entry is None and verdict.layer == "identity"


def test_same_canonical_url_from_another_source_is_rejected(store: Store) -> None:
    store.admit(
        [(item(key="a", url="https://Example.com/post?utm_source=rss#top"), FETCHED)], rendered
    )
    verdict, entry = store.admit(
        [(item(key="b", source="other", url="https://example.com/post", text="other"), FETCHED)],
        rendered,
    )[0]
    assert entry is None and verdict.layer == "identity" and "same URL" in verdict.reason


def test_same_text_is_rejected_only_when_long_enough(store: Store) -> None:
    store.admit([(item(key="a"), FETCHED)], rendered)
    verdict, entry = store.admit([(item(key="b", source="t"), FETCHED)], rendered)[0]
    assert entry is None and verdict.layer == "exact"
    store.admit([(item(key="c1", text="Comments"), FETCHED)], rendered)
    verdict, entry = store.admit([(item(key="c2", text="Comments"), FETCHED)], rendered)[0]
    assert entry is not None, "short texts must not collapse (Hacker News 'Comments')"


def test_a_batch_sees_its_own_items(store: Store) -> None:
    out = store.admit([(item(key="a"), FETCHED), (item(key="a"), FETCHED)], rendered)
    assert [entry is not None for _, entry in out] == [True, False]


def test_revision_policy(tmp_path: Path) -> None:
    skip = Store(f"sqlite:///{tmp_path}/skip.db")
    skip.migrate()
    skip.admit([(item(key="a", guid="g"), FETCHED)], rendered)
    verdict, entry = skip.admit(
        [(item(key="a", guid="g", text=LONG + " edited"), FETCHED)], rendered
    )[0]
    assert entry is None and verdict.layer == "revision"

    versions = Store(f"sqlite:///{tmp_path}/new.db", dedup=DedupSettings(revisions="new-version"))
    versions.migrate()
    versions.admit([(item(key="a", guid="g"), FETCHED)], rendered)
    verdict, entry = versions.admit(
        [(item(key="a", guid="g", text=LONG + " edited"), FETCHED)], rendered
    )[0]
    assert entry is not None and verdict.revision_of == "a"
    assert "revision_of: a" in entry.rendered


def test_sequence_continues_after_files_found_on_disk(store: Store) -> None:
    store.ensure_seq_at_least(5)
    store.ensure_seq_at_least(3)  # never goes back
    _, entry = store.admit([(item(key="a"), FETCHED)], rendered)[0]
    assert entry is not None and entry.seq == 5 and entry.name.startswith("005_")


def test_cursor_and_poll_bookkeeping(store: Store) -> None:
    store.save_cursor("s", Cursor(etag='"v1"', last_modified="Sat, 21 Nov 2026 10:00:00 GMT"))
    failed = PollResult(source="s", error="boom", error_category="http-5xx")
    state = store.record_poll("s", failed, at=FETCHED, next_poll=None)
    assert state.consecutive_errors == 1 and state.last_error_category == "http-5xx"
    state = store.record_poll("s", PollResult(source="s", accepted=3), at=FETCHED, next_poll=None)
    assert state.consecutive_errors == 0 and state.errors_total == 1 and state.items_accepted == 3
    assert state.cursor.etag == '"v1"' and state.last_success == FETCHED


def test_a_poll_recorded_with_its_cursor_saves_both(store: Store) -> None:
    first = Cursor(etag='"v1"', last_modified="Sat, 21 Nov 2026 10:00:00 GMT")
    ok = PollResult(source="new", accepted=2)
    state = store.record_poll("new", ok, at=FETCHED, next_poll=FETCHED, cursor=first)
    assert state == store.source_state("new"), "the state returned is the state stored"
    assert state.cursor == first and state.items_accepted == 2 and state.next_poll == FETCHED
    failed = PollResult(source="new", error="boom", error_category="http-5xx")
    state = store.record_poll("new", failed, at=FETCHED, next_poll=None)
    assert state.cursor == first, "a poll without a cursor leaves the saved one"
    second = Cursor(etag='"v2"')
    state = store.record_poll("new", ok, at=FETCHED, next_poll=None, cursor=second)
    assert state == store.source_state("new")
    assert state.cursor == second and state.items_accepted == 4
    assert state.consecutive_errors == 0 and state.errors_total == 1
    assert state.error_counts == {"http-5xx": 1}


def test_state_survives_reopening(store: Store, tmp_path: Path) -> None:
    store.admit([(item(key="a", guid="g"), FETCHED)], rendered)
    store.close()
    again = Store(f"sqlite:///{tmp_path}/state.db")
    again.migrate()
    assert not again.judge(item(key="a", guid="g")).accepted
    assert again.pending()[0].item.key == "a"
