"""The config model: bounds on every duration and size, and unknown keys of a
source refused for its kind and parser, each a config error naming the key
(``seedwatch config check`` exits 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from seedwatch.daemon.cli import main

SOURCE = '[[sources]]\nid = "a"\nurl = "http://127.0.0.1:9/a.xml"\n'


def check(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> tuple[int, str]:
    config = tmp_path / "seedwatch.toml"
    config.write_text(text)
    try:
        main(["--config", str(config), "config", "check"])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out + err


@pytest.mark.parametrize(
    ("text", "where", "key"),
    [
        (SOURCE + "min_interval = -600\n", "source 'a'", "min_interval"),
        (SOURCE + 'min_interval = "0s"\n', "source 'a'", "min_interval"),
        (SOURCE + "max_interval = 0\n", "source 'a'", "max_interval"),
        ("[daemon]\njitter = -30\n", "[daemon]", "jitter"),
        ("[daemon]\nprobe_interval = -1\n", "[daemon]", "probe_interval"),
        ("[daemon]\nprobe_interval = 0\n", "[daemon]", "probe_interval"),
        ("[daemon]\ndrain_timeout = -1\n", "[daemon]", "drain_timeout"),
        ("[fetch]\nhost_delay = -1\n", "[fetch]", "host_delay"),
        ("[fetch]\nlocal_host_delay = -0.5\n", "[fetch]", "local_host_delay"),
        ('[fetch]\nconnect_timeout = "0s"\n', "[fetch]", "connect_timeout"),
        ("[fetch]\nread_timeout = 0\n", "[fetch]", "read_timeout"),
        ("[fetch]\ntotal_timeout = -5\n", "[fetch]", "total_timeout"),
        ("[fetch]\nmax_bytes = 0\n", "[fetch]", "max_bytes"),
        ('[fetch]\nmax_bytes = "0MB"\n', "[fetch]", "max_bytes"),
        ("[fetch]\nmax_bytes = -1\n", "[fetch]", "max_bytes"),
        ("[cluster]\ntick = 0\n", "[cluster]", "tick"),
        ("[cluster]\nslot_wait = -1\n", "[cluster]", "slot_wait"),
        ("[websub]\nlease = 0\n", "[websub]", "lease"),
        ("[websub]\nfallback_interval = -1\n", "[websub]", "fallback_interval"),
        (SOURCE + "match_titles = true\ntitle_window = -3600\n", "source", "title_window"),
    ],
)
def test_durations_and_sizes_out_of_bounds_are_config_errors(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, where: str, key: str
) -> None:
    code, out = check(capsys, tmp_path, text)
    assert code == 2, out
    assert where in out and f'"{key}"' in out


@pytest.mark.parametrize(
    "text",
    [
        "[daemon]\njitter = 0\ndrain_timeout = 0\n",
        '[fetch]\nhost_delay = "0s"\nlocal_host_delay = 0\nmax_bytes = "1KB"\n',
        SOURCE + 'min_interval = "0.5s"\nmax_interval = "1s"\n',
    ],
)
def test_zero_delays_and_small_positive_values_are_fine(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    code, out = check(capsys, tmp_path, text)
    assert code == 0, out


@pytest.mark.parametrize(
    ("entry", "key"),
    [
        ('min_intervall = "10m"\n', "min_intervall"),  # a typo of a model field
        ('parser = "rss"\ntimezone = "Europe/Paris"\n', "timezone"),  # frontmatter's, not rss's
        ('kind = "folder"\npath = "posts"\nglobs = ["*.md"]\n', "globs"),
        ('kind = "freshrss"\nuser = "me"\nstreem = "starred"\n', "streem"),
    ],
)
def test_unknown_keys_of_a_source_are_config_errors_naming_the_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, entry: str, key: str
) -> None:
    (tmp_path / "posts").mkdir()
    text = '[[sources]]\nid = "a"\n' + entry
    if "url" not in entry and "path" not in entry:
        text += 'url = "http://127.0.0.1:9/a"\n'
    code, out = check(capsys, tmp_path, text)
    assert code == 2, out
    assert "source 'a'" in out and f'"{key}"' in out


@pytest.mark.parametrize(
    "entry",
    [
        'kind = "folder"\npath = "posts"\nglob = "*.md"\ntimezone = "Europe/Paris"\n',
        'url = "http://127.0.0.1:9/a"\nfull_text = true\nmatch_titles = true\nrobots = false\n',
        'url = "http://127.0.0.1:9/a"\ntimezone = "Asia/Tokyo"\n',  # sniffed: any parser's key
        'url = "http://127.0.0.1:9/a"\nparser = "rss"\nfeed_page_size = 20\ntitle = "A"\n',
        'kind = "forum"\nurl = "http://127.0.0.1:9/t/1"\nlogin_url = "http://127.0.0.1:9/l"\n'
        'credentials = { username = "U", password = "P" }\n',
    ],
)
def test_keys_a_kind_its_parser_or_the_pipeline_reads_are_accepted(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    entry: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("U", "user")
    monkeypatch.setenv("P", "secret")
    (tmp_path / "posts").mkdir()
    code, out = check(capsys, tmp_path, '[[sources]]\nid = "a"\n' + entry)
    assert code == 0, out


def test_a_plugin_that_declares_no_source_options_is_not_checked(tmp_path: Path) -> None:
    from collections.abc import Callable, Iterator

    from seedwatch import Document, Item, Parser, hookimpl
    from seedwatch.daemon import config as config_mod
    from seedwatch.daemon import runtime
    from seedwatch.daemon.source_checks import problems

    class Undeclared(Parser):
        name = "undeclared"

        def sniff(self, document: Document) -> float:
            return 0.0

        def parse(self, document: Document) -> Iterator[Item]:
            yield from ()

    class Plugin:
        @hookimpl
        def register_parsers(self, register: Callable[[Parser], None]) -> None:
            register(Undeclared())

    registry = runtime.registry_for(config_mod.Config(), extra_plugins=[Plugin()])
    source = {"id": "a", "url": "http://127.0.0.1:9/a", "its_own_key": 1}
    named = config_mod.from_dict({"sources": [{**source, "parser": "undeclared"}]})
    assert problems(named, registry) == []
    sniffed = config_mod.from_dict({"sources": [source]})
    assert ['"its_own_key"' in line for line in problems(sniffed, registry)] == [True]
