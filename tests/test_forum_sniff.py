"""Every forum parser claims its own pages and nothing else: the other engines' pages,
feeds, FreshRSS pages and API answers, front-matter posts, the corpus seeds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seedwatch.models import Document
from seedwatch.plugins.manager import build_registry
from seedwatch.plugins.registry import Registry

DATA = Path(__file__).parent / "data"
FORUM_PARSERS = (
    "xenforo",
    "phpbb",
    "vbulletin",
    "discourse",
    "mybb",
    "smf",
    "invision",
    "forum-text",
)

# Which forum parser each forum page belongs to (read from the pages).
OWNER = {
    "forum/xenforo1/sufficientvelocity_renascence_page54.html": "xenforo",
    "forum/xenforo2/xenforo_community_dark_theme_option.html": "xenforo",
    "forum/handmade/xenforo2_login_required.html": "xenforo",
    "forum/phpbb3/ilovephilosophy_biological_will.html": "phpbb",
    "forum/handmade/phpbb33_prosilver_topic.html": "phpbb",
    "forum/handmade/phpbb30_subsilver2_topic.html": "phpbb",
    "forum/handmade/phpbb33_login_required.html": "phpbb",
    "forum/vbulletin3/animesuki_hibike_euphonium_page152.html": "vbulletin",
    "forum/vbulletin3/vozforums_vi_page1of3.html": "vbulletin",
    "forum/vbulletin4/militarytimes_bob_dorr_dies.html": "vbulletin",
    "forum/vbulletin5/fandompost_isekai_quartet_page1.html": "vbulletin",
    "forum/discourse/posts_json_topic2144_from_post5.json": "discourse",
    "forum/handmade/discourse_topic_2144_crawler_view.html": "discourse",
    "forum/mybb/showthread-tid1-page1.html": "mybb",
    "forum/mybb/showthread-tid1-page2.html": "mybb",
    "forum/handmade/smf21_topic.html": "smf",
    "forum/handmade/smf20_topic.html": "smf",
    "forum/handmade/invision4_topic.html": "invision",
    "seeds/002_9f1a0bbdab6c30d1.txt": "forum-text",
    # board (thread list) pages and the threads they list, read by the forum source kind
    "forum/smf20/geekhack_board70_messageindex.html": "smf",
    "forum/handmade/smf21_messageindex.html": "smf",
    "forum/handmade/mybb18_forumdisplay_fid4.html": "mybb",
    "forum/handmade/mybb18_forumdisplay_fid4_page2.html": "mybb",
    "forum/handmade/mybb18_showthread_tid12.html": "mybb",
    "forum/handmade/mybb18_showthread_tid13.html": "mybb",
    "forum/handmade/mybb18_nopermission.html": "mybb",
    "forum/handmade/xenforo2_forum_view.html": "xenforo",
    "forum/handmade/xenforo1_forum_view.html": "xenforo",
    "forum/handmade/phpbb33_viewforum.html": "phpbb",
    "forum/handmade/vbulletin3_forumdisplay.html": "vbulletin",
    "forum/handmade/vbulletin4_forumdisplay.html": "vbulletin",
    "forum/handmade/vbulletin5_channel.html": "vbulletin",
    "forum/handmade/invision4_forum.html": "invision",
    "forum/handmade/discourse_latest.json": "discourse",
    "forum/handmade/discourse_latest_crawler_view.html": "discourse",
}
# The folders whose content is known: forum pages, feeds, FreshRSS pages and API
# answers, front-matter posts, the seeds.
FOLDERS = ("forum", "feeds", "freshrss", "frontmatter", "seeds")
FILES = sorted(
    str(p.relative_to(DATA))
    for folder in FOLDERS
    for p in (DATA / folder).rglob("*")
    if p.is_file() and p.suffix.lower() not in (".md", ".tsv") and p.stat().st_size > 0
)
FETCHED = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return build_registry(load_external=False)


def test_every_forum_page_has_an_owner_in_this_table() -> None:
    forum_pages = [f for f in FILES if f.startswith("forum/") and not f.endswith(".xml")]
    assert sorted(forum_pages) == sorted(f for f in OWNER if f.startswith("forum/"))


@pytest.mark.parametrize("name", FILES)
def test_only_the_owner_claims_a_file(registry: Registry, name: str) -> None:
    path = DATA / name
    document = Document(url=path.as_uri(), content=path.read_bytes(), fetched=FETCHED)
    claims = {p: registry.parsers[p].sniff(document) for p in FORUM_PARSERS}
    owner = OWNER.get(name)
    assert {p for p, score in claims.items() if score > 0} == ({owner} if owner else set())
    if owner:
        assert registry.sniff(document).name == owner
