"""What the ``forum`` source kind reads from a page without fetching anything: each
engine's thread list (hand-made board pages in tests/data/forum/handmade/ and the real
SMF 2.0 board page in tests/data/forum/smf20/), the board's next page, the native feed
a page names (the real thread pages of every engine), login forms, Set-Cookie headers,
the cursor's mark and the source's configuration checks.

Expected values are read from the pages (see each file's comments), not printed from
the code.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.errors import ConfigError
from seedwatch.models import Document, Source
from seedwatch.plugins.builtin.forums.board import MAX_THREADS, ForumSource, Mark
from seedwatch.plugins.builtin.forums.listing import ThreadEntry, thread_url
from seedwatch.plugins.builtin.forums.session import (
    Session,
    login_form,
    parse_cookie_header,
    set_cookies,
)

FORUM = Path(__file__).parent / "data" / "forum"
KIND = ForumSource()
SOURCE = Source(id="board", kind="forum", url="https://example.org/")


def document(name: str, url: str | None = None) -> Document:
    """A page as read from disk (``file://``) or, with ``url``, as fetched from there."""
    path = FORUM / name
    media = "application/json" if name.endswith(".json") else "text/html"
    return Document(
        url=url or path.resolve().as_uri(),
        content=path.read_bytes(),
        fetched=datetime(2026, 11, 21, 21, 0, tzinfo=UTC),
        media_type=media,
    )


def read(doc: Document) -> tuple[str | None, str]:
    engine, what = KIND._read(SOURCE, doc)
    return (engine.name if engine else None), what


# -- thread lists ------------------------------------------------------------------------

# (page, URL it is read as (None: the file), engine, [(thread URL, title, activity)], next page)
BOARDS = {
    "mybb": (
        "handmade/mybb18_forumdisplay_fid4.html",
        None,
        "mybb",
        [
            (
                "http://127.0.0.1:18082/showthread.php?tid=1",
                "Calibration results for the DHT22 batch",
                "11-21-2026, 08:54 PM|8",  # the title of "1 minute ago", and the replies
            ),
            (
                "http://127.0.0.1:18082/showthread.php?tid=12",
                "Mounting the outdoor nodes: radiation shields",
                "11-20-2026, 06:12 PM|1",
            ),
        ],
        "http://127.0.0.1:18082/forumdisplay.php?fid=4&page=2",
    ),
    "xenforo2": (
        "handmade/xenforo2_forum_view.html",
        None,
        "xenforo",
        [
            (
                "https://community.example.org/threads/posting-rules-for-this-forum.120/",
                "Posting rules for this forum",  # the prefix label is not the title
                "1673258400|0",
            ),
            (
                "https://community.example.org/threads/a-dark-theme-option.8276/",
                "a dark theme option",
                "1700000000|27",
            ),
            (  # the link leads to the first unread post: the thread is the same
                "https://community.example.org/threads/humidity-drift-after-a-year-outdoors.8301/",
                "Humidity drift after a year outdoors",
                "1700035300|3",  # data-time, not "A moment ago"
            ),
        ],
        "https://community.example.org/forums/sensor-networks.4/page-2",
    ),
    "xenforo1": (
        "handmade/xenforo1_forum_view.html",
        None,
        "xenforo",
        [
            (
                "https://forums.example.net/threads/renascence-a-homura-quest.10402/",
                "Renascence: A Homura Quest",
                "1420275120|8,661",
            ),
            (
                "https://forums.example.net/threads/wanderer-a-quest.20811/",
                "Wanderer, a quest",
                "Dec 20, 2014 at 6:05 PM|12",
            ),
        ],
        "https://forums.example.net/forums/quests.29/page-2",
    ),
    "phpbb": (
        "handmade/phpbb33_viewforum.html",
        None,
        "phpbb",
        [
            ("https://makers.example.com/viewtopic.php?f=2&t=11", "Board rules", None),
            (
                "https://makers.example.com/viewtopic.php?f=7&t=212",
                "Anemometer bearings after two winters",
                "4410|2024-03-14T19:12:40+00:00|31",
            ),
            (
                "https://makers.example.com/viewtopic.php?f=7&t=198",
                "Solar shield: louvres or plates?",
                "3975|2023-12-03T07:30:00+00:00|4",
            ),
        ],
        "https://makers.example.com/viewforum.php?f=7&start=25",
    ),
    "vbulletin3": (
        "handmade/vbulletin3_forumdisplay.html",
        "https://forums.example.net/forumdisplay.php?f=34",  # vB3 names no site URL
        "vbulletin",
        [
            (
                "https://forums.example.net/showthread.php?t=128882",
                "Hibike! Euphonium",
                "5565532|3093",
            ),
            (
                "https://forums.example.net/showthread.php?t=130001",
                "Sound! Season 2 first impressions",
                "5570021|14",
            ),
        ],
        "https://forums.example.net/forumdisplay.php?f=34&order=desc&page=2",
    ),
    "vbulletin4": (
        "handmade/vbulletin4_forumdisplay.html",
        None,
        "vbulletin",
        [
            (
                "http://forums.example.com/showthread.php?9687-Legendary-military-columnist-author-Bob-Dorr-dies-at-76",
                "Legendary military columnist, author Bob Dorr dies at 76",
                "208344|14",
            ),
            (
                "http://forums.example.com/showthread.php?9701-New-PT-uniform-rules",
                "New PT uniform rules",
                "208360|2",
            ),
        ],
        "http://forums.example.com/forumdisplay.php?380-Air-Force/page2",
    ),
    "vbulletin5": (
        "handmade/vbulletin5_channel.html",
        None,
        "vbulletin",
        [
            (
                "https://forums.example.org/forum/anime-manga-discussions/general-anime-discussions/727744-isekai-quartet-discussion-thread",
                "Isekai Quartet Discussion Thread",
                "771205|31",
            ),
            (
                "https://forums.example.org/forum/anime-manga-discussions/general-anime-discussions/771001-winter-2020-picks",
                "Winter 2020 picks",
                "771190|5",
            ),
        ],
        "https://forums.example.org/forum/anime-manga-discussions/general-anime-discussions/page2",
    ),
    "smf21": (
        "handmade/smf21_messageindex.html",
        None,
        "smf",
        [
            (
                "https://bakers.example.com/index.php?topic=12.0",
                "Welcome: read this first",
                "101|0",
            ),
            (  # "Today at 07:12:40 PM" is left out: it changes at midnight
                "https://bakers.example.com/index.php?topic=57.0",
                "Starter smells of acetone",
                "377|23",
            ),
        ],
        "https://bakers.example.com/index.php?board=1.20",
    ),
    "invision": (
        "handmade/invision4_forum.html",
        None,
        "invision",
        [
            (
                "https://photo.example.com/topic/901-rangefinder-focus-drift/",
                "Rangefinder focus drift",
                "2024-03-14T19:12:40Z|27",
            ),
            (  # "?do=getNewComment" jumps within the topic
                "https://photo.example.com/topic/877-film-or-digital-for-a-first-camera/",
                "Film or digital for a first camera?",
                "2024-01-20T08:30:00Z|3",
            ),
        ],
        "https://photo.example.com/forum/5-cameras/page/2/",
    ),
    "discourse-json": (
        "handmade/discourse_latest.json",
        "https://discuss.criticalfallibilism.com/latest.json",
        "discourse",
        [  # each topic is read as its JSON, whose live pages are the posts not yet seen
            (
                "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144.json",
                "KPop Demon Hunters",
                "2025-08-02T09:15:03.101Z|12",
            ),
            (
                "https://discuss.criticalfallibilism.com/t/reading-list-for-july/2101.json",
                "Reading list for July",
                "2025-07-03T12:30:00.000Z|3",
            ),
        ],
        "https://discuss.criticalfallibilism.com/latest.json?no_definitions=true&page=1",
    ),
    "discourse-html": (
        "handmade/discourse_latest_crawler_view.html",
        None,
        "discourse",
        [
            (
                "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144.json",
                "KPop Demon Hunters",
                "11",
            ),
            (
                "https://discuss.criticalfallibilism.com/t/reading-list-for-july/2101.json",
                "Reading list for July",
                "2",
            ),
        ],
        "https://discuss.criticalfallibilism.com/latest?no_definitions=true&page=1",
    ),
}


@pytest.mark.parametrize("case", sorted(BOARDS))
def test_each_engine_reads_its_board_thread_list(case: str) -> None:
    name, url, engine, expected, following = BOARDS[case]
    doc = document(name, url)
    assert read(doc) == (engine, "board")
    parser = KIND._engines[engine]
    listed = parser.thread_list(doc)
    got = [(e.url, e.title, e.activity) for e in listed]
    if case == "phpbb":  # the announcement's activity: its last post, date and replies
        assert got[0][2] == "15|2021-02-01T09:00:00+00:00|0"
        got[0] = (got[0][0], got[0][1], None)
    assert got == expected
    assert thread_url(parser.board_next(doc) or "") == following


def test_the_real_smf_board_page_lists_its_fifteen_topics() -> None:
    # geekhack.org's "Group Buys and Preorders" (SMF 2.0.15): 5 sticky topics and 10
    # others, each a table row with span#msg_N, "R Replies" and a #msgM last-post link.
    doc = document("smf20/geekhack_board70_messageindex.html")
    assert read(doc) == ("smf", "board")
    listed = KIND._engines["smf"].thread_list(doc)
    assert len(listed) == 15
    assert listed[0] == ThreadEntry(
        "https://geekhack.org/index.php?topic=57761.0",
        "*** LIST OF CURRENTLY RUNNING COMMUNITY AND VENDOR GROUP BUYS ***",
        "2987678|97",
    )
    assert listed[5].title == "[GB] 7V - 75% Keyboard by gok (IN PRODUCTION)"
    assert listed[5].activity == "2999446|352"
    # the page is ISO-8859-1 as declared, read as windows-1252: its em dash survives
    assert listed[6].title == "[GB] GMK Dracula (CLOSED) \u2014 In color matching phase"
    assert listed[-1].url == "https://geekhack.org/index.php?topic=109948.0"
    assert listed[-1].activity == "2999340|18"
    assert KIND._engines["smf"].board_next(doc) == "https://geekhack.org/index.php?board=70.50"


def test_an_activity_changes_only_when_someone_posts() -> None:
    # Thread 1's row read twice an hour apart on a live board: "1 minute ago" became
    # "1 hour ago", the title (the absolute time) stayed: no activity.
    doc = document("handmade/mybb18_forumdisplay_fid4.html")
    later = doc.content.replace(b">1 minute ago<", b">1 hour ago<")
    assert later != doc.content
    moved = Document(url=doc.url, content=later, fetched=doc.fetched, media_type="text/html")
    mark = Mark(board=True)
    for entry in KIND._engines["mybb"].thread_list(doc):
        mark.note(entry)
    assert all(mark.unchanged(e) for e in KIND._engines["mybb"].thread_list(moved))


@pytest.mark.parametrize(
    ("name", "what"),
    [
        ("mybb/showthread-tid1-page1.html", "thread"),
        ("xenforo2/xenforo_community_dark_theme_option.html", "thread"),
        ("discourse/posts_json_topic2144_from_post5.json", "thread"),
        ("handmade/mybb18_nopermission.html", "wall"),
        ("handmade/xenforo2_login_required.html", "wall"),
        ("handmade/phpbb33_login_required.html", "wall"),
    ],
)
def test_thread_pages_and_login_walls_are_told_from_boards(name: str, what: str) -> None:
    assert read(document(name))[1] == what


def test_a_page_no_forum_engine_reads_is_left_to_the_pipeline() -> None:
    feed = FORUM / "mybb" / "syndication-default-rss2.xml"
    doc = Document(
        url=feed.resolve().as_uri(),
        content=feed.read_bytes(),
        fetched=datetime(2026, 11, 21, tzinfo=UTC),
        media_type="application/rss+xml",
    )
    assert read(doc) == (None, "other")


# -- native feeds ------------------------------------------------------------------------

# The most specific feed each page names (its <link rel="alternate">s, or XenForo 2's
# footer link), as read in the pages.
FEEDS = {
    "xenforo2/xenforo_community_dark_theme_option.html": (
        None,
        "xenforo",
        "https://xenforo.com/community/forums/-/index.rss",  # footer link only
    ),
    "xenforo1/sufficientvelocity_renascence_page54.html": (
        None,
        "xenforo",
        "https://forums.sufficientvelocity.com/forums/-/index.rss",
    ),
    "phpbb3/ilovephilosophy_biological_will.html": (
        None,
        "phpbb",
        "http://ilovephilosophy.com/feed.php?f=1&t=194998",  # the topic's, of six
    ),
    "vbulletin3/animesuki_hibike_euphonium_page152.html": (
        "https://forums.animesuki.com/showthread.php?t=128882&page=152",
        "vbulletin",
        "https://forums.animesuki.com/external.php?type=RSS2&forumids=34",
    ),
    "vbulletin3/vozforums_vi_page1of3.html": (
        "https://forums.voz.vn/showthread.php?t=3451010",
        "vbulletin",
        "https://forums.voz.vn/external.php?type=RSS2&forumids=17",
    ),
    "vbulletin4/militarytimes_bob_dorr_dies.html": (
        None,
        "vbulletin",
        "http://forums.militarytimes.com/external.php?type=RSS2&forumids=380",
    ),
    "vbulletin5/fandompost_isekai_quartet_page1.html": (
        None,
        "vbulletin",
        "https://fandompost.vbulletin.net/external?type=rss2&nodeid=28",
    ),
    "mybb/showthread-tid1-page1.html": (None, "mybb", "http://127.0.0.1:18082/syndication.php"),
    "discourse/posts_json_topic2144_from_post5.json": (
        None,
        "discourse",
        "https://discuss.criticalfallibilism.com/t/kpop-demon-hunters/2144.rss",
    ),
    "smf20/geekhack_board70_messageindex.html": (
        None,
        "smf",
        "https://geekhack.org/index.php?type=rss;action=.xml",
    ),
    "handmade/phpbb33_viewforum.html": (
        None,
        "phpbb",
        "https://makers.example.com/app.php/feed/forum/7",  # sid= dropped
    ),
    "handmade/discourse_latest.json": (
        "https://discuss.criticalfallibilism.com/latest.json",
        "discourse",
        "https://discuss.criticalfallibilism.com/latest.rss",
    ),
}


@pytest.mark.parametrize("name", sorted(FEEDS))
def test_the_native_feed_a_page_names(name: str) -> None:
    url, engine, feed = FEEDS[name]
    doc = document(name, url)
    assert KIND._engine(SOURCE, doc) is KIND._engines[engine]
    assert KIND._engines[engine].native_feed(doc) == feed


def test_a_page_without_a_feed_names_none() -> None:
    doc = document("handmade/invision4_topic.html")  # IPS feeds exist only if an admin makes one
    assert KIND._engines["invision"].native_feed(doc) is None


# -- login forms and cookies ----------------------------------------------------------


def test_the_login_form_of_a_real_mybb_page() -> None:
    # The guest's quick-login form in the real MyBB page's header.
    form = login_form(document("mybb/showthread-tid1-page1.html"))
    assert form is not None
    assert form.action == "http://127.0.0.1:18082/member.php"
    assert form.username_field == "quick_username"
    assert form.password_field == "quick_password"
    assert form.fields["action"] == "do_login"
    assert form.fields["quick_login"] == "1"
    assert form.fields["my_post_key"] == "5b9fc989cb9fd055867aaa0bb8570adf"
    assert form.fields["quick_remember"] == "yes"  # checked
    assert "quick_username" not in form.fields and "quick_password" not in form.fields


def test_the_login_form_of_a_real_smf_page() -> None:
    # SMF 2.0's guest form: a <select> of session lengths, the JS-filled hash field
    # left empty (SMF then checks the plain password), the session check field.
    form = login_form(document("smf20/geekhack_board70_messageindex.html"))
    assert form is not None
    assert form.action == "https://geekhack.org/index.php?action=login2"
    assert (form.username_field, form.password_field) == ("user", "passwrd")
    assert form.fields == {
        "cookielength": "-1",
        "hash_passwrd": "",
        "e11c6b73283": "e01c7f228187f59c6bac08b677ffed23",
    }


@pytest.mark.parametrize(
    ("name", "action", "user", "password", "hidden"),
    [
        (
            "handmade/xenforo2_login_required.html",
            "/login/login",
            "login",
            "password",
            {"_xfToken": "1700000000,0123456789abcdef0123456789abcdef"},
        ),
        (
            "handmade/phpbb33_login_required.html",
            "./ucp.php?mode=login&sid=0123456789abcdef",
            "username",
            "password",
            {"login": "Login"},
        ),
    ],
)
def test_login_forms_of_login_walls(
    name: str, action: str, user: str, password: str, hidden: dict[str, str]
) -> None:
    doc = document(name, "https://board.example.com/viewforum.php?f=3")
    form = login_form(doc)
    assert form is not None
    assert form.action == f"https://board.example.com/{action.removeprefix('/').removeprefix('./')}"
    assert (form.username_field, form.password_field) == (user, password)
    for key, value in hidden.items():
        assert form.fields[key] == value


def test_set_cookie_headers_joined_by_the_fetcher() -> None:
    header = (
        "xf_csrf=abc; path=/; secure, xf_session=s3ss10n; expires=Fri, 01-Jan-2038 00:00:00"
        " GMT; path=/; HttpOnly, xf_user=deleted; expires=Thu, 01-Jan-1970 00:00:01 GMT,"
        " old=1; Max-Age=0"
    )
    assert list(set_cookies(header)) == [
        ("xf_csrf", "abc"),
        ("xf_session", "s3ss10n"),
        ("xf_user", None),
        ("old", None),
    ]
    assert parse_cookie_header("a=1; b=two=2 ;c=") == {"a": "1", "b": "two=2", "c": ""}


def test_a_session_sends_its_cookies_to_the_board_site_only() -> None:
    source = Source(
        id="s",
        kind="forum",
        url="https://board.example.com/forums/4/",
        credentials={"cookie": "a=1"},
    )
    session = Session(source)
    answer = Document(
        url="https://board.example.com/forums/4/",
        content=b"",
        fetched=datetime(2026, 1, 1, tzinfo=UTC),
        headers={"set-cookie": "sid=9; path=/, a=2; path=/"},
    )
    session.absorb(source, answer)
    assert session.headers(source, "https://board.example.com/threads/1/") == {
        "Cookie": "a=2; sid=9"
    }
    assert session.headers(source, "https://elsewhere.example.net/") == {}
    elsewhere = Document(
        url="https://elsewhere.example.net/",
        content=b"",
        fetched=answer.fetched,
        headers={"set-cookie": "a=evil"},
    )
    session.absorb(source, elsewhere)
    assert session.headers(source, source.url or "")["Cookie"] == "a=2; sid=9"


# -- the cursor's mark ---------------------------------------------------------------


def test_the_mark_keeps_the_threads_seen_last_and_stays_small() -> None:
    mark = Mark(board=True)
    for n in range(MAX_THREADS + 50):
        mark.note(ThreadEntry(f"https://b.example/t/{n}", None, f"{n}|3"))
    assert len(mark.threads) == MAX_THREADS
    assert not mark.unchanged(ThreadEntry("https://b.example/t/0", None, "0|3"))  # dropped
    assert mark.unchanged(
        ThreadEntry(f"https://b.example/t/{MAX_THREADS + 49}", None, f"{MAX_THREADS + 49}|3")
    )
    text = mark.dump()
    assert len(text) < 30 * MAX_THREADS
    again = Mark.read(text, SOURCE)
    assert again.board and again.threads == mark.threads


def test_an_unreadable_mark_starts_over() -> None:
    assert Mark.read("{not json", SOURCE) == Mark()
    assert Mark.read(json.dumps({"m": "board", "t": "x"}), SOURCE) == Mark()


# -- configuration -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"url": "file:///tmp/board.html"}, 'field "url"'),
        ({"parser": "rss"}, 'field "parser"'),
        ({"credentials": {"passwd": "x"}}, "'passwd' mean nothing to a forum source"),
        ({"credentials": {"username": "ada"}}, '"username" and "password" go together'),
        ({"options": {"login_url": "/login"}}, "credentials name no"),
        (
            {"credentials": {"username": "a", "password": "b"}, "options": {"login_fields": ["x"]}},
            'field "login_fields"',
        ),
    ],
)
def test_the_configuration_a_forum_source_cannot_use(
    fields: dict[str, object], message: str
) -> None:
    values: dict[str, object] = {"id": "f", "kind": "forum", "url": "https://board.example.com/"}
    values.update(fields)
    with pytest.raises(ConfigError, match=re.escape(message)):
        KIND.check(Source(**values))  # type: ignore[arg-type]
    # and a right one passes
    KIND.check(Source(id="f", kind="forum", url="https://board.example.com/", parser="phpbb"))
