"""The pieces the forum parsers share: dates and zones, page numbers, code blocks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import lxml.html
import pytest

from seedwatch.plugins.builtin.forums import dates
from seedwatch.plugins.builtin.forums.base import Pagination
from seedwatch.plugins.builtin.forums.common import as_pre, number
from seedwatch.text import element_to_text
from seedwatch.units import from_epoch

# A Wednesday evening in the board's zone (UTC-5): 2024-03-13 20:30 local.
ZONE = timezone(timedelta(hours=-5))
FETCHED = datetime(2024, 3, 14, 1, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1 minute ago", datetime(2024, 3, 13, 20, 29, tzinfo=ZONE)),
        ("Less than 1 minute ago", datetime(2024, 3, 13, 20, 30, tzinfo=ZONE)),
        ("an hour ago", datetime(2024, 3, 13, 19, 30, tzinfo=ZONE)),
        ("3 days ago", datetime(2024, 3, 10, 20, 30, tzinfo=ZONE)),
        ("Today, 16:21", datetime(2024, 3, 13, 16, 21, tzinfo=ZONE)),
        ("Yesterday at 3:15 PM", datetime(2024, 3, 12, 15, 15, tzinfo=ZONE)),
        ("Today", datetime(2024, 3, 13, 0, 0, tzinfo=ZONE)),
        ("Monday at 9:05 AM", datetime(2024, 3, 11, 9, 5, tzinfo=ZONE)),
        ("Wednesday at 9:05 AM", datetime(2024, 3, 6, 9, 5, tzinfo=ZONE)),  # a week back
        ("Oct 30, 2014 at 10:48 PM", datetime(2014, 10, 30, 22, 48, tzinfo=ZONE)),
        ("2016-02-01, 02:21", datetime(2016, 2, 1, 2, 21, tzinfo=ZONE)),
        ("06-15-2016, 03:03 PM", datetime(2016, 6, 15, 15, 3, tzinfo=ZONE)),
        ("Sun May 26, 2019 4:34 pm", datetime(2019, 5, 26, 16, 34, tzinfo=ZONE)),
        ("Sunday, May 26, 2019 4:34 pm", datetime(2019, 5, 26, 16, 34, tzinfo=ZONE)),
        ("March 14, 2024, 07:12:40 PM", datetime(2024, 3, 14, 19, 12, 40, tzinfo=ZONE)),
    ],
)
def test_human_dates_in_the_boards_zone(text: str, expected: datetime) -> None:
    assert dates.from_text(text, zone=ZONE, fetched=FETCHED) == expected


def test_text_without_a_date_is_none_not_today() -> None:
    assert dates.from_text("Reply", zone=ZONE, fetched=FETCHED) is None
    assert dates.from_text("", zone=ZONE, fetched=FETCHED) is None
    assert dates.from_text("1 minute ago") is None  # relative, and no fetch time to count from


def test_iso_and_epoch_attributes() -> None:
    assert dates.from_iso("2010-11-21T10:51:58+0000") == datetime(
        2010, 11, 21, 10, 51, 58, tzinfo=UTC
    )
    assert dates.from_iso("2019-04-09T08:37:23", ZONE) == datetime(
        2019, 4, 9, 8, 37, 23, tzinfo=ZONE
    )
    assert dates.from_iso("not a date") is None
    assert from_epoch("1290336718") == datetime(2010, 11, 21, 10, 51, 58, tzinfo=UTC)
    assert from_epoch("x") is None
    assert from_epoch(None) is None


def test_zone_hints_of_vbulletin_and_phpbb() -> None:
    assert dates.vbulletin_zone("All times are GMT -5. The time now is") == ZONE
    assert dates.vbulletin_zone("All times are GMT +5.5. The") == timezone(timedelta(hours=5.5))
    assert dates.vbulletin_zone("All times are GMT. The time now is") == UTC
    assert dates.vbulletin_zone("nothing here") is None
    dst = 'All times are UTC [ <abbr title="Daylight Saving Time">DST</abbr> ]'
    assert dates.phpbb_zone(dst) == timezone(timedelta(hours=1))
    assert dates.phpbb_zone("All times are UTC - 5 hours") == ZONE
    assert dates.phpbb_zone(
        'All times are <span title="Europe/Paris">UTC+01:00</span>'
    ) == ZoneInfo("Europe/Paris")


def test_xenforo_midnight_and_inferred_zones() -> None:
    # serverTimeInfo now=1499113436, today=1499058000 (sufficientvelocity page 54)
    assert dates.midnight_zone(1499113436, 1499058000) == ZONE
    wall = datetime(2026, 11, 21, 20, 54)
    assert dates.infer_zone([(wall, datetime(2026, 11, 22, 1, 55, tzinfo=UTC))]) == ZONE
    # two witnesses that disagree: no zone
    assert (
        dates.infer_zone(
            [
                (wall, datetime(2026, 11, 22, 1, 55, tzinfo=UTC)),
                (wall, datetime(2026, 11, 21, 20, 55, tzinfo=UTC)),
            ]
        )
        is None
    )


def test_page_urls_follow_the_number_that_changes() -> None:
    offsets = Pagination(
        current=2,
        last=10,
        links={1: "https://b.example/viewtopic.php?t=9", 3: "https://b.example/viewtopic.php?t=9&start=50",
               4: "https://b.example/viewtopic.php?t=9&start=75"},
    )  # fmt: skip
    assert offsets.url_of(10) == "https://b.example/viewtopic.php?t=9&start=225"
    assert offsets.url_of(1) == "https://b.example/viewtopic.php?t=9"
    single = Pagination(current=1, last=3, links={2: "https://f.example/threads/x.10402/page-2"})
    assert single.url_of(3) == "https://f.example/threads/x.10402/page-3"
    unknown = Pagination(current=1, last=3, links={2: "https://f.example/t?p=abc"})
    assert unknown.url_of(3) is None


@pytest.mark.parametrize(
    ("current", "last", "links", "expected"),
    [
        (1, 40, [2, 3], (1, 40)),  # plausible: kept
        (1, 20_000_000, [2, 3], (1, 3)),  # no thread has that many: the linked pages
        (5, 3, [4], (5, 5)),  # the last page before the current one
        (1, 2, [2, 7], (1, 7)),  # a page linked past the claimed last one
        (0, 4, [2], (None, 4)),  # there is no page 0
        (2, -3, [], (2, 2)),
        (None, None, [2], (None, None)),  # nothing claimed, nothing made up
    ],
)
def test_claimed_page_numbers_are_checked(
    current: int | None, last: int | None, links: list[int], expected: tuple[int | None, ...]
) -> None:
    pages = Pagination(current, last, {n: f"https://f.example/t/page-{n}" for n in links})
    checked = pages.checked()
    assert (checked.current, checked.last) == expected
    assert checked.links == pages.links


def test_number_reads_counters() -> None:
    assert number("#1,326") == 1326
    assert number("Reply #3") == 3
    assert number(None) is None
    assert number("no digits") is None


def test_br_and_nbsp_code_becomes_preformatted_lines() -> None:
    root = lxml.html.fragment_fromstring(
        "<div>before<code>if&nbsp;(x)&nbsp;{<br />\n&nbsp;&nbsp;y();<br />\n}</code>after</div>"
    )
    as_pre(root.find("code"))
    assert element_to_text(root) == "before\n\nif (x) {\n  y();\n}\n\nafter"
