"""Editing what to watch from the command line: ``sources add`` refuses what
``config check`` would, ``pause``/``unpause``, ``poll SOURCE``, and OPML
import/export that keeps categories and says what it skipped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from clirun import Ran, seedwatch
from feedgen import rss
from localserver import LocalServer, Reply
from seedwatch.daemon import config as config_mod


def sw(config: Path, *args: str) -> Ran:
    return seedwatch("--config", str(config), *args)


def _config(tmp_path: Path, text: str = "") -> Path:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "seedwatch.toml"
    path.write_text('# mine\n[corpus]\npath = "corpus"\n' + text)
    return path


def test_sources_add_refuses_what_config_check_refuses(tmp_path: Path) -> None:
    config = _config(tmp_path)
    before = config.read_text()
    for args, wrong in (
        (["ftp-src", "ftp://files.example/feed", "--kind", "ftp"], "'ftp'"),
        (["typo", "https://a.example/feed", "--parser", "rsss"], "'rsss'"),
        (["bad-url", "notaurl"], "'notaurl'"),
        (["slow", "https://b.example/feed", "--min-interval", "soon"], "min_interval"),
    ):
        result = sw(config, "sources", "add", *args, "--no-discover")
        assert result.exit_code == 2, (args, result.output)
        assert wrong in result.output, result.output
        assert len(result.output.strip().splitlines()) == 1  # one clear line
        assert config.read_text() == before  # nothing written
        # what was refused is what `config check` refuses once it is in the file
        config.write_text(before + f'[[sources]]\nid = "x"\nurl = "{args[1]}"\n')
        extra = {"--kind": "kind", "--parser": "parser", "--min-interval": "min_interval"}
        if len(args) > 2:
            config.write_text(config.read_text() + f'{extra[args[2]]} = "{args[3]}"\n')
        assert sw(config, "config", "check").exit_code == 2
        config.write_text(before)


def test_sources_add_refuses_a_taken_id_instead_of_renaming(tmp_path: Path) -> None:
    config = _config(tmp_path)
    first = sw(config, "sources", "add", "blog", "https://a.example/feed", "--no-discover")
    assert first.exit_code == 0, first.output
    again = sw(config, "sources", "add", "blog", "https://b.example/feed", "--no-discover")
    assert again.exit_code == 2
    assert "'blog' already exists" in again.output
    text = config.read_text()
    assert text.count("[[sources]]") == 1 and "blog-2" not in text
    same_url = sw(config, "sources", "add", "other", "https://a.example/feed", "--no-discover")
    assert same_url.exit_code == 2 and "'blog' already has the URL" in same_url.output


def test_pause_keeps_a_source_in_the_config_but_run_skips_it(
    server: LocalServer, tmp_path: Path
) -> None:
    url = server.route("/f.xml", Reply(body=rss(2)))
    config = _config(tmp_path, f'[[sources]]\nid = "feed"\nurl = "{url}"\n')
    paused = sw(config, "sources", "pause", "feed")
    assert paused.exit_code == 0, paused.output
    assert "enabled = false" in config.read_text() and "# mine" in config.read_text()
    assert "(paused)" in sw(config, "sources", "list").output
    run = sw(config, "run", "--once")
    assert run.exit_code == 0 and "0 source(s) polled" in run.output
    assert server.requests == []
    assert sw(config, "sources", "unpause", "feed").exit_code == 0
    assert "enabled" not in config.read_text()
    run = sw(config, "run", "--once")
    assert "1 source(s) polled, 2 item(s) added" in run.output
    assert sw(config, "sources", "pause", "nope").exit_code == 2


def test_poll_one_source_now(server: LocalServer, tmp_path: Path) -> None:
    one = server.route("/1.xml", Reply(body=rss(2)))
    two = server.route("/2.xml", Reply(body=rss(3, start=10)))
    config = _config(
        tmp_path,
        f'[[sources]]\nid = "one"\nurl = "{one}"\n[[sources]]\nid = "two"\nurl = "{two}"\n',
    )
    proc = subprocess.run(
        [sys.executable, "-m", "seedwatch", "-c", str(config), "poll", "two"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.split()) == 3  # the three corpus files written
    assert "1 source(s) polled, 3 item(s) added" in proc.stderr
    assert [r.path for r in server.requests] == ["/2.xml"]
    status = sw(config, "status")
    rows = {line.split()[0]: line.split() for line in status.output.splitlines() if line}
    assert rows["two"][1] == "ok" and rows["one"][1] != "ok"
    unknown = sw(config, "poll", "three")
    assert unknown.exit_code == 2 and "known sources: one, two" in unknown.output


def test_poll_exits_1_when_the_source_fails(tmp_path: Path) -> None:
    config = _config(tmp_path, '[[sources]]\nid = "down"\nurl = "http://127.0.0.1:9/f.xml"\n')
    result = sw(config, "poll", "down")
    assert result.exit_code == 1 and "FAILED (connect)" in result.output


def test_resume_without_a_daemon_does_not_claim_a_poll(server: LocalServer, tmp_path: Path) -> None:
    url = server.route("/f.xml", Reply(body=rss(1)))
    config = _config(tmp_path, f'[[sources]]\nid = "feed"\nurl = "{url}"\n')
    assert sw(config, "poll", "feed").exit_code == 0
    requests = len(server.requests)
    result = sw(config, "sources", "resume", "feed")
    assert result.exit_code == 0
    assert "polled again now" not in result.output
    assert "seedwatch poll feed" in result.output  # says how to poll it here
    assert len(server.requests) == requests  # and indeed nothing was polled


OPML = """<?xml version="1.0"?>
<opml version="2.0"><head><title>subs</title></head><body>
  <outline text="Tech">
    <outline text="Python">
      <outline type="rss" text="Py Blog" xmlUrl="https://py.example/feed"/>
    </outline>
    <outline type="rss" text="Gadgets" xmlUrl="https://gadgets.example/rss"/>
  </outline>
  <outline type="rss" text="News" xmlUrl="https://news.example/atom" category="/World,/Daily"/>
  <outline type="rss" text="Loose" xmlUrl="https://loose.example/feed"/>
  <outline type="rss" text="Known" xmlUrl="https://known.example/feed"/>
