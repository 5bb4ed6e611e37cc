"""clean_item: a well-typed item made safe to record, render and write."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import yaml

from seedwatch.corpus import render
from seedwatch.errors import ItemValidationError
from seedwatch.models import Item, Quote, ThreadRef, clean_item

FETCHED = datetime(2024, 5, 1, tzinfo=UTC)


def test_a_sound_item_is_returned_as_it_is() -> None:
    item = Item(key="k", text="text", parser="p", title="T", tags=("a",), extra={"n": [1, 2.5]})
    assert clean_item(item) == (item, [])
    assert clean_item(item)[0] is item


def test_every_string_loses_lone_surrogates_and_nuls() -> None:
    bad = "x\ud800y\x00z"
    item = Item(
        key="k",
        text=bad,
        parser="p",
        title=bad,
        author=bad,
        tags=(bad,),
        thread=ThreadRef(title=bad, quotes=(Quote(author=bad, key="q"),)),
        extra={"note": bad, "nested": {"deep": [bad]}},
    )
    cleaned, notes = clean_item(item)
    good = "x\ufffdyz"
    assert cleaned.text == cleaned.title == cleaned.author == good
    assert cleaned.tags == (good,)
    assert cleaned.thread is not None and cleaned.thread.title == good
    assert cleaned.thread.quotes == (Quote(author=good, key="q"),)
    assert cleaned.extra == {"note": good, "nested": {"deep": [good]}}
    assert {n.split(":", 1)[0] for n in notes} == {
        "text", "title", "author", "tags", "thread", "extra"
    }  # fmt: skip
    # what was wrong before can now be written and recorded
    rendered = render(cleaned, FETCHED, with_front_matter=True)
    rendered.encode("utf-8")
    json.dumps(cleaned.to_json())


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))),  # year 0 in UTC
        datetime(1, 1, 1, tzinfo=UTC),  # Go's zero time: "no date"
        datetime(9999, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5))),  # year 10000
    ],
    ids=["year-0-in-utc", "go-zero-time", "past-9999"],
)
def test_a_date_no_calendar_arithmetic_survives_is_dropped(when: datetime) -> None:
    cleaned, notes = clean_item(Item(key="k", text="t", parser="p", published=when, updated=when))
    assert cleaned.published is None and cleaned.updated is None
    assert len(notes) == 2 and all("is no date" in n for n in notes)


def test_extra_values_json_cannot_hold_become_strings() -> None:
    item = Item(
        key="k", text="t", parser="p", extra={"day": date(2024, 5, 1), 3: float("nan"), "ok": 1}
    )
    cleaned, notes = clean_item(item)
    assert cleaned.extra == {"day": "2024-05-01", "3": "nan", "ok": 1}
    assert json.loads(json.dumps(cleaned.to_json(), allow_nan=False))["extra"] == cleaned.extra
    assert yaml.safe_load(render(cleaned, FETCHED, with_front_matter=True).split("---\n")[1])
    assert notes


def test_a_key_made_only_of_nuls_drops_the_item() -> None:
    with pytest.raises(ItemValidationError) as info:
        clean_item(Item(key="\x00\x00", text="t", parser="p"))
    assert info.value.field == "key"
