"""Sample documents of the formats seedwatch parses built in, shipped with the package.

The contract check (``seedwatch.testing.check_parser``) asks a third-party
parser to answer 0 from ``sniff`` for each of them: a parser must not claim
a feed, a forum page or a corpus text that a built-in parser reads. They are
gzip-compressed, byte-for-byte copies of real documents from the project's
test data (``tests/data/``; origins and licences in ``data/SOURCES.md``), so
the check works in a plugin author's virtualenv, where no clone of seedwatch
exists. Nothing here is read at import time.
"""

from __future__ import annotations

import gzip
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

from seedwatch.models import Document

# When the samples are "fetched": fixed, so documents compare equal across calls.
_FETCHED = datetime(2026, 11, 21, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Sample:
    """One sample: a short name, where it comes from in seedwatch's ``tests/data/``,
    its format, and the canonical name of the built-in parser that reads it."""

    name: str
    origin: str
    format: str
    parser: str

    @property
    def file(self) -> str:
        return self.origin.rsplit("/", 1)[-1]

    def content(self) -> bytes:
        return gzip.decompress(
            files("seedwatch.testing").joinpath("data", f"{self.file}.gz").read_bytes()
        )

    def document(self) -> Document:
        """The sample as a parser receives it (a ``file://`` URL, as ``seedwatch parse FILE``)."""
        media_type, _ = mimetypes.guess_type(self.file)
        return Document(
            url=f"file:///seedwatch-samples/{self.file}",
            content=self.content(),
            fetched=_FETCHED,
            media_type=media_type,
        )


SAMPLES: tuple[Sample, ...] = (
    Sample("rss2-iso-8859-1", "feeds/rss2_lecerclepsy_no-prolog_iso-8859-1.xml", "RSS 2.0", "rss"),
    Sample("atom", "feeds/atom_github_commits_miniflux.xml", "Atom 1.0", "rss"),
    Sample("rdf-rss090", "feeds/rss090_rdf_heise.xml", "RSS 0.90 (RDF)", "rss"),
    Sample(
        "discourse-json",
        "forum/discourse/posts_json_topic2144_from_post5.json",
        "Discourse posts.json API",
        "discourse",
    ),
    Sample(
        "greader-json",
        "freshrss/greader-api/reading-list-page1.json",
        "FreshRSS Google Reader API stream",
        "greader-json",
    ),
    Sample(
        "frontmatter-yaml",
        "frontmatter/wordpress-to-jekyll-exporter/"
        "2013-06-04-github-quick-file-navigationefbbbfefbbbf.md",
        "Jekyll post (WordPress export), YAML front-matter",
        "frontmatter",
    ),
    Sample(
        "frontmatter-toml",
        "frontmatter/hugo/hugoisforlovers_toml.md",
        "Hugo post, TOML front-matter",
        "frontmatter",
    ),
    Sample(
        "seed-000",
        "seeds/000_3a0e45d0b25c4292.txt",
        "plain-text articles, one per line",
        "plaintext",
    ),
    Sample(
        "seed-001", "seeds/001_5bac19b7e5a398cf.txt", "WordPress post as Markdown", "frontmatter"
    ),
    Sample("seed-002", "seeds/002_9f1a0bbdab6c30d1.txt", "forum thread as text", "forum-text"),
    Sample("seed-003", "seeds/003_3e2d132cdabf0ac4.txt", "plain-text article", "plaintext"),
    Sample("seed-004", "seeds/004_f3d0bba74a0a2456.txt", "FreshRSS page as text", "freshrss-text"),
    Sample(
        "xenforo2",
        "forum/xenforo2/xenforo_community_dark_theme_option.html",
        "XenForo 2 thread",
        "xenforo",
    ),
    Sample(
        "xenforo1",
        "forum/xenforo1/sufficientvelocity_renascence_page54.html",
        "XenForo 1 thread",
        "xenforo",
    ),
    Sample(
        "phpbb3",
        "forum/phpbb3/ilovephilosophy_biological_will.html",
        "phpBB 3.0 prosilver topic",
        "phpbb",
    ),
    Sample(
        "vbulletin4",
        "forum/vbulletin4/militarytimes_bob_dorr_dies.html",
        "vBulletin 4 thread",
        "vbulletin",
    ),
    Sample("mybb", "forum/mybb/showthread-tid1-page2.html", "MyBB 1.8 thread", "mybb"),
    Sample(
        "freshrss-html",
        "freshrss/normal_view_feed_hackernews_all_nb10.html",
        "FreshRSS normal view",
        "freshrss-html",
    ),
)


def builtin_samples(*, skip: frozenset[str] | set[str] = frozenset()) -> dict[str, Document]:
    """The samples as Documents by name, leaving out the names in ``skip``.

    ``skip`` also accepts parser names (``{"rss"}`` leaves out every feed):
    a plugin that replaces a built-in parser is meant to claim its format.
    """
    unknown = set(skip) - {s.name for s in SAMPLES} - {s.parser for s in SAMPLES}
    if unknown:
        known = ", ".join(sorted({s.name for s in SAMPLES} | {s.parser for s in SAMPLES}))
        raise ValueError(f"unknown sample or parser names {sorted(unknown)}; known: {known}")
    return {s.name: s.document() for s in SAMPLES if s.name not in skip and s.parser not in skip}
