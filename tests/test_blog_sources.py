"""Source kinds ``folder``, ``git`` and ``http-files``: real folders, real git
repositories in tmp_path, and a real HTTP server on 127.0.0.1.

The blogs are built in each test from the real posts of tests/data/frontmatter/
plus a few hand-made files (a README, a draft, a template), marked where made.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from localserver import LocalServer, Reply, Request
from seedwatch.contracts import Cursor, Page, PollContext, SourceKind
from seedwatch.daemon.fetch import HttpFetcher
from seedwatch.errors import ConfigError, FetchError
from seedwatch.models import Document, Source
from seedwatch.plugins.builtin.blog_git import GitKind
from seedwatch.plugins.builtin.blog_http import HttpFilesKind
from seedwatch.plugins.builtin.blog_sources import FolderKind, glob_regex
from seedwatch.plugins.builtin.frontmatter import FrontMatterParser
from seedwatch.plugins.manager import build_registry

FM = Path(__file__).parent / "data" / "frontmatter"
POSTS = sorted(p.relative_to(FM).as_posix() for p in FM.rglob("*") if p.parent != FM)
# The jekyll-import post's name in its repository (SOURCES.md, "Path" column);
# the fixture was renamed to ASCII, git and the folder kind must cope with CJK.
CJK_NAME = "2010-01-26-google-maps-api-key报错的原因分析与解决.markdown"


class NoFetcher:
    """Folder and git kinds read files themselves: any HTTP fetch is a bug."""

    def fetch(self, url: str, **kw: object) -> Document | None:
        raise AssertionError(f"unexpected fetch of {url}")


def poll(
    kind: SourceKind, source: Source, cursor: Cursor | None = None, *, backfill: bool = False
) -> list[Page]:
    context = PollContext(fetcher=NoFetcher(), backfill=backfill)
    return list(kind.poll(source, cursor or Cursor(), context))


def names(pages: list[Page], root: Path) -> list[str]:
    out = []
    for page in pages:
        if page.document is not None:
            path = Path(unquote(urlsplit(page.document.url).path))
            out.append(path.relative_to(root.absolute()).as_posix())
    return out


def make_blog(root: Path) -> None:
    """The real posts under _posts/, plus hand-made files the defaults must skip."""
    for name in POSTS:
        target = root / "_posts" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FM / name, target)
    hand_made = {
        "README.md": "# My blog\n",
        ".github/ISSUE_TEMPLATE.md": "---\nname: Bug\n---\n",
        "_drafts/wip.md": "---\ntitle: Not yet\n---\nSoon.\n",
        "_layouts/default.html": "<html>{{ content }}</html>\n",
        "notes.txt": "not a post\n",
    }
    for name, text in hand_made.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


# -- selection ---------------------------------------------------------------


def test_glob_patterns() -> None:
    assert glob_regex("**/*.md").fullmatch("a.md")
    assert glob_regex("**/*.md").fullmatch("a/b/c.md")
    assert not glob_regex("*.md").fullmatch("a/b.md")
    assert glob_regex("posts/*.txt").fullmatch("posts/x.txt")
    assert not glob_regex("posts/*.txt").fullmatch("posts/sub/x.txt")


def test_registered_as_default_plugins() -> None:
    registry = build_registry(load_external=False)
    assert isinstance(registry.source_kinds["folder"], FolderKind)
    assert isinstance(registry.source_kinds["git"], GitKind)
    assert isinstance(registry.source_kinds["http-files"], HttpFilesKind)


# -- folder --------------------------------------------------------------------


def test_folder_backfill_yields_every_post_and_skips_the_rest(tmp_path: Path) -> None:
    make_blog(tmp_path)
    source = Source(id="blog", kind="folder", path=str(tmp_path))
    pages = poll(FolderKind(), source, Cursor(mark="v1:1:0000000000000000"), backfill=True)
    assert sorted(names(pages, tmp_path)) == [f"_posts/{n}" for n in POSTS]
    media = {p.document.media_type for p in pages if p.document is not None}
    assert media == {"text/markdown", "text/html"}
    parser = FrontMatterParser()
    for page in pages:
        assert page.document is not None and page.document.source == source
        assert page.document.url.startswith("file:///")
        (item,) = parser.parse(page.document)
        assert item.title and item.published


def test_folder_live_poll_yields_only_new_or_changed_files(tmp_path: Path) -> None:
    make_blog(tmp_path)
    source = Source(id="blog", kind="folder", path=str(tmp_path))
    kind = FolderKind()
    first = poll(kind, source)
    assert len(names(first, tmp_path)) == len(POSTS)
    cursor = first[-1].cursor
    assert cursor.mark is not None and len(cursor.mark) < 48  # small, whatever the blog's size
    assert poll(kind, source, cursor) == []

    # a clock tick later: files written in the poll's own tick are another test's subject
    time.sleep(0.05)
    changed = tmp_path / "_posts" / POSTS[0]
    changed.write_bytes(changed.read_bytes() + b"\nA late addition.\n")
    second = poll(kind, source, cursor)
    assert names(second, tmp_path) == [f"_posts/{POSTS[0]}"]
    cursor = second[-1].cursor

    # copied in with an old modification time (cp -p, rsync -a): ctime gives it away
    time.sleep(0.05)
    old = tmp_path / "_posts" / "2001-01-01-old.md"
    old.write_text("---\ntitle: Restored\n---\nFrom a backup.\n", encoding="utf-8")  # hand-made
    os.utime(old, (978307200, 978307200))
    third = poll(kind, source, cursor)
    assert names(third, tmp_path) == ["_posts/2001-01-01-old.md"]
    assert poll(kind, source, third[-1].cursor) == []


def test_folder_files_sharing_the_newest_stamp_are_not_lost(tmp_path: Path) -> None:
    make_blog(tmp_path)
    source = Source(id="blog", kind="folder", path=str(tmp_path))
    first = poll(FolderKind(), source)
    stamp = (first[-1].cursor.mark or "").split(":")[1]
    # a mark whose digest does not match what is at its stamp (a file arrived
    # in the same clock tick): everything at that stamp comes again
    again = poll(FolderKind(), source, Cursor(mark=f"v1:{stamp}:{'0' * 16}"))
    assert names(first, tmp_path)[-1] in names(again, tmp_path)
    for page in again:
        assert page.cursor.mark is not None and page.cursor.mark.split(":")[1] == stamp


def test_folder_poll_resumes_where_an_interrupted_one_stopped(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    for i in range(6):  # hand-made posts, written a clock tick apart
        (posts / f"p{i}.md").write_text(f"---\ntitle: Post {i}\n---\nText {i}.\n")
        time.sleep(0.02)
    source = Source(id="blog", kind="folder", path=str(tmp_path))
    pages = poll(FolderKind(), source)
    assert names(pages, tmp_path) == [f"posts/p{i}.md" for i in range(6)]
    # the pipeline saved the cursor of page 3, then the process died
    rest = poll(FolderKind(), source, pages[2].cursor)
    assert names(rest, tmp_path) == [f"posts/p{i}.md" for i in range(3, 6)]


def test_folder_options_glob_and_exclude(tmp_path: Path) -> None:
    make_blog(tmp_path)
    source = Source(
        id="blog",
        kind="folder",
        path=str(tmp_path),
        options={"glob": ["*.txt", "_drafts/*.md"], "exclude": []},
    )
    assert sorted(names(poll(FolderKind(), source), tmp_path)) == ["_drafts/wip.md", "notes.txt"]


def test_folder_skips_links_leading_outside_and_oversized_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blog = tmp_path / "blog"
    blog.mkdir()
    secret = tmp_path / "secret.md"
    secret.write_text("---\ntitle: private key\n---\nsecret\n")  # hand-made
    (blog / "leak.md").symlink_to(secret)
    (blog / "big.md").write_text("---\ntitle: big\n---\n" + "x" * 2000)  # hand-made
    (blog / "ok.md").write_text("---\ntitle: ok\n---\nfine\n")  # hand-made
    source = Source(id="blog", kind="folder", path=str(blog), options={"max_bytes": 1000})
    with caplog.at_level(logging.WARNING):
        pages = poll(FolderKind(), source)
    assert names(pages, blog) == ["ok.md"]
    assert "a link leading outside" in caplog.text and "over max_bytes 1000" in caplog.text


def test_folder_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match='field "path"'):
        FolderKind().check(Source(id="b", kind="folder"))
    with pytest.raises(ConfigError, match="is not a folder"):
        poll(FolderKind(), Source(id="b", kind="folder", path=str(tmp_path / "missing")))
    with pytest.raises(ConfigError, match='field "glob"'):
        FolderKind().check(Source(id="b", kind="folder", path=str(tmp_path), options={"glob": 3}))


# -- git -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def git_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Commits need an identity; the machine's git configuration must not leak in."""
    config = tmp_path / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for role in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{role}_NAME", "Test Writer")
        monkeypatch.setenv(f"GIT_{role}_EMAIL", "writer@example.org")


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(cwd), *args], check=True, capture_output=True, text=True
    )
    return done.stdout.strip()


