"""Filter rules from the config: real feeds on a local server, the real pipeline and CLI.

Expected counts are read from the feeds: the Hacker News feed's titles hold
two "Show HN:" and one "Ask HN:" and one job ad ("Smarking (YC W15) is
hiring..."); Aaron Patterson's blog has two of ten titles naming
Nokogiri; heise's newsticker is German, the blog English.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from localserver import LocalServer, Reply
from seedwatch.daemon import config as config_mod
from seedwatch.daemon import runtime
from seedwatch.daemon.cli import main
from seedwatch.daemon.metrics import Metrics
from seedwatch.daemon.pipeline import Pipeline
from seedwatch.errors import ConfigError
from seedwatch.models import Item
from seedwatch.rules import compile_rules, first_drop
from seedwatch.state import filter_counts

FEEDS = Path(__file__).parent / "data" / "feeds"
HN = "rss2_hackernews_no-guid.xml"
BLOG = "rss2_wordpress_tenderlovemaking.xml"
HEISE = "rss090_rdf_heise.xml"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def serve(server: LocalServer, name: str) -> str:
    return server.route(f"/{name}", Reply(body=(FEEDS / name).read_bytes()))


@pytest.fixture
def build(tmp_path: Path) -> Iterator[Callable[..., Pipeline]]:
    built: list[Pipeline] = []

    def make(
        sources: list[dict[str, Any]], plugins: tuple[object, ...] = (), **top: Any
    ) -> Pipeline:
        data = {
            "corpus": {"path": "corpus"},
            "state": {"url": "sqlite:///state/state.db"},
            "sources": sources,
            **top,
        }
        config = config_mod.from_dict(data, file=tmp_path / "seedwatch.toml")
        pipeline = runtime.build(config, extra_plugins=plugins)
        pipeline.config = config  # type: ignore[attr-defined]
        built.append(pipeline)
        return pipeline

    yield make
    for p in built:
        p.close()


def poll(pipeline: Pipeline, source_id: str) -> Any:
    return pipeline.poll_source(pipeline.config.source(source_id)).result  # type: ignore[attr-defined]


def item(title: str, text: str = "words " * 30, **kw: Any) -> Item:
    return Item(key=f"k:{title}", parser="test", title=title, text=text, **kw)


def test_keywords_match_whole_words_whatever_the_case() -> None:
    rules = compile_rules([{"action": "drop", "field": "title", "keywords": ["hiring"]}],
                          where="t")  # fmt: skip
    assert first_drop(rules, item("Acme is HIRING engineers"), None) is not None
    assert first_drop(rules, item("Rehiring season"), None) is None


def test_a_keep_rule_drops_what_matches_no_keep_rule() -> None:
    rules = compile_rules(
        [{"name": "ruby", "action": "keep", "field": "tags", "keywords": ["ruby"]}], where="t"
    )
    assert first_drop(rules, item("a", tags=("Ruby", "C")), None) is None
    assert first_drop(rules, item("b", tags=("Go",)), None) == (
        "ruby",
        "matches no keep rule (ruby)",
    )


def test_rules_end_to_end_drop_keep_and_length_counted_by_rule(
    server: LocalServer, build: Callable[..., Pipeline], capsys: pytest.CaptureFixture[str]
) -> None:
    metrics_sources: list[Any] = []
    pipeline = build(
        [
            {"id": "hn", "url": serve(server, HN), "rules": [
                {"name": "no-jobs", "field": "title", "keywords": ["is hiring"]},
            ]},
            {"id": "blog", "url": serve(server, BLOG), "rules": [
                {"name": "nokogiri", "action": "keep", "field": "title",
                 "keywords": ["nokogiri"]},
            ]},
        ],
        rules=[{"name": "no-show-ask", "field": "title", "regex": r"^(Show|Ask) HN:"}],
    )  # fmt: skip
    metrics = Metrics(pipeline.store, lambda: metrics_sources)
    pipeline.registry.pm.register(metrics)
    hn = poll(pipeline, "hn")
    blog = poll(pipeline, "blog")
    assert (hn.items, hn.accepted) == (30, 26)
    assert hn.filtered == {"no-show-ask": 3, "hn:no-jobs": 1}
    assert (blog.items, blog.accepted) == (10, 2)
    assert blog.filtered == {"blog:nokogiri": 8}
    assert filter_counts.read(pipeline.store) == {
        "no-show-ask": 3, "hn:no-jobs": 1, "blog:nokogiri": 8,
    }  # fmt: skip
    rendered = metrics.render().decode()
    assert 'seedwatch_filtered_items_total{rule="no-show-ask"} 3.0' in rendered
    assert 'seedwatch_filtered_items_total{rule="blog:nokogiri"} 8.0' in rendered


def test_status_counts_drops_by_rule(
    server: LocalServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text(textwrap.dedent(f"""
        [corpus]
        path = "corpus"
        [[rules]]
        name = "no-show-ask"
        field = "title"
        regex = "^(Show|Ask) HN:"
        [[sources]]
        id = "hn"
        url = "{serve(server, HN)}"
        """))  # fmt: skip
    code, _, err = cli(capsys, "--config", str(config), "run", "--once")
    assert code == 0, err
    code, out, _ = cli(capsys, "--config", str(config), "status")
    assert code == 0
    assert "dropped by filter rules: no-show-ask 3" in out


def test_a_language_rule_keeps_english_and_drops_german(
    server: LocalServer, build: Callable[..., Pipeline]
) -> None:
    pipeline = build(
        [{"id": "heise", "url": serve(server, HEISE)}, {"id": "blog", "url": serve(server, BLOG)}],
        rules=[{"name": "english", "languages": ["en"]}],
    )
    heise = poll(pipeline, "heise")
    blog = poll(pipeline, "blog")
    assert heise.accepted == 0 and heise.filtered == {"english": heise.items}
    assert blog.accepted == 10 and not blog.filtered


def test_a_text_too_short_to_tell_its_language_is_kept() -> None:
    rules = compile_rules([{"languages": ["de"]}], where="t")
    from seedwatch import language

    assert first_drop(rules, item("Dall-E 2", "Comments"), language.detect) is None


def test_explain_says_which_rule_drops_an_item_and_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text(textwrap.dedent("""
        [corpus]
        path = "corpus"
        [state]
        url = "sqlite:///state.db"
        [[rules]]
        name = "no-show-ask"
        field = "title"
        regex = "^(Show|Ask) HN:"
        [[sources]]
        id = "hn"
        url = "http://127.0.0.1:9/hn"
        rules = [{ name = "no-jobs", field = "title", keywords = ["is hiring"] }]
        """))  # fmt: skip
    code, out, err = cli(capsys, "--config", str(config), "explain", "--source", "hn",
                         str(FEEDS / HN))  # fmt: skip
    assert code == 0, err
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 30
    ask = next(b for b in blocks if "Ask HN: Share your personal site" in b)
    assert "rule no-show-ask (drop): DROPS: title contains 'Ask HN:'" in ask
    assert "=> dropped by rule no-show-ask" in ask
    job = next(b for b in blocks if "is hiring staff" in b)
    assert "=> dropped by rule hn:no-jobs" in job
    dalle = next(b for b in blocks if b.startswith("[2] Dall-E 2"))
    assert "=> kept by the filters; de-duplication: would be added" in dalle


@pytest.mark.parametrize(
    ("rule", "key"),
    [
        ({"regex": "(unclosed"}, "regex"),
        ({"keywords": []}, "keywords"),
        ({"field": "body", "regex": "x"}, "field"),
        ({"action": "hide", "regex": "x"}, "action"),
        ({"languages": ["english"]}, "languages"),
        ({"min_words": -1}, "min_words"),
        ({"regx": "x"}, "regx"),
    ],
)
def test_a_bad_source_rule_is_a_config_error_naming_source_and_key(
    rule: dict[str, Any], key: str
) -> None:
    data = {"sources": [{"id": "hn", "url": "http://127.0.0.1/feed", "rules": [rule]}]}
    with pytest.raises(ConfigError) as info:
        config_mod.from_dict(data)
    message = str(info.value)
    assert "'hn'" in message and f'"{key}"' in message and "#1" in message


def test_an_invalid_regex_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "seedwatch.toml"
    config.write_text(
        '[[sources]]\nid = "hn"\nurl = "http://127.0.0.1/feed"\n'
        '[[sources.rules]]\nfield = "title"\nregex = "^(Show|Ask HN:"\n'
    )
    code, _, err = cli(capsys, "--config", str(config), "config", "check")
    assert code == 2
    (line,) = err.strip().splitlines()
    assert "'hn'" in line and '"regex"' in line


def test_a_bad_global_rule_names_the_rules_array(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        config_mod.from_dict({"rules": [{"regex": "x"}, {"regex": "[a-"}]})
    assert "[[rules]] #2" in str(info.value) and '"regex"' in str(info.value)