</body></opml>
"""


def test_opml_import_keeps_categories_and_export_writes_them_back(tmp_path: Path) -> None:
    config = _config(tmp_path, '[[sources]]\nid = "mine"\nurl = "https://known.example/feed"\n')
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML)
    result = sw(config, "sources", "import-opml", str(opml))
    assert result.exit_code == 0, result.output
    assert "imported 4 source(s)" in result.output
    assert "skipped 1 URL(s) already configured" in result.output
    assert "https://known.example/feed  (source 'mine')" in result.output
    assert sw(config, "config", "check").exit_code == 0
    exported = sw(config, "sources", "export-opml").output
    back = tmp_path / "back.opml"
    back.write_text(exported)
    again = _config(tmp_path / "again")
    assert sw(again, "sources", "import-opml", str(back)).exit_code == 0

    def groups(path: Path) -> dict[str | None, str | None]:
        return {s.url: s.group for s in config_mod.load(path).sources}

    expected = {
        "https://py.example/feed": "Tech/Python",
        "https://gadgets.example/rss": "Tech",
        "https://news.example/atom": "World",
        "https://loose.example/feed": None,
    }
    assert {u: g for u, g in groups(config).items() if u != "https://known.example/feed"} == (
        expected
    )
    assert {u: g for u, g in groups(again).items() if u != "https://known.example/feed"} == (
        expected
    )
    titles = {s.url: s.title for s in config_mod.load(again).sources}
    assert titles["https://py.example/feed"] == "Py Blog"


def test_sources_check_counts_every_post_of_a_folder_and_creates_nothing(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    for n in range(1, 9):
        (posts / f"post-{n}.md").write_text(
            f"---\ntitle: Post {n}\ndate: 2024-01-0{n}\n---\n\n"
            f"Post number {n} says something different from the others, at length: {n * 'x'}.\n"
        )
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for seed in (Path(__file__).parent / "data" / "seeds").iterdir():
        (corpus / seed.name).write_bytes(seed.read_bytes())
    config = tmp_path / "seedwatch.toml"
    config.write_text('[[sources]]\nid = "posts"\nkind = "folder"\npath = "posts"\n')
    before = sorted(p.name for p in tmp_path.iterdir())
    result = sw(config, "sources", "check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [f"{'posts':<28}     8 items,     8 new  ok"]
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no state/, nothing else
    verbose = sw(config, "sources", "check", "-v")
    assert verbose.output.count("would add posts:") == 8


def test_sources_add_sets_up_every_kind_as_config_check_wants_it(tmp_path: Path) -> None:
    posts = tmp_path / "posts"
    posts.mkdir()
    (posts / "hello.md").write_text("---\ntitle: Hello\ndate: 2024-01-05\n---\n\nHello there.\n")
    config = _config(tmp_path)
    steps = [
        ["posts", str(posts), "--kind", "folder", "-o", 'glob=["*.md"]', "-o", "max_bytes=5000"],
        ["mirror", "https://git.example/blog.git", "--kind", "git",
         "--path", str(tmp_path / "checkout"), "-o", "branch=main"],
        ["raw", "https://raw.example/blog/", "--kind", "http-files", "-o", 'urls=["a.md"]'],
        ["reader", "https://rss.example", "--kind", "freshrss", "-o", "user=alice",
         "--credential", "password=SW_TEST_FRESHRSS_PASSWORD"],
    ]  # fmt: skip
    for args in steps:
        ran = seedwatch(
            "--config", str(config), "sources", "add", *args, "--no-discover",
            env={"SW_TEST_FRESHRSS_PASSWORD": "secret"},
        )  # fmt: skip
        assert ran.exit_code == 0, (args, ran.output)
    loaded = {s.id: s for s in config_mod.load(config).sources}
    assert loaded["posts"].path == Path("posts") and loaded["posts"].url is None
    assert loaded["posts"].model_extra == {"glob": ["*.md"], "max_bytes": 5000}
    assert loaded["mirror"].url == "https://git.example/blog.git"
    assert loaded["mirror"].path == Path("checkout")
    assert loaded["raw"].model_extra == {"urls": ["a.md"]}
    assert loaded["reader"].credentials == {"password": "SW_TEST_FRESHRSS_PASSWORD"}
    assert 'password = "SW_TEST_FRESHRSS_PASSWORD"' in config.read_text()  # the name, not it
    assert "secret" not in config.read_text()
    checked = seedwatch(
        "--config", str(config), "config", "check", env={"SW_TEST_FRESHRSS_PASSWORD": "x"}
    )
    assert checked.exit_code == 0, checked.output
    polled = seedwatch(
        "--config", str(config), "sources", "check", "posts",
        env={"SW_TEST_FRESHRSS_PASSWORD": "x"},
    )  # fmt: skip
    assert polled.exit_code == 0 and "1 items" in polled.output