def commit_all(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "blog"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    make_blog(root)
    cjk = root / "_posts" / "jekyll-import_wordpress-db"
    (cjk / "2010-01-26-google-maps-api-key-binary-dates.markdown").rename(cjk / CJK_NAME)
    commit_all(root, "import")
    yield root


def expected_posts() -> list[str]:
    return sorted(
        f"_posts/{n}".replace("2010-01-26-google-maps-api-key-binary-dates.markdown", CJK_NAME)
        for n in POSTS
    )


def test_git_first_poll_reads_every_post_then_only_what_commits_changed(repo: Path) -> None:
    source = Source(id="blog", kind="git", path=str(repo))
    kind = GitKind()
    pages = poll(kind, source)
    assert sorted(names(pages, repo)) == expected_posts()
    head = git(repo, "rev-parse", "HEAD")
    assert pages[-1].cursor.mark == head
    assert all(p.cursor.mark is None for p in pages[:-1])  # a half-done poll is redone
    by_name = dict(zip(names(pages, repo), pages, strict=True))
    cjk_doc = by_name[f"_posts/jekyll-import_wordpress-db/{CJK_NAME}"].document
    assert cjk_doc is not None
    (item,) = FrontMatterParser().parse(cjk_doc)
    assert item.title == "google maps api KEY报错的原因分析与解决"

    assert poll(kind, source, pages[-1].cursor) == []

    posts = repo / "_posts"
    modified = posts / "hugo" / "hugoisforlovers_toml.md"
    modified.write_text(modified.read_text() + "\nOne more line.\n")
    (posts / "2024-01-01-new.md").write_text("---\ntitle: New\n---\nHello.\n")  # hand-made
    (posts / POSTS[0]).unlink()
    (repo / "README.md").write_text("# My blog, renamed\n")
    head2 = commit_all(repo, "edit")
    changed = poll(kind, source, pages[-1].cursor)
    assert sorted(names(changed, repo)) == [
        "_posts/2024-01-01-new.md",
        "_posts/hugo/hugoisforlovers_toml.md",
    ]
    assert changed[-1].cursor.mark == head2


def test_git_commit_without_post_changes_still_moves_the_mark(repo: Path) -> None:
    source = Source(id="blog", kind="git", path=str(repo))
    first = poll(GitKind(), source)
    (repo / "README.md").write_text("# changed\n")
    head = commit_all(repo, "readme")
    pages = poll(GitKind(), source, first[-1].cursor)
    assert pages == [Page(None, Cursor(mark=head))]


def test_git_backfill_and_unknown_marks_read_everything(
    repo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = Source(id="blog", kind="git", path=str(repo))
    head = git(repo, "rev-parse", "HEAD")
    backfill = poll(GitKind(), source, Cursor(mark=head), backfill=True)
    assert sorted(names(backfill, repo)) == expected_posts()
    with caplog.at_level(logging.WARNING):
        lost = poll(GitKind(), source, Cursor(mark="0" * 40))
    assert sorted(names(lost, repo)) == expected_posts()
    assert "is no longer in" in caplog.text


def test_git_clones_the_remote_then_pulls_new_commits(tmp_path: Path) -> None:
    upstream = tmp_path / "upstream.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(upstream))
    author = tmp_path / "author"
    git(tmp_path, "clone", "-q", str(upstream), str(author))
    (author / "first.md").write_text("---\ntitle: First\n---\nOne.\n")  # hand-made
    commit_all(author, "first")
    git(author, "push", "-q", "origin", "main")

    checkout = tmp_path / "var" / "checkout"
    source = Source(id="blog", kind="git", path=str(checkout), options={"remote": str(upstream)})
    first = poll(GitKind(), source)
    assert names(first, checkout) == ["first.md"]
    assert (checkout / ".git").is_dir()

    (author / "second.md").write_text("---\ntitle: Second\n---\nTwo.\n")  # hand-made
    head = commit_all(author, "second")
    git(author, "push", "-q", "origin", "main")
    second = poll(GitKind(), source, first[-1].cursor)
    assert names(second, checkout) == ["second.md"]
    assert second[-1].cursor.mark == head

    shutil.rmtree(upstream)  # the remote is gone: the pull fails with git's own words
    with pytest.raises(FetchError, match=r"git pull failed .*upstream\.git") as failed:
        poll(GitKind(), source, second[-1].cursor)
    assert failed.value.category == "connect"


def test_git_path_inside_a_larger_repository(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    (root / "site" / "posts").mkdir(parents=True)
    (root / "other").mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "site" / "posts" / "a.md").write_text("---\ntitle: A\n---\na\n")  # hand-made
    (root / "other" / "b.md").write_text("---\ntitle: B\n---\nb\n")  # hand-made
    commit_all(root, "one")
    source = Source(id="blog", kind="git", path=str(root / "site"))
    first = poll(GitKind(), source)
    assert names(first, root / "site") == ["posts/a.md"]
    (root / "other" / "b.md").write_text("---\ntitle: B2\n---\nb2\n")
    head = commit_all(root, "two")
    assert poll(GitKind(), source, first[-1].cursor) == [Page(None, Cursor(mark=head))]


def test_git_refuses_links_leading_outside_the_checkout(repo: Path, tmp_path: Path) -> None:
    secret = tmp_path / "id_rsa.md"
    secret.write_text("---\ntitle: key\n---\nsecret\n")  # hand-made
    (repo / "_posts" / "leak.md").symlink_to(secret)
    first_head = git(repo, "rev-parse", "HEAD")
    commit_all(repo, "link")
    pages = poll(GitKind(), Source(id="blog", kind="git", path=str(repo)), Cursor(mark=first_head))
    assert names(pages, repo) == []
    assert len(pages) == 1 and pages[0].document is None


def test_git_config_and_fetch_errors(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "post.md").write_text("---\ntitle: x\n---\n")
    with pytest.raises(ConfigError, match="is not a git checkout"):
        poll(GitKind(), Source(id="b", kind="git", path=str(plain)))
    with pytest.raises(ConfigError, match='does not exist; clone the blog there or give "remote"'):
        poll(GitKind(), Source(id="b", kind="git", path=str(tmp_path / "missing")))
    gone = Source(
        id="b",
        kind="git",
        path=str(tmp_path / "clone"),
        options={"remote": str(tmp_path / "no-such-repo.git")},
    )
    with pytest.raises(FetchError, match="git clone failed"):
        poll(GitKind(), gone)
    with pytest.raises(ConfigError, match='field "timeout"'):
        GitKind().check(Source(id="b", kind="git", path=str(plain), options={"timeout": "soon"}))


# -- http-files ------------------------------------------------------------------


def test_http_files_fetches_each_post_then_only_changed_ones(server: LocalServer) -> None:
    posts = {
        "/raw/main/_posts/luatex.md": FM
        / "wordpress-to-jekyll-exporter/2009-04-23-luatex-reachs-040.md",
        "/raw/main/_posts/hugo.md": FM / "hugo/hugoisforlovers_toml.md",
    }
    etags = {path: f'"v1-{i}"' for i, path in enumerate(posts)}

    def serve(path: str) -> Callable[[Request], Reply]:
        def answer(request: Request) -> Reply:
            if request.headers.get("If-None-Match") == etags[path]:
                return Reply(304, content_type=None, headers={"ETag": etags[path]})
            return Reply(
                body=posts[path].read_bytes(),
                content_type="text/plain; charset=utf-8",  # what raw file hosts send
                headers={"ETag": etags[path]},
            )

        return answer

    for path in posts:
        server.route(path, serve(path))
    source = Source(
        id="raw-blog",
        kind="http-files",
        url=server.url("/raw/main/_posts/"),
        options={"urls": ["luatex.md", server.url("/raw/main/_posts/hugo.md")]},
    )
    kind = HttpFilesKind()
    with HttpFetcher() as fetcher:
        context = PollContext(fetcher=fetcher)
        first = list(kind.poll(source, Cursor(), context))
        assert [p.document.url for p in first if p.document] == [
            server.url("/raw/main/_posts/luatex.md"),
            server.url("/raw/main/_posts/hugo.md"),
        ]
        parser = FrontMatterParser()
        titles = [next(iter(parser.parse(p.document))).title for p in first if p.document]
        assert titles == ["LuaTeX reachs 0.40", "Getting Started with Hugo"]

        second = list(kind.poll(source, first[-1].cursor, context))
        assert [p.document for p in second] == [None, None]  # two 304s
        assert server.hits("/raw/main/_posts/hugo.md")[-1].headers["If-None-Match"] == '"v1-1"'

        etags["/raw/main/_posts/hugo.md"] = '"v2"'
        third = list(kind.poll(source, second[-1].cursor, context))
        assert [p.document.url for p in third if p.document] == [
            server.url("/raw/main/_posts/hugo.md")
        ]
        backfill = list(kind.poll(source, third[-1].cursor, replace(context, backfill=True)))
        assert sum(1 for p in backfill if p.document) == 2


def test_http_files_skips_a_missing_post_but_stops_when_the_server_fails(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.route("/ok.md", Reply(body=b"---\ntitle: ok\n---\nfine\n", content_type="text/plain"))
    source = Source(
        id="raw-blog",
        kind="http-files",
        options={"urls": [server.url("/gone.md"), server.url("/ok.md")]},
    )
    with HttpFetcher() as fetcher:
        context = PollContext(fetcher=fetcher)
        with caplog.at_level(logging.ERROR):
            pages = list(HttpFilesKind().poll(source, Cursor(), context))
        assert [p.document.url for p in pages if p.document] == [server.url("/ok.md")]
        assert "skipping " + server.url("/gone.md") in caplog.text
        server.route("/gone.md", Reply(503, b"down", content_type="text/plain"))
        with pytest.raises(FetchError):
            list(HttpFilesKind().poll(source, Cursor(), context))


def test_http_files_needs_a_list_of_urls() -> None:
    for urls in (None, [], "a.md", [3]):
        with pytest.raises(ConfigError, match='field "urls"'):
            HttpFilesKind().check(Source(id="b", kind="http-files", options={"urls": urls}))
